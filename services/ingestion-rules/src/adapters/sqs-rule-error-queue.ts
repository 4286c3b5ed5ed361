import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { FailedDelivery, RuleErrorQueue } from '../domain/replay-failed-deliveries';

/** The rule-errors SQS queue, found by name on first use. */
export class SqsRuleErrorQueue implements RuleErrorQueue {
  private queueUrl: string | undefined;

  constructor(
    private readonly client: SQSClient,
    private readonly queueName: string,
    /** Seconds a received message stays hidden while it is replayed. */
    private readonly visibilityTimeout = 60,
  ) {}

  private async url(): Promise<string> {
    if (!this.queueUrl) {
      const answer = await this.client.send(new GetQueueUrlCommand({ QueueName: this.queueName }));
      if (!answer.QueueUrl) throw new Error(`No URL for queue ${this.queueName}`);
      this.queueUrl = answer.QueueUrl;
    }
    return this.queueUrl;
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
