import { type DeviceRouteDependencies, deviceRoute, json, once, parseQuery } from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import { type AlarmHistoryPage, GetAlarmHistoryQuerySchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbAlarmHistoryStore } from '../adapters/dynamodb-alarm-history-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadApiConfig } from '../config';
import type { AlarmHistoryStore } from '../domain/ports';
import { mapAlertingError } from './http-support';

/** Changes per page when the request gives no `limit`. */
export const DEFAULT_HISTORY_PAGE = 50;

export interface GetDeviceAlarmHistoryDependencies extends DeviceRouteDependencies {
  history: Pick<AlarmHistoryStore, 'listByDevice'>;
}

/**
 * `GET /devices/{deviceId}/alarms/history?from&to&limit&nextToken`: the changes of state of the device's alarms,
 * newest first, between `from` and `to` (milliseconds, inclusive; default: all that are kept).
 */
export function createGetDeviceAlarmHistoryHandler({ history, ...route }: GetDeviceAlarmHistoryDependencies) {
  return deviceRoute({ ...route, mapError: mapAlertingError }, async (event, { deviceId }) => {
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
    ...deviceRouteDependencies(documents, config),
    // Reads only: the retention matters to writers.
    history: new DynamoDbAlarmHistoryStore(documents, config.ALARM_HISTORY_TABLE_NAME, 1),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
