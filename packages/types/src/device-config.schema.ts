import * as z from 'zod';
import { MetricNameSchema } from './common.schema';

export const FirmwareChannelSchema = z.enum(['stable', 'beta', 'canary']);
export type FirmwareChannel = z.infer<typeof FirmwareChannelSchema>;

/** A limit a device applies itself, before sending anything. */
export const LocalThresholdSchema = z
  .object({
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
  })
  .strict()
  .refine((t) => t.min === undefined || t.max === undefined || t.min <= t.max, {
    message: 'min must not exceed max',
    path: ['min'],
  });

/**
 * A device's configuration, as kept in the desired (and reported) state of its shadow. Every field is optional so
 * a change can name only what it changes; an unknown field is an error.
 */
export const DeviceConfigurationSchema = z
  .object({
    /** Seconds between two telemetry messages. */
    reportingIntervalSeconds: z.number().int().min(1).max(86_400).optional(),
    /** The sensors the device reads; the others stay off. */
    enabledSensors: z
      .array(MetricNameSchema)
      .max(32)
      .refine((names) => new Set(names).size === names.length, 'must not repeat a sensor')
      .optional(),
    /** Limits the device checks on its own readings. */
    localThresholds: z.record(MetricNameSchema, LocalThresholdSchema).optional(),
    firmwareChannel: FirmwareChannelSchema.optional(),
  })
  .strict();
export type DeviceConfiguration = z.infer<typeof DeviceConfigurationSchema>;
