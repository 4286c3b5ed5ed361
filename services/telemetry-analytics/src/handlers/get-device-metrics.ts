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
import { DevicePathSchema, GetMetricsQuerySchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbWindowMetricsStore } from '../adapters/dynamodb-window-metrics-store';
import { loadQueryConfig } from '../config';
import { queryDeviceWindows, type WindowPartsReader } from '../domain/query-window-metrics';
import { mapQueryError, windowQueryOf } from './metrics-query-http';

export interface GetDeviceMetricsDependencies {
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  store: Pick<WindowPartsReader, 'readDeviceParts'>;
  logger: Logger;
  now?: () => number;
}

/** `GET /devices/{deviceId}/metrics?metric&from&to&limit&nextToken`: the device's windows in a time range. */
export function createGetDeviceMetricsHandler({
  corsOrigin,
  store,
  logger,
  now = Date.now,
}: GetDeviceMetricsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger, mapError: mapQueryError }))
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const query = windowQueryOf(parseQuery(GetMetricsQuerySchema, event), now());
      return json(200, await queryDeviceWindows(store, deviceId, query));
    });
}

const built = once(() => {
  const config = loadQueryConfig();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createGetDeviceMetricsHandler({
    store: new DynamoDbWindowMetricsStore(documents, config.METRICS_TABLE_NAME, config.METRICS_RETENTION_DAYS),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
