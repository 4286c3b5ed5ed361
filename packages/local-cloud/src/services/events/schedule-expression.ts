import { type CronSchedule, InvalidScheduleExpressionError, nextCronTime, parseCronFields } from './cron-expression';

/** A rule's `ScheduleExpression`, parsed. */
export type ScheduleExpression =
  | { kind: 'rate'; expression: string; periodMs: number }
  | { kind: 'cron'; expression: string; schedule: CronSchedule };

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

/**
 * Parses `rate(value unit)` or `cron(fields)` as EventBridge does: the unit is singular for 1 and plural otherwise
 * (`rate(1 minute)`, `rate(5 minutes)`; `rate(1 minutes)` and `rate(5 minute)` are refused), the value a positive
 * whole number. Throws `InvalidScheduleExpressionError` naming what is wrong.
 */
export function parseScheduleExpression(expression: string): ScheduleExpression {
  const rate = /^rate\((\d+) (minute|hour|day)(s?)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const plural = rate[3] === 's';
    if (value < 1) throw new InvalidScheduleExpressionError(expression, 'the rate must be a positive whole number');
    if (plural !== value > 1) {
      throw new InvalidScheduleExpressionError(
        expression,
        `the unit is singular for 1 and plural for more (rate(1 ${rate[2]}), rate(${Math.max(value, 2)} ${rate[2]}s))`,
      );
    }
    return { kind: 'rate', expression, periodMs: value * UNIT_MS[rate[2] as keyof typeof UNIT_MS] };
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) return { kind: 'cron', expression, schedule: parseCronFields(cron[1] as string, expression) };
  throw new InvalidScheduleExpressionError(expression, 'expected rate(value unit) or cron(fields)');
}

/**
 * The first time strictly after `after` (ms) the schedule fires, or `undefined` if it never will again. A rate fires
 * every period counted from `anchor`, the time the rule was created; a cron on the minutes it names (UTC).
 */
export function nextFireTime(schedule: ScheduleExpression, after: number, anchor: number): number | undefined {
  if (schedule.kind === 'cron') return nextCronTime(schedule.schedule, after);
  if (after < anchor) return anchor + schedule.periodMs;
  return anchor + (Math.floor((after - anchor) / schedule.periodMs) + 1) * schedule.periodMs;
}
