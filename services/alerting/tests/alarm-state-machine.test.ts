import {
  type Alarm,
  type AlarmState,
  type ResolvedThresholdRule,
  resolveThresholdRule,
  type ThresholdRule,
} from '@iot/types';
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
