import { type DeviceRouteDependencies, deviceRoute, json, once } from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { deleteDeviceThresholds, type ThresholdStore } from '../domain/thresholds';

export interface DeleteDeviceThresholdsDependencies extends DeviceRouteDependencies {
  thresholds: ThresholdStore;
}

/**
 * `DELETE /devices/{deviceId}/thresholds`: removes the device's own rules and answers the rules that now apply (the
 * fleet defaults). Idempotent. Running evaluations see the change once their cached thresholds expire.
 */
export function createDeleteDeviceThresholdsHandler({ thresholds, ...route }: DeleteDeviceThresholdsDependencies) {
  return deviceRoute(route, async (_event, { deviceId }) => {
    const applicable = await deleteDeviceThresholds(thresholds, deviceId);
    route.logger.info('thresholds deleted', { deviceId });
    return json(200, applicable);
  });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createDeleteDeviceThresholdsHandler({
    ...deviceRouteDependencies(documents, config),
    thresholds: new DynamoDbThresholdStore(documents, config.THRESHOLDS_TABLE_NAME, { consistentRead: true }),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
