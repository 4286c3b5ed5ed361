import { readConfig } from '@iot/lambda-kit';
import { z } from 'zod';

/** The functions' environment, read once at cold start. */
export const loadConfig = () =>
  readConfig(
    z.object({
      POWERTOOLS_SERVICE_NAME: z.string().default('iot-telemetry-analytics'),
      METRICS_TABLE_NAME: z.string().min(1),
      /** Days a window metric is kept before DynamoDB's TTL removes it. */
      METRICS_RETENTION_DAYS: z.coerce.number().int().positive().default(90),
      /** Where records that can never be aggregated are kept, with the reason. */
      AGGREGATOR_FAILURE_QUEUE_NAME: z.string().min(1),
    }),
  );
