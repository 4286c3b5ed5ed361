/**
 * Offline invocation of PUT /devices/{deviceId}/config through its middy stack.
 *
 * The IoT data plane client is mocked (aws-sdk-client-mock) because no local implementation of the Device Shadow
 * service exists yet; the local cloud's shadow service replaces this mock in the acceptance tests.
 */
import {
  ConflictException,
  IoTDataPlaneClient,
  UpdateThingShadowCommand,
  type UpdateThingShadowCommandInput,
  type UpdateThingShadowCommandOutput,
} from '@aws-sdk/client-iot-data-plane';
import { createLogger } from '@iot/lambda-kit';
import { apiGatewayProxyEvent, lambdaContext } from '@iot/testing';
import { ProblemDetailsSchema, PutDeviceConfigResponseSchema } from '@iot/types';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { IotDataDeviceShadow } from '../src/adapters/iot-data-device-shadow';
import { createPutDeviceConfigHandler } from '../src/handlers/put-device-config';

const iotData = mockClient(IoTDataPlaneClient);
const handler = createPutDeviceConfigHandler({
  shadows: new IotDataDeviceShadow(new IoTDataPlaneClient({ region: 'us-east-1' })),
  logger: createLogger('test'),
});

function shadowAccepted(desired: unknown, version: number): UpdateThingShadowCommandOutput {
  const body = { state: { desired }, metadata: {}, version, timestamp: 1_767_225_600 };
  return {
    payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify(body)),
    $metadata: { httpStatusCode: 200 },
  };
}

function sentShadowRequest(): { thingName?: string; document: unknown } {
  const input = iotData.commandCalls(UpdateThingShadowCommand)[0]?.args[0].input as UpdateThingShadowCommandInput;
  const payload =
    typeof input.payload === 'string' ? input.payload : Buffer.from(input.payload as Uint8Array).toString();
  return { thingName: input.thingName, document: JSON.parse(payload) };
}

const put = (deviceId: string, body: unknown, headers: Record<string, string> = {}) =>
  handler(
    apiGatewayProxyEvent({
      method: 'PUT',
      resource: '/devices/{deviceId}/config',
      pathParameters: { deviceId },
      headers,
      body,
    }),
    lambdaContext(),
  );

beforeEach(() => iotData.reset());

describe('PUT /devices/{deviceId}/config', () => {
  it('writes the configuration to the desired state of the device shadow and returns the new version', async () => {
    // Prepare
    const configuration = { reportingIntervalSeconds: 30, firmwareChannel: 'beta' };
    iotData.on(UpdateThingShadowCommand).resolves(shadowAccepted(configuration, 7));

    // Act
    const response = await put('sensor-1', configuration);

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers?.etag).toBe('"7"');
    expect(PutDeviceConfigResponseSchema.parse(JSON.parse(response.body))).toEqual({
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
    expect(ProblemDetailsSchema.parse(JSON.parse(response.body))).toMatchObject({ status: 412 });
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
    const problem = ProblemDetailsSchema.parse(JSON.parse(response.body));
    expect(response.headers?.['content-type']).toBe('application/problem+json');
    expect(problem.errors?.map((e) => e.path)).toContain(path);
    expect(iotData.commandCalls(UpdateThingShadowCommand)).toHaveLength(0);
  });

  it.each([
    ['a body that is not JSON', '{"reportingIntervalSeconds": ', {}, /not valid JSON/],
    ['a body of another media type', 'interval=5', { 'Content-Type': 'text/plain' }, /expected application\/json/],
    ['a malformed If-Match', { reportingIntervalSeconds: 5 }, { 'If-Match': 'yesterday' }, /If-Match/],
  ])('rejects %s with a clear reason', async (_, body, headers, reason) => {
    // Act
    const response = await put('sensor-1', body, headers);

    // Assess
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBeLessThan(500);
    expect(ProblemDetailsSchema.parse(JSON.parse(response.body)).detail).toMatch(reason);
    expect(iotData.commandCalls(UpdateThingShadowCommand)).toHaveLength(0);
  });

  it('rejects a device id that cannot be a thing name', async () => {
    // Act
    const response = await put('sensor 1/../x', { reportingIntervalSeconds: 5 });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body).errors[0].path).toBe('path.deviceId');
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
