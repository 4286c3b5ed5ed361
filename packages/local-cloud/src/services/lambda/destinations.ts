import {
  type LambdaError,
  type MessageAttributeValue,
  parseArn,
  type QueueSender,
  type TopicPublisher,
} from '../../contracts';
import { FUNCTION_VERSION } from './runtime-environment';

export type DestinationCondition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

/**
 * What Lambda sends to an asynchronous invocation's destination.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
 */
export interface DestinationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: DestinationCondition;
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext?: {
    statusCode: number;
    executedVersion: string;
    functionError?: 'Unhandled';
  };
  responsePayload?: unknown;
}

/** The last attempt of an asynchronous invocation: its result as JSON text, or its error. */
export interface AttemptResult {
  payload?: string;
  error?: LambdaError;
}

function parseOrKeep(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function destinationRecord(options: {
  requestId: string;
  /** The function's unqualified ARN; the record names the version that ran. */
  functionArn: string;
  condition: DestinationCondition;
  approximateInvokeCount: number;
  payload: string;
  lastAttempt?: AttemptResult;
  now?: Date;
}): DestinationRecord {
  const record: DestinationRecord = {
    version: '1.0',
    timestamp: (options.now ?? new Date()).toISOString(),
    requestContext: {
      requestId: options.requestId,
      functionArn: `${options.functionArn}:${FUNCTION_VERSION}`,
      condition: options.condition,
      approximateInvokeCount: options.approximateInvokeCount,
    },
    requestPayload: parseOrKeep(options.payload),
  };
  const last = options.lastAttempt;
  if (last) {
    record.responseContext = { statusCode: 200, executedVersion: FUNCTION_VERSION };
    if (last.error) {
      record.responseContext.functionError = 'Unhandled';
      record.responsePayload = last.error;
    } else {
      record.responsePayload = parseOrKeep(last.payload ?? 'null');
    }
  }
  return record;
}

/**
 * The message attributes of a dead-letter message: RequestID, ErrorCode and the first kilobyte of ErrorMessage.
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq
 */
export function deadLetterAttributes(
  requestId: string,
  errorCode: number,
  errorMessage: string,
): Record<string, MessageAttributeValue> {
  const message = Buffer.from(errorMessage).subarray(0, 1024).toString();
  return {
    RequestID: { DataType: 'String', StringValue: requestId },
    ErrorCode: { DataType: 'Number', StringValue: String(errorCode) },
    ErrorMessage: { DataType: 'String', StringValue: message },
  };
}

/** Where the local Lambda sends destination records and dead letters. */
export interface DestinationTargets {
  queueSender?: QueueSender;
  topicPublisher?: TopicPublisher;
  /** Queues an asynchronous invocation of a function (a Lambda destination). */
  invokeAsync?: (functionArn: string, event: unknown) => Promise<void>;
}

/** Sends a message to an SQS queue, SNS topic or (asynchronously) a Lambda function, named by ARN. */
export async function deliver(
  targets: DestinationTargets,
  targetArn: string,
  body: string,
  attributes?: Record<string, MessageAttributeValue>,
): Promise<void> {
  const { service } = parseArn(targetArn);
  if (service === 'sqs' && targets.queueSender) {
    return targets.queueSender.sendToQueue(targetArn, body, attributes);
  }
  if (service === 'sns' && targets.topicPublisher) {
    await targets.topicPublisher.publishToTopic(targetArn, body, { attributes });
    return;
  }
  if (service === 'lambda' && targets.invokeAsync) return targets.invokeAsync(targetArn, parseOrKeep(body));
  throw new Error(`The local Lambda cannot deliver to ${targetArn}: no ${service} target is connected`);
}
