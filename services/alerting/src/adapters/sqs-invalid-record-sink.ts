import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlOf } from '@iot/lambda-kit/sqs-queue-url';
import type { InvalidRecordSink, InvalidTelemetryRecord } from '../domain/evaluate-telemetry-batch';

/**
 * Invalid records of the telemetry stream as messages on the evaluate failures queue (beside the rule's failed
 * events), one per record, with the reason as a message attribute.
 */
export class SqsInvalidRecordSink implements InvalidRecordSink {
  private readonly url: () => Promise<string>;

  /** `queueName` is resolved to its URL on first use, so the configuration needs no account id. */
  constructor(
    private readonly client: SQSClient,
    queueName: string,
  ) {
    this.url = queueUrlOf(client, queueName);
  }

  async reject(record: InvalidTelemetryRecord): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: await this.url(),
        MessageBody: JSON.stringify({ source: 'telemetry-stream', rejectedAt: new Date().toISOString(), ...record }),
        MessageAttributes: { reason: { DataType: 'String', StringValue: record.reason.slice(0, 256) } },
      }),
    );
  }
}
