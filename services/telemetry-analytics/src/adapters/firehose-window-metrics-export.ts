import { type _Record, type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import type { WindowMetricsExport } from '../domain/aggregate-window';
import type { WindowResults } from '../domain/window-parts';

/** PutRecordBatch takes at most 500 records and 4 MiB per call. */
const MAX_RECORDS_PER_CALL = 500;
const MAX_BYTES_PER_CALL = 4 * 1024 * 1024;
/**
 * Lines are packed into records of up to this size. Firehose bills Direct PUT ingestion per record rounded up to
 * 5 KB: one ~300-byte line per record would be billed as 5 KB, packed lines as what they weigh. A record may hold up
 * to 1,000 KiB; a line is never split across records.
 */
const MAX_RECORD_BYTES = 512 * 1024;

export interface FirehoseExportOptions {
  /** Calls per batch, the first included, before the records still failing make the export fail. */
  maxAttempts?: number;
  /** Wait before the second call; doubled for each further one. */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Packs newline-terminated lines into records of at most `maxBytes` (a longer line gets a record of its own). */
export function packLines(lines: string[], maxBytes = MAX_RECORD_BYTES): Buffer[] {
  const records: Buffer[] = [];
  let pending: Buffer[] = [];
  let size = 0;
  for (const line of lines) {
    const bytes = Buffer.from(line, 'utf8');
    if (size > 0 && size + bytes.length > maxBytes) {
      records.push(Buffer.concat(pending));
      pending = [];
      size = 0;
    }
    pending.push(bytes);
    size += bytes.length;
  }
  if (size > 0) records.push(Buffer.concat(pending));
  return records;
}

/**
 * A part's device window metrics as newline-delimited JSON, through a Firehose delivery stream to S3 (the stream's
 * prefix partitions the objects by date). Each line is a window metric with its `part`: a replayed part is delivered
 * again (Firehose is at least once), so readers keep one line per device, metric, window start and part.
 */
export class FirehoseWindowMetricsExport implements WindowMetricsExport {
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: FirehoseClient,
    private readonly deliveryStreamName: string,
    options: FirehoseExportOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async exportWindow(results: WindowResults): Promise<void> {
    const lines = results.devices.map((metric) => `${JSON.stringify({ ...metric, part: results.part })}\n`);
    const records = packLines(lines);
    let batch: Buffer[] = [];
    let bytes = 0;
    for (const record of records) {
      if (batch.length === MAX_RECORDS_PER_CALL || (batch.length > 0 && bytes + record.length > MAX_BYTES_PER_CALL)) {
        await this.put(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(record);
      bytes += record.length;
    }
    if (batch.length > 0) await this.put(batch);
  }

  /** One PutRecordBatch, then again with only the records Firehose refused, backing off, up to `maxAttempts` calls. */
  private async put(records: Buffer[]): Promise<void> {
    let pending: _Record[] = records.map((Data) => ({ Data }));
    for (let attempt = 1; ; attempt++) {
      const answer = await this.client.send(
        new PutRecordBatchCommand({ DeliveryStreamName: this.deliveryStreamName, Records: pending }),
      );
      if (!answer.FailedPutCount) return;
      const responses = answer.RequestResponses ?? [];
      const failed = pending.filter((_, index) => {
        const response = responses[index];
        return !response || Boolean(response.ErrorCode);
      });
      if (attempt >= this.maxAttempts) {
        const first = responses.find((response) => response.ErrorCode);
        throw new Error(
          `Firehose ${this.deliveryStreamName} refused ${failed.length} of ${pending.length} records after ${attempt} attempts: ${first?.ErrorCode} ${first?.ErrorMessage}`,
        );
      }
      pending = failed;
      await this.sleep(this.retryDelayMs * 2 ** (attempt - 1));
    }
  }
}
