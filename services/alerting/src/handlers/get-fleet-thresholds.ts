import { cors, createLogger, json, type Logger, once, problemDetails } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { describeFleetThresholds, type ThresholdStore } from '../domain/thresholds';

export interface GetFleetThresholdsDependencies {
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  thresholds: ThresholdStore;
  logger: Logger;
}

/** `GET /fleet/thresholds`: the fleet-wide default rules, which apply to every metric a device has no rule for. */
export function createGetFleetThresholdsHandler({ corsOrigin, thresholds, logger }: GetFleetThresholdsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger }))
    .handler(async () => json(200, await describeFleetThresholds(thresholds)));
}

const built = once(() => {
  const config = loadApiConfig();
  return createGetFleetThresholdsHandler({
    thresholds: new DynamoDbThresholdStore(createDocumentClient(), config.THRESHOLDS_TABLE_NAME, {
      consistentRead: true,
    }),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
