import {
  cors,
  createLogger,
  type DeviceOwners,
  deviceOwnerOnly,
  json,
  type Logger,
  once,
  parsePathParameters,
  problemDetails,
} from '@iot/lambda-kit';
import { DynamoDbDeviceOwners } from '@iot/lambda-kit/dynamodb-device-owners';
import { DevicePathSchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { deleteDeviceThresholds, type ThresholdStore } from '../domain/thresholds';

export interface DeleteDeviceThresholdsDependencies {
  /** Who owns which device: only the owner may use the route. */
  owners: Pick<DeviceOwners, 'ownershipOf'>;
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
  owners,
  corsOrigin,
  thresholds,
  logger,
}: DeleteDeviceThresholdsDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger }))
    .use(deviceOwnerOnly(owners))
    .handler(async (event) => {
      const { deviceId } = parsePathParameters(DevicePathSchema, event);
      const applicable = await deleteDeviceThresholds(thresholds, deviceId);
      logger.info('thresholds deleted', { deviceId });
      return json(200, applicable);
    });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createDeleteDeviceThresholdsHandler({
    owners: new DynamoDbDeviceOwners(documents, config.DEVICES_TABLE_NAME),
    thresholds: new DynamoDbThresholdStore(documents, config.THRESHOLDS_TABLE_NAME, {
      consistentRead: true,
    }),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
