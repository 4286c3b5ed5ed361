import { AwsServiceError } from '../edge/aws-service';
import type { ShardCheckpoint, WindowCheckpoint } from './checkpoint-store';
import type { EventSourceMappingSettings } from './event-source-mapping';
import { batchItemFailures, type InvocationOutcome, invokeSynchronously } from './invocation';
import {
  type FailureCondition,
  type KinesisEventContext,
  type KinesisTimeWindowEvent,
  kinesisEventRecords,
  kinesisFailureRecord,
  windowTimestamp,
} from './kinesis-event';
import { type EventSourceRuntime, errorMessage, Waker } from './runtime';
import type { StreamRecord, StreamSource, StreamStartingPosition } from './sources';

/** The synchronous invocation payload limit; a batch stops growing before its event would pass it. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** What a record adds to the event besides its base64 data, roughly. */
const RECORD_OVERHEAD_BYTES = 512;
/** A tumbling window's state may grow to this much; past it the window is terminated early. */
const MAX_STATE_BYTES = 1024 * 1024;

/** What `step` asks the loop to do next. */
type Next = { wait: 'none' } | { wait: 'records'; until?: number } | { wait: 'pause'; ms: number } | { wait: 'stop' };
const AGAIN: Next = { wait: 'none' };

/**
 * A Kinesis event source mapping: one poller per shard, each invoking the function with one batch at a time so
 * records of a shard are processed in order, as Lambda does.
 */
export class KinesisEventSource {
  private readonly pollers = new Map<string, KinesisShardPoller>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly settings: EventSourceMappingSettings,
    private readonly source: StreamSource,
    private readonly runtime: EventSourceRuntime,
  ) {}

  async start(): Promise<void> {
    const { settings, source, runtime } = this;
    let shardIds: string[];
    try {
      shardIds = source.listShardIds(settings.eventSourceArn);
    } catch (error) {
      if (error instanceof AwsServiceError && error.code === 'ResourceNotFoundException') {
        throw new AwsServiceError('InvalidParameterValueException', `Stream not found: ${settings.eventSourceArn}`);
      }
      throw error;
    }
    const checkpoints = await runtime.checkpoints.load(settings.uuid);
    for (const shardId of shardIds) {
      this.pollers.set(shardId, new KinesisShardPoller(settings, shardId, source, runtime, checkpoints[shardId]));
    }
    this.unsubscribe = source.subscribe(settings.eventSourceArn, (shardId) => this.pollers.get(shardId)?.wake());
    for (const poller of this.pollers.values()) poller.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await Promise.all([...this.pollers.values()].map((poller) => poller.stop()));
    this.pollers.clear();
  }
}

class KinesisShardPoller {
  private position = 0;
  private readonly checkpoint: ShardCheckpoint;
  /** Failed invocations of the current batch, counted against MaximumRetryAttempts. */
  private attempts = 0;
  /** Invocations of the current batch, for the failure record. */
  private invokeCount = 0;
  private serviceErrors = 0;
  private lastFunctionError: string | undefined;
  /** Sizes of the batches left from bisecting a failed one, next first. */
  private readonly bisectSizes: number[] = [];
  private batchDeadline: number | undefined;
  private readonly records = new Waker();
  private readonly stopping = new Waker();
  private stopped = false;
  private running: Promise<void> | undefined;
  private readonly context: KinesisEventContext;
  private readonly windowMs: number;

  constructor(
    private readonly settings: EventSourceMappingSettings,
    private readonly shardId: string,
    private readonly source: StreamSource,
    private readonly runtime: EventSourceRuntime,
    checkpoint: ShardCheckpoint | undefined,
  ) {
    this.windowMs = settings.tumblingWindowInSeconds * 1000;
    this.context = {
      shardId,
      eventSourceArn: settings.eventSourceArn,
      region: settings.region,
      invokeIdentityArn: runtime.invokeIdentityArn(settings.functionArn),
    };
    this.checkpoint = checkpoint ?? {};
    this.position = this.initialPosition(checkpoint);
  }

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.records.release();
    this.stopping.signal();
    await this.running;
  }

  wake(): void {
    this.records.signal();
  }

  private get arn(): string {
    return this.settings.eventSourceArn;
  }

  /** Resumes after the checkpoint; without one, starts where the mapping says and checkpoints that at once. */
  private initialPosition(checkpoint: ShardCheckpoint | undefined): number {
    if (checkpoint) {
      const sequenceNumber = checkpoint.sequenceNumber;
      if (sequenceNumber === undefined) return this.source.position(this.arn, this.shardId, { type: 'TRIM_HORIZON' });
      try {
        return this.source.position(this.arn, this.shardId, { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber });
      } catch {
        // A checkpoint from another incarnation of the stream: start afresh.
        delete this.checkpoint.sequenceNumber;
        delete this.checkpoint.window;
      }
    }
    const { startingPosition, startingPositionTimestamp } = this.settings;
    const start: StreamStartingPosition =
      startingPosition === 'AT_TIMESTAMP'
        ? { type: 'AT_TIMESTAMP', timestamp: Math.min((startingPositionTimestamp ?? 0) * 1000, this.runtime.now()) }
        : { type: startingPosition === 'LATEST' ? 'LATEST' : 'TRIM_HORIZON' };
    const position = this.source.position(this.arn, this.shardId, start);
    const previous = position > 0 ? this.source.read(this.arn, this.shardId, position - 1, 1).records[0] : undefined;
    if (previous && previous.position === position - 1) this.checkpoint.sequenceNumber = previous.sequenceNumber;
    this.save();
    return position;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      let next: Next;
      try {
        next = await this.step();
      } catch (error) {
        if (error instanceof AwsServiceError && error.code === 'ResourceNotFoundException') {
          this.runtime.report(this.settings.uuid, 'PROBLEM: Stream not found');
          return;
        }
        this.runtime.logger.warn('Kinesis event source poller failed; retrying', {
          uuid: this.settings.uuid,
          shardId: this.shardId,
          error: errorMessage(error),
        });
        next = { wait: 'pause', ms: this.runtime.retryDelayMs(++this.serviceErrors) };
      }
      if (this.stopped || next.wait === 'stop') return;
      if (next.wait === 'records') {
        const now = this.runtime.now();
        await this.records.wait(next.until === undefined ? undefined : Math.max(0, next.until - now));
      } else if (next.wait === 'pause') {
        await this.stopping.wait(next.ms);
      }
    }
  }

  private windowStartOf(record: StreamRecord): number {
    return Math.floor(record.approximateArrivalTimestamp / this.windowMs) * this.windowMs;
  }

  private async step(): Promise<Next> {
    const { settings } = this;
    const now = this.runtime.now();
    const window = this.checkpoint.window;
    if (window?.terminatedEarly) return this.finishWindow(window, true);

    this.records.clear();
    const limit = this.bisectSizes[0] ?? settings.batchSize;
    let records = this.source.read(this.arn, this.shardId, this.position, limit).records;

    if (window && now >= window.end) {
      const first = records[0];
      if (!first || this.windowStartOf(first) !== window.start) return this.finishWindow(window, false);
    }
    if (records.length === 0) return { wait: 'records', until: window?.end };

    if (settings.maximumRecordAgeInSeconds >= 0) {
      const cutoff = now - settings.maximumRecordAgeInSeconds * 1000;
      let expired = 0;
      while (expired < records.length && (records[expired] as StreamRecord).approximateArrivalTimestamp < cutoff)
        expired++;
      if (expired > 0) {
        await this.discard(records.slice(0, expired), 'RecordAgeExceeded');
        return AGAIN;
      }
    }

    let complete = false;
    if (this.windowMs > 0) {
      const start = this.windowStartOf(records[0] as StreamRecord);
      if (window && window.start !== start) return this.finishWindow(window, false);
      let count = 1;
      while (count < records.length && this.windowStartOf(records[count] as StreamRecord) === start) count++;
      if (count < records.length) {
        records = records.slice(0, count);
        complete = true;
      }
    }

    let bytes = 0;
    for (let count = 0; count < records.length; count++) {
      bytes += Math.ceil(((records[count] as StreamRecord).data.length * 4) / 3) + RECORD_OVERHEAD_BYTES;
      if (bytes > MAX_PAYLOAD_BYTES && count > 0) {
        records = records.slice(0, count);
        complete = true;
        break;
      }
    }

    const retrying = this.attempts > 0 || this.bisectSizes.length > 0;
    if (settings.maximumBatchingWindowInSeconds > 0 && !complete && !retrying && records.length < limit) {
      this.batchDeadline ??= now + settings.maximumBatchingWindowInSeconds * 1000;
      if (now < this.batchDeadline) return { wait: 'records', until: this.batchDeadline };
    }
    this.batchDeadline = undefined;
    return this.invoke(records);
  }

  private async invoke(records: readonly StreamRecord[]): Promise<Next> {
    const { settings } = this;
    const eventRecords = kinesisEventRecords(records, this.context);
    let window: WindowCheckpoint | undefined;
    let event: unknown = { Records: eventRecords };
    if (this.windowMs > 0) {
      const start = this.windowStartOf(records[0] as StreamRecord);
      window = this.checkpoint.window ?? { start, end: start + this.windowMs, state: {}, records: 0 };
      event = this.windowEvent(eventRecords, window, false, false);
    }

    this.invokeCount++;
    const outcome = await invokeSynchronously(this.runtime.invoker, settings.functionName, event);
    if (outcome.kind === 'service-error') return this.serviceError(outcome);
    this.serviceErrors = 0;
    if (outcome.kind === 'function-error') return this.failed(records, outcome.functionError);

    const payload = outcome.payload as { state?: unknown } | null | undefined;
    if (window && (payload === null || typeof payload !== 'object' || !('state' in payload))) {
      this.runtime.logger.warn('The function answered a tumbling window invocation without a state: a failure', {
        uuid: settings.uuid,
        shardId: this.shardId,
      });
      return this.failed(records, undefined);
    }

    let failedAt = records.length;
    if (settings.reportBatchItemFailures) {
      const sequenceNumbers = new Map(records.map((record, index) => [record.sequenceNumber, index]));
      const failures = batchItemFailures(payload, new Set(sequenceNumbers.keys()));
      if (failures === undefined) return this.failed(records, undefined);
      for (const id of failures) failedAt = Math.min(failedAt, sequenceNumbers.get(id) as number);
    }

    if (window) this.aggregate(window, records.slice(0, failedAt), (payload as { state: unknown }).state);
    if (failedAt > 0) this.commit(records[failedAt - 1] as StreamRecord);
    this.runtime.report(settings.uuid, 'OK');

    if (failedAt === records.length) {
      this.succeeded();
      return AGAIN;
    }
    const remaining = records.slice(failedAt);
    if (this.bisectSizes.length > 0) this.bisectSizes[0] = remaining.length;
    this.attempts++;
    if (this.exhausted()) {
      await this.discard(remaining, 'RetryAttemptsExhausted');
      return AGAIN;
    }
    return { wait: 'pause', ms: this.runtime.retryDelayMs(this.attempts) };
  }

  private windowEvent(
    records: KinesisTimeWindowEvent['Records'],
    window: WindowCheckpoint,
    isFinalInvokeForWindow: boolean,
    isWindowTerminatedEarly: boolean,
  ): KinesisTimeWindowEvent {
    return {
      Records: records,
      window: { start: windowTimestamp(window.start), end: windowTimestamp(window.end) },
      // The function gets its own copy: a failed invocation must leave the carried state as it was.
      state: structuredClone(window.state),
      shardId: this.shardId,
      eventSourceARN: this.settings.eventSourceArn,
      isFinalInvokeForWindow,
      isWindowTerminatedEarly,
    };
  }

  private aggregate(window: WindowCheckpoint, processed: readonly StreamRecord[], state: unknown): void {
    window.state = state ?? {};
    const first = processed[0];
    const last = processed[processed.length - 1];
    if (first && last) {
      window.first ??= pick(first);
      window.last = pick(last);
      window.records += processed.length;
    }
    if (JSON.stringify(window.state ?? null).length > MAX_STATE_BYTES) window.terminatedEarly = true;
    this.checkpoint.window = window;
    this.save();
  }

  /** The final invocation of a window: no records, the carried state, `isFinalInvokeForWindow: true`. */
  private async finishWindow(window: WindowCheckpoint, terminatedEarly: boolean): Promise<Next> {
    this.invokeCount++;
    const event = this.windowEvent([], window, true, terminatedEarly);
    const outcome = await invokeSynchronously(this.runtime.invoker, this.settings.functionName, event);
    if (outcome.kind === 'service-error') return this.serviceError(outcome);
    this.serviceErrors = 0;
    const payload = outcome.kind === 'success' ? (outcome.payload as object | null | undefined) : undefined;
    if (outcome.kind === 'success' && payload !== null && typeof payload === 'object' && 'state' in payload) {
      this.runtime.report(this.settings.uuid, 'OK');
      this.closeWindow(window, terminatedEarly);
      this.resetAttempts();
      return AGAIN;
    }
    // Until the final invocation succeeds, the shard waits, as far as the retry policy allows.
    this.lastFunctionError = outcome.kind === 'function-error' ? outcome.functionError : undefined;
    this.runtime.report(this.settings.uuid, 'PROBLEM: Function call failed');
    this.attempts++;
    if (!this.exhausted()) return { wait: 'pause', ms: this.runtime.retryDelayMs(this.attempts) };
    if (window.first && window.last) {
      await this.sendFailure(
        [
          { ...window.first, partitionKey: '', data: Buffer.alloc(0) },
          { ...window.last, partitionKey: '', data: Buffer.alloc(0) },
        ],
        'RetryAttemptsExhausted',
        window.records,
      );
    }
    this.closeWindow(window, terminatedEarly);
    this.resetAttempts();
    return AGAIN;
  }

  private closeWindow(window: WindowCheckpoint, terminatedEarly: boolean): void {
    if (terminatedEarly) {
      // The same window goes on, with a fresh state.
      this.checkpoint.window = { start: window.start, end: window.end, state: {}, records: 0 };
    } else {
      delete this.checkpoint.window;
    }
    this.save();
  }

  private async failed(records: readonly StreamRecord[], functionError: string | undefined): Promise<Next> {
    this.lastFunctionError = functionError;
    this.runtime.report(this.settings.uuid, 'PROBLEM: Function call failed');
    if (this.settings.bisectBatchOnFunctionError && records.length > 1) {
      // Splitting does not count as a retry.
      const half = Math.ceil(records.length / 2);
      this.bisectSizes.splice(0, 1, half, records.length - half);
      return AGAIN;
    }
    this.attempts++;
    if (this.exhausted()) {
      await this.discard(records, 'RetryAttemptsExhausted');
      return AGAIN;
    }
    return { wait: 'pause', ms: this.runtime.retryDelayMs(this.attempts) };
  }

  private serviceError(outcome: Extract<InvocationOutcome, { kind: 'service-error' }>): Next {
    this.invokeCount--;
    this.runtime.report(this.settings.uuid, `PROBLEM: ${errorMessage(outcome.error)}`);
    this.runtime.logger.warn('Could not invoke the function of a Kinesis event source mapping; retrying', {
      uuid: this.settings.uuid,
      functionName: this.settings.functionName,
      error: errorMessage(outcome.error),
    });
    return { wait: 'pause', ms: this.runtime.retryDelayMs(++this.serviceErrors) };
  }

  private exhausted(): boolean {
    const max = this.settings.maximumRetryAttempts;
    return max >= 0 && this.attempts > max;
  }

  /** Skips records Lambda gives up on, telling the on-failure destination. */
  private async discard(records: readonly StreamRecord[], condition: FailureCondition): Promise<void> {
    await this.sendFailure(records, condition, records.length);
    this.commit(records[records.length - 1] as StreamRecord);
    if (condition === 'RetryAttemptsExhausted') this.bisectSizes.shift();
    this.resetAttempts();
  }

  private async sendFailure(records: readonly StreamRecord[], condition: FailureCondition, batchSize: number) {
    const destination = this.settings.onFailureDestination;
    if (!destination) return;
    const document = kinesisFailureRecord({
      records,
      shardId: this.shardId,
      streamArn: this.settings.eventSourceArn,
      functionArn: this.settings.functionArn,
      condition,
      invokeCount: this.invokeCount,
      functionError: this.lastFunctionError,
      now: this.runtime.now(),
    });
    document.KinesisBatchInfo.batchSize = batchSize;
    try {
      await this.runtime.destinations.send(destination, document);
    } catch (error) {
      this.runtime.logger.warn('Could not send a discarded batch to the on-failure destination', {
        uuid: this.settings.uuid,
        destination,
        error: errorMessage(error),
      });
    }
  }

  private succeeded(): void {
    this.resetAttempts();
    this.bisectSizes.shift();
  }

  private resetAttempts(): void {
    this.attempts = 0;
    this.invokeCount = 0;
    this.lastFunctionError = undefined;
  }

  private commit(record: StreamRecord): void {
    this.position = record.position + 1;
    this.checkpoint.sequenceNumber = record.sequenceNumber;
    this.save();
  }

  private save(): void {
    this.runtime.checkpoints.set(this.settings.uuid, this.shardId, this.checkpoint);
  }
}

function pick(record: StreamRecord) {
  return {
    sequenceNumber: record.sequenceNumber,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp,
    position: record.position,
  };
}
