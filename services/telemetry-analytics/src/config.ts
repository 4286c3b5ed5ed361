import { readConfig } from '@iot/lambda-kit';
import * as z from 'zod';

const common = {
  POWERTOOLS_SERVICE_NAME: z.string().default('iot-telemetry-analytics'),
};

const metricsTable = {
  METRICS_TABLE_NAME: z.string().min(1),
  /** Days a window metric is kept before DynamoDB's TTL removes it. */
  METRICS_RETENTION_DAYS: z.coerce.number().int().positive().default(90),
};

/** The aggregator's environment, read once at cold start. */
export const loadAggregatorConfig = () =>
  readConfig(
    z.object({
      ...common,
      ...metricsTable,
      /** Where records that can never be aggregated are kept, with the reason. */
      AGGREGATOR_FAILURE_QUEUE_NAME: z.string().min(1),
      /** The Firehose delivery stream that writes window metrics to S3. */
      METRICS_DELIVERY_STREAM_NAME: z.string().min(1),
    }),
  );

/** The metrics routes' environment, read once at cold start. */
export const loadQueryConfig = () =>
  readConfig(
    z.object({
      ...common,
      ...metricsTable,
      /** The origin(s) a browser may call the routes from: the dashboard's (`dashboardOrigin` param), or `*`. */
      CORS_ALLOWED_ORIGIN: z.string().min(1),
    }),
  );

const recentTelemetry = {
  RECENT_TELEMETRY_TABLE_NAME: z.string().min(1),
  /** Minutes a device's raw reading is kept for the telemetry route. */
  RECENT_TELEMETRY_MINUTES: z.coerce.number().int().min(1).max(10_080).default(60),
};

/** The environment of the function that keeps recent readings, read once at cold start. */
export const loadRecentTelemetryConfig = () => readConfig(z.object({ ...common, ...recentTelemetry }));

/** The telemetry route's environment, read once at cold start. */
export const loadRecentTelemetryQueryConfig = () =>
  readConfig(
    z.object({
      ...common,
      ...recentTelemetry,
      /** Minutes a read of a device's readings keeps them recorded (param `liveReadingsWatchMinutes`). */
      LIVE_READINGS_WATCH_MINUTES: z.coerce.number().int().min(1).max(1440).default(10),
      CORS_ALLOWED_ORIGIN: z.string().min(1),
      /** iot-device-config-api's devices table: who owns which device (param `devicesTableName`). */
      DEVICES_TABLE_NAME: z.string().min(1),
    }),
  );

/** The environment of the device route, which also checks who owns the device, read once at cold start. */
export const loadDeviceQueryConfig = () =>
  readConfig(
    z.object({
      ...common,
      ...metricsTable,
      CORS_ALLOWED_ORIGIN: z.string().min(1),
      /** iot-device-config-api's devices table: who owns which device (param `devicesTableName`). */
      DEVICES_TABLE_NAME: z.string().min(1),
    }),
  );

/** The raw archive's feed from the stream, read once at cold start. */
export const loadArchiverConfig = () =>
  readConfig(
    z.object({
      ...common,
      /** The Firehose delivery stream of the raw archive (its processor validates and normalises). */
      RAW_ARCHIVE_DELIVERY_STREAM_NAME: z.string().min(1),
    }),
  );

/** The raw-archive processor's environment, read once at cold start. */
export const loadProcessorConfig = () => readConfig(z.object(common));
