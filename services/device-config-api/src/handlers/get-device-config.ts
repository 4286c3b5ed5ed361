import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { callerOf, createLogger, json, once, parsePathParameters } from '@iot/lambda-kit';
import { DevicePathSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { IotDataDeviceShadow } from '../adapters/iot-data-device-shadow';
import { loadConfig } from '../config';
import { viewDeviceConfig } from '../domain/device-config';
import { type DeviceStore, ownedDevice, type ShadowReader } from '../domain/devices';
import { type HttpDependencies, httpHandler } from './http';

export interface GetDeviceConfigDependencies extends HttpDependencies {
  devices: DeviceStore;
  shadows: ShadowReader;
}

/** `GET /devices/{deviceId}/config`: desired, reported, the pending delta, the version and when each side changed. */
export function createGetDeviceConfigHandler(deps: GetDeviceConfigDependencies) {
  return httpHandler(deps, async (event) => {
    const caller = callerOf(event);
    const { deviceId } = parsePathParameters(DevicePathSchema, event);
    await ownedDevice(deps.devices, caller, deviceId);
    const view = await viewDeviceConfig(deps.shadows, deviceId);
    return json(200, view, view.version === undefined ? {} : { etag: `"${view.version}"` });
  });
}

const built = once(() => {
  const config = loadConfig();
  return createGetDeviceConfigHandler({
    devices: new DynamoDbDeviceStore(createDocumentClient(), config.DEVICES_TABLE_NAME),
    shadows: new IotDataDeviceShadow(new IoTDataPlaneClient({})),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
