import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  createLogger,
  HttpProblem,
  json,
  type Logger,
  once,
  parsePathParameters,
  parseQuery,
  problemDetails,
} from '@iot/lambda-kit';
import { DevicePathSchema, GetMetricsQuerySchema, type WindowMetricsPage } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbWindowMetricsStore } from '../adapters/dynamodb-window-metrics-store';
import { loadConfig } from '../config';

const DAY_MS = 86_400_000;
const DEFAULT_PAGE = 100;

const encodeToken = (key: Record<string, unknown>) => Buffer.from(JSON.stringify(key)).toString('base64url');

function decodeToken(token: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (key && typeof key === 'object' && !Array.isArray(key)) return key as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new HttpProblem(400, 'Bad Request', 'query.nextToken: not a token this API returned', [
    { path: 'query.nextToken', message: 'not a token this API returned' },
  ]);
}

export interface GetDeviceMetricsDependencies {
  store: Pick<DynamoDbWindowMetricsStore, 'queryDeviceWindows'>;
  logger: Logger;
  now?: () => number;
}

/** `GET /devices/{deviceId}/metrics?metric&from&to`: the device's windows in a time range (default: the last day). */
export function createGetDeviceMetricsHandler({ store, logger, now = Date.now }: GetDeviceMetricsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(problemDetails({ logger }))
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const query = parseQuery(GetMetricsQuerySchema, event);
      const to = query.to ?? now();
      const from = query.from ?? to - DAY_MS;
      const page = await store.queryDeviceWindows({
        deviceId,
        from,
        to,
        ...(query.metric ? { metric: query.metric } : {}),
        limit: query.limit ?? DEFAULT_PAGE,
        ...(query.nextToken ? { startKey: decodeToken(query.nextToken) } : {}),
      });
      const body: WindowMetricsPage = {
        items: page.items,
        ...(page.lastKey ? { nextToken: encodeToken(page.lastKey) } : {}),
      };
      return json(200, body);
    });
}

const built = once(() => {
  const config = loadConfig();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createGetDeviceMetricsHandler({
    store: new DynamoDbWindowMetricsStore(documents, config.METRICS_TABLE_NAME, config.METRICS_RETENTION_DAYS),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
