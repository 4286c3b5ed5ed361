import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  callerOf,
  FLEET_OPERATORS_GROUP,
  type HttpRouteDependencies,
  httpRoute,
  httpRouteDependencies,
  json,
  once,
  parseQuery,
  requireGroup,
} from '@iot/lambda-kit';
import { GetFleetMetricsQuerySchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbWindowMetricsStore } from '../adapters/dynamodb-window-metrics-store';
import { loadQueryConfig } from '../config';
import { queryFleetWindows, type WindowPartsReader } from '../domain/query-window-metrics';
import { mapQueryError, windowQueryOf } from './metrics-query-http';

export interface GetFleetMetricsDependencies extends HttpRouteDependencies {
  store: Pick<WindowPartsReader, 'readFleetParts'>;
  now?: () => number;
}

/**
 * `GET /fleet/metrics?metric&from&to&limit&nextToken`: the fleet's windows in a time range, per metric. They aggregate
 * every user's devices: only members of the fleet operators group may read them (403 for anyone else).
 */
export function createGetFleetMetricsHandler({ store, now = Date.now, ...route }: GetFleetMetricsDependencies) {
  return httpRoute({ ...route, mapError: mapQueryError }, async (event) => {
    requireGroup(callerOf(event), FLEET_OPERATORS_GROUP, "Reading the fleet's metrics");
    const query = windowQueryOf(parseQuery(GetFleetMetricsQuerySchema, event), now());
    return json(200, await queryFleetWindows(store, query));
  });
}

const built = once(() => {
  const config = loadQueryConfig();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createGetFleetMetricsHandler({
    ...httpRouteDependencies(config),
    store: new DynamoDbWindowMetricsStore(documents, config.METRICS_TABLE_NAME, config.METRICS_RETENTION_DAYS),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
