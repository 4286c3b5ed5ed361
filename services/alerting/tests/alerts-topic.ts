/**
 * The alerts topic on the local cloud's SNS, started in-process, with what a deployment subscribes to it: an SQS queue
 * (the message for `default`, with the subject and the message attributes) and mobile push endpoints of APNS,
 * APNS_SANDBOX and GCM (their messages are recorded to the SNS outbox). The tests read back each notification as it
 * was delivered, in the shape of the Publish request that caused it.
 */
import { SNSClient } from '@aws-sdk/client-sns';
import { type LocalAws, startLocalAwsServices } from '@iot/testing/local-aws';
import { SnsAlarmNotifier } from '../src/adapters/sns-alarm-notifier';

const PLATFORMS = ['APNS', 'APNS_SANDBOX', 'GCM'] as const;
const QUEUE = 'alerts-subscriber';

/** A notification as the subscribers received it. */
export interface DeliveredNotification {
  TopicArn: string;
  Subject?: string;
  /** The message of each protocol, as the JSON of a `MessageStructure: 'json'` publish: `default`, APNS, GCM ... */
  Message: string;
  MessageAttributes: Record<string, { DataType: string; StringValue: string }>;
}

export interface AlertsTopic {
  aws: LocalAws;
  topicArn: string;
  /** The service's notifier, its real SNS client pointed at the local SNS. */
  notifier(): SnsAlarmNotifier;
  /** Every notification delivered since the start (or the last `clear`), in order. */
  publishes(): Promise<DeliveredNotification[]>;
  /** The bodies of the Publish requests the local SNS received, those it refused included. */
  publishAttempts(): string[];
  /** Forgets the notifications delivered so far. */
  clear(): Promise<void>;
  /** Answers the next Publish with SNS's throttling error, as AWS does under load (the local SNS never throttles). */
  throttleNextPublish(): void;
  stop(): Promise<void>;
}

interface SqsEnvelope {
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export async function startAlertsTopic(name = 'iot-alerting-test-alerts'): Promise<AlertsTopic> {
  const aws = await startLocalAwsServices({ sns: true });
  const { arn: topicArn } = aws.sns.putTopic(name);
  const queue = aws.sqs.createQueue(QUEUE);
  aws.sns.subscribe(topicArn, 'sqs', queue.arn);
  for (const platform of PLATFORMS) {
    aws.sns.subscribe(topicArn, 'application', `arn:aws:sns:us-east-1:000000000000:endpoint/${platform}/app/phone-1`);
  }
  const clients: SNSClient[] = [];
  let delivered: DeliveredNotification[] = [];
  let outboxSeen = 0;

  async function drain(): Promise<void> {
    await aws.sns.settled();
    const pushes = aws.sns.outbox({ protocol: 'application' });
    for (;;) {
      const messages = await aws.sqs.receiveMessages(QUEUE, { maxNumberOfMessages: 10, waitTimeSeconds: 0 });
      if (messages.length === 0) break;
      for (const received of messages) {
        const envelope = JSON.parse(received.body) as SqsEnvelope;
        const perPlatform = Object.fromEntries(
          pushes
            .slice(outboxSeen)
            .filter((push) => push.messageId === envelope.MessageId)
            .map((push) => [/:endpoint\/([^/]+)\//.exec(push.endpoint)?.[1] ?? push.endpoint, push.message]),
        );
        delivered.push({
          TopicArn: envelope.TopicArn,
          ...(envelope.Subject !== undefined ? { Subject: envelope.Subject } : {}),
          Message: JSON.stringify({ ...perPlatform, default: envelope.Message }),
          MessageAttributes: Object.fromEntries(
            Object.entries(envelope.MessageAttributes ?? {}).map(([key, { Type, Value }]) => [
              key,
              { DataType: Type, StringValue: Value },
            ]),
          ),
        });
        aws.sqs.deleteMessage(QUEUE, received.receiptHandle);
      }
    }
    outboxSeen = pushes.length;
  }

  return {
    aws,
    topicArn,
    notifier() {
      const client = new SNSClient(aws.clientConfig);
      clients.push(client);
      return new SnsAlarmNotifier(client, topicArn);
    },
    async publishes() {
      await drain();
      return [...delivered];
    },
    publishAttempts: () =>
      aws
        .requestsTo('sns')
        .filter((request) => request.operation === 'Publish')
        .map((request) => request.body),
    async clear() {
      await drain();
      delivered = [];
    },
    throttleNextPublish() {
      let throttled = false;
      aws.intercept(async (request) => {
        if (throttled || request.service !== 'sns' || request.operation !== 'Publish') return undefined;
        throttled = true;
        return {
          status: 400,
          headers: { 'content-type': 'text/xml' },
          body:
            '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>' +
            '<Code>Throttling</Code><Message>Rate exceeded</Message></Error>' +
            '<RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>',
        };
      });
    },
    async stop() {
      for (const client of clients) client.destroy();
      await aws.stop();
    },
  };
}
