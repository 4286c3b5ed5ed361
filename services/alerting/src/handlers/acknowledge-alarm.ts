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
import { AlarmPathSchema } from '@iot/types';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { DynamoDbAlarmStore } from '../adapters/dynamodb-alarm-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadApiConfig } from '../config';
import { acknowledgeAlarm } from '../domain/acknowledge-alarm';
import type { AlarmStore } from '../domain/ports';
import { actingUser, mapAlertingError } from './http-support';

export interface AcknowledgeAlarmDependencies {
  /** Who owns which device: only the owner may use the route. */
  owners: Pick<DeviceOwners, 'ownershipOf'>;
  /** The origin(s) a browser may call from (CORS_ALLOWED_ORIGIN); no CORS headers without it. */
  corsOrigin?: string;
  alarms: Pick<AlarmStore, 'get' | 'save'>;
  logger: Logger;
  now?: () => number;
}

/**
 * `POST /devices/{deviceId}/alarms/{metric}/ack` (no body): records that the acting user acknowledged the alarm, now,
 * which stops its reminders, and answers the alarm. `404` when the metric has no alarm, `409` when the alarm is OK or
 * was acknowledged by someone else; the same user acknowledging again gets `200` and the first acknowledgement.
 */
export function createAcknowledgeAlarmHandler({
  owners,
  corsOrigin,
  alarms,
  logger,
  now = Date.now,
}: AcknowledgeAlarmDependencies) {
  return middy<APIGatewayProxyEvent, APIGatewayProxyResult, Error, Context>()
    .use(cors({ origin: corsOrigin ?? '' }))
    .use(problemDetails({ logger, mapError: mapAlertingError }))
    .use(deviceOwnerOnly(owners))
    .handler(async (event) => {
      const { deviceId, metric } = parsePathParameters(AlarmPathSchema, event);
      const user = actingUser(event);
      const { alarm, changed } = await acknowledgeAlarm(alarms, { deviceId, metric, user, now: now() });
      if (changed) logger.info('alarm acknowledged', { deviceId, metric, user, state: alarm.state });
      return json(200, alarm);
    });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createAcknowledgeAlarmHandler({
    owners: new DynamoDbDeviceOwners(documents, config.DEVICES_TABLE_NAME),
    alarms: new DynamoDbAlarmStore(documents, config.ALARMS_TABLE_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
    corsOrigin: config.CORS_ALLOWED_ORIGIN,
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
