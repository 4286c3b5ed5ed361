import {
  callerOf,
  FLEET_OPERATORS_GROUP,
  type HttpRouteDependencies,
  httpRoute,
  httpRouteDependencies,
  json,
  once,
  parseJsonBody,
  requireGroup,
} from '@iot/lambda-kit';
import { PutThresholdsRequestSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { replaceFleetThresholds, type ThresholdStore } from '../domain/thresholds';

export interface PutFleetThresholdsDependencies extends HttpRouteDependencies {
  thresholds: ThresholdStore;
  now?: () => number;
}

/**
 * `PUT /fleet/thresholds`: replaces the fleet-wide default rules and answers them. Running evaluations see the change
 * once their cached thresholds expire (`THRESHOLD_CACHE_TTL_SECONDS`). The defaults apply to every user's devices:
 * only members of the fleet operators group may change them (403 for anyone else, before the body is read).
 */
export function createPutFleetThresholdsHandler({
  thresholds,
  now = Date.now,
  ...route
}: PutFleetThresholdsDependencies) {
  return httpRoute(route, async (event) => {
    const caller = callerOf(event);
    requireGroup(caller, FLEET_OPERATORS_GROUP, "Changing the fleet's default thresholds");
    const { rules } = parseJsonBody(PutThresholdsRequestSchema, event);
    const fleet = await replaceFleetThresholds(thresholds, rules, now());
    route.logger.info('fleet thresholds replaced', { user: caller.userId, metrics: rules.map((rule) => rule.metric) });
    return json(200, fleet);
  });
}

const built = once(() => {
  const config = loadApiConfig();
  return createPutFleetThresholdsHandler({
    ...httpRouteDependencies(config),
    thresholds: new DynamoDbThresholdStore(createDocumentClient(), config.THRESHOLDS_TABLE_NAME, {
      consistentRead: true,
    }),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
