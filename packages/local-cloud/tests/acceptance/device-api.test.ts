/**
 * The device API of the mobile app (iot-device-config-api) end to end on one local cloud, through real clients only:
 * two users signed in with tokens of the local Cognito user pool call the REST API with fetch, a device connects to
 * the broker with mqtt.js under its device id, and the IoT registry and shadows are read with the AWS SDK v3 against
 * the edge endpoint. The tests run in order and build on one another: registration, presence, refused requests
 * (before any configuration or command, so that the device receiving nothing is observable), configuration through
 * the shadow, commands, the API document, CORS, disconnection and deletion.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AttachThingPrincipalCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  ListThingPrincipalsCommand,
  ListThingsCommand,
} from '@aws-sdk/client-iot';
import { GetThingShadowCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { buildOpenApiDocument } from '@iot/types';
import type { LocalCloud } from '../../src/local-cloud';
import {
  ALLOWED_ORIGIN,
  type ApiAnswer,
  type AppUser,
  DASHBOARD_ORIGIN,
  MqttDevice,
  type RestApi,
  restApi,
  signIn,
  until,
} from './device-api-clients';
import { type AwsClients, awsClients, ROOT, type StartedCloud, startCloud } from './local-cloud-fixture';

jest.setTimeout(30_000);

let started: StartedCloud;
let cloud: LocalCloud;
let aws: AwsClients;
let iotData: IoTDataPlaneClient;
let api: RestApi;
let alice: AppUser;
let bob: AppUser;
let device: MqttDevice | undefined;

const run = Date.now().toString(36);
/** Alice's device that connects; her two others page the list; Bob's device. */
const deviceId = `${run}-a1`;
const aliceOthers = [`${run}-a2`, `${run}-a3`];
const bobDevice = `${run}-b1`;
const sensorThingType = 'iot-device-config-api-local-sensor';
const registration = { deviceId, type: 'sensor', attributes: { site: 'greenhouse-1', model: 'th-200' } };

const deltaTopic = `$aws/things/${deviceId}/shadow/update/delta`;
const shadowUpdateTopic = `$aws/things/${deviceId}/shadow/update`;
const commandsTopic = `devices/${deviceId}/commands`;

/** What the registration of Alice's device answered. */
let registered: Record<string, unknown>;
/** The certificate of the first registration, without its private key. */
let registeredCertificate: Record<string, unknown>;
/** When the device connected: its connection time lies after this. */
let connectingAt = 0;
let connectedSince = 0;

type Json = Record<string, unknown>;

/**
 * An RFC 9457 answer of the API with this status and problem type, readable by the dashboard (CORS). A 401 is API
 * Gateway's own (the UNAUTHORIZED gateway response, whose template is `application/json`); the functions answer the
 * others as `application/problem+json`.
 */
function expectProblem(answer: ApiAnswer<unknown>, status: number, type: string) {
  expect({
    status: answer.status,
    contentType: answer.headers.get('content-type'),
    origin: answer.headers.get('access-control-allow-origin'),
  }).toEqual({
    status,
    contentType: status === 401 ? 'application/json' : expect.stringMatching(/^application\/problem\+json/),
    origin: ALLOWED_ORIGIN,
  });
  expect(answer.body).toMatchObject({
    type: `https://iot-backend.dev/problems/${type}`,
    title: expect.any(String),
    status,
  });
}

/** The paths of the fields a 400 names. */
function failingFields(answer: ApiAnswer<unknown>): string[] {
  expectProblem(answer, 400, 'bad-request');
  return ((answer.body as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path);
}

/** The AWS SDK error name a call fails with, or 'none'. */
async function errorOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'none';
  } catch (error) {
    return (error as Error).name;
  }
}

const describeThing = (thingName: string) => aws.iot.send(new DescribeThingCommand({ thingName }));
const shadowOf = (thingName: string) => iotData.send(new GetThingShadowCommand({ thingName }));
const config = (user: AppUser = alice) => api<Json>(`/devices/${deviceId}/config`, { as: user });

beforeAll(async () => {
  started = await startCloud();
  cloud = started.cloud;
  aws = awsClients(cloud.endpoints.edge);
  iotData = new IoTDataPlaneClient({
    endpoint: cloud.endpoints.edge,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  api = restApi(cloud.endpoints.api);
  [alice, bob] = await Promise.all([signIn(cloud.endpoints.edge, 'alice'), signIn(cloud.endpoints.edge, 'bob')]);
}, 180_000);

afterAll(async () => {
  await device?.client.endAsync(true).catch(() => undefined);
  iotData?.destroy();
  aws?.destroy();
  await cloud?.close();
  if (started) await rm(started.dataDir, { recursive: true, force: true });
});

describe('registering devices: POST /devices', () => {
  it('registers a device, its thing and certificate once per Idempotency-Key: a retry replays the answer without the private key, another body is 422', async () => {
    // Prepare
    const key = randomUUID();

    // Act
    const first = await api('/devices', {
      as: alice,
      method: 'POST',
      json: registration,
      headers: { 'idempotency-key': key },
    });
    const thingAfterFirst = await describeThing(deviceId);
    // The same request, its keys in another order and the key as a structured-field string.
    const retry = await api('/devices', {
      as: alice,
      method: 'POST',
      body: JSON.stringify({ attributes: { model: 'th-200', site: 'greenhouse-1' }, type: 'sensor', deviceId }),
      headers: { 'content-type': 'application/json', 'idempotency-key': `"${key}"` },
    });
    const otherId = `${run}-other`;
    const reused = await api('/devices', {
      as: alice,
      method: 'POST',
      json: { deviceId: otherId, type: 'sensor' },
      headers: { 'idempotency-key': key },
    });

    // Assess
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/devices/${deviceId}`);
    expect(first.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    const { certificate, mqtt, ...device } = first.body as Json & { certificate: Json; mqtt: Json };
    expect(device).toEqual({
      ...registration,
      thingArn: thingAfterFirst.thingArn,
      registeredAt: expect.any(Number),
      connectivity: { state: 'unknown' },
    });
    expect(certificate).toEqual({
      certificateId: expect.stringMatching(/^[0-9a-f]{64}$/),
      certificateArn: expect.stringMatching(/:cert\/[0-9a-f]{64}$/),
      certificatePem: expect.stringMatching(/^-----BEGIN CERTIFICATE-----/),
      privateKey: expect.stringMatching(/^-----BEGIN PRIVATE KEY-----/),
      publicKey: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----/),
    });
    expect(`mqtts://${mqtt.host}:${mqtt.port}`).toBe(cloud.endpoints.mqttTls);
    expect(mqtt.clientId).toBe(deviceId);
    registered = device;
    registeredCertificate = certificate;
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.headers.get('location')).toBe(`/devices/${deviceId}`);
    const { privateKey: _returnedOnce, ...keptCertificate } = certificate;
    expect(retry.body).toEqual({ ...first.body, certificate: keptCertificate });
    expect((await describeThing(deviceId)).version).toBe(thingAfterFirst.version);
    expectProblem(reused, 422, 'unprocessable-content');
    expect(await errorOf(describeThing(otherId))).toBe('ResourceNotFoundException');
    expect((await api(`/devices/${otherId}`, { as: alice })).status).toBe(404);
  });

  it('answers 409 to a device id already registered, by its owner or another user, and keeps the device as it was', async () => {
    // Act
    const again = await api('/devices', { as: alice, method: 'POST', json: registration });
    const byBob = await api('/devices', {
      as: bob,
      method: 'POST',
      json: { deviceId, type: 'gateway' },
      headers: { 'idempotency-key': randomUUID() },
    });

    // Assess
    expectProblem(again, 409, 'conflict');
    expectProblem(byBob, 409, 'conflict');
    expect((await api(`/devices/${deviceId}`, { as: alice })).body).toEqual(registered);
    expect((await api(`/devices/${deviceId}`, { as: bob })).status).toBe(403);
    const thing = await describeThing(deviceId);
    expect({ type: thing.thingTypeName, attributes: thing.attributes }).toEqual({
      type: sensorThingType,
      attributes: registration.attributes,
    });
  });

  it('lists only the caller’s devices in GET /devices, by device id, a page at a time', async () => {
    // Prepare
    const answers = await Promise.all([
      api('/devices', { as: alice, method: 'POST', json: { deviceId: aliceOthers[0], type: 'gateway' } }),
      api('/devices', { as: alice, method: 'POST', json: { deviceId: aliceOthers[1], type: 'actuator' } }),
      api('/devices', { as: bob, method: 'POST', json: { deviceId: bobDevice, type: 'sensor' } }),
    ]);
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201]);
    // The list reads an index that follows writes shortly after.
    await until('Alice’s three devices in the index', async () => {
      const all = await api<{ items: Json[] }>('/devices?limit=100', { as: alice });
      return all.body.items.length === 3 ? all : undefined;
    });

    // Act
    const first = await api<{ items: Json[]; nextToken?: string }>('/devices?limit=2', { as: alice });
    const second = await api<{ items: Json[]; nextToken?: string }>(
      `/devices?limit=2&nextToken=${encodeURIComponent(first.body.nextToken ?? '')}`,
      { as: alice },
    );
    const bobs = await until('Bob’s device in the index', async () => {
      const page = await api<{ items: Json[] }>('/devices', { as: bob });
      return page.body.items.length > 0 ? page : undefined;
    });

    // Assess
    expect(first.status).toBe(200);
    expect(first.body.items.map((d) => d.deviceId)).toEqual([deviceId, aliceOthers[0]]);
    expect(first.body.items[0]).toEqual(registered);
    expect(first.body.nextToken).toEqual(expect.any(String));
    expect(second.status).toBe(200);
    expect(second.body.items.map((d) => [d.deviceId, d.type])).toEqual([[aliceOthers[1], 'actuator']]);
    expect(second.body.nextToken).toBeUndefined();
    expect(bobs.body.items.map((d) => d.deviceId)).toEqual([bobDevice]);
  });

  it('creates each device’s thing in the IoT registry, with its thing type and attributes', async () => {
    // Act
    const thing = await describeThing(deviceId);
    const sensors = await aws.iot.send(new ListThingsCommand({ thingTypeName: sensorThingType }));
    const gateways = await aws.iot.send(
      new ListThingsCommand({ thingTypeName: 'iot-device-config-api-local-gateway' }),
    );

    // Assess
    expect(thing).toMatchObject({
      thingName: deviceId,
      thingArn: registered.thingArn,
      thingTypeName: sensorThingType,
      attributes: registration.attributes,
    });
    expect((sensors.things ?? []).map((t) => t.thingName).sort()).toEqual([deviceId, bobDevice].sort());
    expect((gateways.things ?? []).map((t) => t.thingName)).toEqual([aliceOthers[0]]);
  });
});

describe('a device connected with mqtt.js', () => {
  it('shows as connected, since its connection, in GET /devices/{id} and GET /devices (the presence rule)', async () => {
    // Prepare
    connectingAt = Date.now();

    // Act
    device = await MqttDevice.connect(cloud.endpoints.mqtt as string, deviceId);
    await device.subscribe([deltaTopic, commandsTopic]);
    // The function records the connection, then the last seen time: both are awaited.
    const connected = await until('the device shown connected and last seen then', async () => {
      const answer = await api<Json & { connectivity: Json }>(`/devices/${deviceId}`, { as: alice });
      const { state, since } = answer.body.connectivity;
      return state === 'connected' && answer.body.lastSeenAt === since ? answer : undefined;
    });

    // Assess
    connectedSince = connected.body.connectivity.since as number;
    expect(connectedSince).toBeGreaterThanOrEqual(connectingAt);
    expect(connectedSince).toBeLessThanOrEqual(Date.now());
    expect(connected.body).toEqual({
      ...registered,
      connectivity: { state: 'connected', since: connectedSince },
      lastSeenAt: connectedSince,
    });
    const listed = await until('the list showing the connection', async () => {
      const page = await api<{ items: Json[] }>('/devices', { as: alice });
      const item = page.body.items.find((d) => d.deviceId === deviceId);
      return item?.lastSeenAt === connectedSince ? item : undefined;
    });
    expect(listed).toEqual(connected.body);
  });
});

describe('refused requests: the documented problem details, and nothing changes', () => {
  it('401 without a valid ID token: none, not a JWT, expired; nothing is registered, desired or sent', async () => {
    // Prepare
    const expired = await signIn(cloud.endpoints.edge, 'alice', { expiresIn: -60 });
    const newId = `${run}-unauthenticated`;

    // Act
    const answers = [
      await api('/devices'),
      await api('/devices', { as: 'not-a-token' }),
      await api('/devices', { as: expired }),
      await api('/devices', { method: 'POST', json: { deviceId: newId, type: 'sensor' } }),
      await api(`/devices/${deviceId}/config`, { method: 'PUT', json: { reportingIntervalSeconds: 5 } }),
      await api(`/devices/${deviceId}/commands`, { as: expired, method: 'POST', json: { name: 'reboot' } }),
      await api(`/devices/${deviceId}`, { method: 'DELETE' }),
    ];
    const withBearer = await api('/devices', { as: `Bearer ${alice.token}` });

    // Assess
    for (const answer of answers) expectProblem(answer, 401, 'unauthorized');
    expect(withBearer.status).toBe(200);
    expect(await errorOf(describeThing(newId))).toBe('ResourceNotFoundException');
    expect(await errorOf(describeThing(deviceId))).toBe('none');
    expect(await errorOf(shadowOf(deviceId))).toBe('ResourceNotFoundException');
  });

  it('403 on another user’s device, on every route; the owner’s device, thing and shadow stay as they were', async () => {
    // Act
    const answers = [
      await api(`/devices/${deviceId}`, { as: bob }),
      await api(`/devices/${deviceId}/config`, { as: bob }),
      await api(`/devices/${deviceId}/config`, { as: bob, method: 'PUT', json: { reportingIntervalSeconds: 5 } }),
      await api(`/devices/${deviceId}/commands`, {
        as: bob,
        method: 'POST',
        json: { name: 'reboot' },
        headers: { 'idempotency-key': randomUUID() },
      }),
      await api(`/devices/${deviceId}/commands/${randomUUID()}`, { as: bob }),
      await api(`/devices/${deviceId}`, { as: bob, method: 'DELETE' }),
    ];

    // Assess
    for (const answer of answers) expectProblem(answer, 403, 'forbidden');
    expect((await api(`/devices/${deviceId}`, { as: alice })).status).toBe(200);
    expect(await errorOf(describeThing(deviceId))).toBe('none');
    expect(await errorOf(shadowOf(deviceId))).toBe('ResourceNotFoundException');
  });

  it('400 naming each failing field of the body, path, query and headers', async () => {
    // Act
    const register = await api('/devices', {
      as: alice,
      method: 'POST',
      json: { deviceId: 'not a thing name', type: 'toaster', attributes: { site: 'no spaces allowed' } },
    });
    const putConfig = await api(`/devices/${deviceId}/config`, {
      as: alice,
      method: 'PUT',
      json: { reportingIntervalSeconds: 0, firmwareChannel: 'nightly' },
    });
    const emptyConfig = await api(`/devices/${deviceId}/config`, { as: alice, method: 'PUT', json: {} });
    const unknownField = await api(`/devices/${deviceId}/config`, { as: alice, method: 'PUT', json: { volume: 11 } });
    const notJson = await api(`/devices/${deviceId}/config`, {
      as: alice,
      method: 'PUT',
      body: '{"reportingIntervalSeconds":',
      headers: { 'content-type': 'application/json' },
    });
    const command = await api(`/devices/${deviceId}/commands`, {
      as: alice,
      method: 'POST',
      json: { name: 'identify', parameters: { durationSeconds: 1000 } },
    });
    const unknownCommand = await api(`/devices/${deviceId}/commands`, {
      as: alice,
      method: 'POST',
      json: { name: 'selfDestruct' },
    });
    const limit = await api('/devices?limit=0', { as: alice });
    const nextToken = await api('/devices?nextToken=forged', { as: alice });
    const badPath = await api('/devices/dotted.name/config', { as: alice });
    const commandId = await api(`/devices/${deviceId}/commands/not-a-uuid`, { as: alice });
    const key = await api('/devices', {
      as: alice,
      method: 'POST',
      json: { deviceId: `${run}-badkey`, type: 'sensor' },
      headers: { 'idempotency-key': 'k'.repeat(256) },
    });
    const ifMatch = await api(`/devices/${deviceId}/config`, {
      as: alice,
      method: 'PUT',
      json: { reportingIntervalSeconds: 5 },
      headers: { 'if-match': 'yesterday' },
    });

    // Assess
    expect(failingFields(register)).toEqual(
      expect.arrayContaining(['body.deviceId', 'body.type', 'body.attributes.site']),
    );
    expect(failingFields(putConfig)).toEqual(
      expect.arrayContaining(['body.reportingIntervalSeconds', 'body.firmwareChannel']),
    );
    expect(emptyConfig.status).toBe(400);
    expect((emptyConfig.body as Json).detail).toMatch(/at least one/);
    expect(failingFields(unknownField)).toContain('body');
    expect((unknownField.body as Json).detail).toMatch(/Unrecognized key: "volume"/);
    expectProblem(notJson, 400, 'bad-request');
    expect((notJson.body as Json).detail).toMatch(/^body: not valid JSON/);
    expect(failingFields(command)).toEqual(['body.parameters.durationSeconds']);
    expect(failingFields(unknownCommand)).toEqual(['body.name']);
    expect(failingFields(limit)).toEqual(['query.limit']);
    expect(failingFields(nextToken)).toEqual(['query.nextToken']);
    expect(failingFields(badPath)).toEqual(['path.deviceId']);
    expect(failingFields(commandId)).toEqual(['path.commandId']);
    expect(failingFields(key)).toEqual(['headers.Idempotency-Key']);
    expect(failingFields(ifMatch)).toEqual(['headers.If-Match']);
    expect(await errorOf(describeThing(`${run}-badkey`))).toBe('ResourceNotFoundException');
    expect(await errorOf(shadowOf(deviceId))).toBe('ResourceNotFoundException');
  });

  it('413 for a body over 16 KiB, 415 for one that is not JSON, 404 for what does not exist', async () => {
    // Prepare
    const padding = 'x'.repeat(17 * 1024);
    const unknown = `${run}-never-registered`;

    // Act
    const oversized = [
      await api(`/devices/${deviceId}/config`, { as: alice, method: 'PUT', json: { firmwareChannel: padding } }),
      await api('/devices', {
        as: alice,
        method: 'POST',
        json: { deviceId: `${run}-big`, type: 'sensor', attributes: { note: padding } },
      }),
      await api(`/devices/${deviceId}/commands`, {
        as: alice,
        method: 'POST',
        json: { name: 'sampleNow', parameters: { sensors: [padding] } },
      }),
    ];
    const notJson = await api(`/devices/${deviceId}/config`, {
      as: alice,
      method: 'PUT',
      body: 'reportingIntervalSeconds=5',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const missing = [
      await api(`/devices/${unknown}`, { as: alice }),
      await api(`/devices/${unknown}/config`, { as: alice, method: 'PUT', json: { reportingIntervalSeconds: 5 } }),
      await api(`/devices/${unknown}/commands`, { as: alice, method: 'POST', json: { name: 'reboot' } }),
      await api(`/devices/${deviceId}/commands/${randomUUID()}`, { as: alice }),
    ];

    // Assess
    for (const answer of oversized) expectProblem(answer, 413, 'content-too-large');
    expectProblem(notJson, 415, 'unsupported-media-type');
    for (const answer of missing) expectProblem(answer, 404, 'not-found');
    expect(await errorOf(describeThing(`${run}-big`))).toBe('ResourceNotFoundException');
    expect(await errorOf(shadowOf(deviceId))).toBe('ResourceNotFoundException');
    expect(await errorOf(shadowOf(unknown))).toBe('ResourceNotFoundException');
  });

  it('409 with Retry-After to a retry that arrives while the first request with its key is under way', async () => {
    // Prepare
    const key = randomUUID();
    const body = { deviceId: `${run}-b2`, type: 'sensor' };
    const post = () => api('/devices', { as: bob, method: 'POST', json: body, headers: { 'idempotency-key': key } });

    // Act
    const answers = await Promise.all([post(), post(), post()]);
    const later = await post();

    // Assess
    const created = answers.filter((a) => a.status === 201);
    const conflicts = answers.filter((a) => a.status !== 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const answer of created) expect(answer.body).toEqual(created[0]?.body);
    // A replay has everything of the first answer but the private key, which is returned once and kept nowhere.
    const [firstCreated] = created as [(typeof created)[number]];
    const { privateKey, ...kept } = (firstCreated.body as { certificate: Json }).certificate;
    expect(privateKey).toMatch(/BEGIN PRIVATE KEY/);
    for (const answer of conflicts) {
      expectProblem(answer, 409, 'conflict');
      expect(answer.headers.get('retry-after')).toBe('1');
      expect((answer.body as Json).detail).toMatch(/still being processed/);
    }
    expect(later.status).toBe(201);
    expect(later.headers.get('idempotent-replayed')).toBe('true');
    expect(later.body).toEqual({ ...(created[0]?.body as Json), certificate: kept });
    expect((await describeThing(body.deviceId)).version).toBe(1);
  });

  it('left the device without any delta or command', () => {
    // Assess
    expect(device?.received).toEqual([]);
  });
});

describe('configuration through the shadow: PUT and GET /devices/{id}/config', () => {
  const reported = { reportingIntervalSeconds: 60, firmwareChannel: 'stable', enabledSensors: ['temperature'] };
  const change = {
    reportingIntervalSeconds: 30,
    firmwareChannel: 'stable',
    enabledSensors: ['temperature', 'humidity'],
  };
  let putVersion = 0;

  it('delivers exactly the difference from the reported state to the device as a delta', async () => {
    // Prepare: the device reports what it runs with.
    const live = device as MqttDevice;
    await live.publish(shadowUpdateTopic, { state: { reported } });
    await until('the reported state', async () => {
      const view = await config();
      return (view.body.reported as Json | undefined)?.reportingIntervalSeconds === 60 ? view : undefined;
    });

    // Act
    const put = await api<Json>(`/devices/${deviceId}/config`, { as: alice, method: 'PUT', json: change });
    const delta = await live.nth(deltaTopic, 1);

    // Assess
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ deviceId, version: expect.any(Number), desired: change, updatedAt: expect.any(Number) });
    putVersion = put.body.version as number;
    expect(put.headers.get('etag')).toBe(`"${putVersion}"`);
    expect(delta.payload.state).toEqual({ reportingIntervalSeconds: 30, enabledSensors: ['temperature', 'humidity'] });
    expect(delta.payload.version).toBe(putVersion);
    const pending = await config();
    expect(pending.body).toMatchObject({ version: putVersion, desired: change, reported, delta: delta.payload.state });
  });

  it('shows desired, reported and no pending delta once the device reports the change', async () => {
    // Prepare
    const live = device as MqttDevice;
    const delta = (await live.nth(deltaTopic, 1)).payload.state as Json;

    // Act
    await live.publish(shadowUpdateTopic, { state: { reported: delta } });
    const view = await until('the delta to be reported', async () => {
      const answer = await config();
      return Object.keys(answer.body.delta as Json).length === 0 ? answer : undefined;
    });

    // Assess
    expect(view.status).toBe(200);
    expect(view.body).toEqual({
      deviceId,
      version: putVersion + 1,
      desired: change,
      reported: change,
      delta: {},
      desiredUpdatedAt: expect.any(Number),
      reportedUpdatedAt: expect.any(Number),
    });
    expect(view.body.reportedUpdatedAt as number).toBeGreaterThanOrEqual(view.body.desiredUpdatedAt as number);
    expect(view.headers.get('etag')).toBe(`"${putVersion + 1}"`);
    expect(view.headers.get('access-control-expose-headers')).toMatch(/ETag/);
    expect(live.on(deltaTopic)).toHaveLength(1);
    const described = await api<Json>(`/devices/${deviceId}`, { as: alice });
    expect(described.body.shadowVersion).toBe(putVersion + 1);
  });

  it('412 for If-Match with a stale version, which changes nothing; the current version is accepted', async () => {
    // Prepare
    const before = await config();
    const current = before.headers.get('etag') as string;

    // Act
    const stale = await api(`/devices/${deviceId}/config`, {
      as: alice,
      method: 'PUT',
      json: { firmwareChannel: 'canary' },
      headers: { 'if-match': `"${putVersion}"` },
    });
    const after = await config();
    const fresh = await api<Json>(`/devices/${deviceId}/config`, {
      as: alice,
      method: 'PUT',
      json: { firmwareChannel: 'beta' },
      headers: { 'if-match': current },
    });
    const delta = await (device as MqttDevice).nth(deltaTopic, 2);

    // Assess
    expectProblem(stale, 412, 'precondition-failed');
    expect(after.body).toEqual(before.body);
    expect(fresh.status).toBe(200);
    expect(fresh.body.version).toBe(Number(current.replaceAll('"', '')) + 1);
    // Had the stale request acted, its delta (canary) would have come first.
    expect(delta.payload.state).toEqual({ firmwareChannel: 'beta' });
  });
});

describe('commands: POST /devices/{id}/commands and GET /devices/{id}/commands/{commandId}', () => {
  let commandId = '';

  it('publishes the command with QoS 1 to the subscribed device, once per Idempotency-Key', async () => {
    // Prepare
    const key = randomUUID();
    const request = { name: 'identify', parameters: { durationSeconds: 10 }, timeoutSeconds: 30 };
    const live = device as MqttDevice;

    // Act
    const sent = await api<Json>(`/devices/${deviceId}/commands`, {
      as: alice,
      method: 'POST',
      json: request,
      headers: { 'idempotency-key': key },
    });
    const message = await live.nth(commandsTopic, 1);
    const retry = await api<Json>(`/devices/${deviceId}/commands`, {
      as: alice,
      method: 'POST',
      json: request,
      headers: { 'idempotency-key': key },
    });
    // Another command, without a key: the next message the device gets is this one, not a second identify.
    const next = await api<Json>(`/devices/${deviceId}/commands`, {
      as: alice,
      method: 'POST',
      json: { name: 'sampleNow' },
    });
    const nextMessage = await live.nth(commandsTopic, 2);

    // Assess
    expect(sent.status).toBe(202);
    commandId = sent.body.commandId as string;
    expect(sent.headers.get('location')).toBe(`/devices/${deviceId}/commands/${commandId}`);
    expect(sent.body).toEqual({
      commandId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      deviceId,
      name: 'identify',
      parameters: { durationSeconds: 10 },
      status: 'sent',
      requestedAt: expect.any(Number),
      sentAt: sent.body.requestedAt,
      deadline: (sent.body.requestedAt as number) + 30_000,
    });
    expect(message).toEqual({
      topic: commandsTopic,
      qos: 1,
      payload: {
        commandId,
        name: 'identify',
        parameters: { durationSeconds: 10 },
        issuedAt: sent.body.requestedAt,
        deadline: sent.body.deadline,
      },
    });
    expect(retry.status).toBe(202);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body).toEqual(sent.body);
    expect(next.status).toBe(202);
    expect(nextMessage.payload).toMatchObject({ commandId: next.body.commandId, name: 'sampleNow' });
    expect(live.on(commandsTopic)).toHaveLength(2);
  });

  it('records the device’s answer on devices/{id}/commands/{commandId}/result and shows it', async () => {
    // Prepare
    const live = device as MqttDevice;
    const pending = await api<Json>(`/devices/${deviceId}/commands/${commandId}`, { as: alice });

    // Act
    await live.publish(`devices/${deviceId}/commands/${commandId}/result`, {
      status: 'succeeded',
      output: { identified: true },
    });
    const answered = await until('the recorded answer', async () => {
      const answer = await api<Json>(`/devices/${deviceId}/commands/${commandId}`, { as: alice });
      return answer.body.status === 'sent' ? undefined : answer;
    });

    // Assess
    expect(pending.status).toBe(200);
    expect(pending.body.status).toBe('sent');
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({
      ...pending.body,
      status: 'succeeded',
      completedAt: expect.any(Number),
      result: { output: { identified: true } },
    });
    const seen = await until('last seen at the answer', async () => {
      const answer = await api<Json>(`/devices/${deviceId}`, { as: alice });
      return answer.body.lastSeenAt === answered.body.completedAt ? answer : undefined;
    });
    expect(seen.body.lastSeenAt).toBeGreaterThan(connectedSince);
    expect((await api(`/devices/${deviceId}/commands/${commandId}`, { as: bob })).status).toBe(403);
  });
});

describe('the API document and the browser', () => {
  it('answers GET /openapi.json without a token: the OpenAPI 3.1 document generated from the shared schemas', async () => {
    // Act
    const answer = await api<Json & { paths: Json; servers: { url: string }[] }>('/openapi.json');
    const validation = spawnSync(
      process.execPath,
      [join(ROOT, 'services/device-config-api/tests/validate-openapi.mjs')],
      {
        input: answer.text,
        encoding: 'utf8',
        timeout: 20_000,
      },
    );

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    const { servers, ...document } = answer.body;
    expect(servers).toEqual([{ url: cloud.endpoints.api }]);
    expect(document).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    expect(Object.keys(answer.body.paths)).toEqual(
      expect.arrayContaining([
        '/devices',
        '/devices/{deviceId}',
        '/devices/{deviceId}/config',
        '/devices/{deviceId}/commands',
        '/devices/{deviceId}/commands/{commandId}',
        '/openapi.json',
      ]),
    );
    expect(JSON.parse(validation.stdout || '{}')).toEqual({ valid: true, openapi: answer.body.openapi });
  });

  it('answers the CORS preflight of the dashboard’s origin, without a token', async () => {
    // Act
    const preflight = (path: string, method: string, headers: string) =>
      fetch(`${cloud.endpoints.api}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: DASHBOARD_ORIGIN,
          'access-control-request-method': method,
          'access-control-request-headers': headers,
        },
      });
    const devices = await preflight('/devices', 'POST', 'authorization,content-type,idempotency-key');
    const configuration = await preflight(`/devices/${deviceId}/config`, 'PUT', 'authorization,content-type,if-match');
    const commands = await preflight(`/devices/${deviceId}/commands`, 'POST', 'authorization,idempotency-key');

    // Assess
    for (const [answer, method] of [
      [devices, 'POST'],
      [configuration, 'PUT'],
      [commands, 'POST'],
    ] as const) {
      expect(answer.status).toBe(200);
      expect(answer.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
      expect(answer.headers.get('access-control-allow-methods')?.split(',')).toContain(method);
      const allowed = (answer.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
      expect(allowed).toEqual(expect.arrayContaining(['content-type', 'authorization', 'idempotency-key', 'if-match']));
    }
  });
});

describe('disconnecting and deleting', () => {
  it('shows the device disconnected, with AWS’s reason, once it disconnects', async () => {
    // Act
    await (device as MqttDevice).end();
    const disconnected = await until('the device shown disconnected and last seen then', async () => {
      const answer = await api<Json & { connectivity: Json }>(`/devices/${deviceId}`, { as: alice });
      const { state, since } = answer.body.connectivity;
      return state === 'disconnected' && answer.body.lastSeenAt === since ? answer : undefined;
    });

    // Assess
    const { connectivity } = disconnected.body;
    expect(connectivity).toEqual({
      state: 'disconnected',
      since: expect.any(Number),
      disconnectReason: 'CLIENT_INITIATED_DISCONNECT',
    });
    expect(connectivity.since as number).toBeGreaterThanOrEqual(connectedSince);
    expect(disconnected.body.lastSeenAt).toBe(connectivity.since);
  });

  it('DELETE /devices/{id} detaches the principals, retires the certificate, removes the device, its thing and its shadow; the id is free', async () => {
    // Prepare: the certificate POST /devices issued, and one more principal attached by hand.
    const issued = (registeredCertificate as { certificateArn: string; certificateId: string }).certificateArn;
    const certificate = 'arn:aws:iot:us-east-1:000000000000:cert/5f0c1e2d3b4a59687766554433221100';
    await aws.iot.send(new AttachThingPrincipalCommand({ thingName: deviceId, principal: certificate }));
    expect((await aws.iot.send(new ListThingPrincipalsCommand({ thingName: deviceId }))).principals).toEqual([
      issued,
      certificate,
    ]);

    // Act
    const deleted = await api(`/devices/${deviceId}`, { as: alice, method: 'DELETE' });
    const again = await api(`/devices/${deviceId}`, { as: alice, method: 'DELETE' });

    // Assess
    expect(deleted.status).toBe(204);
    expect(deleted.text).toBe('');
    expect(deleted.headers.get('access-control-allow-origin')).toBe(ALLOWED_ORIGIN);
    expectProblem(again, 404, 'not-found');
    expectProblem(await api(`/devices/${deviceId}`, { as: alice }), 404, 'not-found');
    expect(await errorOf(describeThing(deviceId))).toBe('ResourceNotFoundException');
    expect(await errorOf(shadowOf(deviceId))).toBe('ResourceNotFoundException');
    expect(
      await errorOf(
        aws.iot.send(
          new DescribeCertificateCommand({
            certificateId: (registeredCertificate as { certificateId: string }).certificateId,
          }),
        ),
      ),
    ).toBe('ResourceNotFoundException');
    await until('the list without the device', async () => {
      const page = await api<{ items: Json[] }>('/devices', { as: alice });
      return page.body.items.some((d) => d.deviceId === deviceId) ? undefined : page;
    });
    const sensors = await aws.iot.send(new ListThingsCommand({ thingTypeName: sensorThingType }));
    expect((sensors.things ?? []).map((t) => t.thingName)).not.toContain(deviceId);
    // Whoever registers the id next starts from nothing.
    const byBob = await api(`/devices`, { as: bob, method: 'POST', json: { deviceId, type: 'actuator' } });
    expect(byBob.status).toBe(201);
    expect((await config(bob)).body).toEqual({ deviceId, desired: {}, reported: {}, delta: {} });
  });
});
