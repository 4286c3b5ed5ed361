import { type DeviceRouteDependencies, deviceRoute, json, once } from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import type { GetAlarmsResponse } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbAlarmStore } from '../adapters/dynamodb-alarm-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadApiConfig } from '../config';
import type { AlarmStore } from '../domain/ports';

export interface GetDeviceAlarmsDependencies extends DeviceRouteDependencies {
  alarms: Pick<AlarmStore, 'listByDevice'>;
}

/** `GET /devices/{deviceId}/alarms`: the current alarm of each metric of the device that has been evaluated. */
export function createGetDeviceAlarmsHandler({ alarms, ...route }: GetDeviceAlarmsDependencies) {
  return deviceRoute(route, async (_event, { deviceId }) => {
    const body: GetAlarmsResponse = { deviceId, alarms: await alarms.listByDevice(deviceId) };
    return json(200, body);
  });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createGetDeviceAlarmsHandler({
    ...deviceRouteDependencies(documents, config),
    alarms: new DynamoDbAlarmStore(documents, config.ALARMS_TABLE_NAME),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
