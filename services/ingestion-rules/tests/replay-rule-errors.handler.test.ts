/**
 * Offline invocation of replayRuleErrors through its middy stack, with the local cloud's SQS and IoT data plane
 * started in-process: the adapters' real SQS and IoT data plane clients reach them at the local edge endpoint, the
 * rule-errors queue is a real queue, and the tests read what reached the IoT Core (Publish) and what the queue still
 * holds.
 */
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger } from '@iot/lambda-kit';
import { lambdaContext } from '@iot/testing';
import { closedEndpoint, type LocalAws, startLocalAwsServices } from '@iot/testing/local-aws';
import type { RuleErrorPayload } from '@iot/types';
import { IotDataPublisher } from '../src/adapters/iot-data-publisher';
import { SqsRuleErrorQueue } from '../src/adapters/sqs-rule-error-queue';
import { createReplayRuleErrorsHandler } from '../src/handlers/replay-rule-errors';

const QUEUE = 'rule-errors';
let aws: LocalAws;
let clients: { sqs: SQSClient; iotData: IoTDataPlaneClient };

/** The handler on the local queue, publishing through the local data plane unless told another endpoint. */
function replayRuleErrors(options: { iotDataEndpoint?: string } = {}) {
  clients = {
    sqs: new SQSClient(aws.clientConfig),
    iotData: new IoTDataPlaneClient({ ...aws.clientConfig, endpoint: options.iotDataEndpoint ?? aws.url }),
  };
  return createReplayRuleErrorsHandler({
    queue: new SqsRuleErrorQueue(clients.sqs, QUEUE),
    publisher: new IotDataPublisher(clients.iotData),
    logger: createLogger('test'),
  });
}

beforeEach(async () => {
  aws = await startLocalAwsServices({ sqs: true, iotData: true });
  aws.sqs.createQueue(QUEUE);
});
afterEach(async () => {
  clients?.sqs.destroy();
  clients?.iotData.destroy();
  await aws.stop();
});

/** Puts messages into the rule-errors queue, as the rules' error action does. */
const enqueue = (...bodies: string[]) => {
  for (const body of bodies) aws.sqs.sendMessage(QUEUE, { body });
};

/** What the queue holds: visible, and received but not yet deleted. */
function queued(): { visible: number; inFlight: number } {
  const attributes = aws.sqs.getQueueAttributes(QUEUE, ['All']);
  return {
    visible: Number(attributes.ApproximateNumberOfMessages),
    inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible),
  };
}

const deleteRequests = () => aws.requestsTo('sqs').filter((r) => r.operation === 'DeleteMessage');

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

describe('replayRuleErrors', () => {
  it('publishes each kept message again through Basic Ingest to its rule, then removes it from the queue', async () => {
    // Prepare
    enqueue(
      JSON.stringify(errorPayload('devices/sensor-1/telemetry')),
      JSON.stringify(errorPayload('$aws/rules/iot_ingestion_rules_local_telemetry/devices/s2/telemetry')),
    );

    // Act
    const report = await replayRuleErrors()({}, lambdaContext());

    // Assess
    expect(report).toEqual({ replayed: { iot_ingestion_rules_local_telemetry: 2 }, unreadable: 0, failed: 0 });
    expect(aws.published.map((p) => p.topic)).toEqual([
      '$aws/rules/iot_ingestion_rules_local_telemetry/devices/sensor-1/telemetry',
      '$aws/rules/iot_ingestion_rules_local_telemetry/devices/s2/telemetry',
    ]);
    expect(aws.published.map((p) => p.qos)).toEqual([1, 1]);
    expect(JSON.parse(aws.published[0]?.payload ?? '')).toEqual(original);
    expect(deleteRequests()).toHaveLength(2);
    expect(queued()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('leaves unreadable messages and failed publishes in the queue, and says how many', async () => {
    // Prepare: an IoT data plane endpoint where nothing listens, so that the publish fails.
    enqueue('not an error payload', JSON.stringify(errorPayload('devices/sensor-1/telemetry')));
    const handler = replayRuleErrors({ iotDataEndpoint: await closedEndpoint() });

    // Act
    const report = await handler({ maxMessages: 5 }, lambdaContext());

    // Assess
    expect(report).toEqual({ replayed: {}, unreadable: 1, failed: 1 });
    expect(deleteRequests()).toHaveLength(0);
    expect(queued()).toEqual({ visible: 0, inFlight: 2 });
    expect(aws.published).toEqual([]);
  });

  it('stops after maxMessages', async () => {
    // Prepare
    enqueue(...Array.from({ length: 20 }, () => JSON.stringify(errorPayload('devices/sensor-1/telemetry'))));

    // Act
    const report = await replayRuleErrors()({ maxMessages: 13 }, lambdaContext());

    // Assess
    expect(report.replayed).toEqual({ iot_ingestion_rules_local_telemetry: 13 });
    expect(aws.published).toHaveLength(13);
    expect(queued()).toEqual({ visible: 7, inFlight: 0 });
  });

  it('rejects a request it does not understand, naming the field', async () => {
    // Act
    const invocation = replayRuleErrors()({ maxMessages: 'all' }, lambdaContext());

    // Assess
    await expect(invocation).rejects.toThrow(/maxMessages/);
    expect(aws.requests).toEqual([]);
  });
});
