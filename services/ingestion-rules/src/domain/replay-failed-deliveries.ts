import { basicIngestTopic, parseBasicIngestTopic, RuleErrorPayloadSchema } from '@iot/types';

/** A message of the rule-errors queue. */
export interface FailedDelivery {
  receiptHandle: string;
  body: string;
}

/** Where the topic rules' error action keeps what they could not deliver. */
export interface RuleErrorQueue {
  /** Up to `max` messages (at most 10), hidden from other readers while they are replayed. */
  receive(max: number): Promise<FailedDelivery[]>;
  remove(receiptHandle: string): Promise<void>;
}

/** Publishes to AWS IoT (the data plane). */
export interface IotPublisher {
  publish(topic: string, payload: Buffer): Promise<void>;
}

export interface ReplayReport {
  /** Messages published again to their rule, by rule name. */
  replayed: Record<string, number>;
  /** Messages that are not error-action payloads; left in the queue for a person to look at. */
  unreadable: number;
  /** Messages whose publish failed; left in the queue to replay later. */
  failed: number;
}

/**
 * Replays what the topic rules could not deliver (after an outage is fixed): each original message is published
 * again through Basic Ingest to the rule that failed, so it reaches that rule's actions and no device subscriber,
 * then removed from the queue. Delivery is at least once: the rule's actions that had succeeded see the message
 * again, and the consumers drop duplicates by device timestamp and message id.
 */
export async function replayFailedDeliveries(
  deps: { queue: RuleErrorQueue; publisher: IotPublisher },
  options: { maxMessages: number },
): Promise<ReplayReport> {
  const report: ReplayReport = { replayed: {}, unreadable: 0, failed: 0 };
  let seen = 0;
  while (seen < options.maxMessages) {
    const batch = await deps.queue.receive(Math.min(10, options.maxMessages - seen));
    if (batch.length === 0) break;
    seen += batch.length;
    for (const message of batch) {
      const payload = parsePayload(message.body);
      if (!payload) {
        report.unreadable++;
        continue;
      }
      const topic = parseBasicIngestTopic(payload.topic)
        ? payload.topic
        : basicIngestTopic(payload.ruleName, payload.topic);
      try {
        await deps.publisher.publish(topic, Buffer.from(payload.base64OriginalPayload, 'base64'));
        await deps.queue.remove(message.receiptHandle);
        report.replayed[payload.ruleName] = (report.replayed[payload.ruleName] ?? 0) + 1;
      } catch {
        report.failed++;
      }
    }
  }
  return report;
}

function parsePayload(body: string) {
  try {
    const parsed = RuleErrorPayloadSchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
