import type { AlarmNotification, ResolvedThresholdRule } from '@iot/types';
import type { TrackedAlarm } from './alarm-state-machine';

export const MINUTE_MS = 60_000;

/** What the time-driven checks of an alarm do besides missing data. */
export interface AlarmCheckOptions {
  /** How often an alarm that stays in ALARM unacknowledged is notified again; 0 never does. */
  reminderIntervalMs: number;
  /**
   * The longest the evaluation leaves an alarm unwritten while readings change nothing of it (0, the default, writes
   * every reading). See `alarmRefreshMs`: the alarm's last reading and silence clock may lag the real ones by that
   * much, so silence is judged that much later.
   */
  alarmRefreshMs?: number;
}

export const NO_REMINDERS: AlarmCheckOptions = { reminderIntervalMs: 0 };

/** What a check finds due for an alarm at a given time. */
export type AlarmCheck =
  /** The metric has been silent for its rule's `missingDataMinutes`: a transition to INSUFFICIENT_DATA. */
  | { outcome: 'insufficient-data'; next: TrackedAlarm; notification: AlarmNotification }
  /** The alarm is still in ALARM, unacknowledged, a reminder interval after its last notification. */
  | { outcome: 'reminder'; next: TrackedAlarm; notification: AlarmNotification }
  | { outcome: 'nothing-due' };

/** The earliest of the times given; `undefined` when none is. */
export function earliest(...times: Array<number | undefined>): number | undefined {
  const defined = times.filter((time): time is number => time !== undefined);
  return defined.length === 0 ? undefined : Math.min(...defined);
}

/** When the cloud last heard of the metric; alarms written before that was kept fall back on the device's clock. */
function lastHeardAt({ alarm, lastReceivedAt }: TrackedAlarm): number {
  return lastReceivedAt ?? alarm.lastReadingAt ?? alarm.stateChangedAt;
}

/**
 * How long the evaluation may leave an alarm under `rule` unwritten while its readings change nothing but its last
 * reading: `alarmRefreshMs`, and at most a tenth of the rule's missing-data period, so that silence, judged from the
 * last reading written, is found at most 10 % late and never early.
 */
export function alarmRefreshMs(rule: ResolvedThresholdRule | undefined, options: AlarmCheckOptions): number {
  const refresh = options.alarmRefreshMs ?? 0;
  if (rule?.missingDataMinutes === undefined) return refresh;
  return Math.min(refresh, (rule.missingDataMinutes * MINUTE_MS) / 10);
}

/**
 * When the metric counts as silent under `rule`; `undefined` if the rule does not watch for missing data. Readings
 * received up to `alarmRefreshMs` after the last one written may not be written yet: the deadline waits that long.
 */
export function missingDataDeadline(
  tracked: TrackedAlarm,
  rule: ResolvedThresholdRule | undefined,
  options: AlarmCheckOptions = NO_REMINDERS,
): number | undefined {
  if (rule?.missingDataMinutes === undefined || tracked.alarm.state === 'INSUFFICIENT_DATA') return undefined;
  return lastHeardAt(tracked) + rule.missingDataMinutes * MINUTE_MS + alarmRefreshMs(rule, options);
}

/** When the next reminder is due; `undefined` unless the alarm is in ALARM, unacknowledged, with reminders on. */
export function reminderDueAt(
  tracked: TrackedAlarm,
  rule: ResolvedThresholdRule | undefined,
  { reminderIntervalMs }: AlarmCheckOptions,
): number | undefined {
  const { alarm } = tracked;
  // An alarm whose rule is gone is no longer watched: no reminders about it.
  if (!rule || reminderIntervalMs <= 0 || alarm.state !== 'ALARM' || alarm.acknowledgedAt !== undefined) {
    return undefined;
  }
  return (tracked.lastNotifiedAt ?? alarm.stateChangedAt) + reminderIntervalMs;
}

/** The next time a check has anything to do for the alarm under `rule`; `undefined` if nothing can come due. */
export function nextCheckAt(
  tracked: TrackedAlarm,
  rule: ResolvedThresholdRule | undefined,
  options: AlarmCheckOptions,
): number | undefined {
  return earliest(missingDataDeadline(tracked, rule, options), reminderDueAt(tracked, rule, options));
}

const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;

/**
 * What is due for an alarm at `now` under its current rule.
 *
 * - Missing data: a metric not heard of for the rule's `missingDataMinutes` (measured on the cloud's clock from the
 *   last reading received) moves to INSUFFICIENT_DATA from OK or ALARM, with one notification. The breach window
 *   restarts and an acknowledgement ends, as with any change of state; the last reading stays, so older readings
 *   arriving late are still ignored.
 * - Reminder: an alarm in ALARM, not acknowledged, notified `reminderIntervalMs` ago or longer, is notified again,
 *   marked `reminder: true`. Not a change of state.
 * - Missing data wins when both are due. An alarm whose metric has no rule any more has nothing due.
 */
export function checkAlarm(
  tracked: TrackedAlarm,
  rule: ResolvedThresholdRule | undefined,
  now: number,
  options: AlarmCheckOptions,
): AlarmCheck {
  const { alarm } = tracked;
  const silentSince = missingDataDeadline(tracked, rule, options);
  if (rule?.missingDataMinutes !== undefined && silentSince !== undefined && silentSince <= now) {
    const next: TrackedAlarm = {
      alarm: {
        deviceId: alarm.deviceId,
        metric: alarm.metric,
        state: 'INSUFFICIENT_DATA',
        severity: rule.severity,
        comparison: rule.comparison,
        threshold: rule.value,
        clearValue: rule.clearValue,
        ...(alarm.lastValue === undefined ? {} : { lastValue: alarm.lastValue }),
        ...(alarm.lastReadingAt === undefined ? {} : { lastReadingAt: alarm.lastReadingAt }),
        stateChangedAt: now,
      },
      recentBreaches: [],
      ...(tracked.lastReceivedAt === undefined ? {} : { lastReceivedAt: tracked.lastReceivedAt }),
      lastNotifiedAt: now,
    };
    return {
      outcome: 'insufficient-data',
      next,
      notification: {
        deviceId: alarm.deviceId,
        metric: alarm.metric,
        state: 'INSUFFICIENT_DATA',
        previousState: alarm.state,
        severity: rule.severity,
        comparison: rule.comparison,
        threshold: rule.value,
        timestamp: now,
        reason: `no ${alarm.metric} reading for ${plural(rule.missingDataMinutes, 'minute')}`,
      },
    };
  }

  const reminderAt = reminderDueAt(tracked, rule, options);
  if (reminderAt !== undefined && reminderAt <= now) {
    const reminderCount = (tracked.reminderCount ?? 0) + 1;
    const last = alarm.lastValue === undefined ? '' : ` (last reading ${alarm.lastValue})`;
    return {
      outcome: 'reminder',
      next: { ...tracked, lastNotifiedAt: now, reminderCount },
      notification: {
        deviceId: alarm.deviceId,
        metric: alarm.metric,
        state: 'ALARM',
        previousState: 'ALARM',
        severity: alarm.severity,
        comparison: alarm.comparison,
        threshold: alarm.threshold,
        ...(alarm.lastValue === undefined ? {} : { value: alarm.lastValue }),
        timestamp: now,
        reason:
          `reminder ${reminderCount}: ${alarm.metric} is ${alarm.comparison} ${alarm.threshold}${last}, ` +
          `in ALARM since ${new Date(alarm.stateChangedAt).toISOString()} and not acknowledged`,
        reminder: true,
      },
    };
  }
  return { outcome: 'nothing-due' };
}
