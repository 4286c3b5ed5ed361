/**
 * Kinesis Data Streams for the local cloud: the JSON 1.1 API behind the edge endpoint and the in-process producer
 * and consumer side used by the IoT rules engine and event source mappings.
 */
export { MAX_HASH_KEY, partitionKeyHash } from './hash-key';
export {
  type CreateStreamInput,
  createStreamInputFromTemplate,
  KinesisService,
  type KinesisServiceOptions,
  type KinesisStreamProperties,
  MAX_PUT_RECORDS,
  MAX_RECORD_BYTES,
  type PutRecordResult,
  type ShardListener,
  type ShardStartingPosition,
} from './kinesis-service';
export type { KinesisRecord, StreamMode } from './kinesis-stream';
