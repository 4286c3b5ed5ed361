/**
 * Where the pipeline keeps what it could not process, read as an operator would: the SQS queues of the templates
 * (the evaluate function's on-failure destination, the aggregator's failure queue, the rules' error queue) and the
 * raw archive's Firehose error prefix in S3.
 */

import type { S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { readJsonLines } from '../acceptance/pipeline-clients';

/** Everything a queue has held since the collector was made: received, remembered, then deleted. */
export class QueueCollector {
  readonly bodies: string[] = [];
  private url: string | undefined;

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueName: string,
  ) {}

  /** Receives until the queue answers empty; returns every body collected so far. */
  async collect(): Promise<string[]> {
    this.url ??= (await this.sqs.send(new GetQueueUrlCommand({ QueueName: this.queueName }))).QueueUrl as string;
    for (;;) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: this.url, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
      );
      if (Messages.length === 0) return this.bodies;
      this.bodies.push(...Messages.map((m) => m.Body ?? ''));
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.url,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }

  /** Whether a collected body holds `text` (a device id, for instance). */
  async holds(text: string): Promise<boolean> {
    return (await this.collect()).some((body) => body.includes(text));
  }
}

/** The records Firehose wrote under an error prefix, decoded from their `rawData`. */
export async function firehoseErrorRecords(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const lines = await readJsonLines(s3, bucket, prefix);
  return lines.map(({ line }) => Buffer.from(String(line.rawData ?? ''), 'base64').toString('utf8'));
}
