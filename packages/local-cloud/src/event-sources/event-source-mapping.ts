import { createHash } from 'node:crypto';
import { parseArn } from '../contracts';
import { AwsServiceError, LOCAL_ACCOUNT_ID } from '../edge/aws-service';

/**
 * The properties of an `AWS::Lambda::EventSourceMapping`, with every intrinsic function already resolved. Numbers
 * and booleans may come as strings, as templates sometimes carry them.
 */
export interface EventSourceMappingProperties {
  EventSourceArn: string;
  FunctionName: string;
  BatchSize?: number | string;
  StartingPosition?: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  /** Unix time in seconds, for AT_TIMESTAMP. */
  StartingPositionTimestamp?: number | string;
  MaximumBatchingWindowInSeconds?: number | string;
  TumblingWindowInSeconds?: number | string;
  FunctionResponseTypes?: string[];
  MaximumRetryAttempts?: number | string;
  MaximumRecordAgeInSeconds?: number | string;
  BisectBatchOnFunctionError?: boolean | string;
  DestinationConfig?: { OnFailure?: { Destination?: string } };
  Enabled?: boolean | string;
  /** Accepted, but each shard is processed one batch at a time (as with 1) whatever its value. */
  ParallelizationFactor?: number | string;
  /** SQS only: the most concurrent invocations; default 5 pollers. */
  ScalingConfig?: { MaximumConcurrency?: number | string };
}

export type EventSourceKind = 'kinesis' | 'sqs';

/** The properties checked, with AWS's defaults filled in. */
export interface EventSourceMappingSettings {
  uuid: string;
  kind: EventSourceKind;
  eventSourceArn: string;
  /** Region of the event source, for `awsRegion` in events. */
  region: string;
  functionName: string;
  functionArn: string;
  batchSize: number;
  maximumBatchingWindowInSeconds: number;
  startingPosition?: 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';
  startingPositionTimestamp?: number;
  tumblingWindowInSeconds: number;
  reportBatchItemFailures: boolean;
  /** -1: retry until the records expire. */
  maximumRetryAttempts: number;
  /** -1: no limit but the stream's retention. */
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  onFailureDestination?: string;
  enabled: boolean;
  parallelizationFactor: number;
  maximumConcurrency: number;
}

/** The mapping as the Lambda API describes it (`EventSourceMappingConfiguration`). */
export interface EventSourceMappingConfiguration {
  UUID: string;
  EventSourceArn: string;
  FunctionArn: string;
  BatchSize: number;
  MaximumBatchingWindowInSeconds: number;
  StartingPosition?: string;
  StartingPositionTimestamp?: number;
  ParallelizationFactor?: number;
  TumblingWindowInSeconds?: number;
  FunctionResponseTypes: string[];
  MaximumRetryAttempts?: number;
  MaximumRecordAgeInSeconds?: number;
  BisectBatchOnFunctionError?: boolean;
  DestinationConfig?: { OnFailure: { Destination?: string } };
  ScalingConfig?: { MaximumConcurrency: number };
  State: 'Enabled' | 'Disabled';
  StateTransitionReason: string;
  LastModified: number;
  LastProcessingResult: string;
}

function invalid(message: string): AwsServiceError {
  return new AwsServiceError('InvalidParameterValueException', message);
}

function integer(value: number | string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw invalid(`${name} must be an integer between ${min} and ${max}, got ${String(value)}`);
  }
  return number;
}

function flag(value: boolean | string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return value === true || value === 'true';
}

/** The ARN of a function named by name, partial ARN or ARN. */
export function functionArnOf(functionName: string, region: string, accountId = LOCAL_ACCOUNT_ID): string {
  if (functionName.startsWith('arn:')) return functionName;
  const name = functionName.includes(':function:') ? functionName.split(':function:')[1] : functionName;
  return `arn:aws:lambda:${region}:${accountId}:function:${name}`;
}

/**
 * A stable, UUID-shaped id for the pair (event source, function): Lambda allows one mapping per pair for streams
 * and queues, so creating the mapping again (as every local deploy does) finds the same one and its checkpoints.
 */
export function eventSourceMappingId(eventSourceArn: string, functionArn: string): string {
  const hex = createHash('sha256').update(`${eventSourceArn}\n${functionArn}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Checks the properties as CreateEventSourceMapping does, and fills in the defaults of the event source's kind. */
export function resolveEventSourceMapping(
  props: EventSourceMappingProperties,
  accountId = LOCAL_ACCOUNT_ID,
): EventSourceMappingSettings {
  if (!props.EventSourceArn) throw invalid('EventSourceArn is required');
  if (!props.FunctionName) throw invalid('FunctionName is required');
  let arn: ReturnType<typeof parseArn>;
  try {
    arn = parseArn(props.EventSourceArn);
  } catch {
    throw invalid(`Invalid EventSourceArn ${props.EventSourceArn}`);
  }
  let kind: EventSourceKind;
  if (arn.service === 'kinesis' && arn.resource.startsWith('stream/') && !arn.resource.includes('/consumer/')) {
    kind = 'kinesis';
  } else if (arn.service === 'sqs') {
    kind = 'sqs';
  } else {
    throw invalid(`The local cloud maps Kinesis streams and SQS queues only, not ${props.EventSourceArn}`);
  }
  const functionArn = functionArnOf(props.FunctionName, arn.region, accountId);
  const responseTypes = props.FunctionResponseTypes ?? [];
  for (const type of responseTypes) {
    if (type !== 'ReportBatchItemFailures') throw invalid(`Unsupported FunctionResponseTypes value ${type}`);
  }
  const fifo = kind === 'sqs' && arn.resource.endsWith('.fifo');
  const batchSize = integer(props.BatchSize, 'BatchSize', kind === 'kinesis' ? 100 : 10, 1, fifo ? 10 : 10_000);
  const maximumBatchingWindowInSeconds = integer(
    props.MaximumBatchingWindowInSeconds,
    'MaximumBatchingWindowInSeconds',
    0,
    0,
    300,
  );
  if (kind === 'sqs' && batchSize > 10 && maximumBatchingWindowInSeconds < 1) {
    throw invalid('Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10');
  }
  let startingPosition = props.StartingPosition;
  let startingPositionTimestamp: number | undefined;
  if (kind === 'kinesis') {
    if (!startingPosition) throw invalid('StartingPosition must be provided for a Kinesis event source');
    if (!['TRIM_HORIZON', 'LATEST', 'AT_TIMESTAMP'].includes(startingPosition)) {
      throw invalid(`Unsupported starting position ${startingPosition}`);
    }
    if (startingPosition === 'AT_TIMESTAMP') {
      const seconds = Number(props.StartingPositionTimestamp);
      if (props.StartingPositionTimestamp === undefined || !Number.isFinite(seconds)) {
        throw invalid('StartingPositionTimestamp must be provided with the AT_TIMESTAMP starting position');
      }
      startingPositionTimestamp = seconds;
    }
  } else {
    startingPosition = undefined;
  }
  const maximumRecordAgeInSeconds = integer(
    props.MaximumRecordAgeInSeconds,
    'MaximumRecordAgeInSeconds',
    -1,
    -1,
    604_800,
  );
  if (maximumRecordAgeInSeconds !== -1 && maximumRecordAgeInSeconds < 60) {
    throw invalid('MaximumRecordAgeInSeconds must be -1 or between 60 and 604800');
  }
  const destination = props.DestinationConfig?.OnFailure?.Destination;
  if (destination !== undefined && kind === 'sqs') {
    throw invalid('DestinationConfig is not supported for SQS event sources; use the queue redrive policy');
  }
  if (destination !== undefined) {
    const service = destination.split(':')[2];
    if (service !== 'sqs' && service !== 'sns') {
      throw invalid(`The on-failure destination must be an SQS queue or an SNS topic, got ${destination}`);
    }
  }
  return {
    uuid: eventSourceMappingId(props.EventSourceArn, functionArn),
    kind,
    eventSourceArn: props.EventSourceArn,
    region: arn.region,
    functionName: props.FunctionName,
    functionArn,
    batchSize,
    maximumBatchingWindowInSeconds,
    startingPosition,
    startingPositionTimestamp,
    tumblingWindowInSeconds: integer(props.TumblingWindowInSeconds, 'TumblingWindowInSeconds', 0, 0, 900),
    reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
    maximumRetryAttempts: integer(props.MaximumRetryAttempts, 'MaximumRetryAttempts', -1, -1, 10_000),
    maximumRecordAgeInSeconds,
    bisectBatchOnFunctionError: flag(props.BisectBatchOnFunctionError, false),
    onFailureDestination: destination,
    enabled: flag(props.Enabled, true),
    parallelizationFactor: integer(props.ParallelizationFactor, 'ParallelizationFactor', 1, 1, 10),
    maximumConcurrency: integer(
      props.ScalingConfig?.MaximumConcurrency,
      'ScalingConfig.MaximumConcurrency',
      5,
      2,
      1000,
    ),
  };
}

export function describeEventSourceMapping(
  settings: EventSourceMappingSettings,
  lastModified: number,
  lastProcessingResult: string,
): EventSourceMappingConfiguration {
  const common = {
    UUID: settings.uuid,
    EventSourceArn: settings.eventSourceArn,
    FunctionArn: settings.functionArn,
    BatchSize: settings.batchSize,
    MaximumBatchingWindowInSeconds: settings.maximumBatchingWindowInSeconds,
    FunctionResponseTypes: settings.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
    State: settings.enabled ? ('Enabled' as const) : ('Disabled' as const),
    StateTransitionReason: 'User action',
    LastModified: lastModified / 1000,
    LastProcessingResult: lastProcessingResult,
  };
  if (settings.kind === 'sqs') return { ...common, ScalingConfig: { MaximumConcurrency: settings.maximumConcurrency } };
  return {
    ...common,
    StartingPosition: settings.startingPosition,
    ...(settings.startingPositionTimestamp === undefined
      ? {}
      : { StartingPositionTimestamp: settings.startingPositionTimestamp }),
    ParallelizationFactor: settings.parallelizationFactor,
    TumblingWindowInSeconds: settings.tumblingWindowInSeconds,
    MaximumRetryAttempts: settings.maximumRetryAttempts,
    MaximumRecordAgeInSeconds: settings.maximumRecordAgeInSeconds,
    BisectBatchOnFunctionError: settings.bisectBatchOnFunctionError,
    DestinationConfig: { OnFailure: { Destination: settings.onFailureDestination } },
  };
}
