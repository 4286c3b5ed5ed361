import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlOf } from '@iot/lambda-kit/sqs-queue-url';
import type { RejectedRecord, RejectedRecordSink } from '../domain/aggregate-window';

/**
 * Rejected records as messages on the aggregator's failure queue, one per record, with the reason. A record may be
 * sent twice (a batch partly sent before a failure is sent again on Lambda's retry): readers dedupe by sequence number.
 */
export class SqsRejectedRecordSink implements RejectedRecordSink {
  private readonly url: () => Promise<string>;

  /** `queueName` is resolved to its URL once, on first use, so the configuration needs no account id. */
  constructor(
    private readonly client: SQSClient,
    queueName: string,
    private readonly source: string,
    /** Told of every failure to send, before the records are handed back. */
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.url = queueUrlOf(client, queueName);
  }

  async reject(records: RejectedRecord[]): Promise<RejectedRecord[]> {
    let queueUrl: string;
    try {
      queueUrl = await this.url();
    } catch (error) {
      this.onError(error);
      return records;
    }
    for (let i = 0; i < records.length; i += 10) {
      const batch = records.slice(i, i + 10);
      let failed: Set<number>;
      try {
        const answer = await this.client.send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: batch.map((rejected, index) => ({
              Id: String(index),
              MessageBody: JSON.stringify({ source: this.source, rejectedAt: new Date().toISOString(), ...rejected }),
              MessageAttributes: { reason: { DataType: 'String', StringValue: rejected.reason.slice(0, 256) } },
            })),
          }),
        );
        failed = new Set((answer.Failed ?? []).map((entry) => Number(entry.Id)));
        if (failed.size > 0) this.onError(new Error(`the failure queue refused: ${answer.Failed?.[0]?.Message}`));
      } catch (error) {
        this.onError(error);
        failed = new Set(batch.map((_, index) => index));
      }
      if (failed.size > 0) {
        // Stop at the first record not kept: it and every later one are left to Lambda's retry.
        const firstFailed = Math.min(...failed);
        return records.slice(i + firstFailed);
      }
    }
    return [];
  }
}
