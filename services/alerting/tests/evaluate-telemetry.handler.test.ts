/**
 * Offline invocation of evaluateTelemetry through its middy stack, with the event the ingestion rule delivers,
 * against a real local DynamoDB whose tables are created from serverless.yml.
 *
 * SNS is the local cloud's, started in-process (tests/alerts-topic.ts): the notifier's real SNS client publishes to
 * the alerts topic at the local edge endpoint, and the tests read the notifications its SQS and mobile push
 * subscriptions received. The one answer the local SNS never gives, throttling, is injected at the edge endpoint in
 * front of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createLogger } from '@iot/lambda-kit';
import { type LocalDynamoDb, lambdaContext, startLocalDynamoDb } from '@iot/testing';
import type { AlarmNotification, TelemetryRuleEvent, ThresholdRule } from '@iot/types';
import { CachingThresholdStore } from '../src/adapters/caching-threshold-store';
import type { DynamoDbAlarmHistoryStore } from '../src/adapters/dynamodb-alarm-history-store';
import { DynamoDbAlarmStore } from '../src/adapters/dynamodb-alarm-store';
import { createDocumentClient } from '../src/adapters/dynamodb-document-client';
import type { DynamoDbThresholdStore } from '../src/adapters/dynamodb-threshold-store';
import { MemoryAlarmCache } from '../src/adapters/memory-alarm-cache';
import type { StoredAlarm } from '../src/domain/ports';
import { FLEET_THRESHOLDS_KEY } from '../src/domain/thresholds';
import { createEvaluateTelemetryHandler } from '../src/handlers/evaluate-telemetry';
import { createAlarmTables } from './alarm-tables';
import { type AlertsTopic, startAlertsTopic } from './alerts-topic';

const TABLES = 'iot-alerting-test';
const ALARMS_TABLE = `${TABLES}-alarms`;
const TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:iot-alerting-test-alerts';

const fixture: TelemetryRuleEvent = JSON.parse(
  readFileSync(join(__dirname, 'fixtures', 'telemetry-event.json'), 'utf8'),
);
const DEVICE = fixture.deviceId;
const T0 = fixture.timestamp;
const MINUTE = 60_000;

let alerts: AlertsTopic;
let db: LocalDynamoDb;
let thresholds: DynamoDbThresholdStore;
let alarms: DynamoDbAlarmStore;
let history: DynamoDbAlarmHistoryStore;

beforeAll(async () => {
  db = await startLocalDynamoDb();
  ({ thresholds, alarms, history } = await createAlarmTables(db.client, TABLES));
});

afterAll(() => db.stop());

let deviceCount = 0;
let deviceId: string;
beforeEach(async () => {
  alerts = await startAlertsTopic();
  // A device of its own per test: no alarm or rule carries over.
  deviceId = `${DEVICE}-${++deviceCount}`;
});
afterEach(() => alerts.stop());

/** The handler as deployed, on the local tables, with a thresholds cache of `ttlMs`. */
function evaluateTelemetryHandler(ttlMs = 60_000, reminderIntervalMs = 0) {
  return createEvaluateTelemetryHandler({
    thresholds: new CachingThresholdStore(thresholds, { ttlMs }),
    alarms,
    history,
    checks: { reminderIntervalMs },
    notifier: alerts.notifier(),
    logger: createLogger('iot-alerting-test'),
  });
}

/** The fixture event for this test's device, `minutes` later, with these readings. */
function telemetry(minutes: number, metrics: Record<string, number>): TelemetryRuleEvent {
  const timestamp = T0 + minutes * MINUTE;
  return { ...fixture, deviceId, timestamp, receivedAt: timestamp + 412, metrics };
}

const temperatureRule: ThresholdRule = {
  metric: 'temperature',
  comparison: 'above',
  value: 30,
  clearValue: 28,
  severity: 'critical',
};

/** The notifications the alerts topic delivered to its subscribers. */
const publishes = () => alerts.publishes();

describe('evaluateTelemetry', () => {
  it('publishes one alarm notification when a reading crosses the fleet threshold', async () => {
    // Prepare
    await thresholds.putRules(FLEET_THRESHOLDS_KEY, [temperatureRule], T0);
    const handler = evaluateTelemetryHandler();

    // Act
    const result = await handler({ ...fixture, deviceId }, lambdaContext());

    // Assess
    expect(result.outcomes).toEqual({ temperature: 'notified', humidity: 'no-rule', 'battery.voltage': 'no-rule' });
    const [publish, ...others] = await publishes();
    expect(others).toEqual([]);
    // A message per protocol (MessageStructure json): each platform received its own.
    expect(publish).toMatchObject({ TopicArn: TOPIC_ARN });
    const message = JSON.parse(publish?.Message ?? '');
    expect(Object.keys(message).sort()).toEqual(['APNS', 'APNS_SANDBOX', 'GCM', 'default']);
    expect(message.default).toContain(`Device ${deviceId}, metric temperature, value 31.2, threshold above 30`);
    expect(message.default).toContain('severity critical');
    expect(JSON.parse(message.APNS).aps.alert.body).toBe('temperature 31.2 is above 30');
    expect(JSON.parse(message.GCM).fcmV1Message.message.notification.title).toBe(
      `ALARM (critical): ${deviceId} temperature`,
    );
    expect(publish?.MessageAttributes).toEqual({
      deviceId: { DataType: 'String', StringValue: deviceId },
      metric: { DataType: 'String', StringValue: 'temperature' },
      severity: { DataType: 'String', StringValue: 'critical' },
      state: { DataType: 'String', StringValue: 'ALARM' },
    });
    expect(await alarms.get(deviceId, 'temperature')).toEqual({
      alarm: {
        deviceId,
        metric: 'temperature',
        state: 'ALARM',
        severity: 'critical',
        comparison: 'above',
        threshold: 30,
        clearValue: 28,
        lastValue: 31.2,
        lastReadingAt: T0,
        stateChangedAt: T0,
      },
      recentBreaches: [true],
      lastReceivedAt: fixture.receivedAt,
      lastNotifiedAt: fixture.receivedAt,
      revision: 2,
    });
  });

  it('publishes nothing for a reading within the limit, a repeated breach, a duplicate or an older reading', async () => {
    // Prepare
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const handler = evaluateTelemetryHandler();
    await handler(telemetry(0, { temperature: 25 }), lambdaContext());
    await handler(telemetry(1, { temperature: 31 }), lambdaContext());
    await alerts.clear();

    // Act
    const repeated = await handler(telemetry(2, { temperature: 33 }), lambdaContext());
    const duplicate = await handler(telemetry(2, { temperature: 33 }), lambdaContext());
    const older = await handler(telemetry(-5, { temperature: 20 }), lambdaContext());
    const between = await handler(telemetry(3, { temperature: 29 }), lambdaContext());

    // Assess
    expect(await publishes()).toEqual([]);
    expect([repeated, duplicate, older, between].map((r) => r.outcomes.temperature)).toEqual([
      'updated',
      'stale',
      'stale',
      'updated',
    ]);
    expect((await alarms.get(deviceId, 'temperature'))?.alarm).toMatchObject({
      state: 'ALARM',
      lastValue: 29,
      lastReadingAt: T0 + 3 * MINUTE,
      stateChangedAt: T0 + MINUTE,
    });
  });

  it('publishes one notification per transition over a series of readings', async () => {
    // Prepare
    await thresholds.putRules(deviceId, [{ ...temperatureRule, datapointsToAlarm: 2, evaluationPeriods: 3 }], T0);
    const handler = evaluateTelemetryHandler();
    const series = [25, 31, 26, 32, 33, 29, 27, 26];

    // Act
    for (const [minute, temperature] of series.entries()) {
      await handler(telemetry(minute, { temperature }), lambdaContext());
    }

    // Assess
    const states = (await publishes()).map(
      (p) => `${p.MessageAttributes?.state?.StringValue}@${JSON.parse(p.Message ?? '').default}`,
    );
    expect(states).toHaveLength(2);
    expect(states[0]).toMatch(/^ALARM@ALARM \(was OK\): temperature 32 is above 30 \(2 of the last 3 readings/);
    expect(states[1]).toMatch(/^OK@OK \(was ALARM\): temperature 27 is back at or below 28/);
  });

  it('uses the device rule over the fleet rule of the same metric, and the fleet rule for the others', async () => {
    // Prepare
    await thresholds.putRules(FLEET_THRESHOLDS_KEY, [{ metric: 'humidity', comparison: 'above', value: 40 }], T0);
    await thresholds.putRules(deviceId, [{ ...temperatureRule, value: 35 }], T0);
    const handler = evaluateTelemetryHandler();

    // Act
    const result = await handler(telemetry(0, { temperature: 31.2, humidity: 48.5 }), lambdaContext());

    // Assess
    expect(result.outcomes).toEqual({ temperature: 'updated', humidity: 'notified' });
    expect((await publishes()).map((p) => p.MessageAttributes?.metric?.StringValue)).toEqual(['humidity']);
  });

  it('notifies the return from INSUFFICIENT_DATA', async () => {
    // Prepare
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const handler = evaluateTelemetryHandler();
    await handler(telemetry(0, { temperature: 25 }), lambdaContext());
    // What a missing-data check leaves after the device fell silent
    const stored = (await alarms.get(deviceId, 'temperature')) as StoredAlarm;
    const silent = { ...stored.alarm, state: 'INSUFFICIENT_DATA', recentBreaches: [], revision: stored.revision + 1 };
    await createDocumentClient(db.client).send(new PutCommand({ TableName: ALARMS_TABLE, Item: silent }));

    // Act
    await handler(telemetry(30, { temperature: 24 }), lambdaContext());

    // Assess
    expect((await publishes()).map((p) => JSON.parse(p.Message ?? '').default)).toEqual([
      expect.stringMatching(/^OK \(was INSUFFICIENT_DATA\): temperature 24 is not above 30/),
    ]);
  });

  it('notifies once when two invocations race on the same alarm', async () => {
    // Prepare
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const handler = evaluateTelemetryHandler();
    await handler(telemetry(0, { temperature: 25 }), lambdaContext());

    // Act
    const results = await Promise.all([
      handler(telemetry(1, { temperature: 31 }), lambdaContext()),
      handler(telemetry(2, { temperature: 32 }), lambdaContext()),
      handler(telemetry(3, { temperature: 33 }), lambdaContext()),
    ]);

    // Assess
    expect(await publishes()).toHaveLength(1);
    expect(results.filter((r) => r.outcomes.temperature === 'notified')).toHaveLength(1);
    expect((await alarms.get(deviceId, 'temperature'))?.alarm.state).toBe('ALARM');
  });

  it('evaluates again on the state another writer left when it loses the race to write', async () => {
    // Prepare: another invocation raises the alarm between this one's read and its write
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const racing = new (class extends DynamoDbAlarmStore {
      raced = false;
      override async get(device: string, metric: string) {
        const stored = await super.get(device, metric);
        if (!this.raced) {
          this.raced = true;
          await evaluateTelemetryHandler()(telemetry(1, { temperature: 31 }), lambdaContext());
        }
        return stored;
      }
    })(createDocumentClient(db.client), ALARMS_TABLE);
    const handler = createEvaluateTelemetryHandler({
      thresholds,
      alarms: racing,
      history,
      notifier: alerts.notifier(),
      logger: createLogger('iot-alerting-test'),
    });

    // Act
    const result = await handler(telemetry(2, { temperature: 32 }), lambdaContext());

    // Assess
    expect(result.outcomes.temperature).toBe('updated');
    expect(await publishes()).toHaveLength(1);
    expect((await alarms.get(deviceId, 'temperature'))?.alarm).toMatchObject({ state: 'ALARM', lastValue: 32 });
  });

  it('keeps a change whose publish failed pending, and publishes it once when Lambda delivers the event again', async () => {
    // Prepare
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const handler = evaluateTelemetryHandler();
    const event = telemetry(0, { temperature: 31.2 });
    alerts.throttleNextPublish();

    // Act
    const failed = handler(event, lambdaContext());
    await expect(failed).rejects.toMatchObject({ name: 'Throttling', message: 'Rate exceeded' });
    const pending = await alarms.get(deviceId, 'temperature');
    const retried = await handler(event, lambdaContext());
    const retriedAgain = await handler(event, lambdaContext());

    // Assess
    expect(pending?.pendingNotification).toMatchObject<Partial<AlarmNotification>>({ state: 'ALARM', timestamp: T0 });
    expect(retried.outcomes.temperature).toBe('renotified');
    expect(retriedAgain.outcomes.temperature).toBe('stale');
    // Two Publish requests, the same twice; the throttled one delivered nothing.
    const attempts = alerts.publishAttempts();
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toEqual(attempts[0]);
    expect(await publishes()).toHaveLength(1);
    expect(await alarms.get(deviceId, 'temperature')).not.toHaveProperty('pendingNotification');
    // Recorded before the failed publish, and again (the same entry) before the successful one.
    expect((await history.listByDevice(deviceId, { limit: 10 })).items).toEqual([pending?.pendingNotification]);
  });

  it('reads the thresholds once per cache TTL in a warm function', async () => {
    // Prepare
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const handler = evaluateTelemetryHandler(60_000);
    await handler(telemetry(0, { temperature: 25 }), lambdaContext());

    // Act: the rule is lowered behind the function's back
    await thresholds.putRules(deviceId, [{ ...temperatureRule, value: 20, clearValue: 20 }], T0);
    const cached = await handler(telemetry(1, { temperature: 25 }), lambdaContext());
    const fresh = await evaluateTelemetryHandler(60_000)(telemetry(2, { temperature: 25 }), lambdaContext());

    // Assess
    expect(cached.outcomes.temperature).toBe('updated');
    expect(fresh.outcomes.temperature).toBe('notified');
  });

  it.each([
    ['a reading that is not a number', { metrics: { temperature: 'hot' } }, /metrics\.temperature/],
    ['a timestamp in seconds', { timestamp: 1_767_225_600 }, /timestamp: must be milliseconds since the epoch/],
    ['no device id', { deviceId: undefined }, /deviceId/],
    ['a device id outside the thing-name alphabet', { deviceId: 'sensor/1' }, /deviceId: must be 1 to 128/],
    ['no readings', { metrics: {} }, /metrics: must hold at least one reading/],
    ['no receivedAt', { receivedAt: undefined }, /receivedAt/],
    [
      'a device clock far ahead of the broker',
      { timestamp: T0 + 3_600_000 },
      /timestamp: is 3599588 ms after receivedAt/,
    ],
  ])('rejects %s with an error naming the field, and writes and publishes nothing', async (_, change, reason) => {
    // Prepare
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const event = { ...fixture, deviceId, ...change };

    // Act
    const invocation = evaluateTelemetryHandler()(event, lambdaContext());

    // Assess
    await expect(invocation).rejects.toThrow(reason);
    await expect(invocation).rejects.toMatchObject({ name: 'InvalidTelemetryEventError' });
    expect(await publishes()).toEqual([]);
    expect(await alarms.listByDevice(deviceId)).toEqual([]);
  });

  it('rejects an event that is not an object at all', async () => {
    // Act
    const invocation = evaluateTelemetryHandler()('{"deviceId":"sensor-1"}', lambdaContext());

    // Assess
    await expect(invocation).rejects.toThrow(/^Invalid telemetry event: .*expected object/);
  });
});

describe('evaluateTelemetry in a warm function with an alarm cache, as on the stream (alarmRefreshMs)', () => {
  const REFRESH_MS = 5 * MINUTE;

  /** A DynamoDB client of its own that counts the requests it sends, so a test sees the I/O of one function. */
  function countingAlarmStore() {
    const client = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const counter = { requests: 0 };
    client.middlewareStack.add(
      (next) => async (args) => {
        counter.requests++;
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    return { store: new DynamoDbAlarmStore(createDocumentClient(client), ALARMS_TABLE), counter };
  }

  /** One warm function (one Lambda container): its own caches, its own clients; the rule's has no alarm cache. */
  function warmHandler(store: DynamoDbAlarmStore, { alarmCache = true } = {}) {
    return createEvaluateTelemetryHandler({
      thresholds: new CachingThresholdStore(thresholds, { ttlMs: 60 * MINUTE }),
      alarms: store,
      ...(alarmCache ? { alarmCache: new MemoryAlarmCache() } : {}),
      history,
      checks: { reminderIntervalMs: 0, alarmRefreshMs: REFRESH_MS },
      notifier: alerts.notifier(),
      logger: createLogger('iot-alerting-test'),
    });
  }

  it('reads and writes nothing for readings that change nothing of the alarm, and still notifies each change once', async () => {
    // Prepare
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const { store, counter } = countingAlarmStore();
    const handler = warmHandler(store);
    await handler(telemetry(0, { temperature: 25 }), lambdaContext());
    const afterFirst = counter.requests;

    // Act
    const steady = [];
    for (let second = 10; second <= 60; second += 10) {
      steady.push(await handler(telemetry(second / 60, { temperature: 24 + (second % 3) }), lambdaContext()));
    }
    const steadyRequests = counter.requests - afterFirst;
    const raised = await handler(telemetry(1.5, { temperature: 31 }), lambdaContext());
    const inAlarm = await handler(telemetry(1.75, { temperature: 33 }), lambdaContext());
    const cleared = await handler(telemetry(2, { temperature: 27 }), lambdaContext());

    // Assess
    expect(steady.map((r) => r.outcomes.temperature)).toEqual(Array(6).fill('unchanged'));
    expect(steadyRequests).toBe(0);
    expect([raised, inAlarm, cleared].map((r) => r.outcomes.temperature)).toEqual([
      'notified',
      'unchanged',
      'notified',
    ]);
    expect((await publishes()).map((p) => p.MessageAttributes?.state?.StringValue)).toEqual(['ALARM', 'OK']);
    // The alarm shows the reading that last changed it.
    expect((await alarms.get(deviceId, 'temperature'))?.alarm).toMatchObject({
      state: 'OK',
      lastValue: 27,
      lastReadingAt: T0 + 2 * MINUTE,
    });
  });

  it('writes the last reading again once alarmRefreshMs has passed since the last write', async () => {
    // Prepare
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const handler = warmHandler(countingAlarmStore().store);
    await handler(telemetry(0, { temperature: 25 }), lambdaContext());
    await handler(telemetry(4, { temperature: 26 }), lambdaContext());

    // Act
    const refreshed = await handler(telemetry(5, { temperature: 24 }), lambdaContext());

    // Assess
    expect(refreshed.outcomes.temperature).toBe('updated');
    expect((await alarms.get(deviceId, 'temperature'))?.alarm).toMatchObject({
      state: 'OK',
      lastValue: 24,
      lastReadingAt: T0 + 5 * MINUTE,
    });
    expect(await publishes()).toEqual([]);
  });

  it('catches up with a change another function made through its failed conditional write, without notifying it again', async () => {
    // Prepare: two warm functions have seen the alarm in OK; the first raises it.
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const first = warmHandler(countingAlarmStore().store);
    const second = warmHandler(countingAlarmStore().store);
    await first(telemetry(0, { temperature: 25 }), lambdaContext());
    await second(telemetry(0.25, { temperature: 25 }), lambdaContext());
    await first(telemetry(0.5, { temperature: 31 }), lambdaContext());

    // Act: the second, which still holds the alarm in OK, gets a breaching reading, then a clearing one.
    const breach = await second(telemetry(0.75, { temperature: 32 }), lambdaContext());
    const clear = await second(telemetry(1, { temperature: 20 }), lambdaContext());

    // Assess
    expect([breach.outcomes.temperature, clear.outcomes.temperature]).toEqual(['unchanged', 'notified']);
    expect((await publishes()).map((p) => p.MessageAttributes?.state?.StringValue)).toEqual(['ALARM', 'OK']);
  });

  it('on the rule (no alarm cache), raises a breach after another function cleared the alarm', async () => {
    // Prepare: readings of one device reach two warm functions; the first raises the alarm and sees it stay, the
    // second clears it.
    await thresholds.putRules(deviceId, [temperatureRule], T0);
    const first = warmHandler(countingAlarmStore().store, { alarmCache: false });
    const second = warmHandler(countingAlarmStore().store, { alarmCache: false });
    await first(telemetry(0, { temperature: 25 }), lambdaContext());
    await first(telemetry(0.25, { temperature: 31 }), lambdaContext());
    await first(telemetry(0.4, { temperature: 33 }), lambdaContext());
    await second(telemetry(0.5, { temperature: 20 }), lambdaContext());

    // Act: the first function, which last saw the alarm in ALARM, gets a breaching reading.
    const breach = await first(telemetry(0.75, { temperature: 32 }), lambdaContext());

    // Assess
    expect(breach.outcomes.temperature).toBe('notified');
    expect((await publishes()).map((p) => p.MessageAttributes?.state?.StringValue)).toEqual(['ALARM', 'OK', 'ALARM']);
  });

  it('judges silence alarmRefreshMs late, since the last reading written may be that old', async () => {
    // Prepare: a rule with a 10-minute missing-data period writes its alarm at least every minute (a tenth of it).
    await thresholds.putRules(deviceId, [{ ...temperatureRule, missingDataMinutes: 10 }], T0);
    const handler = warmHandler(countingAlarmStore().store);
    await handler(telemetry(0, { temperature: 25 }), lambdaContext());

    // Act
    const within = await handler(telemetry(0.5, { temperature: 25 }), lambdaContext());
    const afterAMinute = await handler(telemetry(1, { temperature: 25 }), lambdaContext());

    // Assess
    expect([within.outcomes.temperature, afterAMinute.outcomes.temperature]).toEqual(['unchanged', 'updated']);
    const stored = await alarms.get(deviceId, 'temperature');
    expect(stored?.lastReceivedAt).toBe(T0 + MINUTE + 412);
    // The check looks at it 10 minutes after the first reading written, plus the minute of lag.
    expect(stored?.checkAt).toBe(T0 + 412 + 11 * MINUTE);
  });
});
