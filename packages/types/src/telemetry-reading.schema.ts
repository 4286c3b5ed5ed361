import * as z from 'zod';
import { DeviceIdSchema, EpochMillisSchema } from './common.schema';
import { MetricsSchema } from './telemetry.schema';

/** How long the recent readings of a device are kept for `GET /devices/{deviceId}/telemetry` (default). */
export const DEFAULT_RECENT_TELEMETRY_MINUTES = 60;

/** One telemetry message of a device as it arrived: its readings at the device's timestamp. */
export const TelemetryReadingSchema = z.object({
  deviceId: DeviceIdSchema,
  /** When the device took the readings, in milliseconds. */
  timestamp: EpochMillisSchema,
  metrics: MetricsSchema,
  /** When AWS IoT received the message, in milliseconds. */
  receivedAt: EpochMillisSchema,
});
export type TelemetryReading = z.infer<typeof TelemetryReadingSchema>;

/** Query of `GET /devices/{deviceId}/telemetry`: readings taken at or after `from`, at most `limit` (the newest). */
export const GetTelemetryQuerySchema = z
  .object({
    /** Epoch milliseconds; default: as far back as readings are kept. */
    from: z.coerce.number().pipe(EpochMillisSchema).optional(),
    /** At most this many readings, the newest (1 to 1000, default 500). */
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();
export type GetTelemetryQuery = z.infer<typeof GetTelemetryQuerySchema>;

/** How long a read of a device's recent readings keeps them being recorded (default, minutes). */
export const DEFAULT_LIVE_READINGS_WATCH_MINUTES = 10;

/**
 * The recent raw readings of a device, oldest first. Readings are recorded only while someone watches the device:
 * the read that answers this marks it watched until `watchedUntil`, so an empty `items` with a `watchedUntil` ahead
 * means "recording has started, readings will appear", not "the device sends nothing".
 */
export const TelemetryReadingsSchema = z.object({
  deviceId: DeviceIdSchema,
  items: z.array(TelemetryReadingSchema),
  /** Until when (epoch milliseconds) the device's readings are recorded; reading them again extends it. */
  watchedUntil: EpochMillisSchema,
});
export type TelemetryReadings = z.infer<typeof TelemetryReadingsSchema>;
