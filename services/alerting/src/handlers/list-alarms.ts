import { cors, createLogger, json, type Logger, once, parseQuery, problemDetails } from '@iot/lambda-kit';
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
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  alarms: Pick<AlarmStore, 'listByState'>;
  logger: Logger;
}

/**
 * `GET /alarms?state=ALARM&limit&nextToken`: the fleet's alarms in one state (default `ALARM`), the most recently
 * changed first. A page may hold fewer than `limit` alarms while more follow: go on while there is a `nextToken`.
 */
export function createListAlarmsHandler({ corsOrigin, alarms, logger }: ListAlarmsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger, mapError: mapAlertingError }))
    .handler(async (event) => {
      const { state, limit = DEFAULT_ALARMS_PAGE, nextToken } = parseQuery(ListAlarmsQuerySchema, event);
      const page = await alarms.listByState(state, { limit, ...(nextToken ? { nextToken } : {}) });
      const body: AlarmsPage = { state, ...page };
      return json(200, body);
    });
}

const built = once(() => {
  const config = loadApiConfig();
  return createListAlarmsHandler({
    alarms: new DynamoDbAlarmStore(createDocumentClient(), config.ALARMS_TABLE_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
