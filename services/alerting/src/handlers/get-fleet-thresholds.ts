import { createLogger, json, type Logger, once, problemDetails } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { describeFleetThresholds, type ThresholdStore } from '../domain/thresholds';

export interface GetFleetThresholdsDependencies {
  thresholds: ThresholdStore;
  logger: Logger;
}

/** `GET /fleet/thresholds`: the fleet-wide default rules, which apply to every metric a device has no rule for. */
export function createGetFleetThresholdsHandler({ thresholds, logger }: GetFleetThresholdsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
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
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
