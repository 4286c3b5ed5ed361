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
import { DevicePathSchema, GetMetricsQuerySchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbWindowMetricsStore } from '../adapters/dynamodb-window-metrics-store';
import { loadDeviceQueryConfig } from '../config';
import { queryDeviceWindows, type WindowPartsReader } from '../domain/query-window-metrics';
import { mapQueryError, windowQueryOf } from './metrics-query-http';

export interface GetDeviceMetricsDependencies {
  /** Who owns which device: only the owner may read its metrics. */
  owners: Pick<DeviceOwners, 'ownershipOf'>;
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  store: Pick<WindowPartsReader, 'readDeviceParts'>;
  logger: Logger;
  now?: () => number;
}

/** `GET /devices/{deviceId}/metrics?metric&from&to&limit&nextToken`: the device's windows in a time range. */
export function createGetDeviceMetricsHandler({
  owners,
  corsOrigin,
  store,
  logger,
  now = Date.now,
}: GetDeviceMetricsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger, mapError: mapQueryError }))
    .use(deviceOwnerOnly(owners))
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const query = windowQueryOf(parseQuery(GetMetricsQuerySchema, event), now());
      return json(200, await queryDeviceWindows(store, deviceId, query));
    });
}

const built = once(() => {
  const config = loadDeviceQueryConfig();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createGetDeviceMetricsHandler({
    owners: new DynamoDbDeviceOwners(documents, config.DEVICES_TABLE_NAME),
    store: new DynamoDbWindowMetricsStore(documents, config.METRICS_TABLE_NAME, config.METRICS_RETENTION_DAYS),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
