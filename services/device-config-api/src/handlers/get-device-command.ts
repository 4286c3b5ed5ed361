import { callerOf, createLogger, json, once, parsePathParameters } from '@iot/lambda-kit';
import { CommandPathSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbCommandStore } from '../adapters/dynamodb-command-store';
import { DynamoDbDeviceStore } from '../adapters/dynamodb-device-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadConfig } from '../config';
import { type CommandStore, getCommand } from '../domain/commands';
import type { DeviceStore } from '../domain/devices';
import { type HttpDependencies, httpHandler } from './http';

export interface GetDeviceCommandDependencies extends HttpDependencies {
  devices: DeviceStore;
  commands: CommandStore;
  now?: () => number;
}

/** `GET /devices/{deviceId}/commands/{commandId}`: a command's status and the device's answer. */
export function createGetDeviceCommandHandler(deps: GetDeviceCommandDependencies) {
  const now = deps.now ?? Date.now;
  return httpHandler(deps, async (event) => {
    const caller = callerOf(event);
    const { deviceId, commandId } = parsePathParameters(CommandPathSchema, event);
    return json(200, await getCommand(deps, caller, deviceId, commandId, now()));
  });
}

const built = once(() => {
  const config = loadConfig();
  const documents = createDocumentClient();
  return createGetDeviceCommandHandler({
    devices: new DynamoDbDeviceStore(documents, config.DEVICES_TABLE_NAME),
    commands: new DynamoDbCommandStore(documents, config.COMMANDS_TABLE_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
