import type { AlarmNotification, ResolvedThresholdRule, TelemetryRuleEvent } from '@iot/types';
import { type AlarmCheckOptions, earliest, NO_REMINDERS, nextCheckAt } from './alarm-checks';
import { evaluateReading, type Reading } from './alarm-state-machine';
import { deliverChange, type UnconfirmedChange } from './deliver-change';
import type { AlarmHistoryStore, AlarmNotifier, AlarmStore } from './ports';
import { loadRuleSets, rulesByMetric, type ThresholdStore } from './thresholds';

/** What happened to one metric of a message. */
export type MetricOutcome =
  /** No device or fleet rule for the metric. */
  | 'no-rule'
  /** Not newer than the reading the alarm last evaluated. */
  | 'stale'
  /** The alarm was updated without a change of state. */
  | 'updated'
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
  /** Reminders, which decide when the scheduled check must next look at an alarm in ALARM (default: none). */
  checks?: AlarmCheckOptions;
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

  for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
    const stored = await alarms.get(reading.deviceId, reading.metric);
    if (stored?.pendingNotification?.timestamp === reading.timestamp) {
      await publish(stored.pendingNotification);
      return 'renotified';
    }
    const evaluation = evaluateReading(stored, rule, reading);
    if (evaluation.outcome === 'stale') return 'stale';
    // A newer change supersedes an unpublished older one; otherwise the older one stays pending for its redelivery.
    const pending = evaluation.notification ?? stored?.pendingNotification;
    const checkAt = earliest(stored?.checkAt, nextCheckAt(evaluation.next, rule, checks));
    const saved = await alarms.save({
      next: evaluation.next,
      expectedRevision: stored?.revision,
      pendingNotification: pending,
      checkAt,
    });
    if (!saved) continue;
    if (!evaluation.notification) return 'updated';
    await publish(evaluation.notification);
    return 'notified';
  }
  throw new AlarmContentionError(reading.deviceId, reading.metric, MAX_WRITE_ATTEMPTS);
}
