/**
 * Offline invocation of checkAlarms, the target of the service's one-minute schedule, through its middy stack, with
 * the EventBridge scheduled event in `fixtures/scheduled-event.json`, against a real local DynamoDB whose tables and
 * indexes (the sparse `byCheckAt` index included) are created from serverless.yml. Alarms are made by the real
 * evaluation handler.
 *
 * SNS is the local cloud's, started in-process (tests/alerts-topic.ts): the notifier's real SNS client publishes to
 * the alerts topic at the local edge endpoint, and the tests read the notifications its SQS and mobile push
 * subscriptions received. The one answer the local SNS never gives, throttling, is injected at the edge endpoint in
 * front of it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@iot/lambda-kit';
import { type LocalDynamoDb, lambdaContext, startLocalDynamoDb } from '@iot/testing';
import type { TelemetryRuleEvent, ThresholdRule } from '@iot/types';
import { CHECK_SHARDS, checkShardOf } from '../src/adapters/dynamodb-alarm-store';
import { acknowledgeAlarm } from '../src/domain/acknowledge-alarm';
import type { AlarmKey } from '../src/domain/ports';
import { FLEET_THRESHOLDS_KEY } from '../src/domain/thresholds';
import { createCheckAlarmsHandler } from '../src/handlers/check-alarms';
import { createEvaluateTelemetryHandler } from '../src/handlers/evaluate-telemetry';
import { createAlarmTables } from './alarm-tables';
import { type AlertsTopic, type DeliveredNotification, startAlertsTopic } from './alerts-topic';

const MINUTE = 60_000;
const T0 = 1_767_225_600_000;

const scheduledEvent = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'scheduled-event.json'), 'utf8'));
/** The fixture's time: 2026-01-01T00:20:00Z, 20 minutes after T0. */
const FIXTURE_TIME = Date.parse(scheduledEvent.time);

let alerts: AlertsTopic;
const logger = createLogger('iot-alerting-test');
let db: LocalDynamoDb;
let tableCount = 0;

beforeAll(async () => {
  db = await startLocalDynamoDb();
});

afterAll(() => db.stop());

beforeEach(async () => {
  alerts = await startAlertsTopic();
});
afterEach(() => alerts.stop());

/** The service's tables, fresh for each test (the check looks at every due alarm of its table), and its handlers. */
async function service(reminderMinutes = 0) {
  const { thresholds, alarms, history } = await createAlarmTables(db.client, `iot-alerting-check-${++tableCount}`);
  const deps = {
    thresholds,
    alarms,
    history,
    notifier: alerts.notifier(),
    checks: { reminderIntervalMs: reminderMinutes * MINUTE },
    logger,
  };
  const evaluate = createEvaluateTelemetryHandler(deps);
  const check = createCheckAlarmsHandler(deps);
  return {
    ...deps,
    check,
    /** A reading of `metric` taken at `minute` after T0, received 300 ms later. */
    read: (deviceId: string, minute: number, metrics: Record<string, number>) => {
      const timestamp = T0 + minute * MINUTE;
      const event: TelemetryRuleEvent = { deviceId, timestamp, receivedAt: timestamp + 300, metrics };
      return evaluate(event, lambdaContext());
    },
    /** The scheduled invocation at `minute` after T0 (the fixture event with its time changed). */
    runAt: (minute: number, remainingMs = 40_000) =>
      check(
        { ...scheduledEvent, time: new Date(T0 + minute * MINUTE).toISOString().replace('.000Z', 'Z') },
        { ...lambdaContext('iot-alerting-test-checkAlarms'), getRemainingTimeInMillis: () => remainingMs },
      ),
    /** Every alarm in the check index, due whenever. */
    indexed: async () => {
      const keys: AlarmKey[] = [];
      for await (const page of deps.alarms.dueForCheck(9_999_999_999_999)) keys.push(...page);
      return keys;
    },
  };
}

const temperature = (overrides: Partial<ThresholdRule> = {}): ThresholdRule => ({
  metric: 'temperature',
  comparison: 'above',
  value: 30,
  clearValue: 28,
  missingDataMinutes: 10,
  ...overrides,
});

/** The notifications the alerts topic delivered to its subscribers. */
const publishes = () => alerts.publishes();

const attributesOf = (publish: DeliveredNotification | undefined) =>
  Object.fromEntries(
    Object.entries(publish?.MessageAttributes ?? {}).map(([name, value]) => [name, value.StringValue]),
  );

describe('checkAlarms: missing data', () => {
  it('moves each alarm silent for its missingDataMinutes to INSUFFICIENT_DATA, with one notification each', async () => {
    // Prepare
    const alerting = await service();
    await alerting.thresholds.putRules(
      FLEET_THRESHOLDS_KEY,
      [temperature(), temperature({ metric: 'humidity', value: 90, clearValue: 85, missingDataMinutes: 5 })],
      T0,
    );
    await alerting.read('sensor-silent', 0, { temperature: 25, humidity: 50 });
    await alerting.read('sensor-alive', 0, { temperature: 31 });
    await alerting.read('sensor-alive', 12, { temperature: 32 });
    await alerts.clear();

    // Act: the fixture event, 20 minutes after T0
    const summary = await alerting.check(scheduledEvent, {
      ...lambdaContext(),
      getRemainingTimeInMillis: () => 40_000,
    });

    // Assess
    expect(summary).toMatchObject({ now: FIXTURE_TIME, failed: 0, stoppedEarly: false });
    // sensor-alive is looked at too (its check was due at its first deadline), and found alive.
    expect(summary.outcomes).toEqual({ 'insufficient-data': 2, rescheduled: 1 });
    expect(
      (await publishes()).map(attributesOf).sort((a, b) => (a.metric ?? '').localeCompare(b.metric ?? '')),
    ).toEqual([
      { deviceId: 'sensor-silent', metric: 'humidity', severity: 'major', state: 'INSUFFICIENT_DATA' },
      { deviceId: 'sensor-silent', metric: 'temperature', severity: 'major', state: 'INSUFFICIENT_DATA' },
    ]);
    const message = JSON.parse((await publishes())[0]?.Message ?? '');
    expect(message.default).toMatch(
      /^INSUFFICIENT_DATA \(was OK\): no (humidity|temperature) reading for (5|10) minutes\./,
    );
    expect(JSON.parse(message.APNS).aps.alert.title).toMatch(/^No data: sensor-silent/);
    expect((await alerting.alarms.get('sensor-silent', 'temperature'))?.alarm).toMatchObject({
      state: 'INSUFFICIENT_DATA',
      stateChangedAt: FIXTURE_TIME,
      lastValue: 25,
      lastReadingAt: T0,
    });
    expect((await alerting.alarms.get('sensor-alive', 'temperature'))?.alarm.state).toBe('ALARM');
  });

  it('notifies once: later runs, and readings older than the last one, change nothing', async () => {
    // Prepare
    const alerting = await service();
    await alerting.thresholds.putRules('sensor-1', [temperature()], T0);
    await alerting.read('sensor-1', 0, { temperature: 25 });
    await alerting.runAt(11);

    // Act
    await alerting.runAt(12);
    await alerting.runAt(40);
    await alerting.read('sensor-1', 0, { temperature: 99 });

    // Assess
    expect((await publishes()).map((publish) => attributesOf(publish).state)).toEqual(['INSUFFICIENT_DATA']);
    expect(await alerting.indexed()).toEqual([]);
  });

  it('keeps the change in the history with the other transitions', async () => {
    // Prepare
    const alerting = await service();
    await alerting.thresholds.putRules('sensor-1', [temperature()], T0);
    await alerting.read('sensor-1', 0, { temperature: 31 });

    // Act
    await alerting.runAt(11);
    await alerting.read('sensor-1', 15, { temperature: 20 });

    // Assess
    const { items } = await alerting.history.listByDevice('sensor-1', { limit: 10 });
    expect(
      items.map((change) => `${change.previousState}->${change.state}@${(change.timestamp - T0) / MINUTE}`),
    ).toEqual(['INSUFFICIENT_DATA->OK@15', 'ALARM->INSUFFICIENT_DATA@11', 'INSUFFICIENT_DATA->ALARM@0']);
    expect(await publishes()).toHaveLength(3);
  });

  it('leaves a device that was heard from in time alone, and looks again at its new deadline', async () => {
    // Prepare
    const alerting = await service();
    await alerting.thresholds.putRules('sensor-1', [temperature()], T0);
    await alerting.read('sensor-1', 0, { temperature: 25 });
    await alerting.read('sensor-1', 8, { temperature: 26 });

    // Act
    const atFirstDeadline = await alerting.runAt(11);
    const stored = await alerting.alarms.get('sensor-1', 'temperature');
    const beforeSecondDeadline = await alerting.runAt(18);
    const atSecondDeadline = await alerting.runAt(19);

    // Assess
    expect(atFirstDeadline.outcomes).toEqual({ rescheduled: 1 });
    expect(stored?.checkAt).toBe(T0 + 18 * MINUTE + 300);
    expect(beforeSecondDeadline.outcomes).toEqual({});
    expect(atSecondDeadline.outcomes).toEqual({ 'insufficient-data': 1 });
    expect(await publishes()).toHaveLength(1);
  });

  it('writes no check for a reading that keeps a device alive: the index moves only when the check runs', async () => {
    // Prepare
    const alerting = await service();
    await alerting.thresholds.putRules('sensor-1', [temperature()], T0);
    await alerting.read('sensor-1', 0, { temperature: 25 });
    const first = await alerting.alarms.get('sensor-1', 'temperature');

    // Act
    for (let minute = 1; minute <= 5; minute++) await alerting.read('sensor-1', minute, { temperature: 25 });

    // Assess
    expect(first?.checkAt).toBe(T0 + 10 * MINUTE + 300);
    expect((await alerting.alarms.get('sensor-1', 'temperature'))?.checkAt).toBe(first?.checkAt);
  });

  it('publishes a change whose publish failed at the next run, once', async () => {
    // Prepare
    const alerting = await service();
    await alerting.thresholds.putRules('sensor-1', [temperature()], T0);
    await alerting.read('sensor-1', 0, { temperature: 25 });
    alerts.throttleNextPublish();

    // Act
    const failed = alerting.runAt(11);
    await expect(failed).rejects.toMatchObject({ name: 'AlarmChecksFailedError', failed: 1 });
    const pending = await alerting.alarms.get('sensor-1', 'temperature');
    const tooSoon = await alerting.runAt(11.5);
    const retried = await alerting.runAt(12);
    const after = await alerting.runAt(13);

    // Assess
    expect(pending).toMatchObject({ alarm: { state: 'INSUFFICIENT_DATA' }, checkAt: T0 + 12 * MINUTE });
    expect(pending?.pendingNotification?.state).toBe('INSUFFICIENT_DATA');
    expect(tooSoon.outcomes).toEqual({});
    expect(retried.outcomes).toEqual({ renotified: 1 });
    expect(after.outcomes).toEqual({});
    // Two Publish requests, the same twice; the throttled one delivered nothing.
    const attempts = alerts.publishAttempts();
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toEqual(attempts[0]);
    expect(await publishes()).toHaveLength(1);
    expect(await alerting.alarms.get('sensor-1', 'temperature')).not.toHaveProperty('pendingNotification');
    expect((await alerting.history.listByDevice('sensor-1', { limit: 10 })).items).toHaveLength(1);
  });

  it('stops looking at an alarm whose rule no longer watches for missing data', async () => {
    // Prepare
    const alerting = await service();
    await alerting.thresholds.putRules('sensor-1', [temperature()], T0);
    await alerting.read('sensor-1', 0, { temperature: 25 });
    await alerting.thresholds.putRules('sensor-1', [temperature({ missingDataMinutes: undefined })], T0);

    // Act
    const summary = await alerting.runAt(30);

    // Assess
    expect(summary.outcomes).toEqual({ rescheduled: 1 });
    expect(await publishes()).toEqual([]);
    expect(await alerting.indexed()).toEqual([]);
  });

  it('checks every due alarm of a larger fleet, across all the shards of the index', async () => {
    // Prepare
    const alerting = await service();
    await alerting.thresholds.putRules(FLEET_THRESHOLDS_KEY, [temperature()], T0);
    const devices = Array.from({ length: 24 }, (_, index) => `sensor-${index}`);
    for (const deviceId of devices) await alerting.read(deviceId, 0, { temperature: 25 });

    // Act
    const summary = await alerting.runAt(11);

    // Assess
    expect(new Set(devices.map((deviceId) => checkShardOf(deviceId, 'temperature'))).size).toBe(CHECK_SHARDS);
    expect(summary.outcomes).toEqual({ 'insufficient-data': devices.length });
    expect(new Set((await publishes()).map((publish) => attributesOf(publish).deviceId))).toEqual(new Set(devices));
  }, 30_000);

  it('takes no alarm with less than its safety margin of time left; they stay due', async () => {
    // Prepare
    const alerting = await service();
    await alerting.thresholds.putRules('sensor-1', [temperature()], T0);
    await alerting.read('sensor-1', 0, { temperature: 25 });

    // Act
    const short = await alerting.runAt(11, 5_000);
    const next = await alerting.runAt(12);

    // Assess
    expect(short).toMatchObject({ outcomes: {}, stoppedEarly: true });
    expect(next.outcomes).toEqual({ 'insufficient-data': 1 });
  });
});

describe('checkAlarms: reminders', () => {
  it('reminds of an alarm in ALARM, unacknowledged, once per interval, marked as a reminder', async () => {
    // Prepare
    const alerting = await service(5);
    await alerting.thresholds.putRules(
      'sensor-1',
      [temperature({ missingDataMinutes: undefined, severity: 'critical' })],
      T0,
    );
    await alerting.read('sensor-1', 0, { temperature: 31 });
    await alerts.clear();

    // Act
    const runs = [];
    for (const minute of [4, 5, 6, 10, 11]) runs.push(await alerting.runAt(minute));

    // Assess: due 5 minutes (and 300 ms) after the alarm was received, then 5 minutes after each reminder
    expect(runs.map((run) => run.outcomes)).toEqual([{}, {}, { reminded: 1 }, {}, { reminded: 1 }]);
    expect((await publishes()).map(attributesOf)).toEqual([
      { deviceId: 'sensor-1', metric: 'temperature', severity: 'critical', state: 'ALARM', reminder: 'true' },
      { deviceId: 'sensor-1', metric: 'temperature', severity: 'critical', state: 'ALARM', reminder: 'true' },
    ]);
    expect((await publishes())[1]?.Subject).toBe('Reminder: ALARM (critical): sensor-1 temperature');
    expect(JSON.parse((await publishes())[1]?.Message ?? '').default).toMatch(
      /^ALARM \(reminder\): reminder 2: temperature is above 30/,
    );
    expect(await alerting.history.listByDevice('sensor-1', { limit: 10 })).toMatchObject({
      items: [{ state: 'ALARM' }],
    });
  });

  it('stops once the alarm is acknowledged', async () => {
    // Prepare
    const alerting = await service(5);
    await alerting.thresholds.putRules('sensor-1', [temperature({ missingDataMinutes: undefined })], T0);
    await alerting.read('sensor-1', 0, { temperature: 31 });
    await alerting.runAt(6);
    await acknowledgeAlarm(alerting.alarms, {
      deviceId: 'sensor-1',
      metric: 'temperature',
      user: 'ops',
      now: T0 + 7 * MINUTE,
    });
    await alerts.clear();

    // Act
    const summaries = [await alerting.runAt(11), await alerting.runAt(30)];

    // Assess
    expect(summaries.map((summary) => summary.outcomes)).toEqual([{ rescheduled: 1 }, {}]);
    expect(await publishes()).toEqual([]);
    expect(await alerting.indexed()).toEqual([]);
  });

  it('stops once the alarm clears', async () => {
    // Prepare
    const alerting = await service(5);
    await alerting.thresholds.putRules('sensor-1', [temperature({ missingDataMinutes: undefined })], T0);
    await alerting.read('sensor-1', 0, { temperature: 31 });
    await alerting.read('sensor-1', 3, { temperature: 20 });
    await alerts.clear();

    // Act
    await alerting.runAt(6);
    await alerting.runAt(30);

    // Assess
    expect(await publishes()).toEqual([]);
  });

  it('sends none with reminders off', async () => {
    // Prepare
    const alerting = await service(0);
    await alerting.thresholds.putRules('sensor-1', [temperature({ missingDataMinutes: undefined })], T0);
    await alerting.read('sensor-1', 0, { temperature: 31 });
    await alerts.clear();

    // Act
    const summary = await alerting.runAt(600);

    // Assess
    expect(summary.outcomes).toEqual({});
    expect(await publishes()).toEqual([]);
    expect(await alerting.indexed()).toEqual([]);
  });
});

describe('checkAlarms: its event', () => {
  it('checks as of the time of the scheduled event, or of the clock for any other event', async () => {
    // Prepare
    const alerting = await service();
    const handler = createCheckAlarmsHandler({ ...alerting, now: () => T0 + 99 * MINUTE });

    // Act
    const scheduled = await handler(scheduledEvent, lambdaContext());
    const other = await handler({}, lambdaContext());

    // Assess
    expect(scheduled.now).toBe(FIXTURE_TIME);
    expect(other.now).toBe(T0 + 99 * MINUTE);
  });
});
