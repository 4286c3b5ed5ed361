import { randomFillSync } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { LambdaInvoker, ObjectWriter } from '../../contracts';
import { type CreateDeliveryStreamInput, resolveDestination, type S3Destination } from './delivery-stream-config';
import { errorOutputLine, type TransformationOutcome, transformRecords } from './lambda-transformation';
import { type FirehoseRecord, RecordBuffer } from './record-buffer';
import { evaluatePrefix, objectNameSuffix } from './s3-object-key';
import type { ServiceLogger } from './service-logger';

/** What is kept of a delivery stream, on disk when there is a data folder. */
export interface DeliveryStreamState {
  name: string;
  arn: string;
  region: string;
  /** Epoch milliseconds. */
  createTimestamp: number;
  versionId: number;
  /** The CreateDeliveryStream request (or template properties) it was created from. */
  input: CreateDeliveryStreamInput;
}

export interface DeliveryDependencies {
  objectWriter: ObjectWriter;
  lambdaInvoker?: LambdaInvoker;
  logger: ServiceLogger;
  bufferIntervalOverrideMs?: number;
  bufferSizeOverrideBytes?: number;
  lambdaRetryDelayMs: number;
  deliveryRetryDelayMs: number;
}

/** An object that could not be written yet. */
interface PendingObject {
  key: string;
  body: Buffer;
  firstAttempt: number;
  records: number;
  /** The first failure is logged, not each retry. */
  warned?: boolean;
}

const MIB = 1024 * 1024;
// AWS retries an S3 delivery for up to 24 hours before giving the data up.
const MAX_DELIVERY_RETRY_MS = 24 * 60 * 60 * 1000;
const CONTENT_TYPE = 'application/octet-stream';

let sequence = 0;
const randomPool = Buffer.alloc(17 * 256);
let randomOffset = randomPool.length;

/** A record id in the style of Firehose's: 56 digits, unique within the process. */
export function newRecordId(): string {
  sequence = (sequence + 1) % 1e9;
  // 34 random decimal digits from 17 random bytes (two digits a byte, each byte reduced modulo 100), taken from a
  // pool filled a few thousand bytes at a time.
  if (randomOffset + 17 > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  let random = '';
  for (let i = randomOffset; i < randomOffset + 17; i++)
    random += String((randomPool[i] as number) % 100).padStart(2, '0');
  randomOffset += 17;
  return `${String(Date.now()).padStart(13, '0')}${String(sequence).padStart(9, '0')}${random}`;
}

/**
 * One delivery stream at run time: the optional Lambda stage (its own buffer, BufferSizeInMBs and
 * BufferIntervalInSeconds), then the S3 stage (SizeInMBs and IntervalInSeconds), then the write through the
 * {@link ObjectWriter}. Records are concatenated as they are, with no separator unless an AppendDelimiterToRecord
 * processor is configured. A write that fails is retried every `deliveryRetryDelayMs`, for up to 24 hours as in AWS.
 */
export class DeliveryStream {
  readonly destination: S3Destination;
  private readonly processing: RecordBuffer | undefined;
  private readonly delivery: RecordBuffer;
  private pending: PendingObject[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private retrying: Promise<void> | undefined;

  constructor(
    readonly state: DeliveryStreamState,
    private readonly deps: DeliveryDependencies,
  ) {
    this.destination = resolveDestination(state.input);
    const intervalMs = (seconds: number) => deps.bufferIntervalOverrideMs ?? seconds * 1000;
    this.delivery = new RecordBuffer({
      maxBytes: deps.bufferSizeOverrideBytes ?? this.destination.sizeInMBs * MIB,
      intervalMs: intervalMs(this.destination.intervalInSeconds),
      deliver: (records) => this.deliverRecords(records),
    });
    const lambda = this.destination.lambda;
    if (lambda) {
      this.processing = new RecordBuffer({
        maxBytes: deps.bufferSizeOverrideBytes ?? Math.min(lambda.bufferSizeBytes, this.destination.sizeInMBs * MIB),
        intervalMs: intervalMs(lambda.bufferIntervalSeconds),
        deliver: (records) => this.transform(records),
      });
    }
  }

  get name(): string {
    return this.state.name;
  }

  /** Buffers records; resolves their record ids. */
  put(records: readonly Uint8Array[]): string[] {
    const arrivalTimestamp = Date.now();
    return records.map((data) => {
      const record: FirehoseRecord = { recordId: newRecordId(), data: Buffer.from(data), arrivalTimestamp };
      (this.processing ?? this.delivery).add(record);
      return record.recordId;
    });
  }

  /**
   * Delivers everything buffered, through the Lambda when there is one, and tries failed writes once more. Rejects if
   * some objects still could not be written; they stay in memory and keep being retried.
   */
  async flush(): Promise<void> {
    await this.processing?.flush();
    await this.delivery.flush();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.retryPending();
    if (this.pending.length > 0) {
      const records = this.pending.reduce((total, o) => total + o.records, 0);
      throw new Error(
        `Delivery stream ${this.name}: ${this.pending.length} object(s) holding ${records} record(s) could not be ` +
          `written to bucket ${this.destination.bucket}`,
      );
    }
  }

  /** Stops the timers; what is still buffered or pending is dropped (call {@link flush} first to keep it). */
  dispose(): number {
    const dropped =
      (this.processing?.discard().length ?? 0) +
      this.delivery.discard().length +
      this.pending.reduce((total, o) => total + o.records, 0);
    this.pending = [];
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    return dropped;
  }

  private async transform(records: FirehoseRecord[]): Promise<void> {
    const lambda = this.destination.lambda;
    if (!lambda) return;
    let outcome: TransformationOutcome;
    try {
      outcome = await transformRecords(
        {
          invoker: this.deps.lambdaInvoker,
          processor: lambda,
          deliveryStreamArn: this.state.arn,
          region: this.state.region,
          retryDelayMs: this.deps.lambdaRetryDelayMs,
        },
        records,
      );
    } catch (error) {
      this.deps.logger.error(`Delivery stream ${this.name}: the transformation failed unexpectedly`, error);
      return;
    }
    for (const record of outcome.transformed) this.delivery.add(record);
    if (outcome.failed.length === 0) return;
    this.deps.logger.warn(
      `Delivery stream ${this.name}: ${outcome.failed.length} record(s) failed processing by ${lambda.arn}; ` +
        'they go to the error output',
      { errorCodes: [...new Set(outcome.failed.map((f) => f.errorCode))] },
    );
    const oldest = new Date(Math.min(...outcome.failed.map((f) => f.record.arrivalTimestamp)));
    const timeZone = this.destination.customTimeZone;
    const key =
      evaluatePrefix(this.destination.errorPrefixTemplate, oldest, { timeZone, errorOutputType: 'processing-failed' }) +
      objectNameSuffix(this.name, this.state.versionId, oldest, { timeZone });
    const body = Buffer.from(outcome.failed.map((failed) => errorOutputLine(failed, outcome, lambda.arn)).join(''));
    await this.write({ key, body, firstAttempt: Date.now(), records: outcome.failed.length });
  }

  private async deliverRecords(records: FirehoseRecord[]): Promise<void> {
    const delimiter = this.destination.recordDelimiter;
    const parts = delimiter ? records.flatMap((r) => [r.data, delimiter]) : records.map((r) => r.data);
    const content = Buffer.concat(parts);
    const oldest = new Date(Math.min(...records.map((r) => r.arrivalTimestamp)));
    const timeZone = this.destination.customTimeZone;
    const key =
      evaluatePrefix(this.destination.dataPrefixTemplate, oldest, { timeZone }) +
      objectNameSuffix(this.name, this.state.versionId, oldest, {
        timeZone,
        extension: this.destination.fileExtension,
      });
    const body = this.destination.compression === 'GZIP' ? gzipSync(content) : content;
    await this.write({ key, body, firstAttempt: Date.now(), records: records.length });
  }

  private async write(object: PendingObject): Promise<void> {
    try {
      await this.deps.objectWriter.putObject(this.destination.bucket, object.key, object.body, CONTENT_TYPE);
    } catch (error) {
      if (Date.now() - object.firstAttempt >= MAX_DELIVERY_RETRY_MS) {
        this.deps.logger.error(
          `Delivery stream ${this.name}: gave up writing ${object.key} after 24 hours; ${object.records} record(s) lost`,
          error,
        );
        return;
      }
      if (!object.warned) {
        object.warned = true;
        this.deps.logger.warn(
          `Delivery stream ${this.name}: could not write ${object.key} to bucket ${this.destination.bucket}; retrying`,
          error instanceof Error ? error.message : error,
        );
      }
      this.pending.push(object);
      this.scheduleRetry();
    }
  }

  private scheduleRetry(): void {
    if (this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.retryPending();
    }, this.deps.deliveryRetryDelayMs);
    this.retryTimer.unref();
  }

  private retryPending(): Promise<void> {
    if (this.retrying) return this.retrying;
    this.retrying = (async () => {
      const objects = this.pending;
      this.pending = [];
      for (const object of objects) await this.write(object);
    })().finally(() => {
      this.retrying = undefined;
    });
    return this.retrying;
  }
}
