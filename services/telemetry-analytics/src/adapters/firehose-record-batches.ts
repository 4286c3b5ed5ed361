import {
  type _Record,
  type FirehoseClient,
  PutRecordBatchCommand,
  type PutRecordBatchCommandOutput,
} from '@aws-sdk/client-firehose';

/** PutRecordBatch takes at most 500 records and 4 MiB per call. */
const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 4 * 1024 * 1024;

export interface FirehoseBatchOptions {
  /** Calls per batch, the first included, before the records still refused are given up. */
  maxAttempts?: number;
  /** Wait before the second call; doubled for each further one. */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** What a write could not deliver: the first record (in the order given) still refused, and Firehose's answer. */
export interface FirehoseWriteFailure {
  /** Index, in the records given, of the first record not delivered; every record before it was. */
  firstUndelivered: number;
  /** Records refused by the last call, of the records it was given. */
  refused: number;
  attempted: number;
  /** Why, to follow "refused N of M records": `after 5 attempts: <Firehose's error>` or `in a call that failed: ...`. */
  reason: string;
  /** The error of a call that failed as a whole (the SDK's own retries done), if that is what stopped the write. */
  error?: unknown;
}

/**
 * Writes records to a Firehose delivery stream with PutRecordBatch: calls within Firehose's limits (500 records,
 * 4 MiB), in order; each call is made again with only the records Firehose refused (`FailedPutCount`), backing off,
 * up to `maxAttempts` calls. It stops at the first call whose records are still refused, or that fails as a whole,
 * and says which record is the first not delivered, so a caller can have it and everything after it delivered again.
 */
export class FirehoseRecordBatches {
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: FirehoseClient,
    readonly deliveryStreamName: string,
    options: FirehoseBatchOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Writes the records; undefined when every one was delivered. */
  async write(records: readonly Buffer[]): Promise<FirehoseWriteFailure | undefined> {
    let start = 0;
    let bytes = 0;
    for (let end = 0; end <= records.length; end++) {
      const record = records[end];
      const full =
        record === undefined ||
        end - start === MAX_RECORDS_PER_CALL ||
        (end > start && bytes + record.length > MAX_BYTES_PER_CALL);
      if (full && end > start) {
        const failure = await this.put(records, start, end);
        if (failure) return failure;
        start = end;
        bytes = 0;
      }
      if (record) bytes += record.length;
    }
    return undefined;
  }

  /** One call for `records[start, end)`, then again with only the records refused. */
  private async put(records: readonly Buffer[], start: number, end: number): Promise<FirehoseWriteFailure | undefined> {
    let pending = Array.from({ length: end - start }, (_, i) => start + i);
    for (let attempt = 1; ; attempt++) {
      let answer: PutRecordBatchCommandOutput;
      try {
        answer = await this.client.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: this.deliveryStreamName,
            Records: pending.map((index): _Record => ({ Data: records[index] })),
          }),
        );
      } catch (error) {
        // The SDK has already retried what it deems transient (throttling, network): not again here.
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        return {
          firstUndelivered: Math.min(...pending),
          refused: pending.length,
          attempted: pending.length,
          reason: `in a call that failed: ${reason}`,
          error,
        };
      }
      if (!answer.FailedPutCount) return undefined;
      const responses = answer.RequestResponses ?? [];
      const refused = pending.filter((_, i) => !responses[i] || Boolean(responses[i]?.ErrorCode));
      const first = responses.find((response) => response.ErrorCode);
      const reason = `${first?.ErrorCode} ${first?.ErrorMessage}`;
      if (attempt >= this.maxAttempts) {
        return {
          firstUndelivered: Math.min(...refused),
          refused: refused.length,
          attempted: pending.length,
          reason: `after ${attempt} attempts: ${reason}`,
        };
      }
      pending = refused;
      await this.sleep(this.retryDelayMs * 2 ** (attempt - 1));
    }
  }
}
