import { randomUUID } from 'node:crypto';
import type { InvokeResult, LambdaInvoker } from '../../contracts';
import { AwsServiceError } from '../../edge/aws-service';
import type { LambdaProcessor } from './delivery-stream-config';
import type { FirehoseRecord } from './record-buffer';

/** The event a Firehose transformation Lambda receives (DirectPut source). */
export interface FirehoseTransformationEvent {
  invocationId: string;
  deliveryStreamArn: string;
  region: string;
  records: { recordId: string; approximateArrivalTimestamp: number; data: string }[];
}

/** A record the transformation could not process, with the error Firehose writes to the error output. */
export interface FailedRecord {
  record: FirehoseRecord;
  errorCode: string;
  errorMessage: string;
}

export interface TransformationOutcome {
  /** Records with result Ok, their data replaced by what the function returned. */
  transformed: FirehoseRecord[];
  failed: FailedRecord[];
  dropped: number;
  attemptsMade: number;
  attemptEndingTimestamp: number;
}

export interface TransformationContext {
  invoker: LambdaInvoker | undefined;
  processor: LambdaProcessor;
  deliveryStreamArn: string;
  region: string;
  retryDelayMs: number;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type Attempt = { kind: 'answered'; payload: unknown } | { kind: 'failed'; errorCode: string; errorMessage: string };

async function invokeOnce(context: TransformationContext, event: FirehoseTransformationEvent): Promise<Attempt> {
  if (!context.invoker) {
    return { kind: 'failed', errorCode: 'Lambda.InvokeFailed', errorMessage: 'No Lambda runtime is wired to Firehose' };
  }
  let result: InvokeResult;
  try {
    result = await context.invoker.invoke(context.processor.arn, event, 'RequestResponse');
  } catch (error) {
    const notFound = error instanceof AwsServiceError && error.code === 'ResourceNotFoundException';
    return {
      kind: 'failed',
      errorCode: notFound ? 'Lambda.ResourceNotFound' : 'Lambda.InvokeFailed',
      errorMessage: error instanceof Error ? error.message : String(error),
    };
  }
  if (result.ok) return { kind: 'answered', payload: result.payload };
  const timedOut = /timed? ?out/i.test(`${result.error.errorType} ${result.error.errorMessage}`);
  return {
    kind: 'failed',
    errorCode: timedOut ? 'Lambda.FunctionTimeout' : 'Lambda.FunctionError',
    errorMessage: timedOut
      ? 'The Lambda function timed out while processing the records.'
      : `The Lambda function was invoked but returned an error: ${result.error.errorType}: ${result.error.errorMessage}`,
  };
}

function responseRecords(payload: unknown): unknown[] | undefined {
  let value = payload;
  if (typeof value === 'string' || Buffer.isBuffer(value)) {
    try {
      value = JSON.parse(value.toString());
    } catch {
      return undefined;
    }
  }
  const records = (value as { records?: unknown } | null)?.records;
  return Array.isArray(records) ? records : undefined;
}

/**
 * Runs a batch through the transformation Lambda with Firehose's record-transformation contract. An invocation that
 * fails (function error, timeout, unknown function) is retried NumberOfRetries times; if it never succeeds, every
 * record of the batch fails. An answer is not retried, however it is shaped: each record then gets its own outcome
 * (Ok, Dropped, ProcessingFailed, missing or duplicated in the answer, malformed data).
 */
export async function transformRecords(
  context: TransformationContext,
  records: FirehoseRecord[],
): Promise<TransformationOutcome> {
  const event: FirehoseTransformationEvent = {
    invocationId: randomUUID(),
    deliveryStreamArn: context.deliveryStreamArn,
    region: context.region,
    records: records.map((r) => ({
      recordId: r.recordId,
      approximateArrivalTimestamp: r.arrivalTimestamp,
      data: r.data.toString('base64'),
    })),
  };

  const maxAttempts = context.processor.numberOfRetries + 1;
  let attempt: Attempt = { kind: 'failed', errorCode: 'Lambda.InvokeFailed', errorMessage: 'Not invoked' };
  let attemptsMade = 0;
  while (attemptsMade < maxAttempts) {
    if (attemptsMade > 0 && context.retryDelayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, context.retryDelayMs * 2 ** (attemptsMade - 1)));
    }
    attemptsMade++;
    attempt = await invokeOnce(context, event);
    if (attempt.kind === 'answered') break;
  }
  const outcome: TransformationOutcome = {
    transformed: [],
    failed: [],
    dropped: 0,
    attemptsMade,
    attemptEndingTimestamp: Date.now(),
  };
  if (attempt.kind === 'failed') {
    const { errorCode, errorMessage } = attempt;
    outcome.failed = records.map((record) => ({ record, errorCode, errorMessage }));
    return outcome;
  }

  const answered = responseRecords(attempt.payload);
  if (!answered) {
    const errorMessage = 'The Lambda function returned a response that is not a JSON object with a records array.';
    outcome.failed = records.map((record) => ({ record, errorCode: 'Lambda.JsonProcessingException', errorMessage }));
    return outcome;
  }
  const byId = new Map<string, { result?: unknown; data?: unknown }>();
  const duplicated = new Set<string>();
  for (const entry of answered as { recordId?: unknown; result?: unknown; data?: unknown }[]) {
    if (typeof entry?.recordId !== 'string') continue;
    if (byId.has(entry.recordId)) duplicated.add(entry.recordId);
    byId.set(entry.recordId, entry);
  }
  const fail = (record: FirehoseRecord, errorCode: string, errorMessage: string) =>
    outcome.failed.push({ record, errorCode, errorMessage });
  for (const record of records) {
    const answer = byId.get(record.recordId);
    if (duplicated.has(record.recordId)) {
      fail(record, 'Lambda.DuplicatedRecordId', 'The Lambda function returned this record id more than once.');
    } else if (!answer) {
      fail(record, 'Lambda.MissingRecordId', 'The Lambda function did not return this record id.');
    } else if (answer.result === 'Dropped') {
      outcome.dropped++;
    } else if (answer.result === 'ProcessingFailed') {
      fail(record, 'Lambda.ProcessingFailedStatus', 'The Lambda function set the status ProcessingFailed.');
    } else if (answer.result !== 'Ok') {
      fail(record, 'Lambda.InvalidReturnFormat', 'The result must be Ok, Dropped or ProcessingFailed.');
    } else if (typeof answer.data !== 'string' || !BASE64.test(answer.data)) {
      fail(record, 'Lambda.InvalidReturnFormat', 'A record with result Ok needs its data in base64.');
    } else {
      outcome.transformed.push({ ...record, data: Buffer.from(answer.data, 'base64') });
    }
  }
  return outcome;
}

/**
 * The error output of a failed record: one JSON object per line, with the members Firehose documents for data
 * transformation failures.
 */
export function errorOutputLine(failed: FailedRecord, outcome: TransformationOutcome, lambdaArn: string): string {
  return `${JSON.stringify({
    attemptsMade: outcome.attemptsMade,
    arrivalTimestamp: failed.record.arrivalTimestamp,
    errorCode: failed.errorCode,
    errorMessage: failed.errorMessage,
    attemptEndingTimestamp: outcome.attemptEndingTimestamp,
    rawData: failed.record.data.toString('base64'),
    lambdaArn,
  })}\n`;
}
