/**
 * GET /devices, POST /devices, GET and DELETE /devices/{deviceId} through their middy stacks, on a real DynamoDB
 * (dynalite) with the tables of serverless.yml and the local cloud's AWS IoT control plane (thing registry) and data
 * plane (Device Shadow service), started in-process: the adapters' real IoT clients reach them at the local edge
 * endpoint, and the tests read the registry and the shadows back.
 *
 * Two answers AWS gives and the local IoT does not are injected at the edge endpoint, in front of the real service: a
 * ThrottlingException of CreateThing (the local control plane never throttles), and DeleteThing refusing a thing whose
 * principals were just detached (AWS detaches asynchronously, the local registry at once).
 */

import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { AwsServiceError } from '@iot/local-cloud';
import type { LocalAws } from '@iot/testing/local-aws';
import { DeviceSchema, DevicesPageSchema, ProblemDetailsSchema, RegisteredDeviceSchema } from '@iot/types';
import { createDeleteDeviceHandler } from '../src/handlers/delete-device';
import { createGetDeviceHandler } from '../src/handlers/get-device';
import { createListDevicesHandler } from '../src/handlers/list-devices';
import { createRegisterDeviceHandler } from '../src/handlers/register-device';
import {
  ALICE,
  adapters,
  BOB,
  bodyOf,
  call,
  DASHBOARD_ORIGIN,
  DEVICE_POLICY,
  deviceRecord,
  fixture,
  request,
  startLocalIot,
  startTables,
  type TestTables,
  type User,
} from './support';

// A registration makes an RSA 2048 key pair, as AWS IoT does: slow on a busy machine.
jest.setTimeout(20_000);

let iot: LocalAws;
const NOW = 1_767_225_600_000;
let tables: TestTables;

beforeAll(async () => {
  tables = await startTables();
});
afterAll(() => tables.dynamo.stop());
beforeEach(async () => {
  iot = await startLocalIot();
  for (const type of ['sensor', 'gateway', 'actuator']) iot.things.createThingType(`iot-test-${type}`);
  await tables.reset();
});
afterEach(() => iot.stop());

const handlers = () => {
  const deps = {
    ...adapters(tables, { now: () => NOW, iotEndpoint: iot.url }),
    thingTypeName: (type: string) => `iot-test-${type}`,
  };
  return {
    list: createListDevicesHandler(deps),
    register: createRegisterDeviceHandler({ ...deps, now: () => NOW }),
    get: createGetDeviceHandler(deps),
    remove: createDeleteDeviceHandler(deps),
  };
};

const putDevice = (...records: ReturnType<typeof deviceRecord>[]) =>
  Promise.all(records.map((Item) => tables.documents.send(new PutCommand({ TableName: tables.names.devices, Item }))));

/** Brings the shadow of a thing to this version, as the device's reports would. */
async function shadowAtVersion(thingName: string, version: number): Promise<void> {
  const report = new TextEncoder().encode(JSON.stringify({ state: { reported: { batteryVoltage: 3.7 } } }));
  for (let n = 1; n <= version; n++) await iot.shadows.updateThingShadow({ thingName }, report);
}

const hasShadow = (thingName: string) =>
  iot.shadows.getThingShadow({ thingName }).then(
    () => true,
    () => false,
  );

const thingNames = () => iot.things.listThings({}).map((thing) => thing.thingName);

/** The CreateThing requests the control plane received. */
const createThingRequests = () => iot.requestsTo('iot', 'POST', /^\/things\/[^/]+$/);

const register = (as: User | undefined, body: unknown, headers: Record<string, string> = {}) =>
  call(handlers().register, request(as, { method: 'POST', resource: '/devices', body, headers }));

describe('POST /devices', () => {
  it('creates the thing with its type and attributes and records the caller as owner (fixture)', async () => {
    // Act
    const response = await call(handlers().register, fixture('register-device'));

    // Assess
    expect(response.statusCode).toBe(201);
    expect(response.headers?.location).toBe('/devices/sensor-1');
    expect(response.headers?.['access-control-allow-origin']).toBe(DASHBOARD_ORIGIN);
    expect(DeviceSchema.parse(bodyOf(response))).toEqual({
      deviceId: 'sensor-1',
      type: 'sensor',
      attributes: { site: 'greenhouse-1', model: 'th-200' },
      thingArn: 'arn:aws:iot:us-east-1:000000000000:thing/sensor-1',
      registeredAt: NOW,
      connectivity: { state: 'unknown' },
    });
    expect(iot.things.describeThing('sensor-1')).toMatchObject({
      thingName: 'sensor-1',
      thingTypeName: 'iot-test-sensor',
      attributes: { site: 'greenhouse-1', model: 'th-200' },
      thingArn: 'arn:aws:iot:us-east-1:000000000000:thing/sensor-1',
    });
    expect(await tables.scan('devices')).toEqual([
      expect.objectContaining({ deviceId: 'sensor-1', ownerId: ALICE.sub, thingArn: expect.any(String) }),
    ]);
  });

  it('answers a retry with the same Idempotency-Key with the first answer but its private key, creating the thing once', async () => {
    // Prepare
    const body = { deviceId: 'sensor-1', type: 'sensor' };
    const first = await register(ALICE, body, { 'Idempotency-Key': 'key-1' });

    // Act
    const retry = await register(ALICE, { type: 'sensor', deviceId: 'sensor-1' }, { 'Idempotency-Key': 'key-1' });

    // Assess
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    const { privateKey, ...keptCertificate } = bodyOf(first).certificate;
    expect(privateKey).toMatch(/BEGIN PRIVATE KEY/);
    expect(bodyOf(retry)).toEqual({ ...bodyOf(first), certificate: keptCertificate });
    expect(JSON.stringify(await tables.scan('idempotency'))).not.toContain('PRIVATE KEY');
    expect(retry.headers?.['idempotent-replayed']).toBe('true');
    expect(retry.headers?.location).toBe('/devices/sensor-1');
    expect(retry.headers?.['access-control-allow-origin']).toBe(DASHBOARD_ORIGIN);
    expect(createThingRequests()).toHaveLength(1);
  });

  it('issues an ACTIVE certificate with the device policy, attached to the thing, and says where to connect', async () => {
    // Act
    const response = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' });

    // Assess
    expect(response.statusCode).toBe(201);
    const device = RegisteredDeviceSchema.parse(bodyOf(response));
    const { certificateArn, certificateId } = device.certificate;
    expect(iot.certificates.find(certificateId)).toMatchObject({ status: 'ACTIVE', certificateArn });
    expect(iot.certificates.find(certificateId)?.certificatePem).toBe(device.certificate.certificatePem);
    expect(iot.things.listThingPrincipals('sensor-1')).toEqual([certificateArn]);
    expect(iot.policies.attachedPolicies(certificateArn).map((p) => p.policyName)).toEqual([DEVICE_POLICY]);
    expect(device.certificate.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(device.mqtt).toEqual({ host: '127.0.0.1', port: 8883, clientId: 'sensor-1' });
    expect(JSON.stringify(await tables.scan('devices'))).not.toContain('PRIVATE KEY');
  });

  it('removes the thing, the certificate and the claim when the certificate cannot be given the device policy', async () => {
    // Prepare: no device policy, so AttachPolicy is refused.
    iot.policies.deletePolicy(DEVICE_POLICY);

    // Act
    const response = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' });

    // Assess
    expect(response.statusCode).toBe(500);
    expect(thingNames()).toEqual([]);
    expect(iot.certificates.list()).toEqual([]);
    expect(await tables.scan('devices')).toEqual([]);
  });

  it('answers 422 to the same Idempotency-Key with a different body, and acts on neither twice', async () => {
    // Prepare
    await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'key-1' });

    // Act
    const response = await register(ALICE, { deviceId: 'sensor-2', type: 'sensor' }, { 'Idempotency-Key': 'key-1' });

    // Assess
    expect(response.statusCode).toBe(422);
    expect(ProblemDetailsSchema.parse(bodyOf(response)).detail).toMatch(/Idempotency-Key/);
    expect(createThingRequests()).toHaveLength(1);
    expect(thingNames()).toEqual(['sensor-1']);
    expect((await tables.scan('devices')).map((d) => d.deviceId)).toEqual(['sensor-1']);
  });

  it('keeps the keys of different users apart', async () => {
    // Prepare
    await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'shared' });

    // Act
    const response = await register(BOB, { deviceId: 'sensor-2', type: 'sensor' }, { 'Idempotency-Key': 'shared' });

    // Assess
    expect(response.statusCode).toBe(201);
    expect(bodyOf(response).deviceId).toBe('sensor-2');
    expect(thingNames().sort()).toEqual(['sensor-1', 'sensor-2']);
  });

  it('lets a key go when the request failed, so that the retry acts', async () => {
    // Prepare: the first CreateThing is throttled (injected: the local control plane never throttles).
    let throttled = false;
    iot.intercept(async (request) => {
      if (throttled || request.service !== 'iot' || request.method !== 'POST') return undefined;
      throttled = true;
      throw new AwsServiceError('ThrottlingException', 'Rate exceeded', 429);
    });
    const failed = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'k' });

    // Act
    const retry = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'k' });

    // Assess
    expect(failed.statusCode).toBe(429);
    expect(failed.headers?.['retry-after']).toBe('1');
    expect(retry.statusCode).toBe(201);
    expect(retry.headers?.['idempotent-replayed']).toBeUndefined();
    expect(createThingRequests()).toHaveLength(2);
    expect(thingNames()).toEqual(['sensor-1']);
  });

  it('answers 409 while the first request with the key is still being processed', async () => {
    // Prepare: CreateThing of the first request reaches the registry only once the retry has been answered.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    iot.intercept(async (request) => {
      if (request.service === 'iot' && request.method === 'POST') await held;
      return undefined;
    });
    const first = register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'k' });
    while (createThingRequests().length === 0) await new Promise((r) => setTimeout(r, 5));

    // Act
    const retry = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'k' });
    release();

    // Assess
    expect(retry.statusCode).toBe(409);
    expect(retry.headers?.['retry-after']).toBe('1');
    expect((await first).statusCode).toBe(201);
    expect(createThingRequests()).toHaveLength(1);
    expect(thingNames()).toEqual(['sensor-1']);
  });

  it('answers 409 for a device id that is already registered, to anyone, and changes nothing', async () => {
    // Prepare
    await putDevice(deviceRecord('sensor-1', ALICE));

    // Act
    const bob = await register(BOB, { deviceId: 'sensor-1', type: 'sensor' });
    const alice = await register(ALICE, { deviceId: 'sensor-1', type: 'gateway' });

    // Assess
    expect([bob.statusCode, alice.statusCode]).toEqual([409, 409]);
    expect(iot.requests).toHaveLength(0);
    expect(thingNames()).toEqual([]);
    expect(await tables.scan('devices')).toEqual([deviceRecord('sensor-1', ALICE)]);
  });

  it('answers 409 when the thing exists in the registry with another type, and withdraws the claim', async () => {
    // Prepare: a thing of that name, made outside this API, of another type.
    iot.things.createThing('sensor-1', { thingTypeName: 'iot-test-gateway' });

    // Act
    const response = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' });

    // Assess
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response).detail).toMatch(/AWS IoT registry/);
    expect(await tables.scan('devices')).toEqual([]);
    expect(iot.things.describeThing('sensor-1').thingTypeName).toBe('iot-test-gateway');
  });

  it('finishes its own registration that stopped after the claim', async () => {
    // Prepare
    await putDevice({ ...deviceRecord('sensor-1', ALICE, { attributes: {} }), thingArn: undefined } as never);

    // Act
    const response = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' });

    // Assess
    expect(response.statusCode).toBe(201);
    expect((await tables.scan('devices'))[0]?.thingArn).toBe('arn:aws:iot:us-east-1:000000000000:thing/sensor-1');
    expect(iot.things.describeThing('sensor-1').thingTypeName).toBe('iot-test-sensor');
  });

  it.each([
    ['an unknown field', { deviceId: 'd1', type: 'sensor', colour: 'red' }, 'body'],
    ['a device id that cannot be a thing name', { deviceId: 'd 1', type: 'sensor' }, 'body.deviceId'],
    ['an unknown type', { deviceId: 'd1', type: 'toaster' }, 'body.type'],
    [
      'an attribute value AWS IoT refuses',
      { deviceId: 'd1', type: 'sensor', attributes: { a: 'x y' } },
      'body.attributes.a',
    ],
    [
      'too many attributes',
      { deviceId: 'd1', type: 'sensor', attributes: Object.fromEntries([...Array(51)].map((_, i) => [`a${i}`, 'v'])) },
      'body.attributes',
    ],
  ])('rejects %s with a 400 naming the field, and changes nothing', async (_, body, path) => {
    // Act
    const response = await register(ALICE, body, { 'Idempotency-Key': 'k' });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(ProblemDetailsSchema.parse(bodyOf(response)).errors?.map((e) => e.path)).toContain(path);
    expect(iot.requests).toHaveLength(0);
    expect(await tables.scan('devices')).toEqual([]);
    expect(await tables.scan('idempotency')).toEqual([]);
  });

  it('rejects a body over 16 KiB with a 413 before reading it', async () => {
    // Act
    const response = await register(ALICE, { deviceId: 'd1', type: 'sensor', attributes: { a: 'x'.repeat(17_000) } });

    // Assess
    expect(response.statusCode).toBe(413);
    expect(bodyOf(response).title).toBe('Content Too Large');
    expect(await tables.scan('devices')).toEqual([]);
  });

  it('rejects a malformed Idempotency-Key', async () => {
    // Act
    const response = await register(ALICE, { deviceId: 'd1', type: 'sensor' }, { 'Idempotency-Key': 'a b' });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors[0].path).toBe('headers.Idempotency-Key');
  });

  it('answers a request without the authorizer claims with a 401 that changes nothing (fixture)', async () => {
    // Act
    const response = await call(handlers().register, fixture('register-device-unauthenticated'));

    // Assess
    expect(response.statusCode).toBe(401);
    expect(response.headers?.['www-authenticate']).toBe('Bearer');
    expect(response.headers?.['access-control-allow-origin']).toBe(DASHBOARD_ORIGIN);
    expect(iot.requests).toHaveLength(0);
    expect(await tables.scan('devices')).toEqual([]);
  });
});

describe('GET /devices', () => {
  it("lists only the caller's devices with connection state, last seen and shadow version (fixture)", async () => {
    // Prepare
    await putDevice(
      deviceRecord('sensor-2', ALICE, {
        connectivity: { state: 'connected', since: NOW + 1000, versionNumber: 1 },
        lastSeenAt: NOW + 1000,
      }),
      deviceRecord('sensor-1', ALICE),
      deviceRecord('sensor-3', BOB),
    );
    await shadowAtVersion('sensor-2', 4);

    // Act
    const response = await call(handlers().list, fixture('list-devices'));

    // Assess
    expect(response.statusCode).toBe(200);
    const page = DevicesPageSchema.parse(bodyOf(response));
    expect(page.items.map((d) => d.deviceId)).toEqual(['sensor-1', 'sensor-2']);
    expect(page.items[0]).toMatchObject({ connectivity: { state: 'unknown' } });
    expect(page.items[0]?.shadowVersion).toBeUndefined();
    expect(page.items[1]).toMatchObject({
      connectivity: { state: 'connected', since: NOW + 1000 },
      lastSeenAt: NOW + 1000,
      shadowVersion: 4,
    });
    expect(page.nextToken).toBeUndefined();
  });

  it('pages through the devices with nextToken', async () => {
    // Prepare
    await putDevice(...['d1', 'd2', 'd3', 'd4', 'd5'].map((id) => deviceRecord(id, ALICE)));
    const list = (query: Record<string, string>) =>
      call(handlers().list, request(ALICE, { method: 'GET', resource: '/devices', query }));

    // Act
    const seen: string[] = [];
    let query: Record<string, string> = { limit: '2' };
    for (let pages = 0; pages < 5; pages++) {
      const page = DevicesPageSchema.parse(bodyOf(await list(query)));
      seen.push(...page.items.map((d) => d.deviceId));
      if (!page.nextToken) break;
      query = { limit: '2', nextToken: page.nextToken };
    }

    // Assess
    expect(seen).toEqual(['d1', 'd2', 'd3', 'd4', 'd5']);
  });

  it.each([
    [{ limit: '0' }, 'query.limit'],
    [{ limit: 'many' }, 'query.limit'],
    [{ nextToken: 'not-a-token' }, 'query.nextToken'],
    [{ owner: 'bob' }, 'query'],
  ])('rejects the query %j with a 400 naming %s', async (query, path) => {
    // Act
    const response = await call(handlers().list, request(ALICE, { method: 'GET', resource: '/devices', query }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});

describe('GET /devices/{deviceId}', () => {
  const get = (as: User | undefined, deviceId: string) =>
    call(handlers().get, request(as, { method: 'GET', resource: '/devices/{deviceId}', pathParameters: { deviceId } }));

  it("answers the caller's device (fixture)", async () => {
    // Prepare
    await putDevice(deviceRecord('sensor-1', ALICE));
    await shadowAtVersion('sensor-1', 2);

    // Act
    const response = await call(handlers().get, fixture('get-device'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(DeviceSchema.parse(bodyOf(response))).toMatchObject({ deviceId: 'sensor-1', shadowVersion: 2 });
  });

  it("answers 403 for another user's device and 404 for one that does not exist", async () => {
    // Prepare
    await putDevice(deviceRecord('sensor-1', ALICE));

    // Act
    const others = await get(BOB, 'sensor-1');
    const missing = await get(ALICE, 'sensor-9');

    // Assess
    expect(others.statusCode).toBe(403);
    expect(ProblemDetailsSchema.parse(bodyOf(others)).title).toBe('Forbidden');
    expect(missing.statusCode).toBe(404);
  });

  it('answers 401 without claims', async () => {
    // Act
    const response = await get(undefined, 'sensor-1');

    // Assess
    expect(response.statusCode).toBe(401);
  });
});

describe('DELETE /devices/{deviceId}', () => {
  const remove = (as: User, deviceId: string) =>
    call(
      handlers().remove,
      request(as, { method: 'DELETE', resource: '/devices/{deviceId}', pathParameters: { deviceId } }),
    );

  it('detaches the principals, deletes the thing and the shadow, then the ownership (fixture)', async () => {
    // Prepare: the thing with a certificate attached, and its shadow. The first DeleteThing is refused as AWS refuses
    // it while the detachment propagates (injected: the local registry detaches at once).
    await putDevice(deviceRecord('sensor-1', ALICE));
    iot.things.createThing('sensor-1', { thingTypeName: 'iot-test-sensor' });
    iot.things.attachThingPrincipal('sensor-1', 'arn:aws:iot:us-east-1:000000000000:cert/abc');
    await shadowAtVersion('sensor-1', 1);
    let refused = false;
    iot.intercept(async (request) => {
      if (refused || request.service !== 'iot' || request.method !== 'DELETE') return undefined;
      if (!/^\/things\/[^/]+$/.test(request.path)) return undefined;
      refused = true;
      throw new AwsServiceError('InvalidRequestException', 'still attached to one or more principals', 400);
    });

    // Act
    const response = await call(handlers().remove, fixture('delete-device'));

    // Assess
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(iot.requestsTo('iot', 'DELETE', /^\/things\/sensor-1$/)).toHaveLength(2);
    expect(thingNames()).toEqual([]);
    // The local registry refuses DeleteThing while a principal is attached: the thing is gone, so it was detached.
    expect(iot.requestsTo('iot', 'DELETE', /^\/things\/sensor-1\/principals$/)).toHaveLength(1);
    expect(await hasShadow('sensor-1')).toBe(false);
    expect(await tables.scan('devices')).toEqual([]);
  });

  it("deactivates and deletes the device's certificate with it", async () => {
    // Prepare
    const registered = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' });
    const { certificateId } = bodyOf(registered).certificate;

    // Act
    const response = await remove(ALICE, 'sensor-1');

    // Assess
    expect(response.statusCode).toBe(204);
    expect(iot.certificates.find(certificateId)).toBeUndefined();
    expect(iot.requestsTo('iot', 'PUT', new RegExp(`^/certificates/${certificateId}$`))).toHaveLength(1);
    expect(thingNames()).toEqual([]);
  });

  it('deletes the ownership even when the thing and shadow are already gone', async () => {
    // Prepare: the device is in the table, but neither its thing nor its shadow exists.
    await putDevice(deviceRecord('sensor-1', ALICE));

    // Act
    const response = await remove(ALICE, 'sensor-1');

    // Assess
    expect(response.statusCode).toBe(204);
    expect(await tables.scan('devices')).toEqual([]);
  });

  it("refuses another user's device with a 403 and deletes nothing", async () => {
    // Prepare
    await putDevice(deviceRecord('sensor-1', ALICE));

    // Act
    const response = await remove(BOB, 'sensor-1');

    // Assess
    expect(response.statusCode).toBe(403);
    expect(iot.requests).toHaveLength(0);
    expect(await tables.scan('devices')).toHaveLength(1);
  });

  it('answers 404 for a device that does not exist', async () => {
    // Act
    const response = await remove(ALICE, 'sensor-9');

    // Assess
    expect(response.statusCode).toBe(404);
    expect(iot.requests).toHaveLength(0);
  });
});
