import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  type AttemptResult,
  type DestinationCondition,
  type DestinationTargets,
  deadLetterAttributes,
  deliver,
  destinationRecord,
} from './destinations';
import type { ResolvedDefinition } from './function-definition';
import type { InvocationOutcome, InvocationRequest } from './sandbox';

/** An event in the asynchronous invocation queue. */
export interface QueuedEvent {
  requestId: string;
  functionName: string;
  invokedFunctionArn: string;
  /** The event as JSON text. */
  payload: string;
  /** When it was queued (ms since the epoch): its age counts from here. */
  queuedAt: number;
  /** Invocations made so far. */
  attempts: number;
}

/** What the queue needs of the local Lambda. */
export interface AsyncHost {
  /** The function's definition now; undefined if it does not exist (yet, or any more). */
  definition(functionName: string): ResolvedDefinition | undefined;
  /** Runs one invocation, waiting for an environment if all are busy. */
  run(functionName: string, request: InvocationRequest): Promise<InvocationOutcome>;
  /** Writes a line to the function's log. */
  log(functionName: string, line: string): void;
}

export interface AsyncQueueSettings {
  /** The waits before the first, second, ... retry; AWS waits about 1 and 2 minutes. */
  retryDelaysMs: number[];
  /** Where events not yet done are kept across restarts. */
  stateFile: string;
}

/**
 * Lambda's asynchronous invocation queue: each event is invoked, retried after an error up to the function's
 * maximum retry attempts with growing waits, and on success or final failure sent to the function's destination
 * (on failure: the on-failure destination, else the dead-letter queue; either way the outcome is logged).
 *
 * On `close`, waits are cut short and events not yet done, including those whose invocation was cut off by the
 * shutdown, are persisted to the state file; a later queue on the same file takes them up again when their function
 * is created. An invocation cut off counts as no attempt, so such an event may run once more, as Lambda's
 * at-least-once delivery allows.
 */
export class AsyncInvocationQueue {
  private parked: QueuedEvent[] = [];
  private readonly processing = new Set<Promise<void>>();
  private readonly interrupted: QueuedEvent[] = [];
  private readonly wakers = new Set<() => void>();
  private closing = false;

  constructor(
    private readonly host: AsyncHost,
    private readonly targets: DestinationTargets,
    private readonly settings: AsyncQueueSettings,
  ) {
    if (existsSync(settings.stateFile)) {
      try {
        const state = JSON.parse(readFileSync(settings.stateFile, 'utf8')) as { events?: QueuedEvent[] };
        this.parked = Array.isArray(state.events) ? state.events : [];
      } catch (error) {
        // A file cut short by a crash loses its events, not the local cloud's start.
        const reason = error instanceof Error ? error.message : String(error);
        console.warn(`[lambda] Ignored unreadable ${settings.stateFile}: ${reason}`);
      }
    }
  }

  /** Events not done yet: being tried, waiting to be tried again or waiting for their function. */
  get pendingCount(): number {
    return this.processing.size + this.parked.length;
  }

  /** Events waiting for their function to be created. */
  get parkedCount(): number {
    return this.parked.length;
  }

  enqueue(event: QueuedEvent): void {
    if (this.closing) {
      this.interrupted.push(event);
      return;
    }
    const task = this.process(event).finally(() => this.processing.delete(task));
    this.processing.add(task);
  }

  /** Starts the events that were waiting for this function. */
  resume(functionName: string): void {
    const ready = this.parked.filter((event) => event.functionName === functionName);
    this.parked = this.parked.filter((event) => event.functionName !== functionName);
    for (const event of ready) this.enqueue(event);
  }

  /** Cuts waits short, lets running events stop, and persists what is not done. Call after ending the workers. */
  async close(): Promise<void> {
    this.closing = true;
    for (const wake of this.wakers) wake();
    while (this.processing.size > 0) await Promise.all([...this.processing]);
    const pending = [...this.parked, ...this.interrupted];
    if (pending.length === 0) {
      rmSync(this.settings.stateFile, { force: true });
      return;
    }
    mkdirSync(dirname(this.settings.stateFile), { recursive: true });
    const partial = `${this.settings.stateFile}.partial`;
    writeFileSync(partial, JSON.stringify({ version: 1, events: pending }, null, 2));
    renameSync(partial, this.settings.stateFile);
  }

  /** Marks the queue as closing, so invocations failing from now on are taken as cut off by the shutdown. */
  beginClose(): void {
    this.closing = true;
    for (const wake of this.wakers) wake();
  }

  private async process(event: QueuedEvent): Promise<void> {
    let last: AttemptResult | undefined;
    for (;;) {
      if (this.closing) return this.interrupt(event);
      const definition = this.host.definition(event.functionName);
      if (!definition) {
        console.warn(
          `[lambda] Dropped async event ${event.requestId}: function ${event.functionName} no longer exists`,
        );
        return;
      }
      if (Date.now() - event.queuedAt > definition.maximumEventAgeSeconds * 1000) {
        return this.finish(event, definition, 'EventAgeExceeded', last);
      }
      if (definition.reservedConcurrency === 0) {
        // Throttled: Lambda keeps retrying until the event is too old.
        await this.sleep(this.delay(0));
        continue;
      }
      let outcome: InvocationOutcome;
      try {
        outcome = await this.host.run(event.functionName, {
          requestId: event.requestId,
          payload: event.payload,
          invokedFunctionArn: event.invokedFunctionArn,
        });
      } catch (error) {
        if (this.closing) return this.interrupt(event);
        const reason = error instanceof Error ? error.message : String(error);
        this.host.log(event.functionName, `Async invocation ${event.requestId} could not run (${reason}): dropped`);
        return;
      }
      if (!outcome.error) {
        event.attempts += 1;
        return this.finish(event, definition, 'Success', { payload: outcome.payload });
      }
      if (this.closing) return this.interrupt(event);
      event.attempts += 1;
      last = { error: outcome.error };
      if (event.attempts > definition.maximumRetryAttempts) {
        return this.finish(event, definition, 'RetriesExhausted', last);
      }
      await this.sleep(this.delay(event.attempts - 1));
    }
  }

  /** Keeps an event the shutdown cut off, to be persisted. */
  private interrupt(event: QueuedEvent): void {
    this.interrupted.push(event);
  }

  private delay(retry: number): number {
    const delays = this.settings.retryDelaysMs;
    return delays[Math.min(retry, delays.length - 1)] ?? 1000;
  }

  private sleep(ms: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }

  private async finish(
    event: QueuedEvent,
    definition: ResolvedDefinition,
    condition: DestinationCondition,
    last: AttemptResult | undefined,
  ): Promise<void> {
    const name = definition.functionName;
    const record = () =>
      JSON.stringify(
        destinationRecord({
          requestId: event.requestId,
          functionArn: definition.arn,
          condition,
          approximateInvokeCount: event.attempts,
          payload: event.payload,
          lastAttempt: last,
        }),
      );
    const summary = `Async invocation ${event.requestId} ${condition === 'Success' ? 'succeeded' : 'failed'} after ${event.attempts} attempt(s) (${condition})`;

    let target: string | undefined;
    let send: (() => Promise<void>) | undefined;
    if (condition === 'Success') {
      target = definition.onSuccessDestinationArn;
      if (target) send = () => deliver(this.targets, target as string, record());
    } else if (definition.onFailureDestinationArn) {
      target = definition.onFailureDestinationArn;
      send = () => deliver(this.targets, target as string, record());
    } else if (definition.deadLetterTargetArn) {
      target = definition.deadLetterTargetArn;
      const errorCode = event.attempts === 0 ? 429 : 200;
      const errorMessage =
        last?.error?.errorMessage ?? `Event age exceeded ${definition.maximumEventAgeSeconds} seconds`;
      send = () =>
        deliver(
          this.targets,
          target as string,
          event.payload,
          deadLetterAttributes(event.requestId, errorCode, errorMessage),
        );
    }

    if (!send) {
      if (condition !== 'Success')
        this.host.log(name, `${summary}; no destination or dead-letter queue: event discarded`);
      return;
    }
    try {
      await send();
      if (condition !== 'Success') this.host.log(name, `${summary}; sent to ${target}`);
    } catch (error) {
      this.host.log(name, `${summary}; could not send to ${target}: ${error instanceof Error ? error.message : error}`);
    }
  }
}
