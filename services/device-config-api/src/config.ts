import { readConfig } from '@iot/lambda-kit';
import * as z from 'zod';

const base = {
  POWERTOOLS_SERVICE_NAME: z.string().default('iot-device-config-api'),
  /** The dashboard's origin(s) for CORS: one origin, several separated by commas, or `*`. */
  CORS_ALLOWED_ORIGIN: z.string().min(1),
};

const tables = {
  /** Registered devices and their owners. */
  DEVICES_TABLE_NAME: z.string().min(1),
  /** Commands sent to devices, and their results. */
  COMMANDS_TABLE_NAME: z.string().min(1),
  /** Idempotency keys of POST requests (24 h time to live). */
  IDEMPOTENCY_TABLE_NAME: z.string().min(1),
};

/** The environment of the HTTP functions, read once at cold start. */
export const loadConfig = () =>
  readConfig(
    z.object({
      ...base,
      ...tables,
      /** Thing type names are this prefix and the device type (`sensor`, `gateway` ...). */
      THING_TYPE_PREFIX: z.string().min(1),
      /** The AWS IoT policy attached to every device certificate (its own topics and shadow only). */
      DEVICE_POLICY_NAME: z.string().min(1),
      /** Days a command and its result are kept. */
      COMMAND_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    }),
  );

/** The environment of `GET /openapi.json`, which touches no table. */
export const loadOpenApiConfig = () => readConfig(z.object(base));

/** The environment of the functions the IoT rules invoke. */
export const loadRuleConfig = () =>
  readConfig(
    z.object({
      POWERTOOLS_SERVICE_NAME: base.POWERTOOLS_SERVICE_NAME,
      DEVICES_TABLE_NAME: tables.DEVICES_TABLE_NAME,
      COMMANDS_TABLE_NAME: tables.COMMANDS_TABLE_NAME,
    }),
  );
