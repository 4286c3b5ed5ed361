import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DeviceRouteDependencies, deviceRoute, json, once, parseQuery } from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import { GetTelemetryQuerySchema, type TelemetryReadings } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbRecentTelemetryStore } from '../adapters/dynamodb-recent-telemetry-store';
import { DynamoDbWatchMarkStore } from '../adapters/dynamodb-watch-mark-store';
import { loadRecentTelemetryQueryConfig } from '../config';
import { type RecentTelemetryStore, recentQueryOf, type WatchMarkStore } from '../domain/recent-telemetry';

export interface GetDeviceTelemetryDependencies extends DeviceRouteDependencies {
  store: Pick<RecentTelemetryStore, 'newest'>;
  watchMarks: Pick<WatchMarkStore, 'watch'>;
  /** How long readings are kept: nothing older is answered, even before DynamoDB's TTL deletes it. */
  keepMinutes: number;
  /** How long a read keeps the device's readings recorded (`liveReadingsWatchMinutes`). */
  watchMinutes: number;
  now?: () => number;
}

/**
 * `GET /devices/{deviceId}/telemetry?from&limit`: the device's recent raw readings, oldest first. Reading them marks
 * the device watched for `watchMinutes` (written only once less than half of that is left), which is what makes the
 * stream consumer record its readings; the answer says until when (`watchedUntil`).
 */
export function createGetDeviceTelemetryHandler({
  store,
  watchMarks,
  keepMinutes,
  watchMinutes,
  now = Date.now,
  ...route
}: GetDeviceTelemetryDependencies) {
  return deviceRoute(route, async (event, { deviceId }) => {
    const at = now();
    const { from, limit } = recentQueryOf(parseQuery(GetTelemetryQuerySchema, event), at, keepMinutes);
    const [watchedUntil, items] = await Promise.all([
      watchMarks.watch(deviceId, at, watchMinutes * 60_000),
      store.newest(deviceId, from, limit),
    ]);
    const body: TelemetryReadings = { deviceId, items, watchedUntil };
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
    watchMarks: new DynamoDbWatchMarkStore(documents, config.RECENT_TELEMETRY_TABLE_NAME),
    keepMinutes: config.RECENT_TELEMETRY_MINUTES,
    watchMinutes: config.LIVE_READINGS_WATCH_MINUTES,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
