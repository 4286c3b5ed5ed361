import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
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
import { DevicePathSchema, GetTelemetryQuerySchema, type TelemetryReadings } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbRecentTelemetryStore } from '../adapters/dynamodb-recent-telemetry-store';
import { loadRecentTelemetryQueryConfig } from '../config';
import { type RecentTelemetryStore, recentQueryOf } from '../domain/recent-telemetry';

export interface GetDeviceTelemetryDependencies {
  /** Who owns which device: only the owner may read its readings. */
  owners: Pick<DeviceOwners, 'ownershipOf'>;
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
  owners,
  corsOrigin,
  store,
  keepMinutes,
  logger,
  now = Date.now,
}: GetDeviceTelemetryDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger }))
    .use(deviceOwnerOnly(owners))
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const { from, limit } = recentQueryOf(parseQuery(GetTelemetryQuerySchema, event), now(), keepMinutes);
      const body: TelemetryReadings = { deviceId, items: await store.newest(deviceId, from, limit) };
      return json(200, body);
    });
}

const built = once(() => {
  const config = loadRecentTelemetryQueryConfig();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createGetDeviceTelemetryHandler({
    owners: new DynamoDbDeviceOwners(documents, config.DEVICES_TABLE_NAME),
    store: new DynamoDbRecentTelemetryStore(
      documents,
      config.RECENT_TELEMETRY_TABLE_NAME,
      config.RECENT_TELEMETRY_MINUTES,
    ),
    keepMinutes: config.RECENT_TELEMETRY_MINUTES,
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
