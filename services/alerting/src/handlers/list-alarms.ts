import {
  callerOf,
  type DeviceOwners,
  type HttpRouteDependencies,
  httpRoute,
  json,
  once,
  parseQuery,
} from '@iot/lambda-kit';
import { deviceRouteDependencies } from '@iot/lambda-kit/dynamodb-device-owners';
import { type AlarmsPage, ListAlarmsQuerySchema } from '@iot/types';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDbAlarmStore } from '../adapters/dynamodb-alarm-store';
import { createDocumentClient } from '../adapters/dynamodb-document-client';
import { loadApiConfig } from '../config';
import type { AlarmStore } from '../domain/ports';
import { mapAlertingError } from './http-support';

/** Alarms per page when the request gives no `limit`. */
export const DEFAULT_ALARMS_PAGE = 50;

export interface ListAlarmsDependencies extends HttpRouteDependencies {
  /** Who owns which device: the caller sees the alarms of their own devices only. */
  owners: Pick<DeviceOwners, 'devicesOf'>;
  alarms: Pick<AlarmStore, 'listByState'>;
}

/**
 * `GET /alarms?state=ALARM&limit&nextToken`: the alarms in one state (default `ALARM`) of the caller's devices, the
 * most recently changed first. A page may hold fewer than `limit` alarms while more follow: go on while there is a
 * `nextToken`. The page is read from the fleet's index and the alarms of other users' devices left out, so one request
 * costs the index page plus one query of the caller's devices (the devices table's `byOwner` index).
 */
export function createListAlarmsHandler({ owners, alarms, ...route }: ListAlarmsDependencies) {
  return httpRoute({ ...route, mapError: mapAlertingError }, async (event) => {
    const caller = callerOf(event);
    const { state, limit = DEFAULT_ALARMS_PAGE, nextToken } = parseQuery(ListAlarmsQuerySchema, event);
    const [page, mine] = await Promise.all([
      alarms.listByState(state, { limit, ...(nextToken ? { nextToken } : {}) }),
      owners.devicesOf(caller.userId),
    ]);
    const body: AlarmsPage = { state, ...page, items: page.items.filter((alarm) => mine.has(alarm.deviceId)) };
    return json(200, body);
  });
}

const built = once(() => {
  const config = loadApiConfig();
  const documents = createDocumentClient();
  return createListAlarmsHandler({
    ...deviceRouteDependencies(documents, config),
    alarms: new DynamoDbAlarmStore(documents, config.ALARMS_TABLE_NAME),
  });
});

export const handler = (event: APIGatewayProxyEvent, context: Context) => built()(event, context);
