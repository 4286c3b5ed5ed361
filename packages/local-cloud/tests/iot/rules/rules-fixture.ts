import type { InvokeResult, MessageAttributeValue } from '../../../src/contracts';
import type { PublishedMessage } from '../../../src/iot/contracts';
import { type RuleActionTargets, RulesEngine, type TopicRulePayload, TopicRuleRegistry } from '../../../src/iot/rules';

/** In-process collaborators that record what the rule actions hand them. */
export function recordingTargets() {
  const calls = {
    lambda: [] as { functionArn: string; event: unknown; type: string }[],
    republish: [] as Omit<PublishedMessage, 'receivedAt'>[],
    kinesis: [] as { stream: string; data: string; partitionKey: string }[],
    firehose: [] as { stream: string; records: string[] }[],
    sns: [] as { topicArn: string; message: string; options: unknown }[],
    sqs: [] as { queueArn: string; body: string; attributes?: Record<string, MessageAttributeValue> }[],
    s3: [] as { bucket: string; key: string; body: string }[],
    dynamodb: [] as { command: string; input: unknown }[],
  };
  const failing = new Set<string>();
  const fail = (what: string) => {
    if (failing.has(what)) throw new Error(`${what} is unavailable`);
  };
  const targets: RuleActionTargets = {
    lambda: {
      async invoke(functionArn, event, type): Promise<InvokeResult> {
        fail('lambda');
        calls.lambda.push({ functionArn, event, type });
        return { ok: true, payload: undefined };
      },
    },
    republish: {
      async publish(message) {
        fail('republish');
        calls.republish.push({ ...message, payload: Buffer.from(message.payload) });
      },
    },
    kinesis: {
      putRecord(stream, data, partitionKey) {
        fail('kinesis');
        calls.kinesis.push({ stream, data: Buffer.from(data).toString(), partitionKey });
        return { shardId: 'shardId-000000000000', sequenceNumber: '1' };
      },
    },
    firehose: {
      async putRecords(stream, records) {
        fail('firehose');
        calls.firehose.push({ stream, records: records.map((r) => Buffer.from(r).toString()) });
        return records.map(() => 'id');
      },
    },
    sns: {
      async publishToTopic(topicArn, message, options) {
        fail('sns');
        calls.sns.push({ topicArn, message, options });
        return 'message-id';
      },
    },
    sqs: {
      async sendToQueue(queueArn, body, attributes) {
        fail('sqs');
        calls.sqs.push({ queueArn, body, attributes });
      },
    },
    s3: {
      async putObject(bucket, key, body) {
        fail('s3');
        calls.s3.push({ bucket, key, body: body.toString() });
      },
    },
    dynamodb: {
      send: (async (command: { constructor: { name: string }; input: unknown }) => {
        fail('dynamodb');
        calls.dynamodb.push({ command: command.constructor.name, input: command.input });
        return {};
      }) as never,
    },
  };
  return { targets, calls, failing };
}

/** A registry and an engine over recording targets. */
export function rulesWith(rules: Record<string, TopicRulePayload>) {
  const warnings: unknown[][] = [];
  const logger = {
    warn: (...args: unknown[]) => warnings.push(args),
    error: (...args: unknown[]) => warnings.push(args),
  };
  const registry = new TopicRuleRegistry({ logger, now: () => 1_700_000_000_000 });
  const { targets, calls, failing } = recordingTargets();
  const engine = new RulesEngine({ registry, targets, logger });
  for (const [name, payload] of Object.entries(rules)) registry.createTopicRule(name, payload);
  /** Publishes as the broker would hand a message to its observers, and waits for the rules to finish. */
  const publish = async (topic: string, payload: unknown, clientId = 'device-1') => {
    engine.onPublish({
      topic,
      payload: Buffer.isBuffer(payload)
        ? payload
        : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)),
      qos: 1,
      retain: false,
      clientId,
      principal: 'cert-1',
      receivedAt: 1_700_000_000_123,
    });
    await engine.idle();
  };
  return { registry, engine, calls, failing, publish, warnings };
}

/** Polls until `check` holds, failing after `ms`. */
export async function waitFor(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
