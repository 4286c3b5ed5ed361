import { cors, createLogger, json, type Logger, once, parsePathParameters, problemDetails } from '@iot/lambda-kit';
import { DevicePathSchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { deleteDeviceThresholds, type ThresholdStore } from '../domain/thresholds';

export interface DeleteDeviceThresholdsDependencies {
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  thresholds: ThresholdStore;
  logger: Logger;
}

/**
 * `DELETE /devices/{deviceId}/thresholds`: removes the device's own rules and answers the rules that now apply (the
 * fleet defaults). Idempotent. Running evaluations see the change once their cached thresholds expire.
 */
export function createDeleteDeviceThresholdsHandler({
  corsOrigin,
  thresholds,
  logger,
}: DeleteDeviceThresholdsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger }))
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const applicable = await deleteDeviceThresholds(thresholds, deviceId);
      logger.info('thresholds deleted', { deviceId });
      return json(200, applicable);
    });
}

const built = once(() => {
  const config = loadApiConfig();
  return createDeleteDeviceThresholdsHandler({
    thresholds: new DynamoDbThresholdStore(createDocumentClient(), config.THRESHOLDS_TABLE_NAME, {
      consistentRead: true,
    }),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
