/**
 * An HTTP endpoint subscribed to an SNS topic, as a web service subscribes: it answers the SubscriptionConfirmation
 * by fetching its SubscribeURL, then keeps every Notification SNS posts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListSubscriptionsByTopicCommand, type SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { waitFor } from './pipeline-clients';

/** The JSON document SNS posts to an HTTP endpoint. */
export interface SnsHttpMessage {
  Type: 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SubscribeURL?: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

export class SnsHttpSubscriber {
  /** Every message received, in arrival order. */
  readonly received: SnsHttpMessage[] = [];
  /** The `x-amz-sns-message-type` header of each, in the same order. */
  readonly messageTypes: string[] = [];
  subscriptionArn = '';

  private constructor(private readonly server: Server) {}

  /**
   * Starts the endpoint on a free loopback port, subscribes it to `topicArn` (protocol `http`), confirms the
   * subscription through its SubscribeURL, and resolves once SNS lists the subscription as confirmed.
   */
  static async subscribe(sns: SNSClient, topicArn: string): Promise<SnsHttpSubscriber> {
    let subscriber: SnsHttpSubscriber | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        subscriber?.received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as SnsHttpMessage);
        subscriber?.messageTypes.push(String(req.headers['x-amz-sns-message-type']));
        res.end();
      });
    });
    subscriber = new SnsHttpSubscriber(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint }));
    const received = subscriber.received;
    const confirmation = await waitFor('the SubscriptionConfirmation', () =>
      received.find((m) => m.Type === 'SubscriptionConfirmation' && m.TopicArn === topicArn),
    );
    const confirmed = await fetch(confirmation.SubscribeURL as string);
    if (confirmed.status !== 200) throw new Error(`Confirming the subscription answered ${confirmed.status}`);
    subscriber.subscriptionArn = await waitFor('the subscription to be confirmed', async () => {
      const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));
      const mine = listed.Subscriptions?.find((s) => s.Endpoint === endpoint);
      return mine?.SubscriptionArn?.startsWith('arn:') ? mine.SubscriptionArn : undefined;
    });
    return subscriber;
  }

  /** The notifications received so far whose message attributes include every one of `attributes`. */
  notifications(attributes: Record<string, string> = {}): SnsHttpMessage[] {
    return this.received.filter(
      (m) =>
        m.Type === 'Notification' &&
        Object.entries(attributes).every(([name, value]) => m.MessageAttributes?.[name]?.Value === value),
    );
  }

  /** Resolves with the notifications matching `attributes` once there are at least `count` of them. */
  waitForNotifications(attributes: Record<string, string>, count = 1, timeoutMs = 15_000): Promise<SnsHttpMessage[]> {
    return waitFor(
      `${count} notification(s) with ${JSON.stringify(attributes)}`,
      () => {
        const found = this.notifications(attributes);
        return found.length >= count ? found : undefined;
      },
      { timeoutMs, intervalMs: 20 },
    );
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
