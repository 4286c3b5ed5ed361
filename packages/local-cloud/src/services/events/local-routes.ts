import type { LocalRoute } from '../../edge/edge-server';
import type { EventScheduler } from './event-scheduler';
import { scheduledEventTime } from './scheduled-event';

/** The prefix of the schedule routes under the edge endpoint's `/_local/`. */
export const SCHEDULES_LOCAL_PREFIX = 'schedules';

const RUN = /^\/_local\/schedules\/([^/]+)\/run$/;

const problem = (status: number, message: string) => ({ status, body: { message } });

/** The time a run request asks for: ISO 8601 text or epoch milliseconds; undefined for none, NaN for a bad one. */
function requestedTime(body: Buffer): number | undefined {
  const text = body.toString('utf8').trim();
  if (text === '') return undefined;
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch {
    return Number.NaN;
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return Number.NaN;
  const time = (input as { time?: unknown }).time;
  if (time === undefined) return undefined;
  if (typeof time === 'number') return Number.isFinite(time) ? time : Number.NaN;
  return typeof time === 'string' ? Date.parse(time) : Number.NaN;
}

/**
 * The local routes of the scheduler, for the edge endpoint to serve under `/_local/schedules`, so that tests and demos
 * need not wait for a schedule:
 *
 * - `GET /_local/schedules`: the rules, with their schedule, state, targets and next run (`nextRunAt`, ISO 8601);
 * - `POST /_local/schedules/<rule>/run` with an optional body `{"time": "2026-01-01T00:11:00Z"}` (or epoch ms): runs
 *   the rule now, whatever its schedule and state, as its run at that time (default: now) would. Its targets get the
 *   scheduled event with that `time`; Lambda targets are invoked asynchronously, as EventBridge does, so the answer
 *   (`{rule, time, deliveries: [{targetId, arn, ok, error?}]}`) says the events were handed over, not that the
 *   functions finished.
 */
export function schedulesLocalRoute(scheduler: EventScheduler): LocalRoute {
  return async (request) => {
    if (request.path === '/_local/schedules' && request.method === 'GET') {
      return {
        status: 200,
        body: {
          rules: scheduler.listRules().map((rule) => ({
            name: rule.name,
            arn: rule.arn,
            state: rule.state,
            ...(rule.scheduleExpression === undefined ? {} : { scheduleExpression: rule.scheduleExpression }),
            ...(rule.stackName === undefined ? {} : { stackName: rule.stackName }),
            targets: rule.targets.map((target) => ({ id: target.Id, arn: target.Arn })),
            ...(rule.nextRunAt === undefined ? {} : { nextRunAt: new Date(rule.nextRunAt).toISOString() }),
          })),
        },
      };
    }
    const run = RUN.exec(request.path);
    if (run && request.method === 'POST') {
      const name = decodeURIComponent(run[1] ?? '');
      if (!scheduler.describeRule(name)) return problem(404, `No rule named ${name}`);
      const time = requestedTime(request.body);
      if (time !== undefined && Number.isNaN(time)) {
        return problem(400, 'The body must be JSON: {"time": "<ISO 8601 date>"} or {"time": <epoch ms>}, or empty');
      }
      const at = time ?? Date.now();
      const deliveries = await scheduler.runRule(name, at);
      return { status: 200, body: { rule: name, time: scheduledEventTime(at), deliveries } };
    }
    return problem(404, `No local route ${request.method} ${request.path}`);
  };
}
