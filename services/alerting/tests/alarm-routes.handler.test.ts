/**
 * Offline invocation of the routes added for thresholds deletion, fleet defaults, alarm history, the fleet view and
 * acknowledgements, through their middy stacks, with the API Gateway proxy events in `fixtures/`, against a real local
 * DynamoDB whose tables (and indexes) are created from serverless.yml.
 *
 * Alarms and their history are made by the real evaluation handler, notifying through the local cloud's SNS started
 * in-process (tests/alerts-topic.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@iot/lambda-kit';
import { DynamoDbDeviceOwners } from '@iot/lambda-kit/dynamodb-device-owners';
import {
  createDevicesTable,
  type LocalDynamoDb,
  lambdaContext,
  putDeviceOwner,
  startLocalDynamoDb,
} from '@iot/testing';
import {
  AlarmHistoryPageSchema,
  AlarmSchema,
  AlarmsPageSchema,
  FleetThresholdsResponseSchema,
  GetThresholdsResponseSchema,
  ProblemDetailsSchema,
  type TelemetryRuleEvent,
  type ThresholdRule,
} from '@iot/types';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { FLEET_THRESHOLDS_KEY } from '../src/domain/thresholds';
import { createAcknowledgeAlarmHandler } from '../src/handlers/acknowledge-alarm';
import { createDeleteDeviceThresholdsHandler } from '../src/handlers/delete-device-thresholds';
import { createEvaluateTelemetryHandler } from '../src/handlers/evaluate-telemetry';
import { createGetDeviceAlarmHistoryHandler } from '../src/handlers/get-device-alarm-history';
import { createGetFleetThresholdsHandler } from '../src/handlers/get-fleet-thresholds';
import { createListAlarmsHandler } from '../src/handlers/list-alarms';
import { createPutFleetThresholdsHandler } from '../src/handlers/put-fleet-thresholds';
import { createAlarmTables } from './alarm-tables';
import { type AlertsTopic, startAlertsTopic } from './alerts-topic';

const T0 = 1_767_225_600_000;
const MINUTE = 60_000;
const ACK_USER = '5f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b';
/** A user of the API other than the fixtures' one. */
const OTHER_USER = '0b7e8a2c-1d3f-4e5a-9b6c-7d8e9f0a1b2c';

let alerts: AlertsTopic;
const logger = createLogger('iot-alerting-test');
let db: LocalDynamoDb;

/** A fresh set of the service's tables under a prefix of their own, with stores and an evaluation on them. */
async function createTables(prefix: string) {
  const { documents, thresholds, alarms, history } = await createAlarmTables(db.client, prefix);
  // iot-device-config-api's devices table: who owns which device.
  const devicesTable = `${prefix}-devices`;
  await createDevicesTable(db.client, devicesTable);
  const evaluate = createEvaluateTelemetryHandler({
    thresholds,
    alarms,
    history,
    notifier: alerts.notifier(),
    logger,
  });
  /** Sends readings of `metric` through the evaluation, `values[i]` at `minutes[i]` after T0. */
  const readings = async (deviceId: string, metric: string, values: Array<[minute: number, value: number]>) => {
    for (const [minute, value] of values) {
      const timestamp = T0 + minute * MINUTE;
      const event: TelemetryRuleEvent = {
        deviceId,
        timestamp,
        receivedAt: timestamp + 200,
        metrics: { [metric]: value },
      };
      await evaluate(event, lambdaContext());
    }
  };
  /** Registers devices to a user, as POST /devices does. */
  const register = (ownerId: string, ...deviceIds: string[]) =>
    Promise.all(deviceIds.map((deviceId) => putDeviceOwner(db.client, devicesTable, { deviceId, ownerId })));
  const owners = new DynamoDbDeviceOwners(documents, devicesTable);
  return { thresholds, alarms, history, readings, register, owners };
}

let tables: Awaited<ReturnType<typeof createTables>>;

beforeAll(async () => {
  alerts = await startAlertsTopic();
  db = await startLocalDynamoDb();
  tables = await createTables('iot-alerting-routes');
  await tables.register(
    ACK_USER,
    'sensor-delete-1',
    'sensor-history-1',
    'sensor-history-2',
    'sensor-ack-1',
    'sensor-ack-2',
    'sensor-ack-3',
    'sensor-ack-anon',
    'sensor-ack-cleared',
    'sensor-ack-none',
    'sensor-ack-ok',
  );
  await tables.register(OTHER_USER, 'sensor-others');
});

afterAll(async () => {
  await alerts.stop();
  await db.stop();
});

/** A fixture event, with its path parameters, query and claims replaced where given. */
function fixture(
  name: string,
  changes: {
    pathParameters?: Record<string, string>;
    query?: Record<string, string> | null;
    body?: unknown;
    claims?: Record<string, string> | null;
  } = {},
): APIGatewayProxyEvent {
  const event = JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as APIGatewayProxyEvent;
  if (changes.pathParameters) event.pathParameters = { ...event.pathParameters, ...changes.pathParameters };
  if (changes.query !== undefined) event.queryStringParameters = changes.query;
  if (changes.body !== undefined) event.body = JSON.stringify(changes.body);
  if (changes.claims !== undefined) {
    event.requestContext.authorizer = changes.claims === null ? undefined : { claims: changes.claims };
  }
  return event;
}

const problem = (body: string) => ProblemDetailsSchema.parse(JSON.parse(body));

const rule = (overrides: Partial<ThresholdRule> = {}): ThresholdRule => ({
  metric: 'temperature',
  comparison: 'above',
  value: 30,
  clearValue: 28,
  ...overrides,
});

describe('DELETE /devices/{deviceId}/thresholds', () => {
  const deleteThresholds = (deviceId: string) =>
    createDeleteDeviceThresholdsHandler({ owners: tables.owners, thresholds: tables.thresholds, logger })(
      fixture('delete-thresholds-event.json', { pathParameters: { deviceId } }),
      lambdaContext(),
    );

  it("removes the device's own rules and answers the fleet defaults that now apply; again, the same", async () => {
    // Prepare
    const fleet = [rule({ metric: 'humidity', value: 90, clearValue: 85 })];
    await tables.thresholds.putRules(FLEET_THRESHOLDS_KEY, fleet, T0);
    await tables.thresholds.putRules('sensor-delete-1', [rule()], T0);

    // Act
    const first = await deleteThresholds('sensor-delete-1');
    const again = await deleteThresholds('sensor-delete-1');

    // Assess
    expect(first.statusCode).toBe(200);
    expect(GetThresholdsResponseSchema.parse(JSON.parse(first.body))).toEqual({
      deviceId: 'sensor-delete-1',
      rules: [{ ...fleet[0], source: 'fleet' }],
    });
    expect([again.statusCode, again.body]).toEqual([200, first.body]);
    expect((await tables.thresholds.getRules(['sensor-delete-1'])).has('sensor-delete-1')).toBe(false);
  });

  it('never deletes the fleet defaults through a device path', async () => {
    // Act
    const response = await deleteThresholds(FLEET_THRESHOLDS_KEY);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(problem(response.body).errors?.[0]?.path).toBe('path.deviceId');
    expect((await tables.thresholds.getRules([FLEET_THRESHOLDS_KEY])).has(FLEET_THRESHOLDS_KEY)).toBe(true);
  });
});

describe('PUT and GET /fleet/thresholds', () => {
  const putFleet = (event: APIGatewayProxyEvent) =>
    createPutFleetThresholdsHandler({ thresholds: tables.thresholds, logger, now: () => T0 })(event, lambdaContext());
  const getFleet = () =>
    createGetFleetThresholdsHandler({ thresholds: tables.thresholds, logger })(
      fixture('get-fleet-thresholds-event.json'),
      lambdaContext(),
    );

  it('replaces the fleet defaults with the body and answers them, as GET then does', async () => {
    // Prepare
    const event = fixture('put-fleet-thresholds-event.json');
    const sent = JSON.parse(event.body ?? '');

    // Act
    const put = await putFleet(event);
    const got = await getFleet();

    // Assess
    expect(put.statusCode).toBe(200);
    expect(FleetThresholdsResponseSchema.parse(JSON.parse(put.body))).toEqual(sent);
    expect([got.statusCode, JSON.parse(got.body)]).toEqual([200, sent]);
    expect((await tables.thresholds.getRules([FLEET_THRESHOLDS_KEY])).get(FLEET_THRESHOLDS_KEY)).toEqual(sent.rules);
  });

  it('refuses a user who is not a fleet operator with a 403 naming the group, whatever the body, and keeps the defaults', async () => {
    // Prepare
    await tables.thresholds.putRules(FLEET_THRESHOLDS_KEY, [rule()], T0);
    const claims = { sub: OTHER_USER, 'cognito:username': 'someone' };

    // Act
    const valid = await putFleet(fixture('put-fleet-thresholds-event.json', { claims }));
    const invalid = await putFleet(fixture('put-fleet-thresholds-event.json', { claims, body: {} }));

    // Assess
    expect([valid.statusCode, invalid.statusCode]).toEqual([403, 403]);
    expect(problem(valid.body).detail).toBe(
      "Changing the fleet's default thresholds is for members of the fleet-operators group only",
    );
    expect((await tables.thresholds.getRules([FLEET_THRESHOLDS_KEY])).get(FLEET_THRESHOLDS_KEY)).toEqual([rule()]);
  });

  it('answers no rules when the fleet has none', async () => {
    // Prepare
    await tables.thresholds.deleteRules(FLEET_THRESHOLDS_KEY);

    // Act
    const response = await getFleet();

    // Assess
    expect(JSON.parse(response.body)).toEqual({ rules: [] });
  });

  it.each([
    [
      'an unknown comparison',
      { rules: [{ metric: 'temperature', comparison: 'over', value: 1 }] },
      'body.rules[0].comparison',
    ],
    [
      'a missingDataMinutes of 0',
      { rules: [{ metric: 'temperature', comparison: 'above', value: 1, missingDataMinutes: 0 }] },
      'body.rules[0].missingDataMinutes',
    ],
    ['no rules field', {}, 'body.rules'],
  ])('rejects %s with a 400 naming the field, and keeps the defaults', async (_, body, path) => {
    // Prepare
    await tables.thresholds.putRules(FLEET_THRESHOLDS_KEY, [rule()], T0);

    // Act
    const response = await putFleet(fixture('put-fleet-thresholds-event.json', { body }));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(problem(response.body).errors?.map((error) => error.path)).toContain(path);
    expect((await tables.thresholds.getRules([FLEET_THRESHOLDS_KEY])).get(FLEET_THRESHOLDS_KEY)).toEqual([rule()]);
  });
});

describe('GET /devices/{deviceId}/alarms/history', () => {
  const getHistory = (deviceId: string, query: Record<string, string> | null) =>
    createGetDeviceAlarmHistoryHandler({ owners: tables.owners, history: tables.history, logger })(
      fixture('get-alarm-history-event.json', { pathParameters: { deviceId }, query }),
      lambdaContext(),
    );

  beforeAll(async () => {
    await tables.thresholds.putRules(
      'sensor-history-1',
      [rule(), rule({ metric: 'humidity', value: 90, clearValue: 85 })],
      T0,
    );
    await tables.readings('sensor-history-1', 'temperature', [
      [0, 31],
      [1, 32],
      [2, 27],
      [5, 35],
    ]);
    await tables.readings('sensor-history-1', 'humidity', [[3, 95]]);
    // Another device's changes never show.
    await tables.thresholds.putRules('sensor-history-2', [rule()], T0);
    await tables.readings('sensor-history-2', 'temperature', [[4, 40]]);
  });

  it("answers the device's changes, newest first, one per transition, in the shared shape", async () => {
    // Act
    const response = await getHistory('sensor-history-1', null);

    // Assess
    expect(response.statusCode).toBe(200);
    const page = AlarmHistoryPageSchema.parse(JSON.parse(response.body));
    expect(page.nextToken).toBeUndefined();
    expect(
      page.items.map((change) => [change.metric, `${change.previousState}->${change.state}`, change.timestamp]),
    ).toEqual([
      ['temperature', 'OK->ALARM', T0 + 5 * MINUTE],
      ['humidity', 'INSUFFICIENT_DATA->ALARM', T0 + 3 * MINUTE],
      ['temperature', 'ALARM->OK', T0 + 2 * MINUTE],
      ['temperature', 'INSUFFICIENT_DATA->ALARM', T0],
    ]);
    expect(page.items[0]).toEqual({
      deviceId: 'sensor-history-1',
      metric: 'temperature',
      state: 'ALARM',
      previousState: 'OK',
      severity: 'major',
      comparison: 'above',
      threshold: 30,
      value: 35,
      timestamp: T0 + 5 * MINUTE,
      reason: 'temperature 35 is above 30',
    });
  });

  it('pages with nextToken until the last page, which has none', async () => {
    // Act
    const first = JSON.parse((await getHistory('sensor-history-1', { limit: '3' })).body);
    const second = JSON.parse((await getHistory('sensor-history-1', { limit: '3', nextToken: first.nextToken })).body);

    // Assess
    expect(first.items).toHaveLength(3);
    expect(typeof first.nextToken).toBe('string');
    expect(second.items.map((change: { timestamp: number }) => change.timestamp)).toEqual([T0]);
    expect(second).not.toHaveProperty('nextToken');
  });

  it('keeps to the time range, both ends included', async () => {
    // Act
    const response = await getHistory('sensor-history-1', {
      from: String(T0 + 2 * MINUTE),
      to: String(T0 + 3 * MINUTE),
    });

    // Assess
    expect(JSON.parse(response.body).items.map((change: { timestamp: number }) => change.timestamp)).toEqual([
      T0 + 3 * MINUTE,
      T0 + 2 * MINUTE,
    ]);
  });

  it('answers the fixture query (a day from T0, 20 at most)', async () => {
    // Act
    const response = await createGetDeviceAlarmHistoryHandler({
      owners: tables.owners,
      history: tables.history,
      logger,
    })(fixture('get-alarm-history-event.json', { pathParameters: { deviceId: 'sensor-history-1' } }), lambdaContext());

    // Assess
    expect(JSON.parse(response.body).items).toHaveLength(4);
  });

  it.each<[string, string, Record<string, string>, string]>([
    ['a from after to', 'sensor-history-1', { from: String(T0 + MINUTE), to: String(T0) }, 'query.from'],
    ['a time in seconds', 'sensor-history-1', { from: String(T0 / 1000) }, 'query.from'],
    ['a limit of 0', 'sensor-history-1', { limit: '0' }, 'query.limit'],
    ['an unknown parameter', 'sensor-history-1', { metric: 'temperature' }, 'query'],
    ['a token that is not one', 'sensor-history-1', { nextToken: 'not-a-token' }, 'query.nextToken'],
  ])('rejects %s with a 400 naming the parameter', async (_, deviceId, query, path) => {
    // Act
    const response = await getHistory(deviceId, query);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(problem(response.body).errors?.map((error) => error.path)).toContain(path);
  });

  it("rejects another device's token", async () => {
    // Prepare
    const { nextToken } = JSON.parse((await getHistory('sensor-history-1', { limit: '1' })).body);

    // Act
    const response = await getHistory('sensor-history-2', { nextToken });

    // Assess
    expect(response.statusCode).toBe(400);
    expect(problem(response.body).errors?.[0]?.path).toBe('query.nextToken');
  });
});

describe('GET /alarms', () => {
  let fleet: Awaited<ReturnType<typeof createTables>>;
  const listAlarms = (query: Record<string, string> | null) =>
    createListAlarmsHandler({ owners: fleet.owners, alarms: fleet.alarms, logger })(
      fixture('list-alarms-event.json', { query }),
      lambdaContext(),
    );

  beforeAll(async () => {
    // A fleet of its own: the other tests' alarms do not show here.
    fleet = await createTables('iot-alerting-fleet-view');
    // The fixture's user owns every device but sensor-c, which is another user's.
    await fleet.register(ACK_USER, 'sensor-a', 'sensor-b', 'sensor-d', 'sensor-e');
    await fleet.register(OTHER_USER, 'sensor-c');
    await fleet.thresholds.putRules(FLEET_THRESHOLDS_KEY, [rule()], T0);
    await fleet.readings('sensor-a', 'temperature', [[1, 31]]);
    await fleet.readings('sensor-b', 'temperature', [[3, 33]]);
    await fleet.readings('sensor-c', 'temperature', [[2, 25]]);
    await fleet.readings('sensor-d', 'temperature', [
      [0, 31],
      [4, 20],
    ]);
    await fleet.readings('sensor-e', 'temperature', [[5, 35]]);
  });

  it("answers the alarms in ALARM of the caller's devices, the most recently changed first", async () => {
    // Act
    const response = await listAlarms({ state: 'ALARM' });

    // Assess
    expect(response.statusCode).toBe(200);
    const page = AlarmsPageSchema.parse(JSON.parse(response.body));
    expect(page.state).toBe('ALARM');
    expect(page.items.map((alarm) => alarm.deviceId)).toEqual(['sensor-e', 'sensor-b', 'sensor-a']);
    expect(page.items[0]).toEqual({
      deviceId: 'sensor-e',
      metric: 'temperature',
      state: 'ALARM',
      severity: 'major',
      comparison: 'above',
      threshold: 30,
      clearValue: 28,
      lastValue: 35,
      lastReadingAt: T0 + 5 * MINUTE,
      stateChangedAt: T0 + 5 * MINUTE,
    });
  });

  it('lists ALARM when no state is asked for, and any other state when it is', async () => {
    // Act
    const byDefault = JSON.parse((await listAlarms(null)).body);
    const ok = JSON.parse((await listAlarms({ state: 'OK' })).body);

    // Assess
    expect(byDefault.items.map((alarm: { deviceId: string }) => alarm.deviceId)).toEqual([
      'sensor-e',
      'sensor-b',
      'sensor-a',
    ]);
    expect(ok.items.map((alarm: { deviceId: string }) => alarm.deviceId)).toEqual(['sensor-d']);
  });

  it("leaves out the alarms of other users' devices, and answers 401 without the authorizer's claims", async () => {
    // Act
    const others = await createListAlarmsHandler({ owners: fleet.owners, alarms: fleet.alarms, logger })(
      fixture('list-alarms-event.json', { query: { state: 'OK' }, claims: { sub: OTHER_USER } }),
      lambdaContext(),
    );
    const othersAlarms = await createListAlarmsHandler({ owners: fleet.owners, alarms: fleet.alarms, logger })(
      fixture('list-alarms-event.json', { query: { state: 'ALARM' }, claims: { sub: OTHER_USER } }),
      lambdaContext(),
    );
    const anonymous = await createListAlarmsHandler({ owners: fleet.owners, alarms: fleet.alarms, logger })(
      fixture('list-alarms-event.json', { query: null, claims: null }),
      lambdaContext(),
    );

    // Assess
    expect(JSON.parse(others.body).items.map((alarm: { deviceId: string }) => alarm.deviceId)).toEqual(['sensor-c']);
    expect(JSON.parse(othersAlarms.body).items).toEqual([]);
    expect(anonymous.statusCode).toBe(401);
  });

  it('pages with nextToken, for the state it was given for only', async () => {
    // Act
    const first = JSON.parse((await listAlarms({ state: 'ALARM', limit: '2' })).body);
    const second = JSON.parse((await listAlarms({ state: 'ALARM', limit: '2', nextToken: first.nextToken })).body);
    const otherState = await listAlarms({ state: 'OK', nextToken: first.nextToken });

    // Assess
    expect(first.items.map((alarm: { deviceId: string }) => alarm.deviceId)).toEqual(['sensor-e', 'sensor-b']);
    expect(second.items.map((alarm: { deviceId: string }) => alarm.deviceId)).toEqual(['sensor-a']);
    expect(otherState.statusCode).toBe(400);
    expect(problem(otherState.body).errors?.[0]?.path).toBe('query.nextToken');
  });

  it.each([
    ['an unknown state', { state: 'FIRING' }, 'query.state'],
    ['a limit over 100', { limit: '101' }, 'query.limit'],
  ])('rejects %s with a 400 naming the parameter', async (_, query, path) => {
    // Act
    const response = await listAlarms(query);

    // Assess
    expect(response.statusCode).toBe(400);
    expect(problem(response.body).errors?.map((error) => error.path)).toContain(path);
  });
});

describe('POST /devices/{deviceId}/alarms/{metric}/ack', () => {
  let now = T0 + 10 * MINUTE;
  const acknowledge = (
    deviceId: string,
    metric = 'temperature',
    claims: Record<string, string> | null | undefined = undefined,
  ) =>
    createAcknowledgeAlarmHandler({ owners: tables.owners, alarms: tables.alarms, logger, now: () => now })(
      fixture('acknowledge-alarm-event.json', {
        pathParameters: { deviceId, metric },
        ...(claims === undefined ? {} : { claims }),
      }),
      lambdaContext(),
    );

  beforeAll(async () => {
    for (const deviceId of ['sensor-ack-1', 'sensor-ack-2', 'sensor-ack-3']) {
      await tables.thresholds.putRules(deviceId, [rule()], T0);
      await tables.readings(deviceId, 'temperature', [[0, 31]]);
    }
    await tables.thresholds.putRules('sensor-ack-ok', [rule()], T0);
    await tables.readings('sensor-ack-ok', 'temperature', [[0, 25]]);
  });

  it("records who acknowledged the alarm (the caller's sub) and when, and answers the alarm", async () => {
    // Act
    const response = await acknowledge('sensor-ack-1');

    // Assess
    expect(response.statusCode).toBe(200);
    expect(AlarmSchema.parse(JSON.parse(response.body))).toMatchObject({
      deviceId: 'sensor-ack-1',
      metric: 'temperature',
      state: 'ALARM',
      acknowledgedBy: ACK_USER,
      acknowledgedAt: now,
    });
    expect((await tables.alarms.get('sensor-ack-1', 'temperature'))?.alarm).toMatchObject({
      acknowledgedBy: ACK_USER,
      acknowledgedAt: now,
    });
  });

  it('answers the first acknowledgement to the same user acknowledging again, and changes nothing', async () => {
    // Prepare
    const first = await acknowledge('sensor-ack-2');
    const before = await tables.alarms.get('sensor-ack-2', 'temperature');
    now += MINUTE;

    // Act
    const again = await acknowledge('sensor-ack-2');

    // Assess
    expect([again.statusCode, again.body]).toEqual([200, first.body]);
    expect(await tables.alarms.get('sensor-ack-2', 'temperature')).toEqual(before);
  });

  it("refuses another user with a 403 (not their device), keeping the owner's acknowledgement", async () => {
    // Prepare
    await acknowledge('sensor-ack-3');

    // Act
    const response = await acknowledge('sensor-ack-3', 'temperature', { sub: 'someone-else' });

    // Assess
    expect(response.statusCode).toBe(403);
    expect(await tables.alarms.get('sensor-ack-3', 'temperature')).toHaveProperty('alarm.acknowledgedBy', ACK_USER);
  });

  it("refuses a request without the authorizer's claims (401) and another user's device (403), acknowledging nothing", async () => {
    // Prepare
    await tables.thresholds.putRules('sensor-ack-anon', [rule()], T0);
    await tables.readings('sensor-ack-anon', 'temperature', [[0, 31]]);

    // Act
    const anonymous = await acknowledge('sensor-ack-anon', 'temperature', null);
    const other = await acknowledge('sensor-ack-anon', 'temperature', { sub: OTHER_USER });

    // Assess
    expect(anonymous.statusCode).toBe(401);
    expect(other.statusCode).toBe(403);
    expect(problem(other.body).detail).toBe('Device sensor-ack-anon belongs to another user');
    expect(await tables.alarms.get('sensor-ack-anon', 'temperature')).not.toHaveProperty('alarm.acknowledgedBy');
  });

  it.each([
    ['an alarm in OK', 'sensor-ack-ok', 'temperature', 409, /is OK: nothing to acknowledge/],
    ['a metric without an alarm', 'sensor-ack-1', 'humidity', 404, /has no alarm for humidity/],
    ['a device without alarms', 'sensor-ack-none', 'temperature', 404, /has no alarm/],
  ])('refuses %s', async (_, deviceId, metric, status, detail) => {
    // Act
    const response = await acknowledge(deviceId, metric);

    // Assess
    expect(response.statusCode).toBe(status);
    expect(problem(response.body).detail).toMatch(detail);
  });

  it('rejects a metric name the telemetry cannot have with a 400 naming the parameter', async () => {
    // Act
    const response = await acknowledge('sensor-ack-1', '1-temperature');

    // Assess
    expect(response.statusCode).toBe(400);
    expect(problem(response.body).errors?.[0]?.path).toBe('path.metric');
  });

  it('ends with the change of state it was for', async () => {
    // Prepare
    await tables.thresholds.putRules('sensor-ack-cleared', [rule()], T0);
    await tables.readings('sensor-ack-cleared', 'temperature', [[0, 31]]);
    await acknowledge('sensor-ack-cleared');

    // Act
    await tables.readings('sensor-ack-cleared', 'temperature', [[1, 20]]);

    // Assess
    const { alarm } = (await tables.alarms.get('sensor-ack-cleared', 'temperature')) ?? {};
    expect(alarm?.state).toBe('OK');
    expect(alarm).not.toHaveProperty('acknowledgedAt');
  });
});
