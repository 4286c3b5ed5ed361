import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DeviceRouteDependencies, deviceRoute, json, once, parseQuery } from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import { GetMetricsQuerySchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbWindowMetricsStore } from '../adapters/dynamodb-window-metrics-store';
import { loadDeviceQueryConfig } from '../config';
import { queryDeviceWindows, type WindowPartsReader } from '../domain/query-window-metrics';
import { mapQueryError, windowQueryOf } from './metrics-query-http';

export interface GetDeviceMetricsDependencies extends DeviceRouteDependencies {
  store: Pick<WindowPartsReader, 'readDeviceParts'>;
  now?: () => number;
}

/** `GET /devices/{deviceId}/metrics?metric&from&to&limit&nextToken`: the device's windows in a time range. */
export function createGetDeviceMetricsHandler({ store, now = Date.now, ...route }: GetDeviceMetricsDependencies) {
  return deviceRoute({ ...route, mapError: mapQueryError }, async (event, { deviceId }) => {
    const query = windowQueryOf(parseQuery(GetMetricsQuerySchema, event), now());
    return json(200, await queryDeviceWindows(store, deviceId, query));
  });
}

const built = once(() => {
  const config = loadDeviceQueryConfig();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createGetDeviceMetricsHandler({
    ...deviceRouteDependencies(documents, config),
    store: new DynamoDbWindowMetricsStore(documents, config.METRICS_TABLE_NAME, config.METRICS_RETENTION_DAYS),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
