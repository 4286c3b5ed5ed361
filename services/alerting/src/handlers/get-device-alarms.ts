import {
  cors,
  createLogger,
  type DeviceOwners,
  deviceOwnerOnly,
  json,
  type Logger,
  once,
  parsePathParameters,
  problemDetails,
} from '@iot/lambda-kit';
import { DynamoDbDeviceOwners } from '@iot/lambda-kit/dynamodb-device-owners';
import { DevicePathSchema, type GetAlarmsResponse } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbAlarmStore } from '../adapters/dynamodb-alarm-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadApiConfig } from '../config';
import type { AlarmStore } from '../domain/ports';

export interface GetDeviceAlarmsDependencies {
  /** Who owns which device: only the owner may use the route. */
  owners: Pick<DeviceOwners, 'ownershipOf'>;
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  alarms: Pick<AlarmStore, 'listByDevice'>;
  logger: Logger;
}

/** `GET /devices/{deviceId}/alarms`: the current alarm of each metric of the device that has been evaluated. */
export function createGetDeviceAlarmsHandler({ owners, corsOrigin, alarms, logger }: GetDeviceAlarmsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger }))
    .use(deviceOwnerOnly(owners))
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const body: GetAlarmsResponse = { deviceId, alarms: await alarms.listByDevice(deviceId) };
      return json(200, body);
    });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createGetDeviceAlarmsHandler({
    owners: new DynamoDbDeviceOwners(documents, config.DEVICES_TABLE_NAME),
    alarms: new DynamoDbAlarmStore(documents, config.ALARMS_TABLE_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
