import { IoTClient } from '@aws-sdk/client-iot';
import { callerOf, createLogger, Idempotency, json, once, parseJsonBody } from '@iot/lambda-kit';
import { type DeviceType, RegisterDeviceRequestSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbIdempotencyStore } from '../adapters/dynamodb-idempotency-store';
import { IotThingRegistry } from '../adapters/iot-thing-registry';
import { loadConfig } from '../config';
import { type DeviceStore, registerDevice, type ThingRegistry } from '../domain/devices';
import { type HttpDependencies, httpHandler, MAX_BODY_BYTES } from './http';

export interface RegisterDeviceDependencies extends HttpDependencies {
  devices: DeviceStore;
  things: ThingRegistry;
  idempotency: Idempotency;
  thingTypeName: (type: DeviceType) => string;
  now?: () => number;
}

/** `POST /devices`: registers a device to the caller and creates its AWS IoT thing (honours `Idempotency-Key`). */
export function createRegisterDeviceHandler(deps: RegisterDeviceDependencies) {
  const now = deps.now ?? Date.now;
  return httpHandler(deps, async (event) => {
    const caller = callerOf(event);
    const request = parseJsonBody(RegisterDeviceRequestSchema, event, { maxBytes: MAX_BODY_BYTES });
    return deps.idempotency.run(event, caller.userId, async () => {
      const device = await registerDevice(deps, caller, request, now());
      deps.logger.info('device registered', { deviceId: device.deviceId, type: device.type });
      return json(201, device, { location: `/devices/${device.deviceId}` });
    });
  });
}

const built = once(() => {
  const config = loadConfig();
  const documents = createDocumentClient();
  const logger = createLogger(config.POWERTOOLS_SERVICE_NAME);
  return createRegisterDeviceHandler({
    devices: new DynamoDbDeviceStore(documents, config.DEVICES_TABLE_NAME),
    things: new IotThingRegistry(new IoTClient({})),
    idempotency: new Idempotency({
      store: new DynamoDbIdempotencyStore(documents, config.IDEMPOTENCY_TABLE_NAME),
      onStoreError: (error) => logger.error('idempotency record not kept', { error: error as Error }),
    }),
    thingTypeName: (type) => `${config.THING_TYPE_PREFIX}${type}`,
    logger,
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
