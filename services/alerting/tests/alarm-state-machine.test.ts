import {
  type Alarm,
  type AlarmState,
  type ResolvedThresholdRule,
  resolveThresholdRule,
  type ThresholdRule,
} from '@iot/types';
import { checkAlarm, earliest, nextCheckAt } from '../src/domain/alarm-checks';
import { evaluateReading, type TrackedAlarm } from '../src/domain/alarm-state-machine';

const T0 = 1_767_225_600_000;
const MINUTE = 60_000;

const rule = (overrides: Partial<ThresholdRule> = {}): ResolvedThresholdRule =>
  resolveThresholdRule({ metric: 'temperature', comparison: 'above', value: 30, ...overrides });

/** Applies readings one minute apart; returns the state after each and the notified transitions. */
function run(thresholds: ResolvedThresholdRule, values: number[], start?: TrackedAlarm) {
  let current = start;
  const states: AlarmState[] = [];
  const notified: string[] = [];
  values.forEach((value, index) => {
    const evaluation = evaluateReading(current, thresholds, {
      deviceId: 'sensor-1',
      metric: 'temperature',
      value,
      timestamp: T0 + (index + 1) * MINUTE,
    });
    if (evaluation.outcome === 'stale') throw new Error('unexpected stale reading');
    current = evaluation.next;
    states.push(current.alarm.state);
    if (evaluation.notification) {
      notified.push(`${evaluation.notification.previousState}->${evaluation.notification.state}@${value}`);
    }
  });
  return { states, notified, last: current };
}

function alarmIn(state: AlarmState, overrides: Partial<Alarm> = {}, recentBreaches: boolean[] = []): TrackedAlarm {
  return {
    alarm: {
      deviceId: 'sensor-1',
      metric: 'temperature',
      state,
      severity: 'major',
      comparison: 'above',
      threshold: 30,
      clearValue: 30,
      lastValue: 20,
      lastReadingAt: T0,
      stateChangedAt: T0 - MINUTE,
      ...overrides,
    },
    recentBreaches,
  };
}

describe('evaluateReading', () => {
  it.each<[string, Partial<ThresholdRule>, number[], AlarmState[], string[]]>([
    ['a first reading within the limit creates the alarm in OK, silently', {}, [25], ['OK'], []],
    ['a first breaching reading creates the alarm in ALARM', {}, [31], ['ALARM'], ['INSUFFICIENT_DATA->ALARM@31']],
    ['a reading at the value does not breach "above"', {}, [25, 30], ['OK', 'OK'], []],
    [
      'a reading past the value raises the alarm once',
      {},
      [25, 31, 35, 40],
      ['OK', 'ALARM', 'ALARM', 'ALARM'],
      ['OK->ALARM@31'],
    ],
    [
      'without a clear value, the value itself clears',
      {},
      [31, 30],
      ['ALARM', 'OK'],
      ['INSUFFICIENT_DATA->ALARM@31', 'ALARM->OK@30'],
    ],
    [
      'above: a reading between clear value and value keeps ALARM',
      { clearValue: 28 },
      [25, 31, 29.9, 28.1, 28],
      ['OK', 'ALARM', 'ALARM', 'ALARM', 'OK'],
      ['OK->ALARM@31', 'ALARM->OK@28'],
    ],
    [
      'below: a reading between value and clear value keeps ALARM',
      { comparison: 'below', value: 10, clearValue: 12 },
      [15, 9.5, 10, 11.9, 12],
      ['OK', 'ALARM', 'ALARM', 'ALARM', 'OK'],
      ['OK->ALARM@9.5', 'ALARM->OK@12'],
    ],
    ['below: a reading at the value does not breach', { comparison: 'below', value: 10 }, [10], ['OK'], []],
    [
      'M of N: 2 of 3 needs two breaches among the last three readings',
      { datapointsToAlarm: 2, evaluationPeriods: 3 },
      [31, 25, 31],
      ['OK', 'OK', 'ALARM'],
      ['OK->ALARM@31'],
    ],
    [
      'M of N: breaches that slid out of the window do not count',
      { datapointsToAlarm: 2, evaluationPeriods: 3 },
      [31, 25, 25, 31, 25, 25],
      ['OK', 'OK', 'OK', 'OK', 'OK', 'OK'],
      [],
    ],
    [
      'M of N: 3 of 3 needs three breaches in a row',
      { datapointsToAlarm: 3, evaluationPeriods: 3 },
      [31, 31, 25, 31, 31, 31],
      ['OK', 'OK', 'OK', 'OK', 'OK', 'ALARM'],
      ['OK->ALARM@31'],
    ],
    [
      'M of N: datapointsToAlarm alone means M of M',
      { datapointsToAlarm: 2 },
      [31, 25, 31, 31],
      ['OK', 'OK', 'OK', 'ALARM'],
      ['OK->ALARM@31'],
    ],
    [
      'M of N: a cleared alarm needs M new breaches to fire again',
      { datapointsToAlarm: 2, evaluationPeriods: 3, clearValue: 28 },
      [31, 31, 27, 31, 31],
      ['OK', 'ALARM', 'OK', 'OK', 'ALARM'],
      ['OK->ALARM@31', 'ALARM->OK@27', 'OK->ALARM@31'],
    ],
    [
      'M of N: in ALARM only the clear value matters, not the breach count',
      { datapointsToAlarm: 2, evaluationPeriods: 2, clearValue: 28 },
      [31, 31, 29, 29, 29, 28],
      ['OK', 'ALARM', 'ALARM', 'ALARM', 'ALARM', 'OK'],
      ['OK->ALARM@31', 'ALARM->OK@28'],
    ],
  ])('%s', (_, overrides, values, states, notified) => {
    // Act
    const result = run(rule(overrides), values);

    // Assess
    expect(result.states).toEqual(states);
    expect(result.notified).toEqual(notified);
  });

  it('keeps at most evaluationPeriods breach flags on the alarm, oldest first', () => {
    // Act
    const { last } = run(rule({ datapointsToAlarm: 2, evaluationPeriods: 3 }), [31, 25, 25, 31, 25]);

    // Assess
    expect(last?.recentBreaches).toEqual([false, true, false]);
  });

  it.each([
    ['an older reading (out of order)', T0 - MINUTE],
    ['the same reading delivered twice', T0],
  ])('changes nothing for %s', (_, timestamp) => {
    // Prepare
    const current = alarmIn('OK', { lastReadingAt: T0 });

    // Act
    const evaluation = evaluateReading(current, rule(), {
      deviceId: 'sensor-1',
      metric: 'temperature',
      value: 99,
      timestamp,
    });

    // Assess
    expect(evaluation).toEqual({ outcome: 'stale' });
  });

  it.each<[string, Partial<ThresholdRule>, number[], AlarmState[], string[]]>([
    ['to OK on a reading within the limit', {}, [25], ['OK'], ['INSUFFICIENT_DATA->OK@25']],
    ['to ALARM on a breaching reading', {}, [31], ['ALARM'], ['INSUFFICIENT_DATA->ALARM@31']],
    [
      'to OK when M of N is not reached yet: breaches from before the gap do not count',
      { datapointsToAlarm: 2, evaluationPeriods: 2 },
      [31, 31],
      ['OK', 'ALARM'],
      ['INSUFFICIENT_DATA->OK@31', 'OK->ALARM@31'],
    ],
  ])('leaves INSUFFICIENT_DATA %s, and notifies', (_, overrides, values, states, notified) => {
    // Prepare
    const silent = alarmIn('INSUFFICIENT_DATA', {}, [true, true]);

    // Act
    const result = run(rule(overrides), values, silent);

    // Assess
    expect(result.states).toEqual(states);
    expect(result.notified).toEqual(notified);
  });

  it('restarts the breach window when the rule moves its value', () => {
    // Prepare: one breach of 30 recorded, the rule now says 2 of 2 above 35
    const current = alarmIn('OK', {}, [true]);

    // Act
    const result = run(rule({ value: 35, datapointsToAlarm: 2 }), [36], current);

    // Assess
    expect(result.states).toEqual(['OK']);
    expect(result.last?.recentBreaches).toEqual([true]);
  });

  it('keeps the time of the last change and the acknowledgement while the state holds, and drops them on a change', () => {
    // Prepare
    const acknowledged = alarmIn('ALARM', { acknowledgedAt: T0, acknowledgedBy: 'ops@example.com' }, [true]);

    // Act
    const held = run(rule(), [35], acknowledged).last?.alarm;
    const cleared = run(rule(), [25], acknowledged).last?.alarm;

    // Assess
    expect(held).toMatchObject({ state: 'ALARM', stateChangedAt: T0 - MINUTE, acknowledgedBy: 'ops@example.com' });
    expect(cleared).toMatchObject({ state: 'OK', stateChangedAt: T0 + MINUTE });
    expect(cleared).not.toHaveProperty('acknowledgedAt');
    expect(cleared).not.toHaveProperty('acknowledgedBy');
  });

  it('takes severity, threshold and clear value from the current rule', () => {
    // Act
    const { last } = run(rule({ severity: 'critical', value: 80, clearValue: 75 }), [50]);

    // Assess
    expect(last?.alarm).toEqual({
      deviceId: 'sensor-1',
      metric: 'temperature',
      state: 'OK',
      severity: 'critical',
      comparison: 'above',
      threshold: 80,
      clearValue: 75,
      lastValue: 50,
      lastReadingAt: T0 + MINUTE,
      stateChangedAt: T0 + MINUTE,
    });
  });

  it.each<[string, Partial<ThresholdRule>, number[], string]>([
    ['a breach', {}, [31.2], 'temperature 31.2 is above 30'],
    [
      'a breach of M of N',
      { datapointsToAlarm: 3, evaluationPeriods: 5 },
      [31, 25, 32, 33],
      'temperature 33 is above 30 (3 of the last 4 readings above 30)',
    ],
    ['a clear below the clear value', { clearValue: 28 }, [31, 27.5], 'temperature 27.5 is back at or below 28'],
    ['a clear of "below"', { comparison: 'below', value: 10 }, [9, 10.5], 'temperature 10.5 is back at or above 10'],
  ])('explains %s in the notification', (_, overrides, values, reason) => {
    // Prepare
    const thresholds = rule(overrides);
    const before = run(thresholds, values.slice(0, -1)).last;

    // Act
    const evaluation = evaluateReading(before, thresholds, {
      deviceId: 'sensor-1',
      metric: 'temperature',
      value: values.at(-1) as number,
      timestamp: T0 + 60 * MINUTE,
    });

    // Assess
    expect(evaluation.outcome === 'evaluated' && evaluation.notification?.reason).toBe(reason);
  });

  it('notifies a transition with everything a subscriber needs', () => {
    // Prepare
    const current = alarmIn('OK');

    // Act
    const evaluation = evaluateReading(current, rule({ severity: 'critical' }), {
      deviceId: 'sensor-1',
      metric: 'temperature',
      value: 42,
      timestamp: T0 + MINUTE,
    });

    // Assess
    expect(evaluation.outcome === 'evaluated' && evaluation.notification).toEqual({
      deviceId: 'sensor-1',
      metric: 'temperature',
      state: 'ALARM',
      previousState: 'OK',
      severity: 'critical',
      comparison: 'above',
      threshold: 30,
      value: 42,
      timestamp: T0 + MINUTE,
      reason: 'temperature 42 is above 30',
    });
  });
});

/**
 * One step of a timeline, at a minute after T0 (the cloud's clock): a reading (whose device timestamp is `at`
 * unless given), a run of the scheduled check, or an acknowledgement.
 */
type Step =
  | { minute: number; reading: number; deviceMinute?: number }
  | { minute: number; check: true }
  | { minute: number; ack: true };

const reading = (minute: number, value: number, deviceMinute?: number): Step => ({
  minute,
  reading: value,
  ...(deviceMinute === undefined ? {} : { deviceMinute }),
});
const checks = (from: number, to: number): Step[] =>
  Array.from({ length: to - from + 1 }, (_, index) => ({ minute: from + index, check: true as const }));
const ack = (minute: number): Step => ({ minute, ack: true });

/**
 * Plays a timeline the way the service does: each reading through the state machine, keeping the alarm's `checkAt`
 * no later than its next deadline; the scheduled check acting only once `checkAt` has come, then setting the next one.
 * Returns what was notified, e.g. `OK->INSUFFICIENT_DATA@7` or `reminder 1@10`, and the final state.
 */
function play(thresholds: ResolvedThresholdRule, steps: Step[], reminderMinutes = 0) {
  const options = { reminderIntervalMs: reminderMinutes * MINUTE };
  let current: TrackedAlarm | undefined;
  let checkAt: number | undefined;
  const notified: string[] = [];
  for (const step of [...steps].sort((a, b) => a.minute - b.minute)) {
    const now = T0 + step.minute * MINUTE;
    if ('reading' in step) {
      const evaluation = evaluateReading(current, thresholds, {
        deviceId: 'sensor-1',
        metric: 'temperature',
        value: step.reading,
        timestamp: T0 + (step.deviceMinute ?? step.minute) * MINUTE,
        receivedAt: now,
      });
      if (evaluation.outcome === 'stale') {
        notified.push(`stale@${step.minute}`);
        continue;
      }
      current = evaluation.next;
      checkAt = earliest(checkAt, nextCheckAt(current, thresholds, options));
      const change = evaluation.notification;
      if (change) notified.push(`${change.previousState}->${change.state}@${step.minute}`);
    } else if ('ack' in step) {
      if (current) current = { ...current, alarm: { ...current.alarm, acknowledgedAt: now, acknowledgedBy: 'ops' } };
    } else if (current && checkAt !== undefined && checkAt <= now) {
      const check = checkAlarm(current, thresholds, now, options);
      if (check.outcome !== 'nothing-due') {
        current = check.next;
        const change = check.notification;
        notified.push(
          change.reminder
            ? `reminder ${current.reminderCount}@${step.minute}`
            : `${change.previousState}->${change.state}@${step.minute}`,
        );
      }
      checkAt = nextCheckAt(current, thresholds, options);
    }
  }
  return {
    notified,
    state: current?.alarm.state,
    checkAt: checkAt === undefined ? undefined : (checkAt - T0) / MINUTE,
  };
}

describe('missing data', () => {
  it.each<[string, Partial<ThresholdRule>, Step[], string[], AlarmState]>([
    [
      'a metric silent for missingDataMinutes moves from OK to INSUFFICIENT_DATA, once',
      { missingDataMinutes: 5 },
      [reading(0, 25), reading(1, 25), reading(2, 25), ...checks(3, 30)],
      ['OK->INSUFFICIENT_DATA@7'],
      'INSUFFICIENT_DATA',
    ],
    [
      'an alarm in ALARM goes to INSUFFICIENT_DATA too',
      { missingDataMinutes: 5 },
      [reading(0, 31), ...checks(1, 10)],
      ['INSUFFICIENT_DATA->ALARM@0', 'ALARM->INSUFFICIENT_DATA@5'],
      'INSUFFICIENT_DATA',
    ],
    [
      'readings within the limit of each other keep it as it is',
      { missingDataMinutes: 5 },
      [reading(0, 25), reading(4, 25), reading(8, 25), reading(12, 25), ...checks(1, 16)],
      [],
      'OK',
    ],
    [
      'the next reading brings it back, and is notified',
      { missingDataMinutes: 5 },
      [reading(0, 25), ...checks(1, 6), reading(9, 31), reading(10, 25)],
      ['OK->INSUFFICIENT_DATA@5', 'INSUFFICIENT_DATA->ALARM@9', 'ALARM->OK@10'],
      'OK',
    ],
    [
      'a silent device is noticed again after it came back',
      { missingDataMinutes: 5 },
      [reading(0, 25), ...checks(1, 20), reading(7, 25)],
      ['OK->INSUFFICIENT_DATA@5', 'INSUFFICIENT_DATA->OK@7', 'OK->INSUFFICIENT_DATA@12'],
      'INSUFFICIENT_DATA',
    ],
    [
      'a late reading older than the last one does not bring it back',
      { missingDataMinutes: 5 },
      [reading(0, 25), ...checks(1, 6), reading(7, 31, -1)],
      ['OK->INSUFFICIENT_DATA@5', 'stale@7'],
      'INSUFFICIENT_DATA',
    ],
    [
      'silence is measured on the cloud clock: a device clock an hour late is not silent',
      { missingDataMinutes: 5 },
      [reading(0, 25, -60), reading(3, 25, -57), ...checks(1, 7)],
      [],
      'OK',
    ],
    ['a rule without missingDataMinutes never does', {}, [reading(0, 25), ...checks(1, 120)], [], 'OK'],
  ])('%s', (_, overrides, steps, notified, state) => {
    // Act
    const result = play(rule(overrides), steps);

    // Assess
    expect(result.notified).toEqual(notified);
    expect(result.state).toBe(state);
  });

  it('restarts the breach window and ends the acknowledgement, keeping the last reading', () => {
    // Prepare
    const thresholds = rule({ missingDataMinutes: 5, datapointsToAlarm: 2, evaluationPeriods: 3 });
    const current = alarmIn('ALARM', { acknowledgedAt: T0, acknowledgedBy: 'ops', lastValue: 31 }, [true, true]);

    // Act
    const check = checkAlarm({ ...current, lastReceivedAt: T0 }, thresholds, T0 + 5 * MINUTE, {
      reminderIntervalMs: 0,
    });

    // Assess
    expect(check.outcome).toBe('insufficient-data');
    if (check.outcome !== 'insufficient-data') return;
    expect(check.next.recentBreaches).toEqual([]);
    expect(check.next.alarm).toEqual({
      deviceId: 'sensor-1',
      metric: 'temperature',
      state: 'INSUFFICIENT_DATA',
      severity: 'major',
      comparison: 'above',
      threshold: 30,
      clearValue: 30,
      lastValue: 31,
      lastReadingAt: T0,
      stateChangedAt: T0 + 5 * MINUTE,
    });
    expect(check.notification).toEqual({
      deviceId: 'sensor-1',
      metric: 'temperature',
      state: 'INSUFFICIENT_DATA',
      previousState: 'ALARM',
      severity: 'major',
      comparison: 'above',
      threshold: 30,
      timestamp: T0 + 5 * MINUTE,
      reason: 'no temperature reading for 5 minutes',
    });
  });

  it('leaves an alarm whose metric has no rule any more alone', () => {
    // Act
    const check = checkAlarm(alarmIn('ALARM'), undefined, T0 + 999 * MINUTE, { reminderIntervalMs: MINUTE });

    // Assess
    expect(check).toEqual({ outcome: 'nothing-due' });
    expect(nextCheckAt(alarmIn('ALARM'), undefined, { reminderIntervalMs: MINUTE })).toBeUndefined();
  });
});

describe('reminders', () => {
  it.each<[string, Partial<ThresholdRule>, Step[], number, string[]]>([
    [
      'remind every interval while the alarm stays in ALARM unacknowledged, readings or not',
      {},
      [reading(0, 31), reading(5, 35), reading(15, 32), ...checks(1, 35)],
      10,
      ['INSUFFICIENT_DATA->ALARM@0', 'reminder 1@10', 'reminder 2@20', 'reminder 3@30'],
    ],
    [
      'stop once the alarm is acknowledged',
      {},
      [reading(0, 31), ack(15), ...checks(1, 60)],
      10,
      ['INSUFFICIENT_DATA->ALARM@0', 'reminder 1@10'],
    ],
    [
      'stop once the alarm clears, and count again from 1 in the next episode',
      {},
      [reading(0, 31), reading(12, 25), reading(15, 31), ...checks(1, 30)],
      10,
      ['INSUFFICIENT_DATA->ALARM@0', 'reminder 1@10', 'ALARM->OK@12', 'OK->ALARM@15', 'reminder 1@25'],
    ],
    ['are off with an interval of 0', {}, [reading(0, 31), ...checks(1, 120)], 0, ['INSUFFICIENT_DATA->ALARM@0']],
    [
      'give way to missing data when both are due',
      { missingDataMinutes: 10 },
      [reading(0, 31), ...checks(1, 40)],
      10,
      ['INSUFFICIENT_DATA->ALARM@0', 'ALARM->INSUFFICIENT_DATA@10'],
    ],
    [
      'are never sent for an alarm in OK or INSUFFICIENT_DATA',
      { missingDataMinutes: 3 },
      [reading(0, 25), ...checks(1, 40)],
      1,
      ['OK->INSUFFICIENT_DATA@3'],
    ],
  ])('%s', (_, overrides, steps, reminderMinutes, notified) => {
    // Act
    const result = play(rule(overrides), steps, reminderMinutes);

    // Assess
    expect(result.notified).toEqual(notified);
  });

  it('marks a reminder as such, with the alarm as it stands, and changes nothing else', () => {
    // Prepare
    const current: TrackedAlarm = {
      ...alarmIn('ALARM', { lastValue: 33, severity: 'critical' }, [true]),
      lastNotifiedAt: T0,
      reminderCount: 1,
    };

    // Act
    const check = checkAlarm(current, rule(), T0 + 30 * MINUTE, { reminderIntervalMs: 30 * MINUTE });

    // Assess
    expect(check.outcome).toBe('reminder');
    if (check.outcome !== 'reminder') return;
    expect(check.next).toEqual({ ...current, lastNotifiedAt: T0 + 30 * MINUTE, reminderCount: 2 });
    expect(check.notification).toEqual({
      deviceId: 'sensor-1',
      metric: 'temperature',
      state: 'ALARM',
      previousState: 'ALARM',
      severity: 'critical',
      comparison: 'above',
      threshold: 30,
      value: 33,
      timestamp: T0 + 30 * MINUTE,
      reason:
        'reminder 2: temperature is above 30 (last reading 33), in ALARM since 2025-12-31T23:59:00.000Z and not acknowledged',
      reminder: true,
    });
  });
});

describe('nextCheckAt', () => {
  const options = { reminderIntervalMs: 10 * MINUTE };
  it.each<[string, TrackedAlarm, Partial<ThresholdRule>, number | undefined]>([
    ['nothing to watch', alarmIn('OK'), {}, undefined],
    [
      'the silence deadline, from the last reading received',
      { ...alarmIn('OK'), lastReceivedAt: T0 + MINUTE },
      { missingDataMinutes: 5 },
      T0 + 6 * MINUTE,
    ],
    [
      'the silence deadline, from the device clock for an alarm without a receive time',
      alarmIn('OK'),
      { missingDataMinutes: 5 },
      T0 + 5 * MINUTE,
    ],
    ['nothing more once in INSUFFICIENT_DATA', alarmIn('INSUFFICIENT_DATA'), { missingDataMinutes: 5 }, undefined],
    ['the next reminder of an alarm', { ...alarmIn('ALARM'), lastNotifiedAt: T0 }, {}, T0 + 10 * MINUTE],
    ['the earlier of the two', { ...alarmIn('ALARM'), lastNotifiedAt: T0 }, { missingDataMinutes: 3 }, T0 + 3 * MINUTE],
    [
      'no reminder for an acknowledged alarm',
      alarmIn('ALARM', { acknowledgedAt: T0, acknowledgedBy: 'ops' }),
      {},
      undefined,
    ],
  ])('is %s', (_, tracked, overrides, expected) => {
    // Act
    const at = nextCheckAt(tracked, rule(overrides), options);

    // Assess
    expect(at).toBe(expected);
  });
});
