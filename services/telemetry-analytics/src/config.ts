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
export const loadQueryConfig = () => readConfig(z.object({ ...common, ...metricsTable }));

/** The raw-archive processor's environment, read once at cold start. */
export const loadProcessorConfig = () => readConfig(z.object(common));
