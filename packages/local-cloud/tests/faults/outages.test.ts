/**
 * Faults of the services' real asynchronous paths, against the running local cloud with the real services deployed:
 * a downstream outage (a stream and a delivery stream deleted) makes the telemetry rule's error action keep every
 * message; a function that throws (its table deleted) is retried as Lambda retries an asynchronous invocation, then
 * lands in its on-failure destination; the Kinesis mapping whose function keeps failing (its table deleted) retries,
 * bisects, and sends the batch's description to its on-failure destination; so does the raw archive's feed from the
 * stream when its delivery stream is gone, into its own queue.
 */
import { rm } from 'node:fs/promises';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteDeliveryStreamCommand } from '@aws-sdk/client-firehose';
import { DeleteStreamCommand } from '@aws-sdk/client-kinesis';
import type { LocalCloud } from '../../src/local-cloud';
import { closeAllClients, type MqttJsDevice, mqttJsDevice } from '../acceptance/iot-clients';
import { type AwsClients, awsClients, type StartedCloud, startCloud } from '../acceptance/local-cloud-fixture';
import { stackOutput, waitFor } from '../acceptance/pipeline-clients';
import { QueueCollector } from '../bad-input/error-destinations';

jest.setTimeout(120_000);

let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
let device: MqttJsDevice;
const run = Date.now().toString(36);
const reading = (sequence: number) => JSON.stringify({ timestamp: Date.now(), metrics: { temperature: 21 }, sequence });

beforeAll(async () => {
  started = await startCloud();
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  device = await mqttJsDevice(cloud.endpoints.mqtt as string, `outage-${run}`);
}, 180_000);

afterAll(async () => {
  await closeAllClients();
  aws?.destroy();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

test('the thresholds table deleted: evaluate throws, is tried three times, then kept in its on-failure queue', async () => {
  // Prepare
  const failures = new QueueCollector(aws.sqs, 'iot-alerting-local-evaluate-failures');
  await aws.dynamodb.send(new DeleteTableCommand({ TableName: stackOutput(cloud, 'alerting', 'ThresholdsTableName') }));
  const deviceId = `outage-${run}-thresholds`;

  // Act
  await device.client.publishAsync(`devices/${deviceId}/telemetry`, reading(1), { qos: 1 });

  // Assess
  const body = await waitFor(
    'the failed event in the on-failure queue',
    async () => (await failures.collect()).find((b) => b.includes(`"${deviceId}"`)),
    { timeoutMs: 30_000, intervalMs: 300 },
  );
  const record = JSON.parse(body);
  expect(record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
  expect(record.requestPayload).toMatchObject({ deviceId, metrics: { temperature: 21 } });
  expect(record.responseContext.functionError).toBe('Unhandled');
  expect(JSON.stringify(record.responsePayload)).toMatch(/ResourceNotFound|table/i);
});

test('the metrics table deleted: the stream mapping retries, bisects and tells its on-failure destination', async () => {
  // Prepare
  const failures = new QueueCollector(aws.sqs, 'iot-telemetry-analytics-local-aggregator-failures');
  await aws.dynamodb.send(
    new DeleteTableCommand({ TableName: stackOutput(cloud, 'telemetry-analytics', 'MetricsTableName') }),
  );
  const deviceId = `outage-${run}-metrics`;

  // Act
  for (let i = 1; i <= 3; i++) {
    await device.client.publishAsync(`devices/${deviceId}/telemetry`, reading(i), { qos: 1 });
  }

  // Assess
  const body = await waitFor(
    'the discarded batch in the on-failure queue',
    async () => (await failures.collect()).find((b) => b.includes('KinesisBatchInfo')),
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  const record = JSON.parse(body);
  expect(record.requestContext.condition).toBe('RetryAttemptsExhausted');
  expect(record.KinesisBatchInfo).toMatchObject({
    streamArn: expect.stringContaining(stackOutput(cloud, 'telemetry-analytics', 'TelemetryStreamName')),
  });
  expect(record.KinesisBatchInfo.batchSize).toBeGreaterThanOrEqual(1);
  expect((await fetch(cloud.endpoints.health)).status).toBe(200);
});

test("the raw archive's delivery stream deleted: its feed reports the records, retries, then tells its own queue", async () => {
  // Prepare
  const failures = new QueueCollector(aws.sqs, 'iot-telemetry-analytics-local-archive-failures');
  await aws.firehose.send(
    new DeleteDeliveryStreamCommand({
      DeliveryStreamName: stackOutput(cloud, 'telemetry-analytics', 'RawArchiveDeliveryStreamName'),
    }),
  );
  const deviceId = `outage-${run}-archive`;

  // Act
  for (let i = 1; i <= 3; i++) {
    await device.client.publishAsync(`devices/${deviceId}/telemetry`, reading(i), { qos: 1 });
  }

  // Assess
  const body = await waitFor(
    'the undelivered batch in the archive failure queue',
    async () => (await failures.collect()).find((b) => b.includes('KinesisBatchInfo')),
    { timeoutMs: 90_000, intervalMs: 500 },
  );
  const record = JSON.parse(body);
  expect(record.requestContext.functionArn).toMatch(/:function:iot-telemetry-analytics-local-archiveRawTelemetry$/);
  expect(record.KinesisBatchInfo).toMatchObject({
    streamArn: expect.stringContaining(stackOutput(cloud, 'telemetry-analytics', 'TelemetryStreamName')),
  });
  expect(record.KinesisBatchInfo.batchSize).toBeGreaterThanOrEqual(1);
  expect((await fetch(cloud.endpoints.health)).status).toBe(200);
});

test('the stream deleted: the rule error action keeps each message whole', async () => {
  // Prepare
  const ruleErrors = new QueueCollector(aws.sqs, 'iot-ingestion-rules-local-rule-errors');
  await aws.kinesis.send(
    new DeleteStreamCommand({ StreamName: stackOutput(cloud, 'telemetry-analytics', 'TelemetryStreamName') }),
  );
  const deviceId = `outage-${run}-streams`;
  const sent = [1, 2, 3, 4, 5].map(reading);

  // Act
  for (const payload of sent) await device.client.publishAsync(`devices/${deviceId}/telemetry`, payload, { qos: 1 });

  // Assess
  const kept = await waitFor(
    'every message in the rule errors queue',
    async () => {
      const bodies = (await ruleErrors.collect()).filter((b) => b.includes(`/${deviceId}/telemetry`));
      return bodies.length >= sent.length ? bodies.map((b) => JSON.parse(b)) : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 300 },
  );
  expect(kept.map((k) => Buffer.from(k.base64OriginalPayload, 'base64').toString()).sort()).toEqual([...sent].sort());
  for (const error of kept) {
    expect(error.failures.map((f: { failedAction: string }) => f.failedAction).sort()).toEqual(['KinesisAction']);
    expect(error.ruleName).toBe(stackOutput(cloud, 'ingestion-rules', 'TelemetryRuleName'));
  }
  expect((await fetch(cloud.endpoints.health)).status).toBe(200);
});
