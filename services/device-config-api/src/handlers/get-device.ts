import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { callerOf, createLogger, json, once, parsePathParameters } from '@iot/lambda-kit';
import { DevicePathSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { IotDataDeviceShadow } from '../adapters/iot-data-device-shadow';
import { loadConfig } from '../config';
import { type DeviceStore, describeDevice, type ShadowReader } from '../domain/devices';
import { type HttpDependencies, httpHandler } from './http';

export interface GetDeviceDependencies extends HttpDependencies {
  devices: DeviceStore;
  shadows: ShadowReader;
}

/** `GET /devices/{deviceId}`: one of the caller's devices. */
export function createGetDeviceHandler(deps: GetDeviceDependencies) {
  return httpHandler(deps, async (event) => {
    const caller = callerOf(event);
    const { deviceId } = parsePathParameters(DevicePathSchema, event);
    return json(200, await describeDevice(deps, caller, deviceId));
  });
}

const built = once(() => {
  const config = loadConfig();
  return createGetDeviceHandler({
    devices: new DynamoDbDeviceStore(createDocumentClient(), config.DEVICES_TABLE_NAME),
    shadows: new IotDataDeviceShadow(new IoTDataPlaneClient({})),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
