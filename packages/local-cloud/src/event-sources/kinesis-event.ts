import { randomUUID } from 'node:crypto';
import type { StreamRecord } from './sources';

/** One record of the event Lambda hands a function mapped to a Kinesis stream. */
export interface KinesisEventRecord {
  kinesis: {
    kinesisSchemaVersion: '1.0';
    partitionKey: string;
    sequenceNumber: string;
    /** Base64. */
    data: string;
    /** Seconds since the epoch, with milliseconds as the fraction. */
    approximateArrivalTimestamp: number;
  };
  eventSource: 'aws:kinesis';
  eventVersion: '1.0';
  /** `shardId-000000000000:<sequence number>`. */
  eventID: string;
  eventName: 'aws:kinesis:record';
  invokeIdentityArn: string;
  awsRegion: string;
  eventSourceARN: string;
}

export interface KinesisEvent {
  Records: KinesisEventRecord[];
}

/** The event of a mapping with a tumbling window (`KinesisTimeWindowEvent`). */
export interface KinesisTimeWindowEvent extends KinesisEvent {
  window: { start: string; end: string };
  state: unknown;
  shardId: string;
  eventSourceARN: string;
  isFinalInvokeForWindow: boolean;
  isWindowTerminatedEarly: boolean;
}

export interface KinesisEventContext {
  shardId: string;
  eventSourceArn: string;
  region: string;
  invokeIdentityArn: string;
}

export function kinesisEventRecords(
  records: readonly StreamRecord[],
  context: KinesisEventContext,
): KinesisEventRecord[] {
  return records.map((record) => ({
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.partitionKey,
      sequenceNumber: record.sequenceNumber,
      data: record.data.toString('base64'),
      approximateArrivalTimestamp: record.approximateArrivalTimestamp / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${context.shardId}:${record.sequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: context.invokeIdentityArn,
    awsRegion: context.region,
    eventSourceARN: context.eventSourceArn,
  }));
}

/** Window bounds as the tumbling window event shows them: ISO 8601 in whole seconds, `2020-12-09T07:04:00Z`. */
export function windowTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** The document sent to a Kinesis mapping's on-failure destination when it discards a batch. */
export interface KinesisFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: FailureCondition;
    approximateInvokeCount: number;
  };
  responseContext: {
    statusCode: number;
    executedVersion: string;
    functionError?: string;
  };
  version: '1.0';
  timestamp: string;
  KinesisBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

export function kinesisFailureRecord(input: {
  records: readonly StreamRecord[];
  shardId: string;
  streamArn: string;
  functionArn: string;
  condition: FailureCondition;
  invokeCount: number;
  functionError?: string;
  now: number;
}): KinesisFailureRecord {
  const first = input.records[0] as StreamRecord;
  const last = input.records[input.records.length - 1] as StreamRecord;
  return {
    requestContext: {
      requestId: randomUUID(),
      functionArn: input.functionArn,
      condition: input.condition,
      approximateInvokeCount: input.invokeCount,
    },
    responseContext: {
      statusCode: input.invokeCount > 0 ? 200 : 0,
      executedVersion: input.invokeCount > 0 ? '$LATEST' : '',
      ...(input.functionError ? { functionError: input.functionError } : {}),
    },
    version: '1.0',
    timestamp: new Date(input.now).toISOString(),
    KinesisBatchInfo: {
      shardId: input.shardId,
      startSequenceNumber: first.sequenceNumber,
      endSequenceNumber: last.sequenceNumber,
      approximateArrivalOfFirstRecord: new Date(first.approximateArrivalTimestamp).toISOString(),
      approximateArrivalOfLastRecord: new Date(last.approximateArrivalTimestamp).toISOString(),
      batchSize: input.records.length,
      streamArn: input.streamArn,
    },
  };
}
