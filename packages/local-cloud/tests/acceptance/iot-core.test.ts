/**
 * The local AWS IoT Core end to end (issue 5), driven only by clients nobody here wrote: the AWS IoT Device SDK v2
 * (IotShadowClient over its CRT MQTT 3.1.1 connection), mqtt.js, Debian's mosquitto_pub / mosquitto_sub, and the AWS
 * SDK v3 IoTDataPlaneClient and IoTClient. One local cloud for the file, with the real services deployed; every test
 * checks what a device or an app would observe. Section names in test names are those of the AWS IoT Core developer
 * guide the expectation comes from.
 */
import { rm } from 'node:fs/promises';
import { CreateTopicRuleCommand, ListThingsCommand } from '@aws-sdk/client-iot';
import {
  ConflictException,
  GetRetainedMessageCommand,
  GetThingShadowCommand,
  InvalidRequestException,
  IoTDataPlaneClient,
  ListNamedShadowsForThingCommand,
  PublishCommand,
  RequestEntityTooLargeException,
  ResourceNotFoundException,
  UpdateThingShadowCommand,
} from '@aws-sdk/client-iot-data-plane';
import { type iotshadow, mqtt as sdkMqtt } from 'aws-iot-device-sdk-v2';
import type { LocalCloud } from '../../src/local-cloud';
import {
  closeAllClients,
  ensureMosquittoClients,
  Inbox,
  type MqttJsDevice,
  mosquittoPub,
  mosquittoSub,
  mqttJsDevice,
  sdkDevice,
} from './iot-clients';
import { type AwsClients, awsClients, eventually, type StartedCloud, startCloud } from './local-cloud-fixture';

jest.setTimeout(30_000);

let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
let iotData: IoTDataPlaneClient;
let mqttUrl: string;
let idToken = '';
const run = Date.now().toString(36);
/** Topics of this run, so nothing from another run or test can match. */
const topicOf = (...levels: string[]) => ['acceptance', run, ...levels].join('/');
const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The REST API of the stage, signed in as the app would be; the body parsed when it is JSON. */
async function api(path: string, init: { method?: string; json?: unknown } = {}) {
  const answer = await fetch(`${cloud.endpoints.api}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', authorization: idToken },
    ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
  });
  const text = await answer.text();
  return { status: answer.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

/** Registers a device through the REST API, as the app does before anything else. */
async function registerDevice(deviceId: string, attributes: Record<string, string> = {}) {
  const answer = await api('/devices', { method: 'POST', json: { deviceId, type: 'sensor', attributes } });
  if (answer.status !== 201)
    throw new Error(`POST /devices ${deviceId}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

const output = (service: string, name: string): string => {
  const value = cloud.deployed[service]?.outputs[name];
  if (value === undefined) throw new Error(`${service} has no output ${name}`);
  return value;
};

const decode = (payload: Uint8Array | undefined) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

/** An app-side observer on the broker: subscribed to `filters`, collecting what it receives. */
async function observer(name: string, filters: string[]): Promise<MqttJsDevice> {
  const device = await mqttJsDevice(mqttUrl, `observer-${name}-${run}`);
  const granted = await device.client.subscribeAsync(filters, { qos: 1 });
  expect(granted.map((g) => g.qos)).toEqual(filters.map(() => 1));
  return device;
}

/**
 * Publishes a marker from `device` on a topic `device` subscribes to and waits for it: the broker handles one client's
 * packets in order, so whatever it would have delivered before the marker has arrived by then.
 */
async function barrier(device: MqttJsDevice, topic: string): Promise<void> {
  const marker = `barrier-${Math.random()}`;
  await device.client.publishAsync(topic, marker, { qos: 1 });
  await device.inbox.take(`the barrier on ${topic}`, (m) => m.topic === topic && m.payload.toString() === marker);
}

beforeAll(async () => {
  ensureMosquittoClients();
  started = await startCloud();
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  iotData = new IoTDataPlaneClient({
    endpoint: cloud.endpoints.edge,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  mqttUrl = cloud.endpoints.mqtt as string;
  const token = await fetch(`${cloud.endpoints.edge}/_local/cognito/tokens`, {
    method: 'POST',
    body: JSON.stringify({ username: 'iot-acceptance', email: 'iot-acceptance@example.com' }),
  });
  if (token.status !== 200) throw new Error(`No token: ${token.status} ${await token.text()}`);
  idToken = ((await token.json()) as { token: string }).token;
}, 180_000);

afterAll(async () => {
  await closeAllClients();
  iotData?.destroy();
  aws?.destroy();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------------------------------
// 1. The AWS IoT Device SDK v2: IotShadowClient on the classic and on a named shadow
// ---------------------------------------------------------------------------------------------------------------------

type ShadowAnswer = { topic: string; body: Record<string, unknown> & { clientToken?: string } };

/** The SDK's shadow operations for one shadow, classic or named, answers collected in one inbox by topic suffix. */
function sdkShadow(shadow: iotshadow.IotShadowClient, thingName: string, shadowName?: string) {
  const qos = sdkMqtt.QoS.AtLeastOnce;
  const inbox = new Inbox<ShadowAnswer>();
  const collect = (topic: string) => (error: unknown, body: unknown) =>
    inbox.push({ topic, body: (body ?? { error: String(error) }) as ShadowAnswer['body'] });
  const named = { thingName, shadowName: shadowName as string };
  return {
    inbox,
    async subscribe() {
      if (shadowName === undefined) {
        await shadow.subscribeToUpdateShadowAccepted({ thingName }, qos, collect('update/accepted'));
        await shadow.subscribeToUpdateShadowRejected({ thingName }, qos, collect('update/rejected'));
        await shadow.subscribeToShadowDeltaUpdatedEvents({ thingName }, qos, collect('update/delta'));
        await shadow.subscribeToGetShadowAccepted({ thingName }, qos, collect('get/accepted'));
        await shadow.subscribeToGetShadowRejected({ thingName }, qos, collect('get/rejected'));
        await shadow.subscribeToDeleteShadowAccepted({ thingName }, qos, collect('delete/accepted'));
      } else {
        await shadow.subscribeToUpdateNamedShadowAccepted(named, qos, collect('update/accepted'));
        await shadow.subscribeToUpdateNamedShadowRejected(named, qos, collect('update/rejected'));
        await shadow.subscribeToNamedShadowDeltaUpdatedEvents(named, qos, collect('update/delta'));
        await shadow.subscribeToGetNamedShadowAccepted(named, qos, collect('get/accepted'));
        await shadow.subscribeToGetNamedShadowRejected(named, qos, collect('get/rejected'));
        await shadow.subscribeToDeleteNamedShadowAccepted(named, qos, collect('delete/accepted'));
      }
    },
    update(request: { state?: Record<string, unknown>; clientToken: string; version?: number }) {
      return shadowName === undefined
        ? shadow.publishUpdateShadow({ thingName, ...request }, qos)
        : shadow.publishUpdateNamedShadow({ ...named, ...request }, qos);
    },
    get(clientToken: string) {
      return shadowName === undefined
        ? shadow.publishGetShadow({ thingName, clientToken }, qos)
        : shadow.publishGetNamedShadow({ ...named, clientToken }, qos);
    },
    delete(clientToken: string) {
      return shadowName === undefined
        ? shadow.publishDeleteShadow({ thingName, clientToken }, qos)
        : shadow.publishDeleteNamedShadow({ ...named, clientToken }, qos);
    },
    /** The answer on `topic` to the request with `clientToken`. */
    answer(topic: string, clientToken: string) {
      return inbox.take(`${topic} for ${clientToken}`, (a) => a.topic === topic && a.body.clientToken === clientToken);
    },
  };
}

describe.each([
  { shadow: 'the classic shadow', shadowName: undefined },
  { shadow: 'a named shadow', shadowName: 'settings' },
])('the AWS IoT Device SDK v2 IotShadowClient on $shadow', ({ shadowName }) => {
  const thingName = `sdk-${shadowName ?? 'classic'}-${run}`;
  /** The name AWS puts in a 404: the shadow's, or the thing's for the classic shadow. */
  const missingName = shadowName ?? thingName;
  let ops: ReturnType<typeof sdkShadow>;

  beforeAll(async () => {
    const device = await sdkDevice(mqttUrl, thingName);
    ops = sdkShadow(device.shadow, thingName, shadowName);
    await ops.subscribe();
  });

  it('gets the delta of a desired update, reports it, and then get shows no delta; delete, then get is a 404 (Device Shadow service data flow)', async () => {
    // Prepare
    const desired = { reportingIntervalSeconds: 30, enabledSensors: ['temperature', 'humidity'] };

    // Act: the app side desires, the device takes the delta and reports it
    await ops.update({ state: { desired }, clientToken: 'desire-1' });
    const accepted = await ops.answer('update/accepted', 'desire-1');
    const delta = await ops.answer('update/delta', 'desire-1');
    await ops.update({ state: { reported: delta.body.state as Record<string, unknown> }, clientToken: 'report-1' });
    const reportAccepted = await ops.answer('update/accepted', 'report-1');
    await ops.get('get-1');
    const got = await ops.answer('get/accepted', 'get-1');

    // Assess
    expect(accepted.body).toEqual({
      state: { desired },
      metadata: {
        desired: {
          reportingIntervalSeconds: { timestamp: expect.any(Number) },
          enabledSensors: [{ timestamp: expect.any(Number) }, { timestamp: expect.any(Number) }],
        },
      },
      version: 1,
      timestamp: expect.any(Number),
      clientToken: 'desire-1',
    });
    // Shadow timestamps are epoch seconds.
    expect(Math.abs((accepted.body.timestamp as number) - nowSeconds())).toBeLessThanOrEqual(5);
    expect(delta.body).toEqual({
      state: desired,
      metadata: {
        reportingIntervalSeconds: { timestamp: expect.any(Number) },
        enabledSensors: [{ timestamp: expect.any(Number) }, { timestamp: expect.any(Number) }],
      },
      version: 1,
      timestamp: expect.any(Number),
      clientToken: 'desire-1',
    });
    expect(reportAccepted.body).toMatchObject({ state: { reported: desired }, version: 2 });
    expect(got.body).toMatchObject({ state: { desired, reported: desired }, version: 2, clientToken: 'get-1' });
    expect((got.body.state as Record<string, unknown>).delta).toBeUndefined();
    // The report made desired and reported equal: no delta was published for it.
    expect(ops.inbox.filter((a) => a.topic === 'update/delta')).toEqual([]);

    // Act: a nested change, then delete
    await ops.update({
      state: { desired: { localThresholds: { temperature: { max: 40 } } } },
      clientToken: 'desire-2',
    });
    const nestedDelta = await ops.answer('update/delta', 'desire-2');
    await ops.delete('delete-1');
    const deleted = await ops.answer('delete/accepted', 'delete-1');
    await ops.get('get-2');
    const missing = await ops.answer('get/rejected', 'get-2');

    // Assess: the delta holds only the desired keys that differ from reported
    expect(nestedDelta.body).toMatchObject({ state: { localThresholds: { temperature: { max: 40 } } }, version: 3 });
    expect(Object.keys(nestedDelta.body.state as object)).toEqual(['localThresholds']);
    expect(deleted.body).toEqual({ version: 3, timestamp: expect.any(Number), clientToken: 'delete-1' });
    expect(missing.body).toEqual({
      code: 404,
      message: `No shadow exists with name: '${missingName}'`,
      timestamp: expect.any(Number),
      clientToken: 'get-2',
    });
  });

  it.each([
    {
      section: 'Device Shadow error messages: 409 Version conflict',
      request: { state: { reported: { firmwareChannel: 'beta' } }, version: 99 },
      error: { code: 409, message: 'Version conflict' },
    },
    {
      section: 'Device Shadow error messages: 400 Missing required node: state',
      request: {},
      error: { code: 400, message: 'Missing required node: state' },
    },
    {
      section: 'Device Shadow error messages: 400 State contains an invalid node',
      request: { state: { delta: { firmwareChannel: 'beta' } } },
      error: { code: 400, message: 'State contains an invalid node' },
    },
  ])('answers $section on update/rejected with the clientToken', async ({ request, error }) => {
    // Prepare: a shadow at version 1 or more, so that only the request is at fault
    const clientToken = `refused-${error.code}-${Math.random().toString(36).slice(2, 8)}`;
    await ops.update({ state: { desired: { firmwareChannel: 'stable' } }, clientToken: `${clientToken}-setup` });
    await ops.answer('update/accepted', `${clientToken}-setup`);

    // Act
    await ops.update({ ...request, clientToken });
    const rejected = await ops.answer('update/rejected', clientToken);

    // Assess
    expect(rejected.body).toEqual({ ...error, timestamp: expect.any(Number), clientToken });
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// 2. mosquitto_sub / mosquitto_pub and the REST API of the app
// ---------------------------------------------------------------------------------------------------------------------

describe('the AWS IoT Device SDK v2 as the device, the REST API as the app', () => {
  it('receives exactly the delta of PUT /devices/{id}/config, reports it, and GET /config then shows no pending delta', async () => {
    // Prepare
    const deviceId = `sdk-app-${run}`;
    await registerDevice(deviceId);
    const device = await sdkDevice(mqttUrl, deviceId);
    const ops = sdkShadow(device.shadow, deviceId);
    await ops.subscribe();

    // Act: the app changes the configuration over HTTP
    const put = await api(`/devices/${deviceId}/config`, {
      method: 'PUT',
      json: { reportingIntervalSeconds: 20, enabledSensors: ['temperature'] },
    });
    const delta = await ops.inbox.take('the delta', (a) => a.topic === 'update/delta');

    // Assess
    expect(put.status).toBe(200);
    expect(delta.body).toMatchObject({
      state: { reportingIntervalSeconds: 20, enabledSensors: ['temperature'] },
      version: put.body.version,
    });
    expect(Object.keys(delta.body.state as object).sort()).toEqual(['enabledSensors', 'reportingIntervalSeconds']);

    // Act: the device applies it and reports it through the SDK
    await ops.update({ state: { reported: delta.body.state as Record<string, unknown> }, clientToken: 'applied' });
    await ops.answer('update/accepted', 'applied');
    const config = await api(`/devices/${deviceId}/config`);

    // Assess
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({
      desired: { reportingIntervalSeconds: 20, enabledSensors: ['temperature'] },
      reported: { reportingIntervalSeconds: 20, enabledSensors: ['temperature'] },
      delta: {},
    });
    // The report made reported equal to desired: no further delta.
    expect(ops.inbox.filter((a) => a.topic === 'update/delta')).toEqual([]);
  });
});

describe("Debian's mosquitto-clients as the device, the REST API as the app", () => {
  it('delivers the delta of PUT /devices/{id}/config to mosquitto_sub; its report through mosquitto_pub empties the delta', async () => {
    // Prepare
    const deviceId = `mosquitto-${run}`;
    await registerDevice(deviceId, { site: `site-${run}` });
    const device = mosquittoSub(mqttUrl, deviceId, [`$aws/things/${deviceId}/shadow/update/delta`]);
    expect(await device.subscribed).toEqual([1]);

    // Act
    const put = await api(`/devices/${deviceId}/config`, {
      method: 'PUT',
      json: { reportingIntervalSeconds: 15, firmwareChannel: 'beta' },
    });
    const [delta] = await device.messages;

    // Assess
    expect(put.status).toBe(200);
    expect(delta?.topic).toBe(`$aws/things/${deviceId}/shadow/update/delta`);
    const document = JSON.parse(delta?.payload ?? '{}');
    expect(document).toMatchObject({
      state: { reportingIntervalSeconds: 15, firmwareChannel: 'beta' },
      version: put.body.version,
    });

    // Act: the device applies it and reports
    const report = await mosquittoPub(
      mqttUrl,
      deviceId,
      `$aws/things/${deviceId}/shadow/update`,
      JSON.stringify({ state: { reported: document.state } }),
    );
    const config = await eventually('the reported configuration', async () => {
      const answer = await api(`/devices/${deviceId}/config`);
      return (answer.body.reported as Record<string, unknown> | undefined)?.firmwareChannel ? answer : undefined;
    });

    // Assess
    expect(report.code).toBe(0);
    expect(config.status).toBe(200);
    expect(config.body).toMatchObject({
      deviceId,
      desired: { reportingIntervalSeconds: 15, firmwareChannel: 'beta' },
      reported: { reportingIntervalSeconds: 15, firmwareChannel: 'beta' },
      delta: {},
    });
  });

  it('keeps a retained message from mosquitto_pub -r for the next subscriber, flagged retained (Retained messages)', async () => {
    // Prepare
    const topic = topicOf('retained', 'mosquitto');
    const published = await mosquittoPub(mqttUrl, `mosquitto-pub-${run}`, topic, 'kept for later', { retain: true });
    expect(published.code).toBe(0);

    // Act
    const later = mosquittoSub(mqttUrl, `mosquitto-sub-${run}`, [topic]);
    const [message] = await later.messages;
    const viaApi = await iotData.send(new GetRetainedMessageCommand({ topic }));

    // Assess
    expect(message).toEqual({ topic, payload: 'kept for later', qos: 1, retain: true });
    expect(Buffer.from(viaApi.payload ?? []).toString()).toBe('kept for later');
    expect(viaApi.qos).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// 3. The AWS SDK v3: IoTDataPlaneClient and IoTClient
// ---------------------------------------------------------------------------------------------------------------------

describe('the AWS SDK v3 IoTDataPlaneClient', () => {
  const thingName = `data-plane-${run}`;

  it('UpdateThingShadow sends the delta to the device over MQTT; GetThingShadow shows it; named shadows are listed', async () => {
    // Prepare
    const device = await mqttJsDevice(mqttUrl, thingName);
    await device.client.subscribeAsync(
      [`$aws/things/${thingName}/shadow/update/delta`, `$aws/things/${thingName}/shadow/name/+/update/delta`],
      { qos: 1 },
    );

    // Act
    const updated = await iotData.send(
      new UpdateThingShadowCommand({
        thingName,
        payload: Buffer.from(
          JSON.stringify({ state: { desired: { firmwareChannel: 'canary' } }, clientToken: 'api-1' }),
        ),
      }),
    );
    await iotData.send(
      new UpdateThingShadowCommand({
        thingName,
        shadowName: 'firmware',
        payload: Buffer.from(JSON.stringify({ state: { desired: { version: '2.1.0' } } })),
      }),
    );
    const delta = await device.inbox.take('the classic delta', (m) => m.topic.endsWith('/shadow/update/delta'));
    const namedDelta = await device.inbox.take('the named delta', (m) => m.topic.includes('/name/firmware/'));
    const got = decode((await iotData.send(new GetThingShadowCommand({ thingName }))).payload);
    const names = await iotData.send(new ListNamedShadowsForThingCommand({ thingName }));

    // Assess
    expect(decode(updated.payload)).toMatchObject({
      state: { desired: { firmwareChannel: 'canary' } },
      version: 1,
      clientToken: 'api-1',
    });
    expect(delta.json).toMatchObject({ state: { firmwareChannel: 'canary' }, version: 1, clientToken: 'api-1' });
    expect(namedDelta.json).toMatchObject({ state: { version: '2.1.0' }, version: 1 });
    expect(got).toMatchObject({
      state: { desired: { firmwareChannel: 'canary' }, delta: { firmwareChannel: 'canary' } },
      metadata: { desired: { firmwareChannel: { timestamp: expect.any(Number) } } },
      version: 1,
    });
    expect(names.results).toEqual(['firmware']);
  });

  it('Publish reaches an MQTT subscriber with its payload and QoS', async () => {
    // Prepare
    const topic = topicOf('commands', 'from-api');
    const app = await observer('publish', [topic]);

    // Act
    await iotData.send(new PublishCommand({ topic, qos: 1, payload: Buffer.from('{"name":"identify"}') }));
    const received = await app.inbox.take('the published command', (m) => m.topic === topic);

    // Assess
    expect(received.json).toEqual({ name: 'identify' });
    expect(received.packet.qos).toBe(1);
  });

  it.each([
    {
      section: 'Device Shadow error messages: 404 for a shadow that does not exist',
      send: () => iotData.send(new GetThingShadowCommand({ thingName: `nobody-${run}` })),
      error: ResourceNotFoundException,
      message: `No shadow exists with name: 'nobody-${run}'`,
    },
    {
      section: 'Device Shadow error messages: 409 Version conflict',
      send: () =>
        iotData.send(
          new UpdateThingShadowCommand({
            thingName,
            payload: Buffer.from(JSON.stringify({ state: { reported: { firmwareChannel: 'beta' } }, version: 99 })),
          }),
        ),
      error: ConflictException,
      message: 'Version conflict',
    },
    {
      section: 'Device Shadow error messages: 400 Invalid JSON',
      send: () => iotData.send(new UpdateThingShadowCommand({ thingName, payload: Buffer.from('{"state":') })),
      error: InvalidRequestException,
      message: 'Invalid JSON',
    },
    {
      section: 'Device Shadow error messages: 413 over 8 KB of desired and reported',
      send: () =>
        iotData.send(
          new UpdateThingShadowCommand({
            thingName,
            payload: Buffer.from(JSON.stringify({ state: { desired: { blob: 'x'.repeat(9 * 1024) } } })),
          }),
        ),
      error: RequestEntityTooLargeException,
      message: expect.any(String),
    },
    {
      section: 'Publish: a payload over 128 KB',
      send: () => iotData.send(new PublishCommand({ topic: topicOf('big'), payload: Buffer.alloc(129 * 1024, 97) })),
      error: RequestEntityTooLargeException,
      message: expect.any(String),
    },
  ])('raises $error.name: $section', async ({ send, error, message }) => {
    // Act
    const failure = await send().then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(failure).toBeInstanceOf(error);
    expect(failure).toMatchObject({ message });
  });
});

describe('the AWS SDK v3 IoTClient', () => {
  it('lists the thing that POST /devices registered, with its type and attributes, by attribute (ListThings)', async () => {
    // Prepare
    const deviceId = `registered-${run}`;
    const site = `greenhouse-${run}`;
    await registerDevice(deviceId, { site });

    // Act
    const listed = await aws.iot.send(new ListThingsCommand({ attributeName: 'site', attributeValue: site }));

    // Assess
    expect(listed.things).toEqual([
      expect.objectContaining({
        thingName: deviceId,
        thingTypeName: 'iot-device-config-api-local-sensor',
        attributes: { site },
        thingArn: expect.stringMatching(new RegExp(`:thing/${deviceId}$`)),
      }),
    ]);
  });

  it.each([
    {
      rule: 'a republish action with a WHERE clause and a substitution template in its topic',
      sql: `SELECT temperature, topic(3) AS deviceId FROM '${topicOf('+', 'readings')}' WHERE temperature > 30`,
      source: (deviceId: string) => topicOf(deviceId, 'readings'),
      republishTopic: `${topicOf('alerts')}/\${topic(3)}`,
      payloads: [{ temperature: 25 }, { temperature: 35 }],
      expected: (deviceId: string) => ({ topic: topicOf('alerts', deviceId), json: { temperature: 35, deviceId } }),
    },
    {
      rule: 'a republish action to a reserved topic written with $$ (the shadow update of the device)',
      sql: `SELECT state FROM '${topicOf('+', 'state')}'`,
      source: (deviceId: string) => topicOf(deviceId, 'state'),
      republishTopic: '$$aws/things/${topic(3)}/shadow/update',
      payloads: [{ state: { reported: { temperature: 21.5 } } }],
      expected: (deviceId: string) => ({
        topic: `$aws/things/${deviceId}/shadow/update/accepted`,
        json: expect.objectContaining({ state: { reported: { temperature: 21.5 } } }),
      }),
    },
  ])(
    'runs a rule made with CreateTopicRule on an mqtt.js publish: $rule',
    async ({ sql, source, republishTopic, payloads, expected }) => {
      // Prepare
      const ruleName = `acceptance_${run}_${Math.random().toString(36).slice(2, 8)}`;
      const deviceId = `rule-device-${ruleName.slice(-6)}`;
      const want = expected(deviceId);
      await aws.iot.send(
        new CreateTopicRuleCommand({
          ruleName,
          topicRulePayload: {
            sql,
            awsIotSqlVersion: '2016-03-23',
            ruleDisabled: false,
            actions: [
              { republish: { topic: republishTopic, qos: 1, roleArn: 'arn:aws:iam::000000000000:role/republish' } },
            ],
          },
        }),
      );
      const app = await observer(ruleName.slice(-6), [want.topic]);
      const device = await mqttJsDevice(mqttUrl, deviceId);

      // Act
      for (const payload of payloads)
        await device.client.publishAsync(source(deviceId), JSON.stringify(payload), { qos: 1 });
      const received = await app.inbox.take(`the republished message on ${want.topic}`);

      // Assess
      expect({ topic: received.topic, json: received.json }).toEqual(want);
      await sleep(200);
      expect(app.inbox.items).toEqual([]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------------------------
// 4. Telemetry through the deployed ingestion rule to the alerting evaluate function
// ---------------------------------------------------------------------------------------------------------------------

describe('a telemetry publish through the deployed ingestion rule', () => {
  it.each([
    { via: 'devices/{id}/telemetry', topic: (deviceId: string) => `devices/${deviceId}/telemetry` },
    {
      via: 'Basic Ingest ($aws/rules/{rule}/devices/{id}/telemetry)',
      topic: (deviceId: string) =>
        `$aws/rules/${output('ingestion-rules', 'TelemetryRuleName')}/devices/${deviceId}/telemetry`,
    },
  ])('raises the alarm the thresholds call for, published on $via', async ({ topic }) => {
    // Prepare
    const deviceId = `telemetry-${topic('x').startsWith('$') ? 'ingest' : 'plain'}-${run}`;
    await registerDevice(deviceId);
    const thresholds = await api(`/devices/${deviceId}/thresholds`, {
      method: 'PUT',
      json: { rules: [{ metric: 'temperature', comparison: 'above', value: 80 }] },
    });
    expect(thresholds.status).toBe(200);
    const device = await mqttJsDevice(mqttUrl, deviceId);

    // Act
    await device.client.publishAsync(
      topic(deviceId),
      JSON.stringify({ timestamp: Date.now(), metrics: { temperature: 95 }, messageId: `${deviceId}-1`, sequence: 1 }),
      { qos: 1 },
    );
    const alarms = await eventually(
      'the alarm',
      async () => {
        const answer = await api(`/devices/${deviceId}/alarms`);
        const list = answer.body.alarms as { state: string }[] | undefined;
        return list?.length ? list : undefined;
      },
      20_000,
    );

    // Assess
    expect(alarms).toEqual([
      expect.objectContaining({ deviceId, metric: 'temperature', state: 'ALARM', threshold: 80, lastValue: 95 }),
    ]);
  });

  it('delivers a Basic Ingest publish to no subscriber, and the same message on its plain topic to subscribers', async () => {
    // Prepare
    const deviceId = `ingest-only-${run}`;
    const app = await observer('telemetry', ['devices/+/telemetry', '#']);
    const device = await mqttJsDevice(mqttUrl, deviceId);
    const reading = (n: number) => JSON.stringify({ timestamp: Date.now(), metrics: { humidity: n } });
    const ingestTopic = `$aws/rules/${output('ingestion-rules', 'TelemetryRuleName')}/devices/${deviceId}/telemetry`;

    // Act: Basic Ingest first, then the plain topic; the broker handles one client's publishes in order
    await device.client.publishAsync(ingestTopic, reading(1), { qos: 1 });
    await device.client.publishAsync(`devices/${deviceId}/telemetry`, reading(2), { qos: 1 });
    const plain = await app.inbox.take('the plain publish', (m) => m.topic === `devices/${deviceId}/telemetry`);
    await barrier(app, topicOf('ingest', 'barrier'));

    // Assess
    expect(plain.json).toMatchObject({ metrics: { humidity: 2 } });
    expect(app.inbox.filter((m) => m.topic.includes(deviceId) && m.topic !== plain.topic)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------------
// 5. The message broker as AWS documents it
// ---------------------------------------------------------------------------------------------------------------------

describe('the message broker', () => {
  it('serves MQTT over WebSocket at /mqtt on the edge port, to the same subscribers as MQTT over TCP', async () => {
    // Prepare
    const topic = topicOf('websocket');
    const webSocketUrl = cloud.endpoints.mqttWebSocket ?? '';
    const browser = await mqttJsDevice(webSocketUrl, `browser-${run}`);
    await browser.client.subscribeAsync(topic, { qos: 1 });
    const device = await mqttJsDevice(mqttUrl, `ws-peer-${run}`);

    // Act
    await device.client.publishAsync(topic, 'over tcp', { qos: 1 });
    const received = await browser.inbox.take('the message over WebSocket', (m) => m.topic === topic);

    // Assess
    expect(webSocketUrl).toBe(`${cloud.endpoints.edge.replace('http', 'ws')}/mqtt`);
    expect(received.payload.toString()).toBe('over tcp');
  });

  it('keeps QoS 1 messages for a persistent session while the device is away and delivers them on reconnection', async () => {
    // Prepare
    const clientId = `persistent-${run}`;
    const topic = topicOf('persistent', 'commands');
    const first = await mqttJsDevice(mqttUrl, clientId, { clean: false });
    await first.client.subscribeAsync(topic, { qos: 1 });
    await first.client.endAsync();
    const sender = await mqttJsDevice(mqttUrl, `sender-${run}`);

    // Act
    await sender.client.publishAsync(topic, 'while you were away', { qos: 1 });
    const again = await mqttJsDevice(mqttUrl, clientId, { clean: false });
    const queued = await again.inbox.take('the queued message', (m) => m.topic === topic);

    // Assess
    expect(first.connack.sessionPresent).toBe(false);
    expect(again.connack.sessionPresent).toBe(true);
    expect(queued.payload.toString()).toBe('while you were away');
    expect(queued.packet.qos).toBe(1);
  });

  it('gives a retained message to a later subscriber of its topic, flagged retained (Retained messages)', async () => {
    // Prepare
    const topic = topicOf('retained', 'mqtt-js');
    const publisher = await mqttJsDevice(mqttUrl, `retainer-${run}`);
    await publisher.client.publishAsync(topic, 'last known state', { qos: 1, retain: true });

    // Act
    const later = await observer('retained', [topic]);
    const message = await later.inbox.take('the retained message', (m) => m.topic === topic);

    // Assess
    expect(message.payload.toString()).toBe('last known state');
    expect(message.packet.retain).toBe(true);
  });

  it('publishes the last will of a device that vanishes, and not of one that disconnects cleanly', async () => {
    // Prepare
    const willTopic = topicOf('will');
    const app = await observer('will', [willTopic, `$aws/events/presence/disconnected/+`]);
    const will = (name: string) => ({ topic: willTopic, payload: Buffer.from(`${name} is gone`), qos: 1 as const });
    const lost = await mqttJsDevice(mqttUrl, `lost-${run}`, { will: will('lost') });
    const polite = await mqttJsDevice(mqttUrl, `polite-${run}`, { will: will('polite') });

    // Act
    await polite.client.endAsync();
    await app.inbox.take('the clean disconnection', (m) => m.topic.endsWith(`/polite-${run}`));
    lost.client.stream.destroy();
    const message = await app.inbox.take('the last will', (m) => m.topic === willTopic);
    const event = await app.inbox.take('the lost connection', (m) => m.topic.endsWith(`/lost-${run}`));
    await barrier(app, willTopic);

    // Assess
    expect(message.payload.toString()).toBe('lost is gone');
    expect(event.json).toMatchObject({ disconnectReason: 'CONNECTION_LOST', clientInitiatedDisconnect: false });
    expect(app.inbox.filter((m) => m.payload.toString() === 'polite is gone')).toEqual([]);
  });

  it('publishes the documented lifecycle events on $aws/events/presence/{connected,disconnected}/{clientId}', async () => {
    // Prepare
    const clientId = `lifecycle-${run}`;
    const app = await observer('lifecycle', [`$aws/events/presence/+/${clientId}`]);

    // Act
    const device = await mqttJsDevice(mqttUrl, clientId, { clean: false });
    const connected = await app.inbox.take('the connected event', (m) => m.topic.includes('/connected/'));
    await device.client.endAsync();
    const disconnected = await app.inbox.take('the disconnected event', (m) => m.topic.includes('/disconnected/'));

    // Assess
    expect(connected.topic).toBe(`$aws/events/presence/connected/${clientId}`);
    expect(connected.json).toEqual({
      clientId,
      timestamp: expect.any(Number),
      eventType: 'connected',
      sessionIdentifier: expect.any(String),
      principalIdentifier: expect.any(String),
      ipAddress: '127.0.0.1',
      versionNumber: 0,
    });
    // Lifecycle event timestamps are epoch milliseconds.
    expect(Math.abs((connected.json?.timestamp as number) - Date.now())).toBeLessThan(10_000);
    expect(disconnected.json).toEqual({
      clientId,
      timestamp: expect.any(Number),
      eventType: 'disconnected',
      sessionIdentifier: connected.json?.sessionIdentifier,
      principalIdentifier: connected.json?.principalIdentifier,
      clientInitiatedDisconnect: true,
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
      versionNumber: 0,
    });
  });

  it('delivers a 128 KB payload, and disconnects a client that publishes 129 KB without delivering it (CLIENT_ERROR)', async () => {
    // Prepare
    const topic = topicOf('payload-size');
    const clientId = `oversized-${run}`;
    const app = await observer('size', [topic, `$aws/events/presence/disconnected/${clientId}`]);
    const device = await mqttJsDevice(mqttUrl, clientId);

    // Act
    await device.client.publishAsync(topic, Buffer.alloc(128 * 1024, 97), { qos: 1 });
    const fits = await app.inbox.take('the 128 KB message', (m) => m.topic === topic);
    device.client.publish(topic, Buffer.alloc(129 * 1024, 98), { qos: 0 });
    await device.closed;
    const event = await app.inbox.take('the disconnected event', (m) => m.topic.endsWith(clientId));
    await barrier(app, topic);

    // Assess
    expect(fits.payload.length).toBe(128 * 1024);
    expect(event.json).toMatchObject({ disconnectReason: 'CLIENT_ERROR', clientInitiatedDisconnect: false });
    expect(app.inbox.filter((m) => m.topic === topic && m.payload.length > 128 * 1024)).toEqual([]);
    // The local cloud's log says why, as AWS IoT logs do.
    expect(started.warnings).toContainEqual(
      expect.stringMatching(new RegExp(`PAYLOAD_LIMIT_EXCEEDED.*${clientId}|${clientId}.*PAYLOAD_LIMIT_EXCEEDED`)),
    );
  });

  it.each([
    { what: 'a shadow answer topic', topic: () => `$aws/things/reserved-${run}/shadow/update/accepted` },
    { what: 'a lifecycle event topic', topic: () => `$aws/events/presence/connected/impostor-${run}` },
    { what: 'an unknown $aws topic', topic: () => `$aws/anything/${run}` },
  ])('disconnects a device that publishes on $what, a reserved topic, and delivers nothing', async ({ topic }) => {
    // Prepare
    const reserved = topic();
    const sentinel = topicOf('reserved', 'sentinel');
    const subscribable = reserved.startsWith('$aws/anything') ? [] : [reserved];
    const app = await observer(`reserved-${Math.random().toString(36).slice(2, 6)}`, [...subscribable, sentinel]);
    const device = await mqttJsDevice(mqttUrl, `reserved-${run}-${Math.random().toString(36).slice(2, 6)}`);

    // Act
    device.client.publish(reserved, '{"state":{"desired":{"hijacked":true}}}', { qos: 0 });
    await device.closed;
    await barrier(app, sentinel);

    // Assess
    expect(device.client.connected).toBe(false);
    expect(app.inbox.filter((m) => m.topic === reserved)).toEqual([]);
  });
});
