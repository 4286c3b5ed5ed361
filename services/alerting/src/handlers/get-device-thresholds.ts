import { type DeviceRouteDependencies, deviceRoute, json, once } from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { describeThresholds, type ThresholdStore } from '../domain/thresholds';

export interface GetDeviceThresholdsDependencies extends DeviceRouteDependencies {
  thresholds: ThresholdStore;
}

/** `GET /devices/{deviceId}/thresholds`: the device's own rules, and the fleet defaults for its other metrics. */
export function createGetDeviceThresholdsHandler({ thresholds, ...route }: GetDeviceThresholdsDependencies) {
  return deviceRoute(route, async (_event, { deviceId }) => json(200, await describeThresholds(thresholds, deviceId)));
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createGetDeviceThresholdsHandler({
    ...deviceRouteDependencies(documents, config),
    thresholds: new DynamoDbThresholdStore(documents, config.THRESHOLDS_TABLE_NAME, { consistentRead: true }),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
