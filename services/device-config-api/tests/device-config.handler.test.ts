/**
 * PUT and GET /devices/{deviceId}/config through their middy stacks, on a real DynamoDB (dynalite) holding the
 * devices table and the local cloud's Device Shadow service behind the IoT data plane, started in-process: the
 * adapters' real IoT data plane client reaches it at the local edge endpoint, and the tests read the shadow back with
 * GetThingShadow.
 */
import { GetThingShadowCommand, IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { closedEndpoint, type LocalAws } from '@iot/testing/local-aws';
import { DeviceConfigViewSchema, ProblemDetailsSchema, PutDeviceConfigResponseSchema } from '@iot/types';
import { createGetDeviceConfigHandler } from '../src/handlers/get-device-config';
import { createPutDeviceConfigHandler } from '../src/handlers/put-device-config';
import {
  ALICE,
  adapters,
  BOB,
  bodyOf,
  call,
  deviceRecord,
  fixture,
  request,
  startLocalIot,
  startTables,
  type TestTables,
  type User,
} from './support';

let tables: TestTables;
let iot: LocalAws;
let shadowClient: IoTDataPlaneClient;
/** The Device Shadow service's clock, in epoch milliseconds. */
let clock = 1_767_225_600_000;

beforeAll(async () => {
  tables = await startTables();
});
afterAll(() => tables.dynamo.stop());
beforeEach(async () => {
  clock = 1_767_225_600_000;
  iot = await startLocalIot({ now: () => clock });
  shadowClient = new IoTDataPlaneClient(iot.clientConfig);
  await tables.reset();
  await tables.documents.send(
    new PutCommand({ TableName: tables.names.devices, Item: deviceRecord('sensor-1', ALICE) }),
  );
});
afterEach(async () => {
  shadowClient.destroy();
  await iot.stop();
});

const putHandler = (iotEndpoint = iot.url) => createPutDeviceConfigHandler(adapters(tables, { iotEndpoint }));
const getHandler = () => createGetDeviceConfigHandler(adapters(tables, { iotEndpoint: iot.url }));

/** Brings the shadow of sensor-1 to this version with reported updates, as the device's reports would. */
async function shadowAtVersion(version: number): Promise<void> {
  for (let n = 1; n <= version; n++) {
    await updateShadow('sensor-1', { state: { reported: { reportingIntervalSeconds: 60 } } });
  }
}

function updateShadow(thingName: string, document: unknown) {
  return iot.shadows.updateThingShadow({ thingName }, new TextEncoder().encode(JSON.stringify(document)));
}

interface StoredShadow {
  state: { desired?: Record<string, unknown>; reported?: Record<string, unknown>; delta?: Record<string, unknown> };
  version: number;
}

/** The shadow document as GetThingShadow answers it, or undefined when there is none. */
async function shadowOf(thingName: string): Promise<StoredShadow | undefined> {
  try {
    const answer = await shadowClient.send(new GetThingShadowCommand({ thingName }));
    return JSON.parse(new TextDecoder().decode(answer.payload));
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}

/** The shadow updates the data plane received. */
const shadowUpdates = () => iot.requestsTo('iotdata', 'POST', /^\/things\/[^/]+\/shadow/);

const put = (deviceId: string, body: unknown, headers: Record<string, string> = {}, as: User | null = ALICE) =>
  call(
    putHandler(),
    request(as ?? undefined, {
      method: 'PUT',
      resource: '/devices/{deviceId}/config',
      pathParameters: { deviceId },
      headers,
      body,
    }),
  );

describe('PUT /devices/{deviceId}/config', () => {
  it('writes the configuration to the desired state of the device shadow and returns the new version (fixture)', async () => {
    // Prepare
    const configuration = {
      reportingIntervalSeconds: 30,
      enabledSensors: ['temperature', 'humidity'],
      firmwareChannel: 'stable',
    };
    await shadowAtVersion(6);

    // Act
    const response = await call(putHandler(), fixture('put-device-config'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.etag).toBe('"7"');
    expect(PutDeviceConfigResponseSchema.parse(bodyOf(response))).toEqual({
      deviceId: 'sensor-1',
      version: 7,
      desired: configuration,
      updatedAt: 1_767_225_600_000,
    });
    const shadow = await shadowOf('sensor-1');
    expect(shadow?.version).toBe(7);
    expect(shadow?.state.desired).toEqual(configuration);
    expect(shadow?.state.delta).toEqual(configuration);
  });

  it('sends If-Match as the expected shadow version', async () => {
    // Prepare
    await shadowAtVersion(3);

    // Act
    const response = await put('sensor-1', { reportingIntervalSeconds: 5 }, { 'If-Match': '"3"' });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.etag).toBe('"4"');
    const sent = JSON.parse(shadowUpdates()[0]?.body ?? '{}');
    expect(sent).toEqual({ state: { desired: { reportingIntervalSeconds: 5 } }, version: 3 });
    expect((await shadowOf('sensor-1'))?.state.desired).toEqual({ reportingIntervalSeconds: 5 });
  });

  it('answers 412 when the shadow is no longer at the If-Match version', async () => {
    // Prepare: the device reported twice more since version 3.
    await shadowAtVersion(5);

    // Act
    const response = await put('sensor-1', { reportingIntervalSeconds: 5 }, { 'If-Match': '3' });

    // Assess
    expect(response.statusCode).toBe(412);
    expect(ProblemDetailsSchema.parse(bodyOf(response))).toMatchObject({ status: 412 });
    const shadow = await shadowOf('sensor-1');
    expect(shadow?.version).toBe(5);
    expect(shadow?.state.desired).toBeUndefined();
  });

  it("refuses another user's device with a 403 (whatever the body) and a device that does not exist with a 404, writing nothing", async () => {
    // Act
    const others = await put('sensor-1', { reportingIntervalSeconds: 5 }, {}, BOB);
    const othersBadBody = await put('sensor-1', { reportingIntervalSeconds: 'often' }, { 'If-Match': 'x' }, BOB);
    const missing = await put('sensor-9', { reportingIntervalSeconds: 5 });
    const anonymous = await put('sensor-1', { reportingIntervalSeconds: 5 }, {}, null);

    // Assess
    expect([others.statusCode, othersBadBody.statusCode, missing.statusCode, anonymous.statusCode]).toEqual([
      403, 403, 404, 401,
    ]);
    expect(shadowUpdates()).toHaveLength(0);
    expect(await shadowOf('sensor-1')).toBeUndefined();
  });

  it('rejects the invalid fixture with a 400 naming both fields', async () => {
    // Act
    const response = await call(putHandler(), fixture('put-device-config-invalid'));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors.map((e: { path: string }) => e.path)).toEqual(
      expect.arrayContaining(['body', 'body.reportingIntervalSeconds']),
    );
  });

  it.each([
    ['an unknown field', { reportingIntervalSeconds: 5, colour: 'red' }, 'body'],
    ['a reporting interval of zero', { reportingIntervalSeconds: 0 }, 'body.reportingIntervalSeconds'],
    ['an unknown firmware channel', { firmwareChannel: 'nightly' }, 'body.firmwareChannel'],
    ['no field at all', {}, 'body'],
    ['a repeated sensor', { enabledSensors: ['temperature', 'temperature'] }, 'body.enabledSensors'],
  ])('rejects %s with a 400 naming the field, and writes nothing', async (_, body, path) => {
    // Act
    const response = await put('sensor-1', body);

    // Assess
    expect(response.statusCode).toBe(400);
    const problem = ProblemDetailsSchema.parse(bodyOf(response));
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(problem.errors?.map((e) => e.path)).toContain(path);
    expect(shadowUpdates()).toHaveLength(0);
    expect(await shadowOf('sensor-1')).toBeUndefined();
  });

  it.each([
    ['a body that is not JSON', '{"reportingIntervalSeconds": ', {}, 400, /not valid JSON/],
    ['a body of another media type', 'interval=5', { 'Content-Type': 'text/plain' }, 415, /expected application\/json/],
    ['a malformed If-Match', { reportingIntervalSeconds: 5 }, { 'If-Match': 'yesterday' }, 400, /If-Match/],
    [
      'an oversized body',
      { localThresholds: { temperature: { min: 1 } }, pad: 'x'.repeat(20_000) },
      {},
      413,
      /more than the 16384/,
    ],
  ])('rejects %s with a clear reason', async (_, body, headers, status, reason) => {
    // Act
    const response = await put('sensor-1', body, headers);

    // Assess
    expect(response.statusCode).toBe(status);
    expect(ProblemDetailsSchema.parse(bodyOf(response)).detail).toMatch(reason);
    expect(shadowUpdates()).toHaveLength(0);
    expect(await shadowOf('sensor-1')).toBeUndefined();
  });

  it('rejects a device id that cannot be a thing name', async () => {
    // Act
    const response = await put('sensor 1/../x', { reportingIntervalSeconds: 5 });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors[0].path).toBe('path.deviceId');
  });

  it('answers a failure to reach the shadow service as a 500 that reveals nothing', async () => {
    // Prepare: an IoT data plane endpoint where nothing listens.
    const unreachable = await closedEndpoint();
    const { port } = new URL(unreachable);

    // Act
    const response = await call(
      putHandler(unreachable),
      request(ALICE, {
        method: 'PUT',
        resource: '/devices/{deviceId}/config',
        pathParameters: { deviceId: 'sensor-1' },
        body: { reportingIntervalSeconds: 5 },
      }),
    );

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain(port);
    expect(response.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });
});

describe('GET /devices/{deviceId}/config', () => {
  const get = (as: User, deviceId: string) =>
    call(
      getHandler(),
      request(as, { method: 'GET', resource: '/devices/{deviceId}/config', pathParameters: { deviceId } }),
    );

  it('answers desired, reported, the pending delta, the version and when each side changed (fixture)', async () => {
    // Prepare: the app asked for 30 s and beta; the device applied beta only.
    const shadow = {
      state: {
        desired: { reportingIntervalSeconds: 30, firmwareChannel: 'beta' },
        reported: { reportingIntervalSeconds: 60, firmwareChannel: 'beta', batteryVoltage: 3.7 },
      },
    };
    const at = async (seconds: number, document: unknown) => {
      clock = seconds * 1000;
      await updateShadow('sensor-1', document);
    };
    // Eight battery reports first (versions 1 to 8), then the changes the view is about (versions 9 to 12).
    for (let n = 0; n < 8; n++) await at(1_767_225_500 + n, { state: { reported: { batteryVoltage: 3.7 } } });
    await at(1_767_225_600, { state: { reported: { reportingIntervalSeconds: 60, firmwareChannel: 'stable' } } });
    await at(1_767_225_650, { state: { desired: { firmwareChannel: 'beta' } } });
    await at(1_767_225_660, { state: { reported: { firmwareChannel: 'beta' } } });
    await at(1_767_225_700, { state: { desired: { reportingIntervalSeconds: 30 } } });
    clock = 1_767_225_800_000;

    // Act
    const response = await call(getHandler(), fixture('get-device-config'));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.etag).toBe('"12"');
    expect(DeviceConfigViewSchema.parse(bodyOf(response))).toEqual({
      deviceId: 'sensor-1',
      version: 12,
      desired: shadow.state.desired,
      reported: shadow.state.reported,
      delta: { reportingIntervalSeconds: 30 },
      desiredUpdatedAt: 1_767_225_700_000,
      reportedUpdatedAt: 1_767_225_660_000,
    });
  });

  it('answers empty sections and no version for a device without a shadow', async () => {
    // Act
    const response = await get(ALICE, 'sensor-1');

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.etag).toBeUndefined();
    expect(bodyOf(response)).toEqual({ deviceId: 'sensor-1', desired: {}, reported: {}, delta: {} });
  });

  it("refuses another user's device with a 403 without reading the shadow", async () => {
    // Act
    const response = await get(BOB, 'sensor-1');

    // Assess
    expect(response.statusCode).toBe(403);
    expect(iot.requests).toHaveLength(0);
  });
});
