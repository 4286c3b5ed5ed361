import { type DeviceRouteDependencies, deviceRoute, json, once, parseJsonBody } from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import { PutThresholdsRequestSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { DynamoDbThresholdStore } from '../adapters/dynamodb-threshold-store';
import { loadApiConfig } from '../config';
import { replaceDeviceThresholds, type ThresholdStore } from '../domain/thresholds';

export interface PutDeviceThresholdsDependencies extends DeviceRouteDependencies {
  thresholds: ThresholdStore;
  now?: () => number;
}

/**
 * `PUT /devices/{deviceId}/thresholds`: replaces the device's own rules and answers the rules that now apply. Running
 * evaluations see the change once their cached thresholds expire (`THRESHOLD_CACHE_TTL_SECONDS`).
 */
export function createPutDeviceThresholdsHandler({
  thresholds,
  now = Date.now,
  ...route
}: PutDeviceThresholdsDependencies) {
  return deviceRoute(route, async (event, { deviceId }) => {
    const { rules } = parseJsonBody(PutThresholdsRequestSchema, event);
    const applicable = await replaceDeviceThresholds(thresholds, deviceId, rules, now());
    route.logger.info('thresholds replaced', { deviceId, metrics: rules.map((rule) => rule.metric) });
    return json(200, applicable);
  });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createPutDeviceThresholdsHandler({
    ...deviceRouteDependencies(documents, config),
    thresholds: new DynamoDbThresholdStore(documents, config.THRESHOLDS_TABLE_NAME, { consistentRead: true }),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
