import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { LambdaError } from '../../contracts';
import type { FunctionCode } from './function-code';
import type { ResolvedDefinition } from './function-definition';
import { type FunctionLog, LineBuffer } from './function-log';
import { FUNCTION_VERSION, logGroupName, newLogStreamName } from './runtime-environment';

// A plain CommonJS file beside this one: worker threads run it with Node alone.
const BOOTSTRAP = join(__dirname, 'worker-bootstrap.cjs');

/** What a sandbox is made from: one version (generation) of a function's configuration and code. */
export interface SandboxSpec {
  definition: ResolvedDefinition;
  code: FunctionCode;
  /** Changes whenever the code or configuration does; sandboxes of an older generation are replaced. */
  generation: string;
  /** The environment variables of a sandbox with this log stream. */
  environment(logStreamName: string): Record<string, string>;
  log: FunctionLog;
  /** How long the init phase (loading the handler module) may take at least; Lambda allows 10 s. */
  initTimeoutMs: number;
}

export interface InvocationRequest {
  requestId: string;
  /** The event as JSON text. */
  payload: string;
  /** The ARN the caller named, qualified or not: the context's `invokedFunctionArn`. */
  invokedFunctionArn: string;
  clientContext?: unknown;
}

export interface InvocationOutcome {
  requestId: string;
  /** The result as JSON text, when the function succeeded. */
  payload?: string;
  /** The function error, when it failed (thrown, timed out, crashed, failed to initialise). */
  error?: LambdaError;
  /** This invocation's log lines, from INIT_START or START to REPORT. */
  logLines: string[];
  durationMs: number;
  initDurationMs?: number;
  /**
   * The share of the invocation the environment's thread spent running code rather than waiting (its event loop
   * utilisation from the event's arrival to the answer, measured in the environment, so time the answer waits for the
   * host does not count): near 1 for a function that computes, near 0 for one that waits on I/O.
   */
  busyShare?: number;
}

/** Messages of the environment's runtime; `logs` is output written before the message and not sent yet. */
type WorkerMessage =
  | { type: 'log'; text: string }
  | { type: 'initialized'; logs?: string }
  | { type: 'initFailed'; error: LambdaError; logs?: string }
  | {
      type: 'result';
      requestId: string;
      payload?: string;
      error?: LambdaError;
      logs?: string;
      /** The invocation's duration measured in the environment, from its start to its result. */
      durationMs?: number;
      memoryUsedMb: number;
      /** The live heap after the invocation (MB). */
      heapUsedMb: number;
      /** The share of the invocation the environment's thread spent running code rather than waiting. */
      busyShare?: number;
      /** The runtime exits after this result (an uncaught exception or unhandled rejection). */
      fatal?: boolean;
    };

/** The longest a logged line waits to be written while its invocation runs. */
const LOG_FLUSH_MS = 100;

type InitOutcome = { ok: true; initDurationMs: number } | { ok: false; error: LambdaError; initDurationMs: number };

type RunEnd =
  | { kind: 'result'; message: Extract<WorkerMessage, { type: 'result' }> }
  | { kind: 'timeout' }
  | { kind: 'died'; error: LambdaError };

/** Invocations handed to the environment together, and which of them is running. */
interface Batch {
  requests: readonly InvocationRequest[];
  index: number;
  started: number;
  timer: NodeJS.Timeout | undefined;
  initDurationMs: number | undefined;
  onOutcome(outcome: InvocationOutcome, index: number): void;
  /** Ends the batch with the requests that were not started. */
  done(notStarted: InvocationRequest[]): void;
}

function nodeOptionsExecArgv(environment: Record<string, string>): string[] {
  // NODE_OPTIONS is read at process start; of its flags, the one bundles commonly rely on is passed to the worker.
  return (environment.NODE_OPTIONS ?? '').split(/\s+/).filter((flag) => flag === '--enable-source-maps');
}

/**
 * The young generation of an environment's heap: a 32nd of the memory size, 4 to 16 MB. V8 would otherwise let each
 * environment's young generation grow to tens of MB, sized for a process of its own; the local cloud runs a few
 * dozen environments in one process, and Lambda's memory size bounds the whole environment, not only its old space.
 */
export function youngGenerationMb(memorySizeMb: number): number {
  return Math.min(16, Math.max(4, Math.round(memorySizeMb / 32)));
}

/**
 * One execution environment of a function: a worker thread running the function's bundle with its own environment
 * variables and memory limit. It initialises once (cold start), then runs one invocation at a time, warm. A timeout,
 * a crash or a failed init ends it; the pool then starts a new one.
 */
export class Sandbox {
  readonly logStreamName = newLogStreamName();
  readonly generation: string;
  private readonly worker: Worker;
  private readonly initialized: Promise<InitOutcome>;
  private readonly lines = new LineBuffer();
  private readonly log: FunctionLog;
  private readonly definition: ResolvedDefinition;
  private alive = true;
  private initEnded = false;
  private terminating = false;
  private lastRequestId = '-';
  private initReported = false;
  private maxMemoryUsedMb = 0;
  /** The memory the environment reported after its last invocation (heap reserved and external), in MB. */
  lastMemoryUsedMb = 0;
  /** The live heap the environment reported after its last invocation, in MB. */
  lastHeapUsedMb = 0;
  /** The lines of the invocation under way; the first one's include the init phase's. */
  private collector: string[] | undefined = [];
  /** Lines recorded but not yet written to the log. */
  private unwritten: string[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private batch: Batch | undefined;
  private exited: Promise<void>;
  /** Called once when the environment ends, whatever the cause. */
  onEnd: (() => void) | undefined;

  constructor(private readonly spec: SandboxSpec) {
    this.generation = spec.generation;
    this.log = spec.log;
    this.definition = spec.definition;
    const environment = spec.environment(this.logStreamName);
    this.worker = new Worker(BOOTSTRAP, {
      env: environment,
      execArgv: nodeOptionsExecArgv(environment),
      stdout: true,
      stderr: true,
      resourceLimits: {
        maxOldGenerationSizeMb: this.definition.memorySizeMb,
        maxYoungGenerationSizeMb: youngGenerationMb(this.definition.memorySizeMb),
      },
      workerData: {
        taskRoot: spec.code.directory,
        handler: this.definition.handler,
        functionName: this.definition.functionName,
        functionVersion: FUNCTION_VERSION,
        memorySizeMb: this.definition.memorySizeMb,
        logGroupName: logGroupName(this.definition.functionName),
        logStreamName: this.logStreamName,
      },
    });
    this.record(`INIT_START Runtime Version: ${this.definition.runtime} (Node.js ${process.version})`);
    this.writeLog();

    let initDone: (outcome: InitOutcome) => void = () => {};
    this.initialized = new Promise((resolve) => {
      initDone = (outcome) => {
        this.initEnded = true;
        resolve(outcome);
      };
    });
    // Init Duration counts from the start of the environment, as Lambda's includes the runtime's own start.
    const spawned = performance.now();
    this.worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'log') return this.output(message.text);
      if (message.logs !== undefined) this.output(message.logs);
      if (message.type === 'initialized') initDone({ ok: true, initDurationMs: performance.now() - spawned });
      else if (message.type === 'initFailed') {
        initDone({ ok: false, error: message.error, initDurationMs: performance.now() - spawned });
      } else if (message.type === 'result') {
        if (message.fatal) this.alive = false;
        const batch = this.batch;
        if (batch && batch.requests[batch.index]?.requestId === message.requestId)
          this.endRun(batch, { kind: 'result', message });
      }
    });
    this.worker.stdout.on('data', (chunk: Buffer) => this.output(chunk.toString()));
    this.worker.stderr.on('data', (chunk: Buffer) => this.output(chunk.toString()));
    let workerError: unknown;
    this.worker.on('error', (error) => {
      workerError = error;
    });
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (exitCode) => {
        this.alive = false;
        const error = this.exitError(exitCode, workerError);
        initDone({ ok: false, error, initDurationMs: 0 });
        if (!this.terminating) {
          this.flushOutput();
          this.record(error.errorMessage.replace(/^RequestId: -/, `RequestId: ${this.lastRequestId}`));
          this.record(error.errorType);
        }
        this.writeLog();
        if (this.batch) this.endRun(this.batch, { kind: 'died', error });
        this.onEnd?.();
        this.onEnd = undefined;
        resolve();
      });
    });
  }

  /** The task root this environment runs from. */
  get codeDirectory(): string {
    return this.spec.code.directory;
  }

  /** True until the init phase (loading the handler module) has ended, well or not. */
  get isInitialising(): boolean {
    return !this.initEnded;
  }

  /** False once the environment has ended or is about to. */
  get isAlive(): boolean {
    return this.alive;
  }

  /** Runs one invocation; never rejects: failures are an outcome with `error`. */
  async invoke(request: InvocationRequest): Promise<InvocationOutcome> {
    let outcome: InvocationOutcome | undefined;
    await this.invokeAll([request], (result) => {
      outcome = result;
    });
    return outcome as InvocationOutcome;
  }

  /**
   * Runs invocations one after another, handed to the environment in one message (each still its own invocation:
   * its own START, END and REPORT lines, context, deadline and outcome). `onOutcome` gets each outcome as it ends;
   * the first request always gets one. `onNotStarted` gets, at once, the requests that were not started because the
   * environment ended first (a timeout, a crash, a failed init): they were not attempted. Resolves once the batch has
   * ended; never rejects.
   */
  async invokeAll(
    requests: readonly InvocationRequest[],
    onOutcome: (outcome: InvocationOutcome, index: number) => void,
    onNotStarted: (requests: InvocationRequest[]) => void = () => {},
  ): Promise<void> {
    const first = requests[0];
    if (!first) return;
    this.collector ??= [];
    this.worker.ref();
    const timeoutMs = this.definition.timeoutSeconds * 1000;

    let initDurationMs: number | undefined;
    if (!this.initReported) {
      this.initReported = true;
      const init = await this.waitForInit(first.requestId, Math.max(this.spec.initTimeoutMs, timeoutMs));
      initDurationMs = init.initDurationMs;
      if (!init.ok) {
        this.flushOutput();
        this.record(
          `${new Date().toISOString()}\tundefined\tERROR\tUncaught Exception \t${JSON.stringify(init.error)}`,
        );
        this.record(
          `INIT_REPORT Init Duration: ${init.initDurationMs.toFixed(2)} ms\tPhase: init\tStatus: error\tError Type: ${init.error.errorType}`,
        );
        await this.terminate();
        this.writeLog();
        const lines = this.takeLines();
        onOutcome({ requestId: first.requestId, error: init.error, logLines: lines, durationMs: 0, initDurationMs }, 0);
        if (requests.length > 1) onNotStarted(requests.slice(1));
        return;
      }
    }

    await new Promise<void>((ended) => {
      const done = (notStarted: InvocationRequest[]) => {
        if (notStarted.length > 0) onNotStarted(notStarted);
        ended();
      };
      const batch: Batch = { requests, index: 0, started: 0, timer: undefined, initDurationMs, onOutcome, done };
      this.batch = batch;
      this.begin(batch, timeoutMs);
      if (!this.alive) {
        this.endRun(batch, { kind: 'died', error: this.exitError(1, undefined) });
        return;
      }
      this.worker.postMessage({
        type: 'invoke',
        timeoutMs,
        invocations: requests.map((request) => ({
          requestId: request.requestId,
          payload: request.payload,
          invokedFunctionArn: request.invokedFunctionArn,
          clientContext: request.clientContext,
        })),
      });
    });
    if (this.alive) this.worker.unref();
  }

  /** Starts timing the batch's current invocation: the environment starts it as soon as the one before ends. */
  private begin(batch: Batch, timeoutMs: number): void {
    const request = batch.requests[batch.index] as InvocationRequest;
    this.collector ??= [];
    this.lastRequestId = request.requestId;
    this.record(`START RequestId: ${request.requestId} Version: ${FUNCTION_VERSION}`);
    batch.started = performance.now();
    batch.timer = setTimeout(() => this.endRun(batch, { kind: 'timeout' }), timeoutMs);
  }

  /** Ends the batch's current invocation with its outcome, then times the next one or ends the batch. */
  private endRun(batch: Batch, end: RunEnd): void {
    if (this.batch !== batch) return;
    clearTimeout(batch.timer);
    const { requestId } = batch.requests[batch.index] as InvocationRequest;
    const initDurationMs = batch.index === 0 ? batch.initDurationMs : undefined;
    const timeoutMs = this.definition.timeoutSeconds * 1000;
    const durationMs = performance.now() - batch.started;
    this.flushOutput();

    let outcome: InvocationOutcome;
    let status = '';
    if (end.kind === 'result') {
      this.maxMemoryUsedMb = Math.max(this.maxMemoryUsedMb, end.message.memoryUsedMb);
      this.lastMemoryUsedMb = end.message.memoryUsedMb;
      this.lastHeapUsedMb = end.message.heapUsedMb;
      outcome = { requestId, logLines: [], durationMs: end.message.durationMs ?? durationMs, initDurationMs };
      if (end.message.busyShare !== undefined) outcome.busyShare = end.message.busyShare;
      if (end.message.error) outcome.error = end.message.error;
      else outcome.payload = end.message.payload ?? 'null';
    } else if (end.kind === 'timeout') {
      const seconds = this.definition.timeoutSeconds.toFixed(2);
      this.record(`${new Date().toISOString()} ${requestId} Task timed out after ${seconds} seconds`);
      status = '\tStatus: timeout';
      outcome = {
        requestId,
        error: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
        },
        logLines: [],
        durationMs: timeoutMs,
        initDurationMs,
      };
      // Ends the environment: its exit finds no batch and leaves the lines to this invocation.
      this.alive = false;
      this.batch = undefined;
      void this.terminate();
    } else {
      status = `\tStatus: error\tError Type: ${end.error.errorType}`;
      if (end.error.errorType === 'Runtime.OutOfMemory') this.maxMemoryUsedMb = this.definition.memorySizeMb;
      outcome = {
        requestId,
        error: {
          ...end.error,
          errorMessage: end.error.errorMessage.replace(/^RequestId: -/, `RequestId: ${requestId}`),
        },
        logLines: [],
        durationMs,
        initDurationMs,
      };
    }

    this.record(`END RequestId: ${requestId}`);
    const billed = Math.ceil(outcome.durationMs) + (initDurationMs === undefined ? 0 : Math.ceil(initDurationMs));
    const init = initDurationMs === undefined ? '' : `\tInit Duration: ${initDurationMs.toFixed(2)} ms`;
    this.record(
      `REPORT RequestId: ${requestId}\tDuration: ${outcome.durationMs.toFixed(2)} ms\tBilled Duration: ${billed} ms` +
        `\tMemory Size: ${this.definition.memorySizeMb} MB\tMax Memory Used: ${this.maxMemoryUsedMb} MB${init}${status}`,
    );
    outcome.logLines = this.takeLines();
    const index = batch.index;
    batch.index += 1;
    const more = batch.index < batch.requests.length;
    this.writeLog();
    batch.onOutcome(outcome, index);
    if (more && this.alive && end.kind === 'result') {
      this.begin(batch, timeoutMs);
      return;
    }
    this.batch = undefined;
    batch.done(batch.requests.slice(batch.index));
  }

  /** Ends the environment; resolves once the worker has exited. */
  async terminate(): Promise<void> {
    this.alive = false;
    this.terminating = true;
    await this.worker.terminate();
    await this.exited;
  }

  private async waitForInit(requestId: string, limitMs: number): Promise<InitOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<InitOutcome>((resolve) => {
      timer = setTimeout(() => {
        const seconds = (limitMs / 1000).toFixed(2);
        resolve({
          ok: false,
          initDurationMs: limitMs,
          error: {
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${seconds} seconds`,
          },
        });
      }, limitMs);
    });
    try {
      return await Promise.race([this.initialized, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private exitError(exitCode: number, workerError: unknown): LambdaError {
    const code = (workerError as { code?: string } | undefined)?.code;
    if (code === 'ERR_WORKER_OUT_OF_MEMORY') {
      return {
        errorType: 'Runtime.OutOfMemory',
        errorMessage: 'RequestId: - Error: Runtime exited with error: signal: killed',
      };
    }
    return {
      errorType: 'Runtime.ExitError',
      errorMessage: `RequestId: - Error: Runtime exited with error: exit status ${exitCode}`,
    };
  }

  private output(text: string): void {
    for (const line of this.lines.push(text)) this.record(line);
  }

  private flushOutput(): void {
    for (const line of this.lines.flush()) this.record(line);
  }

  /**
   * Keeps a line for the log; the lines of an invocation are written together when it ends (one write instead of one
   * per line), and lines of a long invocation at most {@link LOG_FLUSH_MS} after they were logged.
   */
  private record(line: string): void {
    this.unwritten.push(line);
    this.flushTimer ??= setTimeout(() => this.writeLog(), LOG_FLUSH_MS).unref();
    this.collector?.push(line);
  }

  private writeLog(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const lines = this.unwritten;
    this.unwritten = [];
    this.log.writeLines(lines);
  }

  private takeLines(): string[] {
    const lines = this.collector ?? [];
    this.collector = undefined;
    return lines;
  }
}

/** The last `maxBytes` of an invocation's log, as `X-Amz-Log-Result` carries it (before base64). */
export function logTail(lines: string[], maxBytes = 4096): Buffer {
  const text = Buffer.from(lines.map((line) => `${line}\n`).join(''));
  return text.length <= maxBytes ? text : text.subarray(text.length - maxBytes);
}
