import { GetQueueUrlCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { RejectedRecord, RejectedRecordSink } from '../domain/aggregate-window';

/** Rejected records as messages on the aggregator's failure queue, one per record, with the reason. */
export class SqsRejectedRecordSink implements RejectedRecordSink {
  private queueUrl: Promise<string> | undefined;

  /** `queueName` is resolved to its URL once, on first use, so the configuration needs no account id. */
  constructor(
    private readonly client: SQSClient,
    private readonly queueName: string,
    private readonly source: string,
  ) {}

  private url(): Promise<string> {
    this.queueUrl ??= this.client
      .send(new GetQueueUrlCommand({ QueueName: this.queueName }))
      .then((answer) => answer.QueueUrl ?? Promise.reject(new Error(`No URL for queue ${this.queueName}`)))
      .catch((error: unknown) => {
        this.queueUrl = undefined;
        throw error;
      });
    return this.queueUrl;
  }

  async reject(records: RejectedRecord[]): Promise<void> {
    const queueUrl = await this.url();
    for (let i = 0; i < records.length; i += 10) {
      const batch = records.slice(i, i + 10);
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
      if (answer.Failed?.length) {
        throw new Error(
          `The failure queue refused ${answer.Failed.length} rejected records: ${answer.Failed[0]?.Message}`,
        );
      }
    }
  }
}
