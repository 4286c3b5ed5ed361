import * as z from 'zod';
import { MetricNameSchema } from './common.schema';
import { TelemetryRuleEventSchema } from './telemetry.schema';

/**
 * The limits a record may carry for one metric: a reading strictly above `above` or strictly below `below` is
 * outside the device's thresholds (the comparison the alerting service uses for `above` and `below` rules).
 */
export const RecordThresholdSchema = z
  .object({
    above: z.number().finite().optional(),
    below: z.number().finite().optional(),
  })
  .strict()
  .refine((limits) => limits.above !== undefined || limits.below !== undefined, 'must set above, below or both');
export type RecordThreshold = z.infer<typeof RecordThresholdSchema>;

/**
 * A record of the telemetry stream and of the raw archive: what the ingestion rule delivers, optionally with the
 * device's thresholds per metric. Today's rule selects no `thresholds`, so window metrics carry no `breaches`; a rule
 * (or an enrichment step) that adds them makes the aggregator count the readings outside them.
 */
export const TelemetryStreamRecordSchema = TelemetryRuleEventSchema.extend({
  thresholds: z
    .record(MetricNameSchema, RecordThresholdSchema)
    .refine((thresholds) => Object.keys(thresholds).length <= 100, 'must hold at most 100 metrics')
    .optional(),
});
export type TelemetryStreamRecord = z.infer<typeof TelemetryStreamRecordSchema>;
