import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger, type Logger, once } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { DynamoDbRecentTelemetryStore } from '../adapters/dynamodb-recent-telemetry-store';
import { loadRecentTelemetryConfig } from '../config';
import { type RecentTelemetryStore, readingsOf } from '../domain/recent-telemetry';

export interface RecordRecentTelemetryDependencies {
  store: Pick<RecentTelemetryStore, 'put'>;
  logger: Logger;
}

/**
 * Keeps each telemetry message of the stream as a device's recent reading, for live charts. A record that is not a
 * telemetry message is skipped (the aggregator, reading the same stream, dead-letters it with the reason); a failed
 * write throws, so Lambda retries the batch, whose readings replace themselves.
 */
export function createRecordRecentTelemetryHandler({ store, logger }: RecordRecentTelemetryDependencies) {
  return middy<KinesisStreamEvent, void, Error, Context>().handler(async (event) => {
    const { readings, skipped } = readingsOf(
      event.Records.map((record) => ({
        sequenceNumber: record.kinesis.sequenceNumber,
        data: Buffer.from(record.kinesis.data, 'base64').toString('utf8'),
      })),
    );
    if (skipped.length > 0) logger.warn('records without a telemetry message skipped', { skipped });
    await store.put(readings);
  });
}

const built = once(() => {
  const config = loadRecentTelemetryConfig();
  return createRecordRecentTelemetryHandler({
    store: new DynamoDbRecentTelemetryStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({})),
      config.RECENT_TELEMETRY_TABLE_NAME,
      config.RECENT_TELEMETRY_MINUTES,
    ),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: KinesisStreamEvent, context: Context) => built()(event, context);
