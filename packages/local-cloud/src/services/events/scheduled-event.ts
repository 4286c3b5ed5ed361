import { randomUUID } from 'node:crypto';

/** The event EventBridge sends a rule's targets on each run of a schedule. */
export interface ScheduledEvent {
  version: '0';
  id: string;
  'detail-type': 'Scheduled Event';
  source: 'aws.events';
  account: string;
  /** The time the run was scheduled for, ISO 8601 in whole seconds: `2026-01-01T00:01:00Z`. */
  time: string;
  region: string;
  /** The rule's ARN. */
  resources: [string];
  detail: Record<string, never>;
}

/** The `time` of the event of a run at `time` (ms): ISO 8601 in whole seconds, `2026-01-01T00:01:00Z`. */
export const scheduledEventTime = (time: number): string =>
  new Date(Math.floor(time / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** The scheduled event of the run of `ruleArn` at `time` (ms). */
export function scheduledEvent(options: {
  ruleArn: string;
  account: string;
  region: string;
  time: number;
  id?: string;
}): ScheduledEvent {
  return {
    version: '0',
    id: options.id ?? randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: options.account,
    time: scheduledEventTime(options.time),
    region: options.region,
    resources: [options.ruleArn],
    detail: {},
  };
}
