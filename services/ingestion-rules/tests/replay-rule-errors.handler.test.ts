/**
 * Offline invocation of replayRuleErrors through its middy stack.
 *
 * SQS and the IoT data plane are mocked with aws-sdk-client-mock because no local implementation of them is wired
 * into these tests yet; the local cloud's acceptance tests replay through the real ones.
 */
import { IoTDataPlaneClient, PublishCommand, type PublishCommandInput } from '@aws-sdk/client-iot-data-plane';
import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '@iot/lambda-kit';
import { lambdaContext } from '@iot/testing';
import type { RuleErrorPayload } from '@iot/types';
import { mockClient } from 'aws-sdk-client-mock';
import { IotDataPublisher } from '../src/adapters/iot-data-publisher';
import { SqsRuleErrorQueue } from '../src/adapters/sqs-rule-error-queue';
import { createReplayRuleErrorsHandler } from '../src/handlers/replay-rule-errors';

const sqs = mockClient(SQSClient);
const iotData = mockClient(IoTDataPlaneClient);
const handler = createReplayRuleErrorsHandler({
  queue: new SqsRuleErrorQueue(new SQSClient({ region: 'us-east-1' }), 'rule-errors'),
  publisher: new IotDataPublisher(new IoTDataPlaneClient({ region: 'us-east-1' })),
  logger: createLogger('test'),
});

const original = { timestamp: 1_767_225_600_000, metrics: { temperature: 21.5 } };
const errorPayload = (topic: string): RuleErrorPayload => ({
  ruleName: 'iot_ingestion_rules_local_telemetry',
  topic,
  clientId: 'sensor-1',
  base64OriginalPayload: Buffer.from(JSON.stringify(original)).toString('base64'),
  failures: [
    {
      failedAction: 'KinesisAction',
      failedResource: 'iot-telemetry-analytics-local-telemetry',
      errorMessage: 'Failed to put record: stream not found',
    },
  ],
});

beforeEach(() => {
  sqs.reset();
  iotData.reset();
  sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'http://sqs.local/000000000000/rule-errors' });
  sqs.on(DeleteMessageCommand).resolves({});
  iotData.on(PublishCommand).resolves({});
});

describe('replayRuleErrors', () => {
  it('publishes each kept message again through Basic Ingest to its rule, then removes it from the queue', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { ReceiptHandle: 'r1', Body: JSON.stringify(errorPayload('devices/sensor-1/telemetry')) },
          {
            ReceiptHandle: 'r2',
            Body: JSON.stringify(errorPayload('$aws/rules/iot_ingestion_rules_local_telemetry/devices/s2/telemetry')),
          },
        ],
      })
      .resolves({ Messages: [] });

    // Act
    const report = await handler({}, lambdaContext());

    // Assess
    expect(report).toEqual({ replayed: { iot_ingestion_rules_local_telemetry: 2 }, unreadable: 0, failed: 0 });
    const published = iotData.commandCalls(PublishCommand).map((c) => c.args[0].input as PublishCommandInput);
    expect(published.map((p) => p.topic)).toEqual([
      '$aws/rules/iot_ingestion_rules_local_telemetry/devices/sensor-1/telemetry',
      '$aws/rules/iot_ingestion_rules_local_telemetry/devices/s2/telemetry',
    ]);
    expect(JSON.parse(Buffer.from(published[0]?.payload as Uint8Array).toString())).toEqual(original);
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input.ReceiptHandle)).toEqual(['r1', 'r2']);
  });

  it('leaves unreadable messages and failed publishes in the queue, and says how many', async () => {
    // Prepare
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { ReceiptHandle: 'bad', Body: 'not an error payload' },
          { ReceiptHandle: 'r1', Body: JSON.stringify(errorPayload('devices/sensor-1/telemetry')) },
        ],
      })
      .resolves({ Messages: [] });
    iotData.on(PublishCommand).rejects(new Error('throttled'));

    // Act
    const report = await handler({ maxMessages: 5 }, lambdaContext());

    // Assess
    expect(report).toEqual({ replayed: {}, unreadable: 1, failed: 1 });
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it('stops after maxMessages', async () => {
    // Prepare
    const message = { ReceiptHandle: 'r', Body: JSON.stringify(errorPayload('devices/sensor-1/telemetry')) };
    sqs.on(ReceiveMessageCommand).callsFake((input) => ({
      Messages: Array.from({ length: input.MaxNumberOfMessages ?? 1 }, () => message),
    }));

    // Act
    const report = await handler({ maxMessages: 13 }, lambdaContext());

    // Assess
    expect(report.replayed).toEqual({ iot_ingestion_rules_local_telemetry: 13 });
  });

  it('rejects a request it does not understand, naming the field', async () => {
    // Act
    const invocation = handler({ maxMessages: 'all' }, lambdaContext());

    // Assess
    await expect(invocation).rejects.toThrow(/maxMessages/);
  });
});
