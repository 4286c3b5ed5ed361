import { FirehoseClient } from '@aws-sdk/client-firehose';
import { createLogger, type Logger, once } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { FirehoseRecordBatches } from '../adapters/firehose-record-batches';
import { loadArchiverConfig } from '../config';
import { type RawArchive, rawArchiveBatch } from '../domain/archive-raw-telemetry';

export interface ArchiveRawTelemetryDependencies {
  archive: RawArchive;
  logger: Logger;
}

/**
 * The raw archive's feed: a consumer of the telemetry stream that writes each batch to the raw-archive Firehose,
 * several normalised readings per record (`rawArchiveBatch`), a record that is not telemetry alone and as it arrived
 * (the processor puts it under raw-errors/). Records Firehose still refuses after its retries are reported in
 * `batchItemFailures` from the first one not delivered, so Lambda delivers it and those after it again; what was
 * delivered before it is not sent twice (what came after it in the batch may be: the archive is at least once).
 */
export function createArchiveRawTelemetryHandler({ archive, logger }: ArchiveRawTelemetryDependencies) {
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse, Error, Context>().handler(async (event) => {
    const records = event.Records.map((record) => ({
      sequenceNumber: record.kinesis.sequenceNumber,
      data: Buffer.from(record.kinesis.data, 'base64'),
    }));
    const batch = rawArchiveBatch(records);
    if (batch.refused.length > 0) {
      // The first few with their reasons: a batch of up to 10,000 records could otherwise make one huge log line.
      logger.warn('records that are not telemetry sent alone, for raw-errors/', {
        count: batch.refused.length,
        refused: batch.refused.slice(0, 20),
      });
    }
    const failure = await archive.write(batch.records.map((record) => record.data));
    if (failure) {
      const first = batch.records[failure.firstUndelivered]?.first ?? 0;
      const sequenceNumber = records[first]?.sequenceNumber ?? '';
      logger.warn('the raw archive refused records: they and the records after them will be delivered again', {
        sequenceNumber,
        reason: failure.reason,
      });
      return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
    }
    logger.info('raw records archived', {
      stream: records.length,
      firehose: batch.records.length,
      refused: batch.refused.length,
      dropped: batch.dropped,
    });
    return { batchItemFailures: [] };
  });
}

const built = once(() => {
  const config = loadArchiverConfig();
  return createArchiveRawTelemetryHandler({
    archive: new FirehoseRecordBatches(new FirehoseClient({}), config.RAW_ARCHIVE_DELIVERY_STREAM_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: KinesisStreamEvent, context: Context) => built()(event, context);
