import * as z from 'zod';
import { DeviceIdSchema, EpochMillisSchema, MetricNameSchema, SeveritySchema } from './common.schema';
import { ComparisonSchema } from './threshold.schema';

/** The states of an alarm, as CloudWatch names them. */
export const AlarmStateSchema = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
export type AlarmState = z.infer<typeof AlarmStateSchema>;

/** The current alarm of one metric of one device. */
export const AlarmSchema = z.object({
  deviceId: DeviceIdSchema,
  metric: MetricNameSchema,
  state: AlarmStateSchema,
  severity: SeveritySchema,
  comparison: ComparisonSchema,
  threshold: z.number(),
  clearValue: z.number(),
  /** The reading that was last evaluated. */
  lastValue: z.number().optional(),
  /** The device timestamp of the last evaluated reading; older readings do not change the alarm. */
  lastReadingAt: EpochMillisSchema.optional(),
  /** When the alarm entered its current state. */
  stateChangedAt: EpochMillisSchema,
  /** When someone acknowledged the alarm in its current state; a change of state clears it. */
  acknowledgedAt: EpochMillisSchema.optional(),
  /** Who acknowledged it: the user's id (`sub`), or `anonymous` where the API has no authentication. */
  acknowledgedBy: z.string().optional(),
});
export type Alarm = z.infer<typeof AlarmSchema>;

/** A change of an alarm's state, as published to the alerts topic and kept in the history. */
export const AlarmNotificationSchema = z.object({
  deviceId: DeviceIdSchema,
  metric: MetricNameSchema,
  state: AlarmStateSchema,
  previousState: AlarmStateSchema,
  severity: SeveritySchema,
  comparison: ComparisonSchema,
  threshold: z.number(),
  /** The reading that caused the change; absent for insufficient data. */
  value: z.number().optional(),
  /** When the change happened (the reading's timestamp, or the evaluation time for missing data). */
  timestamp: EpochMillisSchema,
  /** A sentence a person can read, e.g. "temperature 31.2 is above 30". */
  reason: z.string(),
  /**
   * Set on a reminder that an alarm is still in ALARM and unacknowledged: not a change of state (`previousState` is
   * `ALARM` too), not kept in the history. Absent on transitions.
   */
  reminder: z.literal(true).optional(),
});
export type AlarmNotification = z.infer<typeof AlarmNotificationSchema>;
