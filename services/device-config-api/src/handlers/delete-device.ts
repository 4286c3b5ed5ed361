import { IoTClient } from '@aws-sdk/client-iot';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { callerOf, createLogger, once, parsePathParameters } from '@iot/lambda-kit';
import { DevicePathSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { IotDataDeviceShadow } from '../adapters/iot-data-device-shadow';
import { IotThingRegistry } from '../adapters/iot-thing-registry';
import { loadConfig } from '../config';
import { type DeviceStore, deregisterDevice, type ShadowReader, type ThingRegistry } from '../domain/devices';
import { type HttpDependencies, httpHandler } from './http';

export interface DeleteDeviceDependencies extends HttpDependencies {
  devices: DeviceStore;
  things: ThingRegistry;
  shadows: ShadowReader;
}

/** `DELETE /devices/{deviceId}`: deregisters one of the caller's devices (thing, shadow and ownership). */
export function createDeleteDeviceHandler(deps: DeleteDeviceDependencies) {
  return httpHandler(deps, async (event) => {
    const caller = callerOf(event);
    const { deviceId } = parsePathParameters(DevicePathSchema, event);
    await deregisterDevice(deps, caller, deviceId);
    deps.logger.info('device deregistered', { deviceId });
    return { statusCode: 204, headers: {}, body: '' };
  });
}

const built = once(() => {
  const config = loadConfig();
  return createDeleteDeviceHandler({
    devices: new DynamoDbDeviceStore(createDocumentClient(), config.DEVICES_TABLE_NAME),
    things: new IotThingRegistry(new IoTClient({})),
    shadows: new IotDataDeviceShadow(new IoTDataPlaneClient({})),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
