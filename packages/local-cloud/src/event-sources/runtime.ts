import type { LambdaInvoker } from '../contracts';
import type { CheckpointStore } from './checkpoint-store';
import type { FailureDestinations } from './invocation';

export interface EventSourceLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

/** What the pollers of every mapping share. */
export interface EventSourceRuntime {
  invoker: LambdaInvoker;
  destinations: FailureDestinations;
  checkpoints: CheckpointStore;
  now: () => number;
  /** The pause before retry `attempt` (1 for the first retry). */
  retryDelayMs: (attempt: number) => number;
  /** How long an SQS poller waits before receiving again from an empty queue that cannot wake it. */
  queueIdlePollMs: number;
  invokeIdentityArn: (functionArn: string) => string;
  logger: EventSourceLogger;
  /** Records the mapping's `LastProcessingResult`. */
  report: (uuid: string, result: string) => void;
}

/**
 * A wait that ends on a signal, a timeout or `release()`. A signal given while nobody waits is kept, so a wake-up
 * that arrives during an invocation is not lost.
 */
export class Waker {
  private signalled = false;
  private resolve: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  signal(): void {
    if (this.resolve) this.release();
    else this.signalled = true;
  }

  /** Forgets a signal given so far: the caller is about to look for work anyway. */
  clear(): void {
    this.signalled = false;
  }

  wait(ms?: number): Promise<void> {
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      if (ms !== undefined) {
        this.timer = setTimeout(() => this.release(), Math.max(0, ms));
        this.timer.unref();
      }
    });
  }

  release(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
