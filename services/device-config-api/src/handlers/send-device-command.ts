import { randomUUID } from 'node:crypto';
import { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { callerOf, createLogger, Idempotency, json, once, parseJsonBody, parsePathParameters } from '@iot/lambda-kit';
import { DevicePathSchema, SendCommandRequestSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbCommandStore } from '../adapters/dynamodb-command-store';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbIdempotencyStore } from '../adapters/dynamodb-idempotency-store';
import { IotDataCommandPublisher } from '../adapters/iot-data-command-publisher';
import { loadConfig } from '../config';
import { type SendCommandDependencies, sendCommand } from '../domain/commands';
import { ownedDevice } from '../domain/devices';
import { type HttpDependencies, httpHandler, MAX_BODY_BYTES } from './http';

export interface SendDeviceCommandDependencies extends HttpDependencies, Omit<SendCommandDependencies, 'newCommandId'> {
  idempotency: Idempotency;
  newCommandId?: () => string;
  now?: () => number;
}

/**
 * `POST /devices/{deviceId}/commands`: publishes a one-off command to one of the caller's devices and answers 202
 * with the command's id; the result is read later (honours `Idempotency-Key`).
 */
export function createSendDeviceCommandHandler(deps: SendDeviceCommandDependencies) {
  const now = deps.now ?? Date.now;
  const newCommandId = deps.newCommandId ?? randomUUID;
  return httpHandler(deps, async (event) => {
    const caller = callerOf(event);
    const { deviceId } = parsePathParameters(DevicePathSchema, event);
    const device = await ownedDevice(deps.devices, caller, deviceId);
    const request = parseJsonBody(SendCommandRequestSchema, event, { maxBytes: MAX_BODY_BYTES });
    return deps.idempotency.run(event, caller.userId, async () => {
      const command = await sendCommand({ ...deps, newCommandId }, caller, device, request, now());
      deps.logger.info('command sent', { deviceId, commandId: command.commandId, name: command.name });
      return json(202, command, { location: `/devices/${deviceId}/commands/${command.commandId}` });
    });
  });
}

const built = once(() => {
  const config = loadConfig();
  const documents = createDocumentClient();
  const logger = createLogger(config.POWERTOOLS_SERVICE_NAME);
  return createSendDeviceCommandHandler({
    devices: new DynamoDbDeviceStore(documents, config.DEVICES_TABLE_NAME),
    commands: new DynamoDbCommandStore(documents, config.COMMANDS_TABLE_NAME),
    publisher: new IotDataCommandPublisher(new IoTDataPlaneClient({})),
    retentionDays: config.COMMAND_RETENTION_DAYS,
    idempotency: new Idempotency({
      store: new DynamoDbIdempotencyStore(documents, config.IDEMPOTENCY_TABLE_NAME),
      onStoreError: (error) => logger.error('idempotency record not kept', { error: error as Error }),
    }),
    logger,
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
