import * as z from 'zod';
import { DeviceIdSchema, EpochMillisSchema, MetricNameSchema } from './common.schema';

/** The readings of one message: metric name to a finite number. */
export const MetricsSchema = z
  .record(MetricNameSchema, z.number().finite('must be a finite number'))
  .refine((metrics) => Object.keys(metrics).length > 0, 'must hold at least one reading')
  .refine((metrics) => Object.keys(metrics).length <= 100, 'must hold at most 100 readings');
export type Metrics = z.infer<typeof MetricsSchema>;

/** What a device publishes on `devices/{deviceId}/telemetry` (the topic names the device). */
export const TelemetryPayloadSchema = z.object({
  /** When the readings were taken, in milliseconds since the epoch. */
  timestamp: EpochMillisSchema,
  metrics: MetricsSchema,
  /** Unique per device; lets consumers drop a message delivered twice. */
  messageId: z.string().min(1).max(128).optional(),
  /** Increases by one per message; gaps show lost messages. */
  sequence: z.number().int().nonnegative().optional(),
});
export type TelemetryPayload = z.infer<typeof TelemetryPayloadSchema>;

/** A telemetry message with the device it came from. */
export const TelemetryMessageSchema = TelemetryPayloadSchema.extend({
  deviceId: DeviceIdSchema,
});
export type TelemetryMessage = z.infer<typeof TelemetryMessageSchema>;

/**
 * What the ingestion rule delivers to its actions (alerting Lambda, Kinesis, Firehose): the device's message,
 * the device id taken from the topic, and when AWS IoT received it.
 */
export const TelemetryRuleEventSchema = TelemetryMessageSchema.extend({
  /** The rule's `timestamp()`: when the broker received the message, in milliseconds. */
  receivedAt: EpochMillisSchema,
});
export type TelemetryRuleEvent = z.infer<typeof TelemetryRuleEventSchema>;
