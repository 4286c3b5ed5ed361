/**
 * PUT and GET /devices/{deviceId}/config through their middy stacks, on a real DynamoDB (dynalite) holding the
 * devices table.
 *
 * The IoT data plane client (UpdateThingShadow, GetThingShadow) is mocked with aws-sdk-client-mock until the local
 * cloud's Device Shadow service is available to these tests; the acceptance tests on the local cloud replace the mock.
 */
import {
  ConflictException,
  GetThingShadowCommand,
  IoTDataPlaneClient,
  ResourceNotFoundException,
  UpdateThingShadowCommand,
  type UpdateThingShadowCommandInput,
  type UpdateThingShadowCommandOutput,
} from '@aws-sdk/client-iot-data-plane';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DeviceConfigViewSchema, ProblemDetailsSchema, PutDeviceConfigResponseSchema } from '@iot/types';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
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
  startTables,
  type TestTables,
  type User,
} from './support';

const iotData = mockClient(IoTDataPlaneClient);
let tables: TestTables;

beforeAll(async () => {
  tables = await startTables();
});
afterAll(() => tables.dynamo.stop());
beforeEach(async () => {
  iotData.reset();
  await tables.reset();
  await tables.documents.send(
    new PutCommand({ TableName: tables.names.devices, Item: deviceRecord('sensor-1', ALICE) }),
  );
});

const putHandler = () => createPutDeviceConfigHandler(adapters(tables));
const getHandler = () => createGetDeviceConfigHandler(adapters(tables));

function shadowAccepted(desired: unknown, version: number): UpdateThingShadowCommandOutput {
  const body = { state: { desired }, metadata: {}, version, timestamp: 1_767_225_600 };
  return { payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify(body)), $metadata: { httpStatusCode: 200 } };
}

function sentShadowRequest(): { thingName?: string; document: unknown } {
  const input = iotData.commandCalls(UpdateThingShadowCommand)[0]?.args[0].input as UpdateThingShadowCommandInput;
  const payload =
    typeof input.payload === 'string' ? input.payload : Buffer.from(input.payload as Uint8Array).toString();
  return { thingName: input.thingName, document: JSON.parse(payload) };
}

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
    iotData.on(UpdateThingShadowCommand).resolves(shadowAccepted(configuration, 7));

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
    expect(sentShadowRequest()).toEqual({ thingName: 'sensor-1', document: { state: { desired: configuration } } });
  });

  it('sends If-Match as the expected shadow version', async () => {
    // Prepare
    iotData.on(UpdateThingShadowCommand).resolves(shadowAccepted({ reportingIntervalSeconds: 5 }, 4));

    // Act
    const response = await put('sensor-1', { reportingIntervalSeconds: 5 }, { 'If-Match': '"3"' });

    // Assess
    expect(response.statusCode).toBe(200);
    expect(sentShadowRequest().document).toEqual({ state: { desired: { reportingIntervalSeconds: 5 } }, version: 3 });
  });

  it('answers 412 when the shadow is no longer at the If-Match version', async () => {
    // Prepare
    iotData
      .on(UpdateThingShadowCommand)
      .rejects(new ConflictException({ message: 'Version conflict', $metadata: { httpStatusCode: 409 } }));

    // Act
    const response = await put('sensor-1', { reportingIntervalSeconds: 5 }, { 'If-Match': '3' });

    // Assess
    expect(response.statusCode).toBe(412);
    expect(ProblemDetailsSchema.parse(bodyOf(response))).toMatchObject({ status: 412 });
  });

  it("refuses another user's device with a 403 and a device that does not exist with a 404, writing nothing", async () => {
    // Act
    const others = await put('sensor-1', { reportingIntervalSeconds: 5 }, {}, BOB);
    const missing = await put('sensor-9', { reportingIntervalSeconds: 5 });
    const anonymous = await put('sensor-1', { reportingIntervalSeconds: 5 }, {}, null);

    // Assess
    expect([others.statusCode, missing.statusCode, anonymous.statusCode]).toEqual([403, 404, 401]);
    expect(iotData.commandCalls(UpdateThingShadowCommand)).toHaveLength(0);
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
    expect(iotData.commandCalls(UpdateThingShadowCommand)).toHaveLength(0);
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
    expect(iotData.commandCalls(UpdateThingShadowCommand)).toHaveLength(0);
  });

  it('rejects a device id that cannot be a thing name', async () => {
    // Act
    const response = await put('sensor 1/../x', { reportingIntervalSeconds: 5 });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(bodyOf(response).errors[0].path).toBe('path.deviceId');
  });

  it('answers a failure of the shadow service as a 500 that reveals nothing', async () => {
    // Prepare
    iotData.on(UpdateThingShadowCommand).rejects(new Error('socket hang up at 10.0.0.7'));

    // Act
    const response = await put('sensor-1', { reportingIntervalSeconds: 5 });

    // Assess
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('10.0.0.7');
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
        delta: { reportingIntervalSeconds: 30 },
      },
      metadata: {
        desired: {
          reportingIntervalSeconds: { timestamp: 1_767_225_700 },
          firmwareChannel: { timestamp: 1_767_225_650 },
        },
        reported: {
          reportingIntervalSeconds: { timestamp: 1_767_225_600 },
          firmwareChannel: { timestamp: 1_767_225_660 },
        },
      },
      version: 12,
      timestamp: 1_767_225_800,
    };
    iotData
      .on(GetThingShadowCommand, { thingName: 'sensor-1' })
      .resolves({ payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify(shadow)), $metadata: {} });

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
    // Prepare
    iotData.on(GetThingShadowCommand).rejects(new ResourceNotFoundException({ message: 'No shadow', $metadata: {} }));

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
    expect(iotData.calls()).toHaveLength(0);
  });
});
