/**
 * Scenario 3 end to end on the running local cloud: readings of several devices published with mqtt.js, routed by
 * the ingestion rule into the Kinesis stream, aggregated by the tumbling-window function (3 s windows in FAST_TIMING)
 * into the metrics table and the window-metrics Firehose, and archived by the stream's archive feed through the raw
 * archive's Firehose (several readings per record) and its processor; then the exact
 * aggregates read through the DynamoDB SDK, the REST API and the S3 SDK. Only real clients: mqtt.js, fetch, the AWS
 * SDK against the edge endpoint.
 */
import { rm } from 'node:fs/promises';
import { type AttributeValue, QueryCommand } from '@aws-sdk/client-dynamodb';
import { GetTopicRuleCommand } from '@aws-sdk/client-iot';
import { GetQueueUrlCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { FleetMetricsPage, TelemetryReadings, WindowMetricsPage } from '@iot/types';
import type { LocalCloud } from '../../src/local-cloud';
import { type AwsClients, awsClients, FAST_TIMING, type StartedCloud, startCloud } from './local-cloud-fixture';
import {
  MqttPublisher,
  type RestApi,
  readJsonLines,
  registerDevices,
  restApi,
  signIn,
  stackOutput,
  type TelemetryPayload,
  telemetryTopic,
  waitFor,
} from './pipeline-clients';

jest.setTimeout(30_000);

let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
let api: RestApi;
let device: MqttPublisher;

const run = Date.now().toString(36);
const windowMs = (FAST_TIMING.tumblingWindowSeconds ?? 60) * 1000;
const output = (service: string, name: string) => stackOutput(cloud, service, name);

beforeAll(async () => {
  started = await startCloud();
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  // An operator of the fleet: GET /fleet/metrics is theirs.
  api = restApi(cloud.endpoints.api, await signIn(cloud.endpoints.edge, `analyst-${run}`, ['fleet-operators']));
  device = await MqttPublisher.connect(cloud.endpoints.mqtt as string, `analytics-acceptance-${run}`);
}, 180_000);

afterAll(async () => {
  await device?.end();
  aws?.destroy();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

interface Message extends TelemetryPayload {
  deviceId: string;
}

/**
 * The readings of three devices, in the order they are published: `a`'s message 3 is sent twice (same message id: a
 * duplicate), and its message 2, taken before message 3, is sent after it (late by the device's clock).
 */
function readings(ids: { a: string; b: string; c: string }, base: number): Message[] {
  const message = (deviceId: string, sequence: number, offset: number, metrics: Record<string, number>) => ({
    deviceId,
    timestamp: base + offset,
    metrics,
    messageId: `${deviceId}-${sequence}`,
    sequence,
  });
  const aSecond = message(ids.a, 3, 300, { temperature: 23, humidity: 44 });
  return [
    message(ids.c, 1, 50, { temperature: 30.5, humidity: 60 }),
    message(ids.a, 1, 100, { temperature: 20, humidity: 40 }),
    message(ids.b, 1, 150, { temperature: 18 }),
    aSecond,
    aSecond,
    message(ids.a, 2, 200, { temperature: 21.5, humidity: 42 }),
    message(ids.b, 2, 250, { temperature: 19 }),
  ];
}

/** What every device's window must hold, given the device ids, the window and the readings' base time. */
function expectedDeviceMetrics(ids: { a: string; b: string; c: string }, windowStart: number, base: number) {
  const window = { windowStart, windowEnd: windowStart + windowMs };
  return [
    {
      deviceId: ids.a,
      metric: 'humidity',
      ...window,
      count: 3,
      min: 40,
      max: 44,
      sum: 126,
      mean: 42,
      last: 44,
      firstTimestamp: base + 100,
      lastTimestamp: base + 300,
    },
    {
      deviceId: ids.a,
      metric: 'temperature',
      ...window,
      count: 3,
      min: 20,
      max: 23,
      sum: 64.5,
      mean: 21.5,
      last: 23,
      firstTimestamp: base + 100,
      lastTimestamp: base + 300,
    },
    {
      deviceId: ids.b,
      metric: 'temperature',
      ...window,
      count: 2,
      min: 18,
      max: 19,
      sum: 37,
      mean: 18.5,
      last: 19,
      firstTimestamp: base + 150,
      lastTimestamp: base + 250,
    },
    {
      deviceId: ids.c,
      metric: 'humidity',
      ...window,
      count: 1,
      min: 60,
      max: 60,
      sum: 60,
      mean: 60,
      last: 60,
      firstTimestamp: base + 50,
      lastTimestamp: base + 50,
    },
    {
      deviceId: ids.c,
      metric: 'temperature',
      ...window,
      count: 1,
      min: 30.5,
      max: 30.5,
      sum: 30.5,
      mean: 30.5,
      last: 30.5,
      firstTimestamp: base + 50,
      lastTimestamp: base + 50,
    },
  ];
}

/** A DynamoDB item's string and number attributes as plain values. */
const plain = (item: Record<string, AttributeValue>) =>
  Object.fromEntries(
    Object.entries(item).map(([name, value]) => [name, value.N !== undefined ? Number(value.N) : value.S]),
  ) as Record<string, string | number>;

async function metricItems(partition: string): Promise<Record<string, string | number>[]> {
  const answer = await aws.dynamodb.send(
    new QueryCommand({
      TableName: output('telemetry-analytics', 'MetricsTableName'),
      KeyConditionExpression: 'deviceId = :d',
      ExpressionAttributeValues: { ':d': { S: partition } },
      ConsistentRead: true,
    }),
  );
  return (answer.Items ?? []).map(plain);
}

/** The published run: the devices, the window their readings arrived in, and the messages. */
interface PublishedWindow {
  ids: { a: string; b: string; c: string };
  windowStart: number;
  base: number;
  messages: Message[];
}

/**
 * Publishes the readings at the start of a window, so they all arrive in the stream within it, and waits until the
 * aggregator has written every reading. Undefined when some arrived in the next window (a slow machine): the caller
 * tries again with other devices in a later window.
 */
async function publishInOneWindow(attempt: number): Promise<PublishedWindow | undefined> {
  const ids = { a: `meter-${run}-${attempt}-a`, b: `meter-${run}-${attempt}-b`, c: `meter-${run}-${attempt}-c` };
  await registerDevices(api, ...Object.values(ids));
  await waitFor('the start of a window', () => (Date.now() % windowMs < 100 ? true : undefined), {
    intervalMs: 5,
    timeoutMs: windowMs * 2,
  });
  const windowStart = Date.now() - (Date.now() % windowMs);
  const base = windowStart;
  const messages = readings(ids, base);
  for (const { deviceId, ...payload } of messages) await device.publish(telemetryTopic(deviceId), payload);

  const expected = expectedDeviceMetrics(ids, windowStart, base);
  const items = await waitFor(
    'every reading in the metrics table',
    async () => {
      const found = (await Promise.all(Object.values(ids).map(metricItems))).flat();
      const counted = (m: { deviceId: string; metric: string }) =>
        found
          .filter((item) => item.deviceId === m.deviceId && item.metric === m.metric)
          .reduce((sum, item) => sum + Number(item.count), 0);
      return expected.every((m) => counted(m) >= m.count) ? found : undefined;
    },
    { timeoutMs: 4 * windowMs + 5_000, intervalMs: 100 },
  );
  const oneWindow = items.every((item) => item.windowStart === windowStart) && items.length === expected.length;
  return oneWindow ? { ids, windowStart, base, messages } : undefined;
}

describe('window metrics of readings published over MQTT by several devices', () => {
  let published: PublishedWindow;

  beforeAll(async () => {
    let attempt: PublishedWindow | undefined;
    for (let tries = 1; !attempt && tries <= 3; tries++) attempt = await publishInOneWindow(tries);
    if (!attempt) throw new Error('Could not publish every reading within one window three times');
    published = attempt;
  }, 60_000);

  it('writes the exact aggregates of each device and metric to the metrics table, the duplicate counted once', async () => {
    // Prepare
    const { ids, windowStart, base } = published;

    // Act
    const items = (await Promise.all(Object.values(ids).map(metricItems))).flat();

    // Assess
    const stored = items
      .map(({ windowKey, part, expiresAt, ...metric }) => {
        expect(windowKey).toBe(`${String(windowStart).padStart(13, '0')}#${metric.metric}#${part}`);
        expect(part).toMatch(/^shardId-\d{12}#\d+$/);
        expect(expiresAt).toBe(Math.floor((windowStart + windowMs) / 1000) + 90 * 86_400);
        return metric;
      })
      .sort((x, y) => `${x.deviceId}${x.metric}`.localeCompare(`${y.deviceId}${y.metric}`));
    expect(stored).toEqual(expectedDeviceMetrics(ids, windowStart, base));
  });

  it('answers the same aggregates at GET /devices/{id}/metrics', async () => {
    // Prepare
    const { ids, windowStart, base } = published;
    const expected = expectedDeviceMetrics(ids, windowStart, base);

    // Act
    const answers = await Promise.all(
      Object.values(ids).map((id) =>
        api<WindowMetricsPage>(`/devices/${id}/metrics?from=${windowStart}&to=${windowStart}`),
      ),
    );
    const humidityOfA = await api<WindowMetricsPage>(
      `/devices/${ids.a}/metrics?metric=humidity&from=${windowStart - windowMs}&to=${windowStart + windowMs}`,
    );

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
    expect(answers.flatMap((answer) => answer.body.items)).toEqual(expected);
    expect(answers.every((answer) => answer.body.nextToken === undefined)).toBe(true);
    expect(humidityOfA.body.items).toEqual([expected[0]]);
  });

  it('answers the fleet aggregate of every device at GET /fleet/metrics, merged from the parts in the table', async () => {
    // Prepare
    const { windowStart, base } = published;
    const window = { windowStart, windowEnd: windowStart + windowMs };

    // Act: each shard writes its part of the fleet when its window ends.
    const page = await waitFor('the fleet window of every shard', async () => {
      const answer = await api<FleetMetricsPage>(`/fleet/metrics?from=${windowStart}&to=${windowStart}`);
      const temperature = answer.body.items.find((item) => item.metric === 'temperature');
      return temperature?.count === 6 ? answer : undefined;
    });
    const parts = (await metricItems('#fleet')).filter((item) => item.windowStart === windowStart);

    // Assess
    expect(page.status).toBe(200);
    expect(page.body.items).toEqual([
      {
        metric: 'humidity',
        ...window,
        count: 4,
        min: 40,
        max: 60,
        sum: 186,
        mean: 46.5,
        devices: 2,
        firstTimestamp: base + 50,
        lastTimestamp: base + 300,
      },
      {
        metric: 'temperature',
        ...window,
        count: 6,
        min: 18,
        max: 30.5,
        sum: 132,
        mean: 22,
        devices: 3,
        firstTimestamp: base + 50,
        lastTimestamp: base + 300,
      },
    ]);
    const total = (metric: string, field: string) =>
      parts.filter((p) => p.metric === metric).reduce((sum, p) => sum + Number(p[field]), 0);
    expect([total('temperature', 'count'), total('temperature', 'sum'), total('temperature', 'devices')]).toEqual([
      6, 132, 3,
    ]);
    expect([total('humidity', 'count'), total('humidity', 'sum'), total('humidity', 'devices')]).toEqual([4, 186, 2]);
  });

  it('exports the device aggregates to S3 as JSON lines under metrics/year=YYYY/month=MM/day=DD/', async () => {
    // Prepare
    const { ids, windowStart, base } = published;
    const devices = new Set(Object.values(ids));

    // Act
    const lines = await waitFor('the window metrics in S3', async () => {
      const found = (
        await readJsonLines(aws.s3, output('telemetry-analytics', 'RawArchiveBucketName'), 'metrics/')
      ).filter(({ line }) => devices.has(line.deviceId as string));
      return found.length >= 5 ? found : undefined;
    });

    // Assess
    for (const { key } of lines) expect(key).toMatch(/^metrics\/year=\d{4}\/month=\d{2}\/day=\d{2}\/[^/]+$/);
    const exported = lines
      .map(({ line: { part, ...metric } }) => {
        expect(part).toMatch(/^shardId-\d{12}#\d+$/);
        return metric;
      })
      .sort((x, y) => `${x.deviceId}${x.metric}`.localeCompare(`${y.deviceId}${y.metric}`));
    expect(exported).toEqual(expectedDeviceMetrics(ids, windowStart, base));
  });

  it('feeds the raw archive from the stream: no Firehose action on the rule, a consumer of the stream that writes to it', async () => {
    // Act
    const { rule } = await aws.iot.send(
      new GetTopicRuleCommand({ ruleName: output('ingestion-rules', 'TelemetryRuleName') }),
    );
    const mappings = Object.values(cloud.deployed['telemetry-analytics']?.resources ?? {}).filter(
      (r) => r.type === 'AWS::Lambda::EventSourceMapping',
    );

    // Assess
    const actions = (rule?.actions ?? []).flatMap((action) =>
      Object.keys(action).filter((k) => action[k as keyof typeof action]),
    );
    expect(actions).not.toContain('firehose');
    expect(actions).toContain('kinesis');
    const archiveFeed = mappings.find((m) => String(m.properties.FunctionName).endsWith('-archiveRawTelemetry'));
    expect(archiveFeed?.provisioned).toBe(true);
    expect(archiveFeed?.properties).toMatchObject({
      EventSourceArn: output('telemetry-analytics', 'TelemetryStreamArn'),
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('archives every message, the duplicate too, as one normalised line under raw/year=YYYY/month=MM/day=DD/hour=HH/', async () => {
    // Prepare
    const { ids, messages } = published;
    const devices = new Set(Object.values(ids));

    // Act
    const lines = await waitFor('the raw archive in S3', async () => {
      const found = (await readJsonLines(aws.s3, output('telemetry-analytics', 'RawArchiveBucketName'), 'raw/')).filter(
        ({ line }) => devices.has(line.deviceId as string),
      );
      return found.length >= messages.length ? found : undefined;
    });

    // Assess
    for (const { key } of lines) expect(key).toMatch(/^raw\/year=\d{4}\/month=\d{2}\/day=\d{2}\/hour=\d{2}\/[^/]+$/);
    for (const { line } of lines) {
      expect(Object.keys(line)).toEqual(['deviceId', 'timestamp', 'receivedAt', 'messageId', 'sequence', 'metrics']);
      expect(line.receivedAt).toBeGreaterThanOrEqual(published.windowStart);
    }
    const byMessage = (x: { messageId?: unknown }, y: { messageId?: unknown }) =>
      String(x.messageId).localeCompare(String(y.messageId));
    expect(lines.map(({ line: { receivedAt, ...message } }) => message).sort(byMessage)).toEqual(
      [...messages].sort(byMessage),
    );
  });
});

describe('a malformed record: a publish whose JSON is not telemetry', () => {
  const deviceId = `meter-${run}-malformed`;
  const payload = { reading: 'not telemetry', at: run };

  beforeAll(() => device.publish(telemetryTopic(deviceId), payload));

  it('ends under the raw archive error prefix raw-errors/processing-failed/, as it arrived', async () => {
    // Act
    const [failed] = await waitFor('the failed record in S3', async () => {
      const found = (
        await readJsonLines(aws.s3, output('telemetry-analytics', 'RawArchiveBucketName'), 'raw-errors/')
      ).filter(({ line }) => Buffer.from(String(line.rawData), 'base64').toString('utf8').includes(deviceId));
      return found.length > 0 ? found : undefined;
    });

    // Assess
    expect(failed?.key).toMatch(/^raw-errors\/processing-failed\/year=\d{4}\/month=\d{2}\/day=\d{2}\/[^/]+$/);
    expect(failed?.line).toMatchObject({
      errorCode: 'Lambda.ProcessingFailedStatus',
      lambdaArn: expect.stringContaining(':function:'),
    });
    // What the ingestion rule selected from it: the device id of the topic and the time it was received, no readings.
    const record = Buffer.from(String(failed?.line.rawData), 'base64').toString('utf8');
    expect(record.endsWith('\n')).toBe(true);
    expect(JSON.parse(record)).toEqual({ deviceId, receivedAt: expect.any(Number) });
  });

  it('is kept in the aggregator failure queue with the reason, and counted in no window', async () => {
    // Prepare
    const queueName = output('telemetry-analytics', 'AggregatorFailureQueueArn').split(':').pop();
    const { QueueUrl } = await aws.sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));

    // Act
    const rejected = await waitFor(
      'the rejected record in the aggregator failure queue',
      async () => {
        const answer = await aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ['All'],
          }),
        );
        return (answer.Messages ?? []).find((m) => JSON.parse(m.Body ?? '{}').record?.partitionKey === deviceId);
      },
      { timeoutMs: 4 * windowMs + 5_000 },
    );

    // Assess
    const body = JSON.parse(rejected.Body ?? '{}');
    expect(body).toMatchObject({
      reason: expect.stringMatching(/^not a telemetry message: .*(timestamp|metrics)/),
      record: { partitionKey: deviceId, sequenceNumber: expect.stringMatching(/^\d+$/) },
    });
    expect(JSON.parse(Buffer.from(body.record.data, 'base64').toString('utf8'))).toEqual({
      deviceId,
      receivedAt: expect.any(Number),
    });
    expect(rejected.MessageAttributes?.reason?.StringValue).toBe(body.reason);
    expect(await metricItems(deviceId)).toEqual([]);
  });
});

describe('live readings of a device someone watches', () => {
  const deviceId = `live-${run}`;

  beforeAll(() => registerDevices(api, deviceId));

  it('answers no readings and until when it now records them, then the readings published since', async () => {
    // Act: the first read marks the device watched; a reading published after it shows up at the route.
    const first = await api<TelemetryReadings>(`/devices/${deviceId}/telemetry`);
    const timestamp = Date.now();
    await device.publish(telemetryTopic(deviceId), { timestamp, metrics: { temperature: 21.5 } });
    const later = await waitFor('the reading at GET /devices/{id}/telemetry', async () => {
      const answer = await api<TelemetryReadings>(`/devices/${deviceId}/telemetry`);
      return answer.body.items.length > 0 ? answer : undefined;
    });

    // Assess: watched for the template's 10 minutes; the later read (under half of them gone) keeps the same mark.
    expect(first.status).toBe(200);
    expect(first.body.items).toEqual([]);
    expect(first.body.watchedUntil).toBeGreaterThan(timestamp + 9 * 60_000);
    expect(first.body.watchedUntil).toBeLessThanOrEqual(timestamp + 10 * 60_000);
    expect(later.body).toEqual({
      deviceId,
      items: [{ deviceId, timestamp, metrics: { temperature: 21.5 }, receivedAt: expect.any(Number) }],
      watchedUntil: first.body.watchedUntil,
    });
  });
});
