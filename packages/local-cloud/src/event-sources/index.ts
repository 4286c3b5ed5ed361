/**
 * Lambda event source mappings for the local cloud: Kinesis stream and SQS queue pollers that invoke functions the
 * way Lambda does (batching, tumbling windows, partial batch responses, retries, on-failure destinations).
 */

export {
  type EventSourceMappingConfiguration,
  type EventSourceMappingProperties,
  eventSourceMappingId,
} from './event-source-mapping';
export {
  EventSourceMappingManager,
  type EventSourceMappingManagerOptions,
} from './event-source-mapping-manager';
export type {
  KinesisEvent,
  KinesisEventRecord,
  KinesisFailureRecord,
  KinesisTimeWindowEvent,
} from './kinesis-event';
export type { EventSourceLogger } from './runtime';
export type { QueueMessage, QueueSource, StreamRecord, StreamSource, StreamStartingPosition } from './sources';
export type { SqsEvent, SqsEventRecord } from './sqs-event-source';
