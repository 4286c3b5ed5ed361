import {
  callerOf,
  cors,
  createLogger,
  FLEET_OPERATORS_GROUP,
  json,
  type Logger,
  once,
  parseJsonBody,
  problemDetails,
  requireGroup,
} from '@iot/lambda-kit';
import { PutThresholdsRequestSchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { replaceFleetThresholds, type ThresholdStore } from '../domain/thresholds';

export interface PutFleetThresholdsDependencies {
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  thresholds: ThresholdStore;
  logger: Logger;
  now?: () => number;
}

/**
 * `PUT /fleet/thresholds`: replaces the fleet-wide default rules and answers them. Running evaluations see the change
 * once their cached thresholds expire (`THRESHOLD_CACHE_TTL_SECONDS`). The defaults apply to every user's devices:
 * only members of the fleet operators group may change them (403 for anyone else, before the body is read).
 */
export function createPutFleetThresholdsHandler({
  corsOrigin,
  thresholds,
  logger,
  now = Date.now,
}: PutFleetThresholdsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger }))
    .handler(async (event) => {
      const caller = callerOf(event);
      requireGroup(caller, FLEET_OPERATORS_GROUP, "Changing the fleet's default thresholds");
      const { rules } = parseJsonBody(PutThresholdsRequestSchema, event);
      const fleet = await replaceFleetThresholds(thresholds, rules, now());
      logger.info('fleet thresholds replaced', { user: caller.userId, metrics: rules.map((rule) => rule.metric) });
      return json(200, fleet);
    });
}

const built = once(() => {
  const config = loadApiConfig();
  return createPutFleetThresholdsHandler({
    thresholds: new DynamoDbThresholdStore(createDocumentClient(), config.THRESHOLDS_TABLE_NAME, {
      consistentRead: true,
    }),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
