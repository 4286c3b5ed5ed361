import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger, type Logger, once } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import * as z from 'zod';
import { DynamoDbWindowMetricsStore } from '../adapters/dynamodb-window-metrics-store';
import { FirehoseWindowMetricsExport } from '../adapters/firehose-window-metrics-export';
import { SqsRejectedRecordSink } from '../adapters/sqs-rejected-record-sink';
import { loadAggregatorConfig } from '../config';
import {
  aggregateWindow,
  type RejectedRecordSink,
  type WindowMetricsExport,
  type WindowMetricsStore,
} from '../domain/aggregate-window';
import { type Aggregate, emptyWindowState, type WindowState } from '../domain/window-aggregate';

/** A Kinesis event of a mapping with `tumblingWindowInSeconds`, as Lambda sends it. */
export interface KinesisWindowEvent extends KinesisStreamEvent {
  window: { start: string; end: string };
  state?: Record<string, unknown>;
  shardId: string;
  eventSourceARN: string;
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
}

/** What the function returns: the state for the next invocation of the window, and the record to retry from. */
export interface KinesisWindowResponse {
  state: WindowState;
  batchItemFailures: { itemIdentifier: string }[];
}

const Reading = z.number();
const AggregateSchema = z.union([
  z.tuple([Reading, Reading, Reading, Reading, Reading, Reading, Reading, Reading.nullable()]),
  // The shape before breaches were counted: a window open across that deployment keeps its readings.
  z
    .tuple([Reading, Reading, Reading, Reading, Reading, Reading, Reading])
    .transform((aggregate): Aggregate => [...aggregate, null]),
]);
const WindowStateSchema = z.object({
  aggregates: z.record(z.string(), z.record(z.string(), AggregateSchema)),
  seen: z.record(z.string(), z.array(z.string())),
  first: z.string().optional(),
});

/** The carried state; `{}` (a window's first invocation) is the empty state. */
function stateOf(event: KinesisWindowEvent, logger: Logger): WindowState {
  if (!event.state || Object.keys(event.state).length === 0) return emptyWindowState();
  const parsed = WindowStateSchema.safeParse(event.state);
  if (parsed.success) return parsed.data as WindowState;
  // The state is only ever written by this function: a mismatch means a deployment changed its shape mid-window.
  logger.warn('window state of another shape dropped', { window: event.window, shardId: event.shardId });
  return emptyWindowState();
}

export interface AggregateTelemetryDependencies {
  metrics: WindowMetricsStore;
  exporter: WindowMetricsExport;
  rejected: RejectedRecordSink;
  logger: Logger;
}

/**
 * The aggregator: a Kinesis event source with a tumbling window. Each invocation folds its records into the state
 * Lambda carries between invocations of the window; the final one writes the window's metrics to the table and to
 * the metrics delivery stream. A record the failure queue could not take is reported in `batchItemFailures`; a final
 * invocation that cannot write throws, so Lambda retries it with the same state.
 */
export function createAggregateTelemetryHandler({
  metrics,
  exporter,
  rejected,
  logger,
}: AggregateTelemetryDependencies) {
  return middy<KinesisWindowEvent, KinesisWindowResponse, Error, Context>().handler(async (event) => {
    const records = event.Records.map((record) => ({
      sequenceNumber: record.kinesis.sequenceNumber,
      partitionKey: record.kinesis.partitionKey,
      data: Buffer.from(record.kinesis.data, 'base64'),
    }));
    const result = await aggregateWindow(
      { metrics, exporter, rejected },
      {
        records,
        state: stateOf(event, logger),
        shardId: event.shardId,
        windowStart: Date.parse(event.window.start),
        windowEnd: Date.parse(event.window.end),
        isFinal: event.isFinalInvokeForWindow,
      },
    );
    if (result.rejected > 0) logger.warn('records rejected', { count: result.rejected, shardId: event.shardId });
    if (result.failedRecord) {
      logger.warn('the failure queue could not keep a record: it and the records after it will be delivered again', {
        sequenceNumber: result.failedRecord,
        shardId: event.shardId,
      });
    }
    if (event.isFinalInvokeForWindow) {
      logger.info('window written', {
        window: event.window,
        shardId: event.shardId,
        metrics: result.written,
        terminatedEarly: event.isWindowTerminatedEarly,
      });
    }
    return {
      state: result.state,
      batchItemFailures: result.failedRecord ? [{ itemIdentifier: result.failedRecord }] : [],
    };
  });
}

const built = once(() => {
  const config = loadAggregatorConfig();
  const logger = createLogger(config.POWERTOOLS_SERVICE_NAME);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return createAggregateTelemetryHandler({
    metrics: new DynamoDbWindowMetricsStore(documents, config.METRICS_TABLE_NAME, config.METRICS_RETENTION_DAYS),
    exporter: new FirehoseWindowMetricsExport(new FirehoseClient({}), config.METRICS_DELIVERY_STREAM_NAME),
    rejected: new SqsRejectedRecordSink(
      new SQSClient({}),
      config.AGGREGATOR_FAILURE_QUEUE_NAME,
      `${config.POWERTOOLS_SERVICE_NAME} aggregator`,
      (error) => logger.warn('sending to the failure queue failed', error instanceof Error ? error : String(error)),
    ),
    logger,
  });
});

export const handler = (event: KinesisWindowEvent, context: Context) => built()(event, context);
