import {
  callerOf,
  cors,
  createLogger,
  type DeviceOwners,
  json,
  type Logger,
  once,
  parseQuery,
  problemDetails,
} from '@iot/lambda-kit';
import { DynamoDbDeviceOwners } from '@iot/lambda-kit/dynamodb-device-owners';
import { type AlarmsPage, ListAlarmsQuerySchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbAlarmStore } from '../adapters/dynamodb-alarm-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadApiConfig } from '../config';
import type { AlarmStore } from '../domain/ports';
import { mapAlertingError } from './http-support';

/** Alarms per page when the request gives no `limit`. */
export const DEFAULT_ALARMS_PAGE = 50;

export interface ListAlarmsDependencies {
  /** Who owns which device: the caller sees the alarms of their own devices only. */
  owners: Pick<DeviceOwners, 'devicesOf'>;
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  alarms: Pick<AlarmStore, 'listByState'>;
  logger: Logger;
}

/**
 * `GET /alarms?state=ALARM&limit&nextToken`: the alarms in one state (default `ALARM`) of the caller's devices, the
 * most recently changed first. A page may hold fewer than `limit` alarms while more follow: go on while there is a
 * `nextToken`. The page is read from the fleet's index and the alarms of other users' devices left out, so one request
 * costs the index page plus one query of the caller's devices (the devices table's `byOwner` index).
 */
export function createListAlarmsHandler({ owners, corsOrigin, alarms, logger }: ListAlarmsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger, mapError: mapAlertingError }))
    .handler(async (event) => {
      const caller = callerOf(event);
      const { state, limit = DEFAULT_ALARMS_PAGE, nextToken } = parseQuery(ListAlarmsQuerySchema, event);
      const [page, mine] = await Promise.all([
        alarms.listByState(state, { limit, ...(nextToken ? { nextToken } : {}) }),
        owners.devicesOf(caller.userId),
      ]);
      const body: AlarmsPage = { state, ...page, items: page.items.filter((alarm) => mine.has(alarm.deviceId)) };
      return json(200, body);
    });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createListAlarmsHandler({
    owners: new DynamoDbDeviceOwners(documents, config.DEVICES_TABLE_NAME),
    alarms: new DynamoDbAlarmStore(documents, config.ALARMS_TABLE_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
