import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import {
  callerOf,
  createLogger,
  HttpProblem,
  headerOf,
  json,
  once,
  parseJsonBody,
  parsePathParameters,
} from '@iot/lambda-kit';
import { DevicePathSchema, PutDeviceConfigRequestSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { IotDataDeviceShadow } from '../adapters/iot-data-device-shadow';
import { loadConfig } from '../config';
import { changeDeviceConfiguration, type DeviceShadowPort } from '../domain/device-config';
import { type DeviceStore, ownedDevice } from '../domain/devices';
import { type HttpDependencies, httpHandler, MAX_BODY_BYTES } from './http';

export interface PutDeviceConfigDependencies extends HttpDependencies {
  devices: DeviceStore;
  shadows: DeviceShadowPort;
}

/** `If-Match: <version>` (quoted as an ETag or not); absent means "whatever the current version". */
function expectedVersionOf(event: APIGatewayProxyEvent): number | undefined {
  const header = headerOf(event, 'if-match');
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match) {
    throw new HttpProblem(
      400,
      'Bad Request',
      `If-Match: expected a shadow version number, got ${JSON.stringify(header)}`,
      [{ path: 'headers.If-Match', message: 'must be a shadow version number' }],
    );
  }
  return Number(match[1]);
}

/**
 * `PUT /devices/{deviceId}/config`: validates the configuration and makes it the desired state of the shadow of one
 * of the caller's devices.
 */
export function createPutDeviceConfigHandler(deps: PutDeviceConfigDependencies) {
  return httpHandler(deps, async (event) => {
    const caller = callerOf(event);
    const { deviceId } = parsePathParameters(DevicePathSchema, event);
    await ownedDevice(deps.devices, caller, deviceId);
    const expectedVersion = expectedVersionOf(event);
    const configuration = parseJsonBody(PutDeviceConfigRequestSchema, event, { maxBytes: MAX_BODY_BYTES });
    const result = await changeDeviceConfiguration(deps.shadows, deviceId, configuration, expectedVersion);
    deps.logger.info('configuration desired', {
      deviceId,
      version: result.version,
      fields: Object.keys(configuration),
    });
    return json(200, result, { etag: `"${result.version}"` });
  });
}

const built = once(() => {
  const config = loadConfig();
  return createPutDeviceConfigHandler({
    devices: new DynamoDbDeviceStore(createDocumentClient(), config.DEVICES_TABLE_NAME),
    shadows: new IotDataDeviceShadow(new IoTDataPlaneClient({})),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
