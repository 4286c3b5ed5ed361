import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { queueUrlOf } from '@iot/lambda-kit/sqs-queue-url';
import type { FailedDelivery, RuleErrorQueue } from '../domain/replay-failed-deliveries';

/** The rule-errors SQS queue, found by name on first use. */
export class SqsRuleErrorQueue implements RuleErrorQueue {
  private readonly url: () => Promise<string>;

  constructor(
    private readonly client: SQSClient,
    queueName: string,
    /** Seconds a received message stays hidden while it is replayed. */
    private readonly visibilityTimeout = 60,
  ) {
    this.url = queueUrlOf(client, queueName);
  }

  async receive(max: number): Promise<FailedDelivery[]> {
    const answer = await this.client.send(
      new ReceiveMessageCommand({
        QueueUrl: await this.url(),
        MaxNumberOfMessages: max,
        VisibilityTimeout: this.visibilityTimeout,
        WaitTimeSeconds: 1,
      }),
    );
    return (answer.Messages ?? []).flatMap((m) =>
      m.ReceiptHandle && m.Body !== undefined ? [{ receiptHandle: m.ReceiptHandle, body: m.Body }] : [],
    );
  }

  async remove(receiptHandle: string): Promise<void> {
    await this.client.send(new DeleteMessageCommand({ QueueUrl: await this.url(), ReceiptHandle: receiptHandle }));
  }
}
