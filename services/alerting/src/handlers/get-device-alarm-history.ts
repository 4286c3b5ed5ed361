import {
  cors,
  createLogger,
  type DeviceOwners,
  deviceOwnerOnly,
  json,
  type Logger,
  once,
  parsePathParameters,
  parseQuery,
  problemDetails,
} from '@iot/lambda-kit';
import { DynamoDbDeviceOwners } from '@iot/lambda-kit/dynamodb-device-owners';
import { type AlarmHistoryPage, DevicePathSchema, GetAlarmHistoryQuerySchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbAlarmHistoryStore } from '../adapters/dynamodb-alarm-history-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadApiConfig } from '../config';
import type { AlarmHistoryStore } from '../domain/ports';
import { mapAlertingError } from './http-support';

/** Changes per page when the request gives no `limit`. */
export const DEFAULT_HISTORY_PAGE = 50;

export interface GetDeviceAlarmHistoryDependencies {
  /** Who owns which device: only the owner may use the route. */
  owners: Pick<DeviceOwners, 'ownershipOf'>;
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  history: Pick<AlarmHistoryStore, 'listByDevice'>;
  logger: Logger;
}

/**
 * `GET /devices/{deviceId}/alarms/history?from&to&limit&nextToken`: the changes of state of the device's alarms,
 * newest first, between `from` and `to` (milliseconds, inclusive; default: all that are kept).
 */
export function createGetDeviceAlarmHistoryHandler({
  owners,
  corsOrigin,
  history,
  logger,
}: GetDeviceAlarmHistoryDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger, mapError: mapAlertingError }))
    .use(deviceOwnerOnly(owners))
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const { limit = DEFAULT_HISTORY_PAGE, ...query } = parseQuery(GetAlarmHistoryQuerySchema, event);
      const page = await history.listByDevice(deviceId, { ...query, limit });
      const body: AlarmHistoryPage = { deviceId, ...page };
      return json(200, body);
    });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createGetDeviceAlarmHistoryHandler({
    owners: new DynamoDbDeviceOwners(documents, config.DEVICES_TABLE_NAME),
    // Reads only: the retention matters to writers.
    history: new DynamoDbAlarmHistoryStore(documents, config.ALARM_HISTORY_TABLE_NAME, 1),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
