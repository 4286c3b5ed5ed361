import type { AlarmNotification, ResolvedThresholdRule, TelemetryRuleEvent } from '@iot/types';
import { type AlarmCheckOptions, alarmRefreshMs, earliest, NO_REMINDERS, nextCheckAt } from './alarm-checks';
import { evaluateReading, type Reading, type TrackedAlarm } from './alarm-state-machine';
import { deliverChange, type UnconfirmedChange } from './deliver-change';
import type { AlarmCache, AlarmHistoryStore, AlarmNotifier, AlarmStore } from './ports';
import { loadRuleSets, rulesByMetric, type ThresholdStore } from './thresholds';

/** What happened to one metric of a message. */
export type MetricOutcome =
  /** No device or fleet rule for the metric. */
  | 'no-rule'
  /** Not newer than the reading the alarm last evaluated. */
  | 'stale'
  /** The alarm was updated without a change of state. */
  | 'updated'
  /** The reading changed nothing the alarm keeps but its last reading, written at most every `alarmRefreshMs`. */
  | 'unchanged'
  /** The alarm changed state and the change was published. */
  | 'notified'
  /** A redelivery of a reading whose change was written but not yet published: published now. */
  | 'renotified';

export interface TelemetryEvaluation {
  deviceId: string;
  timestamp: number;
  outcomes: Record<string, MetricOutcome>;
  /** The changes published by this invocation. */
  notifications: AlarmNotification[];
  /**
   * Published changes that could not be marked as such. Harmless unless the same message is delivered again, which
   * would publish them a second time; reported rather than thrown, since throwing would cause exactly that.
   */
  unconfirmed: UnconfirmedChange[];
}

/** Other invocations kept changing the alarm between this one's read and write. */
export class AlarmContentionError extends Error {
  constructor(
    readonly deviceId: string,
    readonly metric: string,
    readonly attempts: number,
  ) {
    super(`The alarm of ${deviceId} ${metric} changed under each of ${attempts} attempts to update it`);
    this.name = 'AlarmContentionError';
  }
}

/** Read-evaluate-write attempts per metric before giving up to Lambda's retry. */
export const MAX_WRITE_ATTEMPTS = 5;

export interface EvaluateTelemetryDependencies {
  thresholds: ThresholdStore;
  alarms: AlarmStore;
  history: AlarmHistoryStore;
  notifier: AlarmNotifier;
  /**
   * Reminders, which decide when the scheduled check must next look at an alarm in ALARM (default: none), and how
   * long an alarm may stay unwritten while readings change nothing of it (default: written on every reading).
   */
  checks?: AlarmCheckOptions;
  /** The alarms as this warm function last read or wrote them; without it every reading reads its alarm. */
  alarmCache?: AlarmCache;
}

/** What an alarm keeps besides its last reading: what a reading must change for the alarm to be written at once. */
function keptState({ alarm, recentBreaches, lastNotifiedAt, reminderCount }: TrackedAlarm): string {
  const { lastValue: _value, lastReadingAt: _at, ...fields } = alarm;
  const defined = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([defined, recentBreaches, lastNotifiedAt ?? null, reminderCount ?? 0]);
}

/**
 * Evaluates every metric of a telemetry message that has a rule, and publishes each change of an alarm's state once.
 *
 * The alarm is written before its change is recorded in the history and published, with the change kept on it as
 * pending until the publish is confirmed. If publishing fails, the error reaches Lambda, which delivers the message
 * again; the redelivery finds its own change still pending and publishes it. A redelivery after a confirmed publish
 * finds nothing to do. Metrics are evaluated independently; the first failure is thrown once all have been tried.
 *
 * Each write also keeps the alarm's `checkAt`, the time the scheduled check must look at it, no later than its
 * silence deadline or next reminder. It only ever moves it earlier: a reading that keeps a device alive leaves it as
 * it is (no index write per reading), and the check moves it on when it finds the device was heard from since.
 */
export async function evaluateTelemetry(
  deps: EvaluateTelemetryDependencies,
  event: TelemetryRuleEvent,
): Promise<TelemetryEvaluation> {
  const rules = rulesByMetric(await loadRuleSets(deps.thresholds, event.deviceId));
  const metrics = Object.entries(event.metrics);
  const notifications: AlarmNotification[] = [];
  const unconfirmed: TelemetryEvaluation['unconfirmed'] = [];
  const settled = await Promise.allSettled(
    metrics.map(async ([metric, value]) => {
      const rule = rules.get(metric);
      if (!rule) return 'no-rule' as const;
      const reading = {
        deviceId: event.deviceId,
        metric,
        value,
        timestamp: event.timestamp,
        receivedAt: event.receivedAt,
      };
      return evaluateMetric(deps, rule, reading, { notifications, unconfirmed });
    }),
  );
  const failures = settled.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    throw new AggregateError(failures, `${failures.length} metrics of ${event.deviceId} could not be evaluated`);
  }
  const outcomes = Object.fromEntries(
    metrics.map(([metric], index) => {
      const result = settled[index] as PromiseFulfilledResult<MetricOutcome>;
      return [metric, result.value];
    }),
  );
  return { deviceId: event.deviceId, timestamp: event.timestamp, outcomes, notifications, unconfirmed };
}

async function evaluateMetric(
  deps: EvaluateTelemetryDependencies,
  rule: ResolvedThresholdRule,
  reading: Reading,
  report: Pick<TelemetryEvaluation, 'notifications' | 'unconfirmed'>,
): Promise<MetricOutcome> {
  const { alarms, checks = NO_REMINDERS } = deps;
  const publish = async (notification: AlarmNotification) => {
    const unconfirmed = await deliverChange(deps, notification);
    report.notifications.push(notification);
    if (unconfirmed) report.unconfirmed.push(unconfirmed);
  };

  const { deviceId, metric } = reading;
  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    // The cached alarm is used once: a write it fails to make (another writer got there first) reads the alarm again.
    const cached = attempt === 1 ? deps.alarmCache?.get(deviceId, metric) : undefined;
    const stored = cached ? cached.stored : await alarms.get(deviceId, metric);
    if (stored?.pendingNotification?.timestamp === reading.timestamp) {
      await publish(stored.pendingNotification);
      deps.alarmCache?.delete(deviceId, metric);
      return 'renotified';
    }
    const evaluation = evaluateReading(cached?.latest ?? stored, rule, reading);
    if (evaluation.outcome === 'stale') return 'stale';
    // A newer change supersedes an unpublished older one; otherwise the older one stays pending for its redelivery.
    const pending = evaluation.notification ?? stored?.pendingNotification;
    const checkAt = earliest(stored?.checkAt, nextCheckAt(evaluation.next, rule, checks));
    // A reading that changes nothing the alarm keeps (its state, its breach window, its rule, its next check) is not
    // written, unless the alarm's last reading written is `alarmRefreshMs` old: the silence clock and the last reading
    // shown by the API lag by at most that, and the write (conditional on the revision) refreshes a stale cache.
    const unwrittenFor = (evaluation.next.lastReceivedAt ?? 0) - (stored?.lastReceivedAt ?? 0);
    if (
      stored &&
      !pending &&
      checkAt === stored.checkAt &&
      keptState(evaluation.next) === keptState(stored) &&
      unwrittenFor < alarmRefreshMs(rule, checks)
    ) {
      deps.alarmCache?.set(deviceId, metric, { stored, latest: evaluation.next });
      return 'unchanged';
    }
    const saved = await alarms.save({
      next: evaluation.next,
      expectedRevision: stored?.revision,
      pendingNotification: pending,
      checkAt,
    });
    if (!saved) {
      deps.alarmCache?.delete(deviceId, metric);
      continue;
    }
    if (!evaluation.notification) {
      const written = {
        ...evaluation.next,
        revision: (stored?.revision ?? 0) + 1,
        pendingNotification: pending,
        checkAt,
      };
      if (pending) deps.alarmCache?.delete(deviceId, metric);
      else deps.alarmCache?.set(deviceId, metric, { stored: written, latest: evaluation.next });
      return 'updated';
    }
    // Marking the change published changes the alarm's revision: the next reading reads it again.
    deps.alarmCache?.delete(deviceId, metric);
    await publish(evaluation.notification);
    return 'notified';
  }
  throw new AlarmContentionError(reading.deviceId, reading.metric, MAX_WRITE_ATTEMPTS);
}
