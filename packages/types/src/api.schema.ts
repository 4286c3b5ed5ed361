import * as z from 'zod';
import { AlarmSchema } from './alarm.schema';
import { DeviceIdSchema, EpochMillisSchema, MetricNameSchema } from './common.schema';
import { DeviceConfigurationSchema } from './device-config.schema';
import { FleetWindowMetricSchema } from './fleet-metric.schema';
import { AppliedThresholdRuleSchema, ThresholdRuleSetSchema } from './threshold.schema';
import { WindowMetricSchema } from './window-metric.schema';

/** Path parameters of every `/devices/{deviceId}/...` route. */
export const DevicePathSchema = z.object({ deviceId: DeviceIdSchema });

/** Path parameters of the `/devices/{deviceId}/alarms/{metric}/...` routes. */
export const AlarmPathSchema = DevicePathSchema.extend({ metric: MetricNameSchema });

/** An error answer, as RFC 9457 problem details. */
export const ProblemDetailsSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  /** For a 400: each field that failed, by its path in the request. */
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type ProblemDetails = z.infer<typeof ProblemDetailsSchema>;

/** `PUT /devices/{deviceId}/config`: the configuration to make desired; at least one field. */
export const PutDeviceConfigRequestSchema = DeviceConfigurationSchema.refine(
  (config) => Object.keys(config).length > 0,
  {
    message: 'must set at least one configuration field',
    // Only when the fields themselves are valid: `{"volume": 11}` is an unknown field, not an empty change.
    when: (payload) => payload.issues.length === 0,
  },
);
export type PutDeviceConfigRequest = z.infer<typeof PutDeviceConfigRequestSchema>;

/** The answer to `PUT /devices/{deviceId}/config`. */
export const PutDeviceConfigResponseSchema = z.object({
  deviceId: DeviceIdSchema,
  /** The shadow's version after the update; send it as `If-Match` to update only that version. */
  version: z.number().int().positive(),
  desired: DeviceConfigurationSchema,
  /** When the shadow service accepted the update, in milliseconds. */
  updatedAt: EpochMillisSchema,
});
export type PutDeviceConfigResponse = z.infer<typeof PutDeviceConfigResponseSchema>;

/** `PUT /devices/{deviceId}/thresholds` and `PUT /fleet/thresholds`. */
export const PutThresholdsRequestSchema = z.object({ rules: ThresholdRuleSetSchema }).strict();
export type PutThresholdsRequest = z.infer<typeof PutThresholdsRequestSchema>;

/** The rules that apply to a device: its own, and the fleet defaults for the metrics it has none for. */
export const GetThresholdsResponseSchema = z.object({
  deviceId: DeviceIdSchema,
  rules: z.array(AppliedThresholdRuleSchema),
});
export type GetThresholdsResponse = z.infer<typeof GetThresholdsResponseSchema>;

/** `GET /fleet/thresholds` and the answer to `PUT /fleet/thresholds`: the fleet-wide default rules. */
export const FleetThresholdsResponseSchema = z.object({ rules: ThresholdRuleSetSchema });
export type FleetThresholdsResponse = z.infer<typeof FleetThresholdsResponseSchema>;

/** `GET /devices/{deviceId}/alarms`. */
export const GetAlarmsResponseSchema = z.object({
  deviceId: DeviceIdSchema,
  alarms: z.array(AlarmSchema),
});
export type GetAlarmsResponse = z.infer<typeof GetAlarmsResponseSchema>;

/**
 * Query of `GET /devices/{deviceId}/metrics` and `GET /fleet/metrics`: optionally one metric, windows starting in
 * `[from, to]` (epoch milliseconds), a page of at most `limit` windows.
 */
export const GetMetricsQuerySchema = z
  .object({
    metric: MetricNameSchema.optional(),
    from: z.coerce.number().pipe(EpochMillisSchema).optional(),
    to: z.coerce.number().pipe(EpochMillisSchema).optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    nextToken: z.string().min(1).optional(),
  })
  .strict()
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, {
    message: 'from must not be after to',
    path: ['from'],
  });
export type GetMetricsQuery = z.infer<typeof GetMetricsQuerySchema>;

/** A page of window metrics, oldest first. */
export const WindowMetricsPageSchema = z.object({
  items: z.array(WindowMetricSchema),
  /** Pass as `nextToken` to get the next page; absent on the last page. */
  nextToken: z.string().optional(),
});
export type WindowMetricsPage = z.infer<typeof WindowMetricsPageSchema>;

/** Query of `GET /fleet/metrics`: the same as a device's. */
export const GetFleetMetricsQuerySchema = GetMetricsQuerySchema;
export type GetFleetMetricsQuery = z.infer<typeof GetFleetMetricsQuerySchema>;

/** A page of fleet window metrics, oldest first. */
export const FleetMetricsPageSchema = z.object({
  items: z.array(FleetWindowMetricSchema),
  /** Pass as `nextToken` to get the next page; absent on the last page. */
  nextToken: z.string().optional(),
});
export type FleetMetricsPage = z.infer<typeof FleetMetricsPageSchema>;
