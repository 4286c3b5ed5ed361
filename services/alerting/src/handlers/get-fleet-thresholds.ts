import { type HttpRouteDependencies, httpRoute, httpRouteDependencies, json, once } from '@iot/lambda-kit';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { describeFleetThresholds, type ThresholdStore } from '../domain/thresholds';

export interface GetFleetThresholdsDependencies extends HttpRouteDependencies {
  thresholds: ThresholdStore;
}

/** `GET /fleet/thresholds`: the fleet-wide default rules, which apply to every metric a device has no rule for. */
export function createGetFleetThresholdsHandler({ thresholds, ...route }: GetFleetThresholdsDependencies) {
  return httpRoute(route, async () => json(200, await describeFleetThresholds(thresholds)));
}

const built = once(() => {
  const config = loadApiConfig();
  return createGetFleetThresholdsHandler({
    ...httpRouteDependencies(config),
    thresholds: new DynamoDbThresholdStore(createDocumentClient(), config.THRESHOLDS_TABLE_NAME, {
      consistentRead: true,
    }),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
