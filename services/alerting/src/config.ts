import { readConfig } from '@iot/lambda-kit';
import * as z from 'zod';

const tableNames = {
  /** The thresholds table: one item of rules per device, one for the fleet defaults. */
  THRESHOLDS_TABLE_NAME: z.string().min(1),
  /** The alarms table: one item per device metric. */
  ALARMS_TABLE_NAME: z.string().min(1),
  /** The alarm history table: one item per change of an alarm's state. */
  ALARM_HISTORY_TABLE_NAME: z.string().min(1),
};

/** What the functions that change alarms and notify (the evaluation and the scheduled check) read. */
const alarmWriter = {
  /** The topic that every alarm transition and reminder is published to. */
  ALERTS_TOPIC_ARN: z
    .string()
    .regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'must be the ARN of an SNS topic'),
  /** How long a warm function reuses the thresholds it read; 0 reads them every time. */
  THRESHOLD_CACHE_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  /**
   * The longest a warm evaluation leaves an alarm unwritten while readings change nothing of it but its last reading
   * (at most a tenth of a rule's missing-data period); 0 writes every reading.
   */
  ALARM_REFRESH_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
  /** Days a change stays in the history before DynamoDB's TTL deletes it. */
  ALARM_HISTORY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Minutes between reminders of an alarm that stays in ALARM unacknowledged; 0 sends none. */
  REMINDER_MINUTES: z.coerce.number().int().min(0).max(10_080).default(0),
};

/** The environment of the HTTP functions, read once at cold start. */
export const loadApiConfig = () =>
  readConfig(
    z.object({
      POWERTOOLS_SERVICE_NAME: z.string().default('iot-alerting'),
      ...tableNames,
      /** iot-device-config-api's devices table: who owns which device (param `devicesTableName`). */
      DEVICES_TABLE_NAME: z.string().min(1),
      /** The origin(s) a browser may call the routes from: the dashboard's (`dashboardOrigin` param), or `*`. */
      CORS_ALLOWED_ORIGIN: z.string().min(1),
    }),
  );

/** The environment of the telemetry evaluation and of the scheduled check, read once at cold start. */
export const loadAlarmWriterConfig = () =>
  readConfig(
    z.object({
      POWERTOOLS_SERVICE_NAME: z.string().default('iot-alerting'),
      ...tableNames,
      ...alarmWriter,
    }),
  );

/** The environment of the evaluation on the telemetry stream (alerts on the stream), read once at cold start. */
export const loadAlarmStreamConfig = () =>
  readConfig(
    z.object({
      POWERTOOLS_SERVICE_NAME: z.string().default('iot-alerting'),
      ...tableNames,
      ...alarmWriter,
      /** Where invalid records of the stream go: the evaluate failures queue. */
      EVALUATE_FAILURES_QUEUE_NAME: z.string().min(1),
    }),
  );
