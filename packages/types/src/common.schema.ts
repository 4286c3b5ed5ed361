import * as z from 'zod';
import { DEVICE_ID_PATTERN } from './topics';

/** A device id, which is also its AWS IoT thing name. */
export const DeviceIdSchema = z
  .string()
  .regex(DEVICE_ID_PATTERN, 'must be 1 to 128 letters, digits, colons, underscores or hyphens');
export type DeviceId = z.infer<typeof DeviceIdSchema>;

/** The name of a measured quantity, such as `temperature` or `battery.voltage`. */
export const MetricNameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_.-]{0,63}$/, 'must start with a letter and hold at most 64 letters, digits, _ . -');
export type MetricName = z.infer<typeof MetricNameSchema>;

/** Milliseconds since the Unix epoch. Values below 10^12 (before September 2001) are taken to be seconds sent by mistake. */
export const EpochMillisSchema = z
  .number()
  .int('must be a whole number of milliseconds')
  .min(1_000_000_000_000, 'must be milliseconds since the epoch (this looks like seconds)')
  .max(9_999_999_999_999, 'is too far in the future');
export type EpochMillis = z.infer<typeof EpochMillisSchema>;

export const SeveritySchema = z.enum(['critical', 'major', 'minor', 'warning']);
export type Severity = z.infer<typeof SeveritySchema>;
