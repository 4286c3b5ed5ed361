import * as z from 'zod';
import { MetricNameSchema, type Severity, SeveritySchema } from './common.schema';

export const ComparisonSchema = z.enum(['above', 'below']);
export type Comparison = z.infer<typeof ComparisonSchema>;

/**
 * A limit on one metric. `value` is crossed when a reading is strictly above (or below) it; an alarm clears once a
 * reading is back at or past `clearValue` (hysteresis, default `value`). `datapointsToAlarm` of the last
 * `evaluationPeriods` readings must breach to raise the alarm (M of N, default 1 of 1). A device silent for
 * `missingDataMinutes` has insufficient data.
 */
const thresholdRuleFields = {
  metric: MetricNameSchema,
  comparison: ComparisonSchema,
  value: z.number().finite(),
  clearValue: z.number().finite().optional(),
  severity: SeveritySchema.optional(),
  datapointsToAlarm: z.number().int().min(1).max(100).optional(),
  evaluationPeriods: z.number().int().min(1).max(100).optional(),
  missingDataMinutes: z.number().int().min(1).max(10_080).optional(),
};

function checkThresholdRule(rule: z.infer<z.ZodObject<typeof thresholdRuleFields>>, ctx: z.RefinementCtx): void {
  const m = rule.datapointsToAlarm ?? 1;
  const n = rule.evaluationPeriods ?? Math.max(m, 1);
  if (m > n) {
    ctx.addIssue({ code: 'custom', path: ['datapointsToAlarm'], message: `must not exceed evaluationPeriods (${n})` });
  }
  if (rule.clearValue === undefined) return;
  const wrongSide = rule.comparison === 'above' ? rule.clearValue > rule.value : rule.clearValue < rule.value;
  if (wrongSide) {
    ctx.addIssue({
      code: 'custom',
      path: ['clearValue'],
      message: `must be ${rule.comparison === 'above' ? 'at or below' : 'at or above'} value (${rule.value}) for a rule on readings ${rule.comparison} it`,
    });
  }
}

export const ThresholdRuleSchema = z.object(thresholdRuleFields).strict().superRefine(checkThresholdRule);
export type ThresholdRule = z.infer<typeof ThresholdRuleSchema>;

/** A rule as it applies to a device: its own, or the fleet default for a metric it has no rule for. */
export const AppliedThresholdRuleSchema = z
  .object({ ...thresholdRuleFields, source: z.enum(['device', 'fleet']) })
  .strict()
  .superRefine(checkThresholdRule);
export type AppliedThresholdRule = z.infer<typeof AppliedThresholdRuleSchema>;
/** A threshold rule with every default applied. */
export interface ResolvedThresholdRule {
  metric: string;
  comparison: Comparison;
  value: number;
  clearValue: number;
  severity: Severity;
  datapointsToAlarm: number;
  evaluationPeriods: number;
  missingDataMinutes: number | undefined;
}

/** Applies the documented defaults: clearValue = value, severity major, 1 of 1 datapoints. */
export function resolveThresholdRule(rule: ThresholdRule): ResolvedThresholdRule {
  const datapointsToAlarm = rule.datapointsToAlarm ?? 1;
  return {
    metric: rule.metric,
    comparison: rule.comparison,
    value: rule.value,
    clearValue: rule.clearValue ?? rule.value,
    severity: rule.severity ?? 'major',
    datapointsToAlarm,
    evaluationPeriods: rule.evaluationPeriods ?? datapointsToAlarm,
    missingDataMinutes: rule.missingDataMinutes,
  };
}

/** A set of rules for one device or for the fleet, at most one per metric. */
export const ThresholdRuleSetSchema = z
  .array(ThresholdRuleSchema)
  .max(50, 'at most 50 rules')
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((rule, index) => {
      if (seen.has(rule.metric)) {
        ctx.addIssue({
          code: 'custom',
          path: [index, 'metric'],
          message: `"${rule.metric}" has more than one rule`,
        });
      }
      seen.add(rule.metric);
    });
  });
