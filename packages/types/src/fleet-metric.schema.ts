import * as z from 'zod';
import { EpochMillisSchema, MetricNameSchema } from './common.schema';

/** The aggregate of one metric over the readings of every device in one tumbling window. */
export const FleetWindowMetricSchema = z.object({
  metric: MetricNameSchema,
  /** Inclusive start and exclusive end of the window, in milliseconds. */
  windowStart: EpochMillisSchema,
  windowEnd: EpochMillisSchema,
  /** Readings of every device, each message counted once. */
  count: z.number().int().positive(),
  min: z.number(),
  max: z.number(),
  sum: z.number(),
  /** `sum / count`: every reading weighs the same, whichever device sent it. */
  mean: z.number(),
  /**
   * Devices that sent the metric in the window. A device is counted once per part of the window it appears in: more
   * than once only when the window ended early (state over 1 MB) or the stream was resharded during it.
   */
  devices: z.number().int().positive(),
  firstTimestamp: EpochMillisSchema,
  lastTimestamp: EpochMillisSchema,
  /** Readings outside their device's thresholds, where the records carried them. */
  breaches: z.number().int().nonnegative().optional(),
});
export type FleetWindowMetric = z.infer<typeof FleetWindowMetricSchema>;
