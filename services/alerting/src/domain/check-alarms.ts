import type { AlarmNotification } from '@iot/types';
import { type AlarmCheckOptions, checkAlarm, MINUTE_MS, nextCheckAt } from './alarm-checks';
import { deliverChange, type UnconfirmedChange } from './deliver-change';
import { AlarmContentionError, MAX_WRITE_ATTEMPTS } from './evaluate-telemetry';
import type { AlarmHistoryStore, AlarmKey, AlarmNotifier, AlarmStore, StoredAlarm } from './ports';
import { loadRuleSets, rulesByMetric, type ThresholdStore } from './thresholds';

export interface CheckAlarmsDependencies {
  thresholds: ThresholdStore;
  alarms: AlarmStore;
  history: AlarmHistoryStore;
  notifier: AlarmNotifier;
  checks: AlarmCheckOptions;
}

/** What a check did to one alarm. */
export type CheckOutcome =
  /** Silent for its rule's `missingDataMinutes`: moved to INSUFFICIENT_DATA and notified. */
  | 'insufficient-data'
  /** Still in ALARM and unacknowledged: reminded. */
  | 'reminded'
  /** A missing-data change that an earlier check wrote but could not publish: published now. */
  | 'renotified'
  /** Nothing due after all (the device was heard from, the alarm was acknowledged, the rule changed): next check set. */
  | 'rescheduled'
  /** No longer due (another check or a reading got there first) or no longer there. */
  | 'skipped';

/**
 * How long a missing-data change waits before a check publishes it again, should its publish fail. Longer than a
 * check takes, so a check running late does not publish what the one before is still publishing.
 */
export const REDELIVERY_DELAY_MS = MINUTE_MS;

export interface AlarmCheckResult extends AlarmKey {
  outcome: CheckOutcome;
  notification?: AlarmNotification;
  unconfirmed?: UnconfirmedChange;
}

// Only the check makes INSUFFICIENT_DATA changes; any other pending change belongs to the telemetry evaluation, whose
// redelivery publishes it.
const ownPendingChange = (stored: StoredAlarm) =>
  stored.pendingNotification?.state === 'INSUFFICIENT_DATA' ? stored.pendingNotification : undefined;

/**
 * Looks at one alarm whose `checkAt` has come, as of `now`, and does what is due: a missing-data transition (written,
 * recorded in the history, published once), a reminder (published, not recorded: it is not a change of state), or
 * nothing; then sets the next `checkAt` from the alarm's current rule. Each write is conditional on the alarm's
 * revision, as the evaluation's are: a reading racing with the check makes it look again.
 */
export async function checkOneAlarm(
  deps: CheckAlarmsDependencies,
  { deviceId, metric }: AlarmKey,
  now: number,
): Promise<AlarmCheckResult> {
  const { alarms, thresholds, notifier, checks } = deps;
  const result = (outcome: CheckOutcome, extra: Partial<AlarmCheckResult> = {}): AlarmCheckResult => ({
    deviceId,
    metric,
    outcome,
    ...extra,
  });

  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const stored = await alarms.get(deviceId, metric);
    // The index is read eventually; the alarm itself tells whether it is still due.
    if (stored?.checkAt === undefined || stored.checkAt > now) return result('skipped');
    const rule = rulesByMetric(await loadRuleSets(thresholds, deviceId)).get(metric);

    const pending = ownPendingChange(stored);
    if (pending) {
      const unconfirmed = await deliverChange(deps, pending, { checkAt: nextCheckAt(stored, rule, checks) });
      return result('renotified', { notification: pending, ...(unconfirmed ? { unconfirmed } : {}) });
    }

    const check = checkAlarm(stored, rule, now, checks);
    if (check.outcome === 'nothing-due') {
      const saved = await alarms.save({
        next: stored,
        expectedRevision: stored.revision,
        pendingNotification: stored.pendingNotification,
        checkAt: nextCheckAt(stored, rule, checks),
      });
      if (saved) return result('rescheduled');
      continue;
    }

    if (check.outcome === 'insufficient-data') {
      // Due again shortly until published: if publishing fails, the next check finds the change pending.
      const saved = await alarms.save({
        next: check.next,
        expectedRevision: stored.revision,
        pendingNotification: check.notification,
        checkAt: now + REDELIVERY_DELAY_MS,
      });
      if (!saved) continue;
      const unconfirmed = await deliverChange(deps, check.notification, {
        checkAt: nextCheckAt(check.next, rule, checks),
      });
      return result('insufficient-data', { notification: check.notification, ...(unconfirmed ? { unconfirmed } : {}) });
    }

    // A reminder is recorded before it is published: a failed publish loses one reminder, never repeats one.
    const saved = await alarms.save({
      next: check.next,
      expectedRevision: stored.revision,
      pendingNotification: stored.pendingNotification,
      checkAt: nextCheckAt(check.next, rule, checks),
    });
    if (!saved) continue;
    await notifier.notify(check.notification);
    return result('reminded', { notification: check.notification });
  }
  throw new AlarmContentionError(deviceId, metric, MAX_WRITE_ATTEMPTS);
}

export interface CheckDueAlarmsOptions {
  /** False once the invocation must stop taking alarms; the rest stay due for the next run. */
  hasTimeLeft: () => boolean;
  /** Alarms checked at the same time. */
  concurrency?: number;
}

export interface CheckDueAlarmsResult {
  /** As of when the alarms were checked. */
  now: number;
  checked: AlarmCheckResult[];
  failed: Array<AlarmKey & { error: unknown }>;
  /** Some alarms were left for the next run, for want of time. */
  stoppedEarly: boolean;
}

/**
 * Checks every alarm whose `checkAt` has come, as of `now`. One alarm failing does not stop the others; each failure
 * is reported, and its alarm stays due for the next run.
 */
export async function checkDueAlarms(
  deps: CheckAlarmsDependencies,
  now: number,
  { hasTimeLeft, concurrency = 10 }: CheckDueAlarmsOptions,
): Promise<CheckDueAlarmsResult> {
  const checked: AlarmCheckResult[] = [];
  const failed: CheckDueAlarmsResult['failed'] = [];
  let stoppedEarly = false;

  for await (const page of deps.alarms.dueForCheck(now)) {
    const queue = [...page];
    const worker = async () => {
      for (let key = queue.shift(); key; key = queue.shift()) {
        if (!hasTimeLeft()) {
          stoppedEarly = true;
          return;
        }
        try {
          checked.push(await checkOneAlarm(deps, key, now));
        } catch (error) {
          failed.push({ ...key, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, page.length) }, worker));
    if (stoppedEarly) break;
  }
  return { now, checked, failed, stoppedEarly };
}
