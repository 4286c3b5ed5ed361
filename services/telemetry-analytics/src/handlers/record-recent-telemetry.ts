import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger, type Logger, once } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { DynamoDbRecentTelemetryStore } from '../adapters/dynamodb-recent-telemetry-store';
import { DynamoDbWatchMarkStore } from '../adapters/dynamodb-watch-mark-store';
import { loadRecentTelemetryConfig } from '../config';
import {
  type RecentTelemetryStore,
  readingsOf,
  type WatchMarkStore,
  watchedReadings,
} from '../domain/recent-telemetry';

export interface RecordRecentTelemetryDependencies {
  store: Pick<RecentTelemetryStore, 'put'>;
  watchMarks: Pick<WatchMarkStore, 'read'>;
  logger: Logger;
  now?: () => number;
}

/**
 * Keeps each telemetry message of the stream of a watched device as its recent reading, for live charts; the readings
 * of devices nobody watches are left out (counted in the batch's log). The watch marks are read once per batch (one
 * `GetItem`), so a device becomes recorded from the batch after someone starts watching it, about a second later. A
 * record that is not a telemetry message is skipped (the aggregator, reading the same stream, dead-letters it with
 * the reason); a failed read or write throws, so Lambda retries the batch, whose readings replace themselves.
 */
export function createRecordRecentTelemetryHandler({
  store,
  watchMarks,
  logger,
  now = Date.now,
}: RecordRecentTelemetryDependencies) {
  return middy<KinesisStreamEvent, void, Error, Context>().handler(async (event) => {
    const { readings, skipped } = readingsOf(
      event.Records.map((record) => ({
        sequenceNumber: record.kinesis.sequenceNumber,
        data: Buffer.from(record.kinesis.data, 'base64').toString('utf8'),
      })),
    );
    if (skipped.length > 0) logger.warn('records without a telemetry message skipped', { skipped });
    if (readings.length === 0) return;
    const { watched, unwatched } = watchedReadings(readings, await watchMarks.read(), now());
    await store.put(watched);
    logger.info('recent readings recorded', { recorded: watched.length, unwatched });
  });
}

const built = once(() => {
  const config = loadRecentTelemetryConfig();
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  return createRecordRecentTelemetryHandler({
    store: new DynamoDbRecentTelemetryStore(
      documents,
      config.RECENT_TELEMETRY_TABLE_NAME,
      config.RECENT_TELEMETRY_MINUTES,
    ),
    watchMarks: new DynamoDbWatchMarkStore(documents, config.RECENT_TELEMETRY_TABLE_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: KinesisStreamEvent, context: Context) => built()(event, context);
