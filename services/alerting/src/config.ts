import { readConfig } from '@iot/lambda-kit';
import { z } from 'zod';

const tableNames = {
  /** The thresholds table: one item of rules per device, one for the fleet defaults. */
  THRESHOLDS_TABLE_NAME: z.string().min(1),
  /** The alarms table: one item per device metric. */
  ALARMS_TABLE_NAME: z.string().min(1),
};

/** The environment of the HTTP functions, read once at cold start. */
export const loadApiConfig = () =>
  readConfig(
    z.object({
      POWERTOOLS_SERVICE_NAME: z.string().default('iot-alerting'),
      ...tableNames,
    }),
  );

/** The environment of the telemetry evaluation, read once at cold start. */
export const loadEvaluateTelemetryConfig = () =>
  readConfig(
    z.object({
      POWERTOOLS_SERVICE_NAME: z.string().default('iot-alerting'),
      ...tableNames,
      /** The topic that every alarm transition is published to. */
      ALERTS_TOPIC_ARN: z
        .string()
        .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be the ARN of an SNS topic'),
      /** How long a warm function reuses the thresholds it read; 0 reads them for every message. */
      THRESHOLD_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
    }),
  );
