import { AwsServiceError } from '../../edge/aws-service';
import type { ResolvedDefinition } from './function-definition';
import type { FunctionLog } from './function-log';
import { type InvocationOutcome, type InvocationRequest, Sandbox, type SandboxSpec } from './sandbox';

export interface PoolSettings {
  /** The most environments a function without reserved concurrency runs at once; more invocations wait. */
  defaultConcurrency: number;
  /** An environment idle this long is ended, as Lambda reclaims idle environments. */
  idleTimeoutMs: number;
}

interface Waiter {
  resolve(sandbox: Sandbox): void;
  reject(error: unknown): void;
}

export function throttled(): AwsServiceError {
  return new AwsServiceError('TooManyRequestsException', 'Rate Exceeded.', 429);
}

/**
 * A created function: its current definition and code (a generation), and its pool of execution environments.
 * Invocations take an idle environment (warm), or start one (cold) while under the concurrency limit, or wait.
 * Environments of an older generation finish their invocation and are then ended.
 */
export class DeployedFunction {
  private readonly sandboxes = new Set<Sandbox>();
  private idle: Sandbox[] = [];
  private readonly idleTimers = new Map<Sandbox, NodeJS.Timeout>();
  private waiters: Waiter[] = [];
  private closed = false;

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
  async run(request: InvocationRequest, throttle: boolean): Promise<InvocationOutcome> {
    const sandbox = await this.acquire(throttle);
    try {
      return await sandbox.invoke(request);
    } finally {
      this.release(sandbox);
    }
  }

  /** Ends every environment; invocations waiting for one fail. */
  async close(): Promise<void> {
    this.closed = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters)
      waiter.reject(new AwsServiceError('ServiceException', 'The local Lambda is closing', 500));
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    this.idle = [];
    await Promise.all([...this.sandboxes].map((sandbox) => sandbox.terminate()));
    this.sandboxes.clear();
  }

  private acquire(throttle: boolean): Promise<Sandbox> {
    if (this.closed) return Promise.reject(new AwsServiceError('ServiceException', 'The local Lambda is closing', 500));
    const ready = this.takeIdle() ?? (this.sandboxes.size < this.limit ? this.spawn() : undefined);
    if (ready) return Promise.resolve(ready);
    if (this.limit === 0 || (throttle && this.spec.definition.reservedConcurrency !== undefined)) {
      return Promise.reject(throttled());
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
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
      const sandbox = this.takeIdle() ?? (this.sandboxes.size < this.limit ? this.spawn() : undefined);
      if (!sandbox) return;
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
