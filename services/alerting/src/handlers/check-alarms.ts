import { createLogger, type Logger, once } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { loadAlarmWriterConfig } from '../config';
import { type CheckAlarmsDependencies, type CheckOutcome, checkDueAlarms } from '../domain/check-alarms';
import { alarmWriterDependencies } from '../wiring';

/** Time kept in hand at the end of an invocation: no alarm is started with less left. */
export const SAFETY_MARGIN_MS = 10_000;

export interface CheckAlarmsHandlerDependencies extends CheckAlarmsDependencies {
  logger: Logger;
  now?: () => number;
}

/** What the function answers: counts by outcome, and whether alarms were left for the next run. */
export interface CheckAlarmsSummary {
  now: number;
  outcomes: Partial<Record<CheckOutcome, number>>;
  failed: number;
  stoppedEarly: boolean;
}

/** Some alarms could not be checked; they stay due and the next run tries them again. */
export class AlarmChecksFailedError extends Error {
  constructor(
    readonly failed: number,
    readonly summary: CheckAlarmsSummary,
  ) {
    super(`${failed} alarms could not be checked; they stay due for the next run`);
    this.name = 'AlarmChecksFailedError';
  }
}

/**
 * The time a run checks as of: the `time` of the EventBridge scheduled event (whole seconds), so a late or retried
 * invocation judges silence as of when it was scheduled; the clock for any other event.
 */
export function checkTime(event: unknown, now: () => number): number {
  const time = (event as { time?: unknown } | null)?.time;
  const parsed = typeof time === 'string' ? Date.parse(time) : Number.NaN;
  return Number.isFinite(parsed) ? parsed : now();
}

/**
 * The target of the service's schedule (every minute): finds the alarms whose `checkAt` has come, through the sparse
 * check index, and moves those whose metric has been silent for its rule's `missingDataMinutes` to INSUFFICIENT_DATA
 * (one notification each), and reminds of those still in ALARM unacknowledged (`REMINDER_MINUTES`).
 */
export function createCheckAlarmsHandler({ logger, now = Date.now, ...deps }: CheckAlarmsHandlerDependencies) {
  return middy<unknown, CheckAlarmsSummary, Error, Context>().handler(async (event, context) => {
    const result = await checkDueAlarms(deps, checkTime(event, now), {
      hasTimeLeft: () => context.getRemainingTimeInMillis() > SAFETY_MARGIN_MS,
    });
    const outcomes: CheckAlarmsSummary['outcomes'] = {};
    for (const { outcome, notification, unconfirmed, deviceId, metric } of result.checked) {
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (notification)
        logger.info(notification.reminder ? 'alarm reminded' : 'alarm changed', { alarm: notification });
      if (unconfirmed) {
        logger.warn('alarm change published but not marked as published', {
          error: unconfirmed.error as Error,
          deviceId,
          metric,
        });
      }
    }
    for (const { deviceId, metric, error } of result.failed) {
      logger.error('alarm not checked', { error: error as Error, deviceId, metric });
    }
    const summary = {
      now: result.now,
      outcomes,
      failed: result.failed.length,
      stoppedEarly: result.stoppedEarly,
    };
    if (result.stoppedEarly) logger.warn('alarm check stopped for want of time; the rest stay due', { summary });
    else logger.debug('alarms checked', { summary });
    if (result.failed.length > 0) throw new AlarmChecksFailedError(result.failed.length, summary);
    return summary;
  });
}

const built = once(() => {
  const config = loadAlarmWriterConfig();
  return createCheckAlarmsHandler({
    ...alarmWriterDependencies(config),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: unknown, context: Context) => built()(event, context);
