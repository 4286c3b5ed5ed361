/**
 * Bad input over MQTT, against the running local cloud with the real services deployed: telemetry that is not JSON,
 * has wrong types, nests deeply, is oversized, carries odd Unicode or misses fields, and shadow documents AWS refuses,
 * over the shadow topics and the data plane. For each: the process stays healthy (the health route answers, a normal
 * message still flows), the protocol's answer is given (shadow `rejected` topic with AWS's codes, a disconnect for an
 * oversized publish), and every telemetry message the pipeline rejects is kept in each of its error destinations: the
 * evaluate function's on-failure queue, the aggregator's failure queue and the raw archive's Firehose error prefix.
 */
import { rm } from 'node:fs/promises';
import { GetThingShadowCommand, IoTDataPlaneClient, UpdateThingShadowCommand } from '@aws-sdk/client-iot-data-plane';
import fc from 'fast-check';
import type { LocalCloud } from '../../src/local-cloud';
import { closeAllClients, type MqttJsDevice, mqttJsDevice } from '../acceptance/iot-clients';
import { type AwsClients, awsClients, type StartedCloud, startCloud } from '../acceptance/local-cloud-fixture';
import { readJsonLines, stackOutput, waitFor } from '../acceptance/pipeline-clients';
import { firehoseErrorRecords, QueueCollector } from './error-destinations';

jest.setTimeout(120_000);

let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
let iotData: IoTDataPlaneClient;
let device: MqttJsDevice;
const run = Date.now().toString(36);
let sequence = 0;
/** A device id of this run, unique per message, so each rejected message can be found again by it. */
const nextDeviceId = (kind: string) => `bad-${run}-${kind}-${++sequence}`;

async function healthy(): Promise<number> {
  return (await fetch(cloud.endpoints.health)).status;
}

/** Telemetry as a device should send it. */
const validPayload = () => ({
  timestamp: Date.now(),
  metrics: { temperature: 21.5, humidity: 40 },
  messageId: `m-${++sequence}`,
  sequence: 1,
});

/** Payloads the telemetry schema refuses, each of one kind of badness. */
const deep = (depth: number, leaf: unknown): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { v: value };
  return value;
};
const badTelemetry = fc.oneof(
  fc.record({ kind: fc.constant('not-json'), body: fc.uint8Array({ minLength: 1, maxLength: 200 }) }).map((b) => ({
    kind: b.kind,
    // A leading byte JSON never starts with, so the body cannot happen to be valid JSON.
    body: Buffer.concat([Buffer.from([0xff]), Buffer.from(b.body)]),
  })),
  fc.string({ minLength: 1, maxLength: 80 }).map((text) => ({ kind: 'text', body: Buffer.from(`<${text}`) })),
  fc
    .record({
      timestamp: fc.oneof(
        fc.string(),
        fc.boolean(),
        fc.constant(null),
        fc.double({ noDefaultInfinity: true }).map((n) => -Math.abs(n) - 1),
      ),
    })
    .map(({ timestamp }) => ({ kind: 'wrong-timestamp', body: { ...validPayload(), timestamp } })),
  fc
    .oneof(fc.string(), fc.array(fc.integer()), fc.constant(null), fc.constant({}), fc.integer())
    .map((metrics) => ({ kind: 'wrong-metrics', body: { ...validPayload(), metrics } })),
  fc
    .oneof(fc.string(), fc.boolean(), fc.constant(null), fc.array(fc.double()), fc.object())
    .map((reading) => ({ kind: 'wrong-reading', body: { ...validPayload(), metrics: { temperature: reading } } })),
  fc.constantFrom('timestamp', 'metrics').map((field) => {
    const body: Record<string, unknown> = validPayload();
    delete body[field];
    return { kind: `missing-${field}`, body };
  }),
  fc
    .integer({ min: 50, max: 3000 })
    .map((depth) => ({ kind: 'deep', body: { ...validPayload(), metrics: { temperature: deep(depth, 1) } } })),
  fc.integer({ min: 50, max: 20_000 }).map((depth) => ({
    kind: 'deep-array',
    body: Buffer.from(`{"timestamp":${Date.now()},"metrics":${'['.repeat(depth)}${']'.repeat(depth)}}`),
  })),
  fc
    .string({ unit: 'binary', minLength: 1, maxLength: 20 })
    .map((name) => ({ kind: 'odd-unicode', body: { ...validPayload(), metrics: { [`\u202e${name}\u0000`]: 'x' } } })),
  fc.constant({ kind: 'lone-surrogate', body: Buffer.from('{"timestamp":1,"metrics":{"t\\ud800":"\ud800"}}') }),
  fc.constant({ kind: 'invalid-utf8', body: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]) }),
);

beforeAll(async () => {
  started = await startCloud();
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  iotData = new IoTDataPlaneClient({
    endpoint: cloud.endpoints.edge,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  device = await mqttJsDevice(cloud.endpoints.mqtt as string, `bad-input-${run}`);
}, 180_000);

afterAll(async () => {
  await closeAllClients();
  iotData?.destroy();
  aws?.destroy();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

describe('telemetry over MQTT', () => {
  test('every malformed message is refused by the pipeline and kept in each of its error destinations', async () => {
    // Prepare
    const evaluateFailures = new QueueCollector(aws.sqs, `iot-alerting-local-evaluate-failures`);
    const ruleErrors = new QueueCollector(aws.sqs, `iot-ingestion-rules-local-rule-errors`);
    const aggregatorFailures = new QueueCollector(aws.sqs, `iot-telemetry-analytics-local-aggregator-failures`);
    const bucket = stackOutput(cloud, 'telemetry-analytics', 'RawArchiveBucketName');
    const ruleName = stackOutput(cloud, 'ingestion-rules', 'TelemetryRuleName');
    const samples = fc.sample(badTelemetry, { numRuns: 24, seed: 11 });
    const sent: { deviceId: string; kind: string }[] = [];

    // Act: half on the plain topic, half through Basic Ingest.
    for (const [index, { kind, body }] of samples.entries()) {
      const deviceId = nextDeviceId(kind);
      const topic =
        index % 2 === 0 ? `devices/${deviceId}/telemetry` : `$aws/rules/${ruleName}/devices/${deviceId}/telemetry`;
      await device.client.publishAsync(topic, Buffer.isBuffer(body) ? body : JSON.stringify(body), { qos: 1 });
      sent.push({ deviceId, kind });
    }

    // Assess
    const missing = async () => {
      const archiveErrors = (await firehoseErrorRecords(aws.s3, bucket, 'raw-errors/')).join('\n');
      const out: string[] = [];
      for (const { deviceId, kind } of sent) {
        // A message the rule itself cannot hand to its actions (a SELECT result too deep to serialise) is kept
        // whole by the rule's error action instead.
        if (await ruleErrors.holds(`/${deviceId}/telemetry"`)) continue;
        if (!(await evaluateFailures.holds(`"${deviceId}"`)))
          out.push(`${kind} ${deviceId}: evaluate on-failure queue`);
        if (!(await aggregatorFailures.holds(`"partitionKey":"${deviceId}"`)))
          out.push(`${kind} ${deviceId}: aggregator failure queue`);
        if (!archiveErrors.includes(`"${deviceId}"`)) out.push(`${kind} ${deviceId}: raw-errors/ in S3`);
      }
      return out;
    };
    const stillMissing = await waitFor(
      'every rejected message in every error destination',
      async () => {
        const out = await missing();
        return out.length === 0 ? out : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    ).catch(async () => missing());
    expect(stillMissing).toEqual([]);
    for (const body of ruleErrors.bodies) {
      const kept = JSON.parse(body);
      expect(kept.failures.map((f: { failedAction: string }) => f.failedAction).sort()).toEqual([
        'KinesisAction',
        'LambdaAction',
      ]);
      expect(Buffer.from(kept.base64OriginalPayload, 'base64').length).toBeGreaterThan(0);
    }
    const failure = JSON.parse(evaluateFailures.bodies[0] as string);
    expect(failure.requestContext.condition).toBe('RetriesExhausted');
    expect(failure.requestContext.approximateInvokeCount).toBe(3);
    expect(failure.responsePayload.errorMessage).toMatch(/timestamp|metrics/);
  });

  test('the cloud stays healthy and a normal message still flows after the bad ones', async () => {
    // Prepare
    const deviceId = nextDeviceId('good');
    const bucket = stackOutput(cloud, 'telemetry-analytics', 'RawArchiveBucketName');

    // Act
    await device.client.publishAsync(`devices/${deviceId}/telemetry`, JSON.stringify(validPayload()), { qos: 1 });

    // Assess
    expect(await healthy()).toBe(200);
    const archived = await waitFor(
      'the good message in the raw archive',
      async () => {
        const lines = await readJsonLines(aws.s3, bucket, 'raw/');
        return lines.find(({ line }) => line.deviceId === deviceId);
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(archived.line.metrics).toEqual({ temperature: 21.5, humidity: 40 });
  });

  test('an oversized publish (over 128 KB) closes the connection, as AWS IoT does, and nothing else', async () => {
    // Prepare
    const big = await mqttJsDevice(cloud.endpoints.mqtt as string, `bad-input-big-${run}`);
    const deviceId = nextDeviceId('oversized');
    const body = JSON.stringify({ ...validPayload(), padding: 'x'.repeat(130 * 1024) });

    // Act
    big.client.publish(`devices/${deviceId}/telemetry`, body, { qos: 1 });
    await big.closed;

    // Assess
    expect(await healthy()).toBe(200);
    expect(device.client.connected).toBe(true);
    await device.client.publishAsync(
      `devices/${nextDeviceId('after-oversized')}/telemetry`,
      JSON.stringify(validPayload()),
      {
        qos: 1,
      },
    );
  });
});

describe('shadow documents', () => {
  /** Documents the Device Shadow service refuses, with the code AWS answers. */
  const badDocuments = fc.oneof(
    fc.string({ maxLength: 40 }).map((s) => ({ body: `{${s}`, code: 400 })),
    fc.constant({ body: '{}', code: 400 }),
    // (`"state": null` is not bad: it deletes the whole state.)
    fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer())).map((state) => ({
      body: JSON.stringify({ state }),
      code: 400,
    })),
    fc.oneof(fc.string(), fc.integer(), fc.array(fc.integer())).map((desired) => ({
      body: JSON.stringify({ state: { desired } }),
      code: 400,
    })),
    fc.oneof(fc.string(), fc.double(), fc.constant(-1)).map((version) => ({
      body: JSON.stringify({ state: { desired: { a: 1 } }, version }),
      code: 400,
    })),
    fc.integer({ min: 9, max: 2000 }).map((depth) => ({
      body: JSON.stringify({ state: { desired: deep(depth, 1) } }),
      code: 400,
    })),
    fc.integer({ min: 9, max: 60 }).map((kb) => ({
      body: JSON.stringify({ state: { desired: { blob: 'y'.repeat(kb * 1024) } } }),
      code: 413,
    })),
    fc.string({ minLength: 65, maxLength: 100 }).map((clientToken) => ({
      body: JSON.stringify({ state: { desired: { a: 1 } }, clientToken }),
      code: 400,
    })),
    // Not UTF-8: 415, Unsupported documented encoding.
    fc.constant({ body: Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), code: 415 }),
  );

  test('refused updates answer on update/rejected with AWS code and message, and leave the shadow as it was', async () => {
    // Prepare
    const thing = `bad-shadow-${run}`;
    const topic = (suffix: string) => `$aws/things/${thing}/shadow/${suffix}`;
    await device.client.subscribeAsync([topic('update/rejected'), topic('update/accepted')], { qos: 1 });
    await device.client.publishAsync(topic('update'), JSON.stringify({ state: { desired: { mode: 'eco' } } }), {
      qos: 1,
    });
    await device.inbox.take('the first update accepted', (m) => m.topic === topic('update/accepted'));
    const samples = fc.sample(badDocuments, { numRuns: 30, seed: 5 });

    for (const { body, code } of samples) {
      // Act
      await device.client.publishAsync(topic('update'), body, { qos: 1 });

      // Assess
      const answer = await device.inbox.take('the answer to a bad update', (m) => m.topic.startsWith(topic('update/')));
      expect({
        body: String(body).slice(0, 80),
        topic: answer.topic,
        code: (answer.json as { code?: number }).code,
      }).toEqual({
        body: String(body).slice(0, 80),
        topic: topic('update/rejected'),
        code,
      });
      expect(typeof (answer.json as { message?: unknown }).message).toBe('string');
    }
    const shadow = await iotData.send(new GetThingShadowCommand({ thingName: thing }));
    const document = JSON.parse(Buffer.from(shadow.payload ?? []).toString('utf8'));
    expect(document.state).toEqual({ desired: { mode: 'eco' }, delta: { mode: 'eco' } });
    expect(document.version).toBe(1);
    expect(await healthy()).toBe(200);
  });

  test('the data plane refuses the same documents with a 4xx that says why', async () => {
    // Prepare
    const thing = `bad-shadow-api-${run}`;
    const samples = fc.sample(badDocuments, { numRuns: 20, seed: 9 });

    for (const { body, code } of samples) {
      // Act
      const error = await iotData
        .send(
          new UpdateThingShadowCommand({
            thingName: thing,
            payload: Buffer.isBuffer(body) ? body : Buffer.from(body),
          }),
        )
        .then(
          () => undefined,
          (caught: { $metadata?: { httpStatusCode?: number }; message?: string }) => caught,
        );

      // Assess
      expect(error?.$metadata?.httpStatusCode).toBe(code);
      expect(error?.message).toMatch(/\w+/);
    }
    expect(await healthy()).toBe(200);
  });
});
