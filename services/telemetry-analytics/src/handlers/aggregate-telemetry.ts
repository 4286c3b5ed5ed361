import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger, type Logger, once } from '@iot/lambda-kit';
import middy from '@middy/core';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { z } from 'zod';
import { DynamoDbWindowMetricsStore } from '../adapters/dynamodb-window-metrics-store';
import { SqsRejectedRecordSink } from '../adapters/sqs-rejected-record-sink';
import { loadConfig } from '../config';
import { aggregateWindow, type RejectedRecordSink, type WindowMetricsStore } from '../domain/aggregate-window';
import { emptyWindowState, type WindowState } from '../domain/window-aggregate';

/** A Kinesis event of a mapping with `tumblingWindowInSeconds`, as Lambda sends it. */
export interface KinesisWindowEvent extends KinesisStreamEvent {
  window: { start: string; end: string };
  state?: Record<string, unknown>;
  shardId: string;
  eventSourceARN: string;
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
}

/** What the function returns: the state for the next invocation of the window, and records to retry. */
export interface KinesisWindowResponse {
  state: WindowState;
  batchItemFailures: { itemIdentifier: string }[];
}

const AggregateSchema = z.tuple([z.number(), z.number(), z.number(), z.number(), z.number(), z.number(), z.number()]);
const WindowStateSchema = z.object({
  aggregates: z.record(z.string(), z.record(z.string(), AggregateSchema)),
  seen: z.record(z.string(), z.array(z.string())),
});

/** The carried state; `{}` (a window's first invocation) is the empty state. */
function stateOf(event: KinesisWindowEvent, logger: Logger): WindowState {
  if (!event.state || Object.keys(event.state).length === 0) return emptyWindowState();
  const parsed = WindowStateSchema.safeParse(event.state);
  if (parsed.success) return parsed.data;
  // The state is only ever written by this function: a mismatch means a deployment changed its shape mid-window.
  logger.warn('window state of another shape dropped', { window: event.window, shardId: event.shardId });
  return emptyWindowState();
}

export interface AggregateTelemetryDependencies {
  metrics: WindowMetricsStore;
  rejected: RejectedRecordSink;
  logger: Logger;
}

/**
 * The aggregator: a Kinesis event source with a tumbling window. Each invocation folds its records into the state
 * Lambda carries between invocations of the window; the final one writes the window's metrics.
 */
export function createAggregateTelemetryHandler({ metrics, rejected, logger }: AggregateTelemetryDependencies) {
  return middy<KinesisWindowEvent, KinesisWindowResponse, Error, Context>().handler(async (event) => {
    const records = event.Records.map((record) => ({
      sequenceNumber: record.kinesis.sequenceNumber,
      partitionKey: record.kinesis.partitionKey,
      data: Buffer.from(record.kinesis.data, 'base64'),
    }));
    const result = await aggregateWindow(
      { metrics, rejected },
      {
        records,
        state: stateOf(event, logger),
        windowStart: Date.parse(event.window.start),
        windowEnd: Date.parse(event.window.end),
        isFinal: event.isFinalInvokeForWindow,
      },
    );
    if (result.rejected > 0) logger.warn('records rejected', { count: result.rejected, shardId: event.shardId });
    if (event.isFinalInvokeForWindow) {
      logger.info('window written', { window: event.window, shardId: event.shardId, metrics: result.written });
    }
    return { state: result.state, batchItemFailures: [] };
  });
}

const built = once(() => {
  const config = loadConfig();
  const logger = createLogger(config.POWERTOOLS_SERVICE_NAME);
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return createAggregateTelemetryHandler({
    metrics: new DynamoDbWindowMetricsStore(documents, config.METRICS_TABLE_NAME, config.METRICS_RETENTION_DAYS),
    rejected: new SqsRejectedRecordSink(
      new SQSClient({}),
      config.AGGREGATOR_FAILURE_QUEUE_NAME,
      `${config.POWERTOOLS_SERVICE_NAME} aggregator`,
    ),
    logger,
  });
});

export const handler = (event: KinesisWindowEvent, context: Context) => built()(event, context);
