import * as z from 'zod';
import { DeviceIdSchema, EpochMillisSchema, MetricNameSchema } from './common.schema';

/** The aggregate of one metric of one device over one tumbling window. */
export const WindowMetricSchema = z.object({
  deviceId: DeviceIdSchema,
  metric: MetricNameSchema,
  /** Inclusive start and exclusive end of the window, in milliseconds. */
  windowStart: EpochMillisSchema,
  windowEnd: EpochMillisSchema,
  count: z.number().int().positive(),
  min: z.number(),
  max: z.number(),
  sum: z.number(),
  mean: z.number(),
  /** The reading with the latest device timestamp. */
  last: z.number(),
  firstTimestamp: EpochMillisSchema,
  lastTimestamp: EpochMillisSchema,
  /** Readings outside the device's thresholds, where the record carried them. */
  breaches: z.number().int().nonnegative().optional(),
});
export type WindowMetric = z.infer<typeof WindowMetricSchema>;
