import type { MessageAttributeValue } from '../contracts';

/** One record of a stream, as an event source mapping reads it. */
export interface StreamRecord {
  readonly sequenceNumber: string;
  /** Where the record sits in its shard; the position after it is `position + 1`. */
  readonly position: number;
  readonly partitionKey: string;
  readonly data: Buffer;
  /** Milliseconds since the epoch. */
  readonly approximateArrivalTimestamp: number;
}

export type StreamStartingPosition =
  | { type: 'TRIM_HORIZON' }
  | { type: 'LATEST' }
  | { type: 'AT_TIMESTAMP'; timestamp: number }
  | { type: 'AFTER_SEQUENCE_NUMBER'; sequenceNumber: string };

/**
 * What a stream event source mapping needs from the stream service, in-process: shards, positions, reads, and a
 * wake-up when records arrive. The Kinesis service implements it; streams are named by ARN.
 */
export interface StreamSource {
  /** Throws a `ResourceNotFoundException` AwsServiceError when there is no such stream. */
  listShardIds(streamArn: string): string[];
  /** The position of the first record to read from `start`. */
  position(streamArn: string, shardId: string, start: StreamStartingPosition): number;
  /** Up to `limit` records from `position` on (records past retention are skipped), and where to read next. */
  read(
    streamArn: string,
    shardId: string,
    position: number,
    limit: number,
  ): { records: readonly StreamRecord[]; next: number };
  /** Calls `listener` with a shard id when records arrive on it; returns the function that unsubscribes. */
  subscribe(streamArn: string, listener: (shardId: string) => void): () => void;
}

/** A message as an SQS ReceiveMessage call hands it out (one receipt). */
export interface QueueMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  /**
   * System attributes, as the Lambda SQS event carries them: ApproximateReceiveCount, SentTimestamp, SenderId,
   * ApproximateFirstReceiveTimestamp and, for FIFO queues, MessageGroupId, MessageDeduplicationId, SequenceNumber.
   */
  attributes: Record<string, string>;
  messageAttributes?: Record<string, MessageAttributeValue>;
  md5OfMessageAttributes?: string;
}

/**
 * What an SQS event source mapping needs from the queue service, in-process. Visibility timeouts, receive counts
 * and redrive to a dead-letter queue stay the queue's business.
 */
export interface QueueSource {
  /**
   * Receives up to `maxMessages` visible messages (possibly none) and hides them for `visibilityTimeoutSeconds`, or
   * for the queue's own visibility timeout when it is not given. Rejects if there is no such queue.
   */
  receive(queueArn: string, maxMessages: number, visibilityTimeoutSeconds?: number): Promise<QueueMessage[]>;
  /** Deletes a received message; a stale receipt handle is not an error. */
  delete(queueArn: string, receiptHandle: string): Promise<void>;
  /**
   * Optional: calls `listener` when messages may have become visible, so pollers wait for it instead of polling.
   * Returns the function that unsubscribes.
   */
  subscribe?(queueArn: string, listener: () => void): () => void;
}
