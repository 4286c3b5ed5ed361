import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  callerOf,
  cors,
  createLogger,
  FLEET_OPERATORS_GROUP,
  json,
  type Logger,
  once,
  parseQuery,
  problemDetails,
  requireGroup,
} from '@iot/lambda-kit';
import { GetFleetMetricsQuerySchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbWindowMetricsStore } from '../adapters/dynamodb-window-metrics-store';
import { loadQueryConfig } from '../config';
import { queryFleetWindows, type WindowPartsReader } from '../domain/query-window-metrics';
import { mapQueryError, windowQueryOf } from './metrics-query-http';

export interface GetFleetMetricsDependencies {
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  store: Pick<WindowPartsReader, 'readFleetParts'>;
  logger: Logger;
  now?: () => number;
}

/**
 * `GET /fleet/metrics?metric&from&to&limit&nextToken`: the fleet's windows in a time range, per metric. They aggregate
 * every user's devices: only members of the fleet operators group may read them (403 for anyone else).
 */
export function createGetFleetMetricsHandler({
  corsOrigin,
  store,
  logger,
  now = Date.now,
}: GetFleetMetricsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger, mapError: mapQueryError }))
    .handler(async (event) => {
      requireGroup(callerOf(event), FLEET_OPERATORS_GROUP, "Reading the fleet's metrics");
      const query = windowQueryOf(parseQuery(GetFleetMetricsQuerySchema, event), now());
      return json(200, await queryFleetWindows(store, query));
    });
}

const built = once(() => {
  const config = loadQueryConfig();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createGetFleetMetricsHandler({
    store: new DynamoDbWindowMetricsStore(documents, config.METRICS_TABLE_NAME, config.METRICS_RETENTION_DAYS),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
