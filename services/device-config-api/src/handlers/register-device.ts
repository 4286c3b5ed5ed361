import { IoTClient } from '@aws-sdk/client-iot';
import { callerOf, createLogger, Idempotency, json, once, parseJsonBody } from '@iot/lambda-kit';
import { type DeviceType, RegisterDeviceRequestSchema } from '@iot/types';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbIdempotencyStore } from '../adapters/dynamodb-idempotency-store';
import { IotDeviceCredentials } from '../adapters/iot-device-credentials';
import { IotThingRegistry } from '../adapters/iot-thing-registry';
import { loadConfig } from '../config';
import { type CredentialsIssuer, type DeviceStore, registerDevice, type ThingRegistry } from '../domain/devices';
import { type HttpDependencies, httpHandler, MAX_BODY_BYTES } from './http';

export interface RegisterDeviceDependencies extends HttpDependencies {
  devices: DeviceStore;
  things: ThingRegistry;
  credentials: CredentialsIssuer;
  idempotency: Idempotency;
  thingTypeName: (type: DeviceType) => string;
  now?: () => number;
}

/**
 * `POST /devices`: registers a device to the caller: its AWS IoT thing, certificate and key pair, and where it connects
 * (honours `Idempotency-Key`; a replayed answer has no private key, which is kept nowhere).
 */
export function createRegisterDeviceHandler(deps: RegisterDeviceDependencies) {
  const now = deps.now ?? Date.now;
  return httpHandler(deps, async (event) => {
    const caller = callerOf(event);
    const request = parseJsonBody(RegisterDeviceRequestSchema, event, { maxBytes: MAX_BODY_BYTES });
    return deps.idempotency.run(
      event,
      caller.userId,
      async () => {
        const device = await registerDevice(deps, caller, request, now());
        deps.logger.info('device registered', {
          deviceId: device.deviceId,
          type: device.type,
          certificateId: device.certificate.certificateId,
        });
        return json(201, device, { location: `/devices/${device.deviceId}` });
      },
      withoutPrivateKey,
    );
  });
}

/** What the idempotency store keeps of the answer: everything but the private key. */
function withoutPrivateKey(response: APIGatewayProxyResult): APIGatewayProxyResult {
  const body = JSON.parse(response.body) as { certificate?: { privateKey?: string } };
  if (body.certificate) delete body.certificate.privateKey;
  return { ...response, body: JSON.stringify(body) };
}

const built = once(() => {
  const config = loadConfig();
  const documents = createDocumentClient();
  const logger = createLogger(config.POWERTOOLS_SERVICE_NAME);
  const iot = new IoTClient({});
  return createRegisterDeviceHandler({
    devices: new DynamoDbDeviceStore(documents, config.DEVICES_TABLE_NAME),
    things: new IotThingRegistry(iot),
    credentials: new IotDeviceCredentials(iot, config.DEVICE_POLICY_NAME),
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
