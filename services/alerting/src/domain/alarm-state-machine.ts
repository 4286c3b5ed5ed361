import type { Alarm, AlarmNotification, AlarmState, Comparison, ResolvedThresholdRule } from '@iot/types';

/** One reading of one metric of one device. */
export interface Reading {
  deviceId: string;
  metric: string;
  value: number;
  /** The device's timestamp of the reading, in milliseconds. */
  timestamp: number;
  /**
   * When the cloud received it (the broker's clock), in milliseconds; silence is measured on this clock, which a
   * device clock running late cannot fool. Defaults to `timestamp`.
   */
  receivedAt?: number;
}

/**
 * An alarm with the breach flags of its most recent readings (oldest first, at most `evaluationPeriods`), which
 * the M-of-N rule needs and the shared `Alarm` shape does not carry.
 */
export interface TrackedAlarm {
  alarm: Alarm;
  recentBreaches: boolean[];
  /** When the cloud received the latest reading evaluated (the broker's clock): where silence is measured from. */
  lastReceivedAt?: number;
  /** When the alarm's current state was last notified, by a transition or a reminder (the cloud's clock). */
  lastNotifiedAt?: number;
  /** Reminders sent since the alarm entered its current state. */
  reminderCount?: number;
}

/** What a reading does to an alarm. */
export type Evaluation =
  /** The reading is not newer than the last one evaluated (out of order, or delivered twice): nothing changes. */
  | { outcome: 'stale' }
  /** The alarm is updated; `notification` is set when its state changed. */
  | { outcome: 'evaluated'; next: TrackedAlarm; notification?: AlarmNotification };

/** A reading breaches a rule when it is strictly past the rule's value. */
export function breaches(comparison: Comparison, limit: number, value: number): boolean {
  return comparison === 'above' ? value > limit : value < limit;
}

/** A reading clears an alarm when it is back at or past the clear value (hysteresis). */
export function clears(rule: Pick<ResolvedThresholdRule, 'comparison' | 'clearValue'>, value: number): boolean {
  return rule.comparison === 'above' ? value <= rule.clearValue : value >= rule.clearValue;
}

const opposite = (comparison: Comparison) => (comparison === 'above' ? 'below' : 'above');

/**
 * Applies one reading to the alarm of its metric.
 *
 * - A reading not newer than the alarm's last evaluated reading changes nothing.
 * - OK (or no alarm yet, or INSUFFICIENT_DATA): ALARM when at least `datapointsToAlarm` of the last
 *   `evaluationPeriods` readings breach, else OK.
 * - ALARM: OK once a reading is back at or past `clearValue`; a reading between `clearValue` and `value` keeps ALARM.
 * - The breach window restarts when the alarm clears, when it leaves INSUFFICIENT_DATA, and when the rule's comparison
 *   or value changes, so breaches from before do not count towards the next alarm.
 * - Every change of state yields a notification, except the creation of an alarm in OK. An alarm created in ALARM
 *   reports INSUFFICIENT_DATA as its previous state, the state an alarm has before any data.
 */
export function evaluateReading(
  current: TrackedAlarm | undefined,
  rule: ResolvedThresholdRule,
  reading: Reading,
): Evaluation {
  const lastReadingAt = current?.alarm.lastReadingAt;
  if (lastReadingAt !== undefined && reading.timestamp <= lastReadingAt) return { outcome: 'stale' };

  const previous = current?.alarm;
  const breached = breaches(rule.comparison, rule.value, reading.value);
  const windowContinues =
    previous !== undefined &&
    previous.state !== 'INSUFFICIENT_DATA' &&
    previous.comparison === rule.comparison &&
    previous.threshold === rule.value;
  let recentBreaches = [...(windowContinues ? (current?.recentBreaches ?? []) : []), breached].slice(
    -rule.evaluationPeriods,
  );
  const breachCount = recentBreaches.filter(Boolean).length;

  let state: AlarmState;
  if (previous?.state === 'ALARM') {
    state = clears(rule, reading.value) ? 'OK' : 'ALARM';
    if (state === 'OK') recentBreaches = [breached];
  } else {
    state = breachCount >= rule.datapointsToAlarm ? 'ALARM' : 'OK';
  }

  const changed = previous === undefined || previous.state !== state;
  const alarm: Alarm = {
    deviceId: reading.deviceId,
    metric: reading.metric,
    state,
    severity: rule.severity,
    comparison: rule.comparison,
    threshold: rule.value,
    clearValue: rule.clearValue,
    lastValue: reading.value,
    lastReadingAt: reading.timestamp,
    stateChangedAt: changed ? reading.timestamp : previous.stateChangedAt,
    // An acknowledgement belongs to one episode of the alarm: a change of state ends it.
    ...(!changed && previous.acknowledgedAt !== undefined ? { acknowledgedAt: previous.acknowledgedAt } : {}),
    ...(!changed && previous.acknowledgedBy !== undefined ? { acknowledgedBy: previous.acknowledgedBy } : {}),
  };
  const notified = changed && !(previous === undefined && state === 'OK');
  const receivedAt = Math.max(reading.receivedAt ?? reading.timestamp, current?.lastReceivedAt ?? 0);
  const lastNotifiedAt = notified ? receivedAt : current?.lastNotifiedAt;
  const next: TrackedAlarm = {
    alarm,
    recentBreaches,
    lastReceivedAt: receivedAt,
    ...(lastNotifiedAt === undefined ? {} : { lastNotifiedAt }),
    ...(!changed && current?.reminderCount ? { reminderCount: current.reminderCount } : {}),
  };

  if (!notified) return { outcome: 'evaluated', next };
  const previousState: AlarmState = previous?.state ?? 'INSUFFICIENT_DATA';
  return {
    outcome: 'evaluated',
    next,
    notification: {
      deviceId: reading.deviceId,
      metric: reading.metric,
      state,
      previousState,
      severity: rule.severity,
      comparison: rule.comparison,
      threshold: rule.value,
      value: reading.value,
      timestamp: reading.timestamp,
      reason: describeChange(rule, reading, state, previousState, breachCount, recentBreaches.length),
    },
  };
}

/** The sentence of a notification, e.g. "temperature 31.2 is above 30". */
function describeChange(
  rule: ResolvedThresholdRule,
  { metric, value }: Reading,
  state: AlarmState,
  previousState: AlarmState,
  breachCount: number,
  windowSize: number,
): string {
  const past = `${metric} ${value} is ${rule.comparison} ${rule.value}`;
  if (state === 'ALARM') {
    return rule.evaluationPeriods > 1
      ? `${past} (${breachCount} of the last ${windowSize} readings ${rule.comparison} ${rule.value})`
      : past;
  }
  if (previousState === 'ALARM')
    return `${metric} ${value} is back at or ${opposite(rule.comparison)} ${rule.clearValue}`;
  if (breaches(rule.comparison, rule.value, value)) {
    return `${past}, but only ${breachCount} of the last ${windowSize} readings are (${rule.datapointsToAlarm} needed)`;
  }
  return `${metric} ${value} is not ${rule.comparison} ${rule.value}`;
}
