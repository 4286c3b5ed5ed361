import { type DeviceRouteDependencies, deviceRoute, json, once, parsePathParameters } from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import { AlarmPathSchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbAlarmStore } from '../adapters/dynamodb-alarm-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadApiConfig } from '../config';
import { acknowledgeAlarm } from '../domain/acknowledge-alarm';
import type { AlarmStore } from '../domain/ports';
import { mapAlertingError } from './http-support';

export interface AcknowledgeAlarmDependencies extends DeviceRouteDependencies {
  alarms: Pick<AlarmStore, 'get' | 'save'>;
  now?: () => number;
}

/**
 * `POST /devices/{deviceId}/alarms/{metric}/ack` (no body): records that the acting user acknowledged the alarm, now,
 * which stops its reminders, and answers the alarm. `404` when the metric has no alarm, `409` when the alarm is OK or
 * was acknowledged by someone else; the same user acknowledging again gets `200` and the first acknowledgement.
 */
export function createAcknowledgeAlarmHandler({ alarms, now = Date.now, ...route }: AcknowledgeAlarmDependencies) {
  return deviceRoute({ ...route, mapError: mapAlertingError }, async (event, { deviceId, caller }) => {
    const { metric } = parsePathParameters(AlarmPathSchema, event);
    const user = caller.userId;
    const { alarm, changed } = await acknowledgeAlarm(alarms, { deviceId, metric, user, now: now() });
    if (changed) route.logger.info('alarm acknowledged', { deviceId, metric, user, state: alarm.state });
    return json(200, alarm);
  });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createAcknowledgeAlarmHandler({
    ...deviceRouteDependencies(documents, config),
    alarms: new DynamoDbAlarmStore(documents, config.ALARMS_TABLE_NAME),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
