/**
 * How the parts of the local cloud reach one another in-process: SNS delivers to SQS and Lambda, Firehose writes
 * to S3 and calls its processing Lambda, event source mappings invoke functions, failed async invocations go to
 * SQS or SNS destinations. Each part takes the ones it needs in its constructor, so tests can wire them alone.
 * Resources are named by ARN, as in AWS (account 000000000000).
 */

/** A Lambda-shaped function error, as the Invoke API returns it. */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

export type InvokeResult =
  | { ok: true; payload: unknown }
  | {
      ok: false;
      error: LambdaError /** `Unhandled` for a thrown error or a timeout, as X-Amz-Function-Error says. */;
      functionError: 'Unhandled' | 'Handled';
    };

export interface LambdaInvoker {
  /**
   * `RequestResponse` waits for the function and gives its result. `Event` queues the event (retried twice on error,
   * then sent to the function's on-failure destination or DLQ) and resolves once it is queued, with `payload` undefined.
   */
  invoke(functionArnOrName: string, event: unknown, type: 'RequestResponse' | 'Event'): Promise<InvokeResult>;
  /**
   * The same with the event already as JSON text (the bytes a rule or a stream produced), which is passed on as is
   * rather than parsed and serialised again. The caller vouches that it is JSON.
   */
  invokeJson?(functionArnOrName: string, json: string, type: 'RequestResponse' | 'Event'): Promise<InvokeResult>;
}

export interface MessageAttributeValue {
  DataType: string;
  StringValue?: string;
  BinaryValue?: Uint8Array;
}

export interface QueueSender {
  /** Sends a message to the queue with this ARN; rejects if there is no such queue. */
  sendToQueue(queueArn: string, body: string, attributes?: Record<string, MessageAttributeValue>): Promise<void>;
}

export interface TopicPublisher {
  /** Publishes to the SNS topic with this ARN; resolves with the message id; rejects if there is no such topic. */
  publishToTopic(
    topicArn: string,
    message: string,
    options?: { subject?: string; attributes?: Record<string, MessageAttributeValue>; messageStructure?: 'json' },
  ): Promise<string>;
}

export interface ObjectWriter {
  /** Writes an object to the bucket with this name; rejects if there is no such bucket. */
  putObject(bucket: string, key: string, body: Buffer, contentType?: string): Promise<void>;
}

/** Something that holds data in memory and must write it out before the process ends. */
export interface Flushable {
  flush(): Promise<void>;
}

/** Splits an ARN into its parts; `resource` is everything after the fifth colon. */
export function parseArn(arn: string): { service: string; region: string; account: string; resource: string } {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') throw new Error(`Not an ARN: ${arn}`);
  return {
    service: parts[2] as string,
    region: parts[3] as string,
    account: parts[4] as string,
    resource: parts.slice(5).join(':'),
  };
}
