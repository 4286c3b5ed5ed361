/**
 * GET /devices, POST /devices, GET and DELETE /devices/{deviceId} through their middy stacks, on a real DynamoDB
 * (dynalite) with the tables of serverless.yml.
 *
 * The AWS IoT control plane (CreateThing, DeleteThing ...) and data plane (GetThingShadow, DeleteThingShadow) clients
 * are mocked with aws-sdk-client-mock until the local cloud's IoT Core is available to these tests; the acceptance
 * tests on the local cloud replace the mocks.
 */
import {
  CreateThingCommand,
  DeleteThingCommand,
  DetachThingPrincipalCommand,
  InvalidRequestException,
  IoTClient,
  ListThingPrincipalsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-iot';
import {
  DeleteThingShadowCommand,
  GetThingShadowCommand,
  IoTDataPlaneClient,
  ResourceNotFoundException as ShadowNotFoundException,
} from '@aws-sdk/client-iot-data-plane';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DeviceSchema, DevicesPageSchema, ProblemDetailsSchema } from '@iot/types';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
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
  deviceRecord,
  fixture,
  request,
  startTables,
  type TestTables,
  type User,
} from './support';

const iot = mockClient(IoTClient);
const iotData = mockClient(IoTDataPlaneClient);
const NOW = 1_767_225_600_000;
let tables: TestTables;

beforeAll(async () => {
  tables = await startTables();
});
afterAll(() => tables.dynamo.stop());
beforeEach(async () => {
  iot.reset();
  iotData.reset();
  iotData.on(GetThingShadowCommand).rejects(new ShadowNotFoundException({ message: 'No shadow', $metadata: {} }));
  await tables.reset();
});

const handlers = () => {
  const deps = { ...adapters(tables, { now: () => NOW }), thingTypeName: (type: string) => `iot-test-${type}` };
  return {
    list: createListDevicesHandler(deps),
    register: createRegisterDeviceHandler({ ...deps, now: () => NOW }),
    get: createGetDeviceHandler(deps),
    remove: createDeleteDeviceHandler(deps),
  };
};

const putDevice = (...records: ReturnType<typeof deviceRecord>[]) =>
  Promise.all(records.map((Item) => tables.documents.send(new PutCommand({ TableName: tables.names.devices, Item }))));

const shadowWithVersion = (version: number) => ({
  payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify({ state: {}, metadata: {}, version, timestamp: 1 })),
  $metadata: {},
});

const thingCreated = (deviceId: string) => ({
  thingName: deviceId,
  thingArn: `arn:aws:iot:us-east-1:000000000000:thing/${deviceId}`,
  thingId: '7e5d7b2c-0000-4000-8000-000000000001',
  $metadata: {},
});

const register = (as: User | undefined, body: unknown, headers: Record<string, string> = {}) =>
  call(handlers().register, request(as, { method: 'POST', resource: '/devices', body, headers }));

describe('POST /devices', () => {
  it('creates the thing with its type and attributes and records the caller as owner (fixture)', async () => {
    // Prepare
    iot.on(CreateThingCommand).resolves(thingCreated('sensor-1'));

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
    expect(iot.commandCalls(CreateThingCommand)[0]?.args[0].input).toEqual({
      thingName: 'sensor-1',
      thingTypeName: 'iot-test-sensor',
      attributePayload: { attributes: { site: 'greenhouse-1', model: 'th-200' } },
    });
    expect(await tables.scan('devices')).toEqual([
      expect.objectContaining({ deviceId: 'sensor-1', ownerId: ALICE.sub, thingArn: expect.any(String) }),
    ]);
  });

  it('answers a retry with the same Idempotency-Key with the first answer, creating the thing once', async () => {
    // Prepare
    iot.on(CreateThingCommand).resolves(thingCreated('sensor-1'));
    const body = { deviceId: 'sensor-1', type: 'sensor' };
    const first = await register(ALICE, body, { 'Idempotency-Key': 'key-1' });

    // Act
    const retry = await register(ALICE, { type: 'sensor', deviceId: 'sensor-1' }, { 'Idempotency-Key': 'key-1' });

    // Assess
    expect(first.statusCode).toBe(201);
    expect(retry.statusCode).toBe(201);
    expect(retry.body).toBe(first.body);
    expect(retry.headers?.['idempotent-replayed']).toBe('true');
    expect(retry.headers?.location).toBe('/devices/sensor-1');
    expect(retry.headers?.['access-control-allow-origin']).toBe(DASHBOARD_ORIGIN);
    expect(iot.commandCalls(CreateThingCommand)).toHaveLength(1);
  });

  it('answers 422 to the same Idempotency-Key with a different body, and acts on neither twice', async () => {
    // Prepare
    iot.on(CreateThingCommand).resolves(thingCreated('sensor-1'));
    await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'key-1' });

    // Act
    const response = await register(ALICE, { deviceId: 'sensor-2', type: 'sensor' }, { 'Idempotency-Key': 'key-1' });

    // Assess
    expect(response.statusCode).toBe(422);
    expect(ProblemDetailsSchema.parse(bodyOf(response)).detail).toMatch(/Idempotency-Key/);
    expect(iot.commandCalls(CreateThingCommand)).toHaveLength(1);
    expect((await tables.scan('devices')).map((d) => d.deviceId)).toEqual(['sensor-1']);
  });

  it('keeps the keys of different users apart', async () => {
    // Prepare
    iot.on(CreateThingCommand).callsFake(({ thingName }) => thingCreated(thingName));
    await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'shared' });

    // Act
    const response = await register(BOB, { deviceId: 'sensor-2', type: 'sensor' }, { 'Idempotency-Key': 'shared' });

    // Assess
    expect(response.statusCode).toBe(201);
    expect(bodyOf(response).deviceId).toBe('sensor-2');
  });

  it('lets a key go when the request failed, so that the retry acts', async () => {
    // Prepare
    iot
      .on(CreateThingCommand)
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }))
      .resolves(thingCreated('sensor-1'));
    const failed = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'k' });

    // Act
    const retry = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'k' });

    // Assess
    expect(failed.statusCode).toBe(429);
    expect(failed.headers?.['retry-after']).toBe('1');
    expect(retry.statusCode).toBe(201);
    expect(retry.headers?.['idempotent-replayed']).toBeUndefined();
  });

  it('answers 409 while the first request with the key is still being processed', async () => {
    // Prepare: CreateThing of the first request waits until the retry has been answered.
    let release: () => void = () => undefined;
    iot.on(CreateThingCommand).callsFake(async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return thingCreated('sensor-1');
    });
    const first = register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'k' });
    while (iot.commandCalls(CreateThingCommand).length === 0) await new Promise((r) => setTimeout(r, 5));

    // Act
    const retry = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' }, { 'Idempotency-Key': 'k' });
    release();

    // Assess
    expect(retry.statusCode).toBe(409);
    expect(retry.headers?.['retry-after']).toBe('1');
    expect((await first).statusCode).toBe(201);
    expect(iot.commandCalls(CreateThingCommand)).toHaveLength(1);
  });

  it('answers 409 for a device id that is already registered, to anyone, and changes nothing', async () => {
    // Prepare
    await putDevice(deviceRecord('sensor-1', ALICE));

    // Act
    const bob = await register(BOB, { deviceId: 'sensor-1', type: 'sensor' });
    const alice = await register(ALICE, { deviceId: 'sensor-1', type: 'gateway' });

    // Assess
    expect([bob.statusCode, alice.statusCode]).toEqual([409, 409]);
    expect(iot.commandCalls(CreateThingCommand)).toHaveLength(0);
    expect(await tables.scan('devices')).toEqual([deviceRecord('sensor-1', ALICE)]);
  });

  it('answers 409 when the thing exists in the registry with another type, and withdraws the claim', async () => {
    // Prepare
    iot
      .on(CreateThingCommand)
      .rejects(
        new ResourceAlreadyExistsException({ message: 'exists', resourceId: 'x', resourceArn: 'y', $metadata: {} }),
      );

    // Act
    const response = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' });

    // Assess
    expect(response.statusCode).toBe(409);
    expect(bodyOf(response).detail).toMatch(/AWS IoT registry/);
    expect(await tables.scan('devices')).toEqual([]);
  });

  it('finishes its own registration that stopped after the claim', async () => {
    // Prepare
    await putDevice({ ...deviceRecord('sensor-1', ALICE, { attributes: {} }), thingArn: undefined } as never);
    iot.on(CreateThingCommand).resolves(thingCreated('sensor-1'));

    // Act
    const response = await register(ALICE, { deviceId: 'sensor-1', type: 'sensor' });

    // Assess
    expect(response.statusCode).toBe(201);
    expect((await tables.scan('devices'))[0]?.thingArn).toBe('arn:aws:iot:us-east-1:000000000000:thing/sensor-1');
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
    expect(iot.calls()).toHaveLength(0);
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
    expect(iot.calls()).toHaveLength(0);
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
    iotData.on(GetThingShadowCommand, { thingName: 'sensor-2' }).resolves(shadowWithVersion(4));

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
    iotData.on(GetThingShadowCommand).resolves(shadowWithVersion(2));

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
    // Prepare
    await putDevice(deviceRecord('sensor-1', ALICE));
    iot.on(ListThingPrincipalsCommand).resolves({ principals: ['arn:aws:iot:us-east-1:000000000000:cert/abc'] });
    iot
      .on(DeleteThingCommand)
      .rejectsOnce(new InvalidRequestException({ message: 'still attached to one or more principals', $metadata: {} }))
      .resolves({});
    iotData.on(DeleteThingShadowCommand).resolves({ payload: Uint8ArrayBlobAdapter.fromString('{}'), $metadata: {} });

    // Act
    const response = await call(handlers().remove, fixture('delete-device'));

    // Assess
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
    expect(iot.commandCalls(DetachThingPrincipalCommand)[0]?.args[0].input).toEqual({
      thingName: 'sensor-1',
      principal: 'arn:aws:iot:us-east-1:000000000000:cert/abc',
    });
    expect(iot.commandCalls(DeleteThingCommand)).toHaveLength(2);
    expect(iotData.commandCalls(DeleteThingShadowCommand)[0]?.args[0].input).toEqual({ thingName: 'sensor-1' });
    expect(await tables.scan('devices')).toEqual([]);
  });

  it('deletes the ownership even when the thing and shadow are already gone', async () => {
    // Prepare
    await putDevice(deviceRecord('sensor-1', ALICE));
    iot.on(ListThingPrincipalsCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    iotData.on(DeleteThingShadowCommand).rejects(new ShadowNotFoundException({ message: 'gone', $metadata: {} }));

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
    expect(iot.calls()).toHaveLength(0);
    expect(iotData.commandCalls(DeleteThingShadowCommand)).toHaveLength(0);
    expect(await tables.scan('devices')).toHaveLength(1);
  });

  it('answers 404 for a device that does not exist', async () => {
    // Act
    const response = await remove(ALICE, 'sensor-9');

    // Assess
    expect(response.statusCode).toBe(404);
    expect(iot.calls()).toHaveLength(0);
  });
});
