import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { AwsServiceError } from '../../edge/aws-service';
import type { ResolvedDefinition } from './function-definition';
import type { FunctionLog } from './function-log';
import { type InvocationOutcome, type InvocationRequest, Sandbox, type SandboxSpec } from './sandbox';

/** Execution environments and the memory they reported after their last invocations, in MB. */
export interface EnvironmentsMemory {
  environments: number;
  /** The heap reserved plus external memory (what the REPORT line's Max Memory Used shows). */
  memoryUsedMb: number;
  /** The live heap. */
  heapUsedMb: number;
}

export interface PoolSettings {
  /** The most environments a function without reserved concurrency runs at once; more invocations wait. */
  defaultConcurrency: number;
  /** An environment idle this long is ended, as Lambda reclaims idle environments. */
  idleTimeoutMs: number;
}

interface Waiter {
  /** With an environment to run in, or with the outcome when it ran in a batch another invocation took along. */
  resolve(value: Sandbox | InvocationOutcome): void;
  reject(error: unknown): void;
  since: number;
  /** Set for an asynchronous invocation, which may run in a batch another invocation hands an environment. */
  request?: InvocationRequest;
}

/** The most invocations handed to an environment in one message. */
const MAX_BATCH = 8;

/** Environments that compute can run at once, one a core; environments that wait on I/O are not bound by it. */
const CORES = availableParallelism();

/** How long an invocation waits before it starts an environment while the function's init phase is not timed yet. */
const UNTIMED_INIT_MS = 100;

/** Weight of the newest duration in the running means. */
const SMOOTHING = 0.2;

const smoothed = (mean: number | undefined, value: number) =>
  mean === undefined ? value : mean + SMOOTHING * (value - mean);

function closing(): AwsServiceError {
  return new AwsServiceError('ServiceException', 'The local Lambda is closing', 500);
}

export function throttled(): AwsServiceError {
  return new AwsServiceError('TooManyRequestsException', 'Rate Exceeded.', 429);
}

/**
 * A created function: its current definition and code (a generation), and its pool of execution environments.
 * Invocations take an idle environment (warm), or start one (cold) while under the concurrency limit, or wait.
 * Environments of an older generation finish their invocation and are then ended.
 *
 * A cold start is made only when it pays off: once the function's warm invocations and init phase have been timed,
 * an invocation that finds every environment busy waits for one of them if the invocations queued ahead of it would
 * be done sooner than a new environment could initialise (a burst of short invocations is then served by a few warm
 * environments instead of starting the limit's worth of environments, each loading its bundle again). An invocation
 * that has waited longer than an init phase takes starts one in any case, so slow invocations scale out as before.
 *
 * An invocation that gets an environment takes the asynchronous invocations queued right behind it along, up to its
 * environment's fair share of the queue ({@link MAX_BATCH} at most), and hands them over in one message: each runs
 * as an invocation of its own, one after another, but the host posts one message instead of one per event.
 * Asynchronous invocations of a function that has environments are handed out once per turn of the event loop, so
 * the events queued in one turn (a burst of messages the rules engine routed) travel together as well.
 */
export class DeployedFunction {
  private readonly sandboxes = new Set<Sandbox>();
  private idle: Sandbox[] = [];
  private readonly idleTimers = new Map<Sandbox, NodeJS.Timeout>();
  private waiters: Waiter[] = [];
  private closed = false;
  /** Running means of warm invocation and init durations (ms), known once each has been timed. */
  private warmMs: number | undefined;
  private initMs: number | undefined;
  /** Running mean of the share of warm invocations spent computing (see `InvocationOutcome.busyShare`). */
  private busyShare: number | undefined;
  private scaleTimer: NodeJS.Timeout | undefined;
  /** Invocations taken along in batches and not started yet: still queued, for the scaling decisions. */
  private batched = 0;
  /** The hand-out of the asynchronous invocations queued during this turn of the event loop. */
  private dispatch: NodeJS.Immediate | undefined;

  constructor(
    private spec: SandboxSpec,
    private readonly settings: PoolSettings,
  ) {}

  get definition(): ResolvedDefinition {
    return this.spec.definition;
  }

  get code() {
    return this.spec.code;
  }

  get generation(): string {
    return this.spec.generation;
  }

  get log(): FunctionLog {
    return this.spec.log;
  }

  /** The code directories the running environments use. */
  get directoriesInUse(): Set<string> {
    return new Set([this.spec.code.directory, ...[...this.sandboxes].map((s) => s.codeDirectory)]);
  }

  private get limit(): number {
    return this.spec.definition.reservedConcurrency ?? this.settings.defaultConcurrency;
  }

  /** Switches to a new definition; environments of an older generation are replaced from the next invocation on. */
  update(spec: SandboxSpec): void {
    if (spec.generation !== this.spec.generation) {
      // New code or configuration: its timings are yet to be learnt.
      this.warmMs = undefined;
      this.initMs = undefined;
      this.busyShare = undefined;
    }
    this.spec = spec;
    for (const sandbox of this.idle.filter((s) => s.generation !== spec.generation)) this.discard(sandbox);
    this.pump();
  }

  /** Changes what does not need new environments (destinations, retries, concurrency). */
  reconfigure(definition: ResolvedDefinition): void {
    this.spec = { ...this.spec, definition };
    this.pump();
  }

  /**
   * Runs one invocation in an environment. With `throttle`, an invocation over the concurrency limit fails with
   * TooManyRequestsException when the function has reserved concurrency (as Lambda answers a synchronous call);
   * otherwise it waits for an environment. Reserved concurrency 0 always throttles.
   */
  async run(request: InvocationRequest, throttle: boolean, batchable = false): Promise<InvocationOutcome> {
    const acquired = await this.acquire(throttle, batchable ? request : undefined);
    if (!(acquired instanceof Sandbox)) return acquired;
    const sandbox = acquired;
    const along = this.takeAlong();
    if (along.length === 0) {
      try {
        const outcome = await sandbox.invoke(request);
        this.time(outcome);
        return outcome;
      } finally {
        this.release(sandbox);
      }
    }
    let own: InvocationOutcome | undefined;
    this.batched += along.length;
    try {
      await sandbox.invokeAll(
        [request, ...along.map((waiter) => waiter.request as InvocationRequest)],
        (outcome, index) => {
          this.time(outcome);
          if (index === 0) own = outcome;
          else {
            this.batched -= 1;
            along[index - 1]?.resolve(outcome);
          }
        },
        (notStarted) => {
          // Not attempted (the environment ended first): back to the head of the queue, in order, before the
          // environment's end hands a new one to the next in the queue.
          const back = along.slice(along.length - notStarted.length);
          this.batched -= back.length;
          if (this.closed) for (const waiter of back) waiter.reject(closing());
          else this.waiters.unshift(...back);
        },
      );
    } finally {
      this.release(sandbox);
    }
    return own as InvocationOutcome;
  }

  /** Its environments, and the memory they reported after their last invocations, in MB. */
  environmentsMemory(): EnvironmentsMemory {
    let memoryUsedMb = 0;
    let heapUsedMb = 0;
    for (const sandbox of this.sandboxes) {
      memoryUsedMb += sandbox.lastMemoryUsedMb;
      heapUsedMb += sandbox.lastHeapUsedMb;
    }
    return { environments: this.sandboxes.size, memoryUsedMb, heapUsedMb };
  }

  /** The asynchronous invocations queued at the head of the queue, up to this environment's share of them. */
  private takeAlong(): Waiter[] {
    let count = 0;
    while (count < this.waiters.length && this.waiters[count]?.request) count++;
    const share = Math.ceil(count / Math.max(1, this.sandboxes.size));
    return this.waiters.splice(0, Math.min(share, MAX_BATCH - 1));
  }

  /** Ends every environment; invocations waiting for one fail. */
  async close(): Promise<void> {
    this.closed = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(closing());
    if (this.scaleTimer) clearTimeout(this.scaleTimer);
    if (this.dispatch) clearImmediate(this.dispatch);
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    this.idle = [];
    await Promise.all([...this.sandboxes].map((sandbox) => sandbox.terminate()));
    this.sandboxes.clear();
  }

  private acquire(throttle: boolean, request?: InvocationRequest): Promise<Sandbox | InvocationOutcome> {
    if (this.closed) return Promise.reject(closing());
    if (request && this.sandboxes.size > 0 && this.limit > 0) {
      // Handed out with the others of this turn (see the class comment).
      const waiting = new Promise<Sandbox | InvocationOutcome>((resolve, reject) =>
        this.waiters.push({ resolve, reject, since: performance.now(), request }),
      );
      this.dispatch ??= setImmediate(() => {
        this.dispatch = undefined;
        this.pump();
      });
      return waiting;
    }
    const ready = this.takeIdle() ?? (this.coldStartPaysOff() ? this.spawn() : undefined);
    if (ready) return Promise.resolve(ready);
    const full = this.sandboxes.size >= this.limit;
    if (this.limit === 0 || (throttle && full && this.spec.definition.reservedConcurrency !== undefined)) {
      return Promise.reject(throttled());
    }
    const waiting = new Promise<Sandbox | InvocationOutcome>((resolve, reject) =>
      this.waiters.push({ resolve, reject, since: performance.now(), request }),
    );
    if (!full) this.scheduleScaleCheck();
    return waiting;
  }

  /**
   * Whether the function already has the environments it takes to keep every core computing for it: with a share
   * `b` of each invocation spent computing, `cores / b` environments. More would share the same cores (each costing
   * an init phase and a heap) without running more invocations at once. A function that waits on I/O (`b` near 0)
   * is bound only by its concurrency limit.
   */
  private get computeBound(): boolean {
    return this.busyShare !== undefined && this.sandboxes.size * Math.max(this.busyShare, 0) >= CORES;
  }

  private initialising(): number {
    let count = 0;
    for (const sandbox of this.sandboxes) if (sandbox.isInitialising) count++;
    return count;
  }

  /** Updates the running means with a finished invocation. */
  private time(outcome: InvocationOutcome): void {
    if (outcome.initDurationMs !== undefined) {
      if (!outcome.error) this.initMs = smoothed(this.initMs, outcome.initDurationMs);
    } else if (!outcome.error) {
      this.warmMs = smoothed(this.warmMs, outcome.durationMs);
      if (outcome.busyShare !== undefined) this.busyShare = smoothed(this.busyShare, outcome.busyShare);
    }
  }

  /**
   * Whether one more waiting invocation should start an environment: there is room under the limit, and either the
   * function has not been timed yet and fewer environments than cores are initialising, or the invocations waiting
   * (this one included) would keep the environments there are busy for longer than an init phase takes.
   */
  private coldStartPaysOff(): boolean {
    if (this.sandboxes.size >= this.limit || this.computeBound) return false;
    if (this.sandboxes.size === 0) return true;
    // Until an init phase and a warm invocation have been timed: as many initialising at once as there are cores.
    if (this.warmMs === undefined || this.initMs === undefined) return this.initialising() < CORES;
    const queuedMs = ((this.waiters.length + this.batched + 1) * this.warmMs) / this.sandboxes.size;
    return queuedMs > this.initMs;
  }

  /**
   * While invocations wait under the limit, starts an environment for the oldest once it has waited longer than an
   * init phase takes (or {@link UNTIMED_INIT_MS} before the first init has been timed, and then only while fewer
   * environments than cores are initialising: the first init times tell whether more pay off).
   */
  private scheduleScaleCheck(): void {
    if (this.scaleTimer || this.closed) return;
    const initMs = Math.max(1, this.initMs ?? UNTIMED_INIT_MS);
    this.scaleTimer = setTimeout(() => {
      this.scaleTimer = undefined;
      const oldest = this.waiters[0];
      if (!oldest || this.closed || this.sandboxes.size >= this.limit || this.computeBound) return;
      const untimedInitsRunning = this.initMs === undefined && this.initialising() >= CORES;
      if (!untimedInitsRunning && performance.now() - oldest.since >= initMs) {
        this.waiters.shift();
        oldest.resolve(this.spawn());
      }
      if (this.waiters.length > 0) this.scheduleScaleCheck();
    }, initMs);
    this.scaleTimer.unref();
  }

  private release(sandbox: Sandbox): void {
    if (this.closed) return;
    if (!sandbox.isAlive || sandbox.generation !== this.spec.generation || this.sandboxes.size > this.limit) {
      this.discard(sandbox);
      this.pump();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.resolve(sandbox);
      return;
    }
    this.idle.push(sandbox);
    const timer = setTimeout(() => this.discard(sandbox), this.settings.idleTimeoutMs);
    timer.unref();
    this.idleTimers.set(sandbox, timer);
  }

  /** Hands environments to waiting invocations while there is room. */
  private pump(): void {
    while (this.waiters.length > 0) {
      const sandbox = this.takeIdle() ?? (this.coldStartPaysOff() ? this.spawn() : undefined);
      if (!sandbox) {
        this.scheduleScaleCheck();
        return;
      }
      this.waiters.shift()?.resolve(sandbox);
    }
  }

  /** The most recently used idle environment of the current generation, if any. */
  private takeIdle(): Sandbox | undefined {
    for (let sandbox = this.idle.pop(); sandbox; sandbox = this.idle.pop()) {
      clearTimeout(this.idleTimers.get(sandbox));
      this.idleTimers.delete(sandbox);
      if (sandbox.isAlive && sandbox.generation === this.spec.generation) return sandbox;
      this.discard(sandbox);
    }
    return undefined;
  }

  private spawn(): Sandbox {
    const sandbox = new Sandbox(this.spec);
    this.sandboxes.add(sandbox);
    sandbox.onEnd = () => {
      if (this.closed) return;
      this.forget(sandbox);
      this.pump();
    };
    return sandbox;
  }

  private discard(sandbox: Sandbox): void {
    this.forget(sandbox);
    void sandbox.terminate();
  }

  private forget(sandbox: Sandbox): void {
    this.sandboxes.delete(sandbox);
    this.idle = this.idle.filter((s) => s !== sandbox);
    clearTimeout(this.idleTimers.get(sandbox));
    this.idleTimers.delete(sandbox);
  }
}
