import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DeviceRouteDependencies, deviceRoute, json, once, parseQuery } from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import { GetTelemetryQuerySchema, type TelemetryReadings } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbRecentTelemetryStore } from '../adapters/dynamodb-recent-telemetry-store';
import { loadRecentTelemetryQueryConfig } from '../config';
import { type RecentTelemetryStore, recentQueryOf } from '../domain/recent-telemetry';

export interface GetDeviceTelemetryDependencies extends DeviceRouteDependencies {
  store: Pick<RecentTelemetryStore, 'newest'>;
  /** How long readings are kept: nothing older is answered, even before DynamoDB's TTL deletes it. */
  keepMinutes: number;
  now?: () => number;
}

/** `GET /devices/{deviceId}/telemetry?from&limit`: the device's recent raw readings, oldest first. */
export function createGetDeviceTelemetryHandler({
  store,
  keepMinutes,
  now = Date.now,
  ...route
}: GetDeviceTelemetryDependencies) {
  return deviceRoute(route, async (event, { deviceId }) => {
    const { from, limit } = recentQueryOf(parseQuery(GetTelemetryQuerySchema, event), now(), keepMinutes);
    const body: TelemetryReadings = { deviceId, items: await store.newest(deviceId, from, limit) };
    return json(200, body);
  });
}

const built = once(() => {
  const config = loadRecentTelemetryQueryConfig();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createGetDeviceTelemetryHandler({
    ...deviceRouteDependencies(documents, config),
    store: new DynamoDbRecentTelemetryStore(
      documents,
      config.RECENT_TELEMETRY_TABLE_NAME,
      config.RECENT_TELEMETRY_MINUTES,
    ),
    keepMinutes: config.RECENT_TELEMETRY_MINUTES,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
