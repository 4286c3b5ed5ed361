/**
 * The local SQS: standard queues with visibility timeouts, long polling, retention and dead-letter queues, on the
 * wire (AWS JSON 1.0) and in-process.
 */
export { md5OfMessageAttributes, type SqsMessageAttribute } from './sqs-md5';
export { SqsService } from './sqs-service';
export {
  type QueueDescription,
  type QueueRef,
  type ReceivedMessage,
  type ReceiveOptions,
  type RedrivePolicy,
  type SendMessageInput,
  type SentMessage,
  SqsStore,
  type SqsStoreOptions,
  toSqsEventRecord,
} from './sqs-store';
