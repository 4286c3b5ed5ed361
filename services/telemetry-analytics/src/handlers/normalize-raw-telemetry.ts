import { createLogger, type Logger, once } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { Context, FirehoseTransformationEvent, FirehoseTransformationResult } from 'aws-lambda';
import { loadProcessorConfig } from '../config';
import { normalizeRawRecord } from '../domain/normalize-raw-telemetry';

export interface NormalizeRawTelemetryDependencies {
  logger: Logger;
}

/**
 * The raw archive's Firehose processor: answers every record of the batch, by its `recordId`, with `Ok` and the
 * normalised JSON line, `Dropped`, or `ProcessingFailed`. Firehose's error output keeps the record as it arrived but
 * not why it failed, so the reason is logged here with the record id and the invocation id.
 */
export function createNormalizeRawTelemetryHandler({ logger }: NormalizeRawTelemetryDependencies) {
  return middy<FirehoseTransformationEvent, FirehoseTransformationResult, Error, Context>().handler(async (event) => {
    const counts = { Ok: 0, Dropped: 0, ProcessingFailed: 0 };
    const records = event.records.map((record): FirehoseTransformationResult['records'][number] => {
      const normalized = normalizeRawRecord(Buffer.from(record.data, 'base64'));
      counts[normalized.result]++;
      if (normalized.result === 'Ok') {
        return { recordId: record.recordId, result: 'Ok', data: normalized.data.toString('base64') };
      }
      const details = {
        invocationId: event.invocationId,
        deliveryStreamArn: event.deliveryStreamArn,
        recordId: record.recordId,
        approximateArrivalTimestamp: record.approximateArrivalTimestamp,
        reason: normalized.reason,
      };
      if (normalized.result === 'ProcessingFailed') logger.warn('raw record failed validation', details);
      else logger.info('raw record dropped', details);
      // The contract asks for data with every result; Firehose keeps the original in its error output anyway.
      return { recordId: record.recordId, result: normalized.result, data: record.data };
    });
    logger.info('raw records processed', { invocationId: event.invocationId, ...counts });
    return { records };
  });
}

const built = once(() => {
  const config = loadProcessorConfig();
  return createNormalizeRawTelemetryHandler({ logger: createLogger(config.POWERTOOLS_SERVICE_NAME) });
});

export const handler = (event: FirehoseTransformationEvent, context: Context) => built()(event, context);
