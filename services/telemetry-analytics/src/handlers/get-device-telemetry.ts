import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  cors,
  createLogger,
  json,
  type Logger,
  once,
  parsePathParameters,
  parseQuery,
  problemDetails,
} from '@iot/lambda-kit';
import { DevicePathSchema, GetTelemetryQuerySchema, type TelemetryReadings } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbRecentTelemetryStore } from '../adapters/dynamodb-recent-telemetry-store';
import { loadRecentTelemetryQueryConfig } from '../config';
import { type RecentTelemetryStore, recentQueryOf } from '../domain/recent-telemetry';

export interface GetDeviceTelemetryDependencies {
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  store: Pick<RecentTelemetryStore, 'newest'>;
  /** How long readings are kept: nothing older is answered, even before DynamoDB's TTL deletes it. */
  keepMinutes: number;
  logger: Logger;
  now?: () => number;
}

/** `GET /devices/{deviceId}/telemetry?from&limit`: the device's recent raw readings, oldest first. */
export function createGetDeviceTelemetryHandler({
  corsOrigin,
  store,
  keepMinutes,
  logger,
  now = Date.now,
}: GetDeviceTelemetryDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger }))
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const { from, limit } = recentQueryOf(parseQuery(GetTelemetryQuerySchema, event), now(), keepMinutes);
      const body: TelemetryReadings = { deviceId, items: await store.newest(deviceId, from, limit) };
      return json(200, body);
    });
}

const built = once(() => {
  const config = loadRecentTelemetryQueryConfig();
  return createGetDeviceTelemetryHandler({
    store: new DynamoDbRecentTelemetryStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({})),
      config.RECENT_TELEMETRY_TABLE_NAME,
      config.RECENT_TELEMETRY_MINUTES,
    ),
    keepMinutes: config.RECENT_TELEMETRY_MINUTES,
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
