import { SQSClient } from '@aws-sdk/client-sqs';
import { createLogger, type Logger, once } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { MemoryAlarmCache } from '../adapters/memory-alarm-cache';
import { SqsInvalidRecordSink } from '../adapters/sqs-invalid-record-sink';
import { loadAlarmStreamConfig } from '../config';
import type { EvaluateTelemetryDependencies } from '../domain/evaluate-telemetry';
import { evaluateTelemetryBatch, type InvalidRecordSink } from '../domain/evaluate-telemetry-batch';
import { alarmWriterDependencies } from '../wiring';

export interface EvaluateTelemetryStreamHandlerDependencies extends EvaluateTelemetryDependencies {
  invalidRecords: InvalidRecordSink;
  logger: Logger;
}

/**
 * Alerts on the stream (param `alerts: stream`): the telemetry stream's event source mapping invokes it with batches
 * of the records the ingestion rule put, and it evaluates them as evaluateTelemetry evaluates the rule's events. It
 * answers the first record it could not evaluate in `batchItemFailures` (ReportBatchItemFailures).
 */
export function createEvaluateTelemetryStreamHandler({ logger, ...deps }: EvaluateTelemetryStreamHandlerDependencies) {
  return middy<KinesisStreamEvent, KinesisStreamBatchResponse, Error, Context>().handler(async (event) => {
    const records = event.Records.map((record) => ({
      sequenceNumber: record.kinesis.sequenceNumber,
      data: Buffer.from(record.kinesis.data, 'base64'),
    }));
    const result = await evaluateTelemetryBatch(deps, records);
    for (const { notification, error } of result.unconfirmed) {
      logger.warn('alarm change published but not marked as published', {
        error: error as Error,
        deviceId: notification.deviceId,
        metric: notification.metric,
        readingAt: notification.timestamp,
      });
    }
    for (const notification of result.notifications) logger.info('alarm changed', { alarm: notification });
    if (result.invalid > 0) logger.warn('invalid records sent to the failures queue', { count: result.invalid });
    if (!result.failed) return { batchItemFailures: [] };
    logger.error('telemetry not evaluated: the record and those after it will be delivered again', {
      error: result.failed.error as Error,
      sequenceNumber: result.failed.sequenceNumber,
      deviceId: String(result.failed.deviceId),
    });
    return { batchItemFailures: [{ itemIdentifier: result.failed.sequenceNumber }] };
  });
}

const built = once(() => {
  const config = loadAlarmStreamConfig();
  return createEvaluateTelemetryStreamHandler({
    ...alarmWriterDependencies(config),
    // A device's readings all reach the one environment that reads its shard, in order, so the alarms it has seen
    // stay current: a reading that changes nothing they keep is neither read nor written. (Changes the scheduled
    // check or an acknowledgement make are found by the next conditional write.)
    alarmCache: new MemoryAlarmCache(),
    invalidRecords: new SqsInvalidRecordSink(new SQSClient({}), config.EVALUATE_FAILURES_QUEUE_NAME),
    logger: createLogger(config.POWERTOOLS_SERVICE_NAME),
  });
});

export const handler = (event: KinesisStreamEvent, context: Context) => built()(event, context);
