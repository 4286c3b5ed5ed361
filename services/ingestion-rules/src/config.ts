import { readConfig } from '@iot/lambda-kit';
import * as z from 'zod';

/** The function's environment, read once at cold start. */
export const loadConfig = () =>
  readConfig(
    z.object({
      POWERTOOLS_SERVICE_NAME: z.string().default('iot-ingestion-rules'),
      RULE_ERRORS_QUEUE_NAME: z.string().min(1),
    }),
  );
