import { parseArn } from '../../contracts';
import { AwsServiceError } from '../../edge/aws-service';

/** What CloudFormation's AWS::Lambda::Function (and its event invoke config) declares about one function. */
export interface FunctionDefinition {
  functionName: string;
  /** The unqualified function ARN, `arn:aws:lambda:<region>:<account>:function:<name>`. */
  arn: string;
  /** `dir/module.export`, e.g. `src/handlers/evaluate-telemetry.handler`. */
  handler: string;
  /** e.g. `nodejs22.x`; the local cloud runs every Node.js runtime on the host's Node. */
  runtime: string;
  /** The packaged bundle (`.serverless/<service>.zip`); unpacked once per content hash. */
  zipFile?: string;
  /** Or code already unpacked, used in place. */
  codeDir?: string;
  environment?: Record<string, string>;
  timeoutSeconds?: number;
  memorySizeMb?: number;
  role?: string;
  description?: string;
  /** As declared; the code runs on the host's architecture whatever it says. */
  architecture?: 'x86_64' | 'arm64';
  /** DeadLetterConfig.TargetArn: an SQS queue or SNS topic. */
  deadLetterTargetArn?: string;
  /** DestinationConfig.OnFailure.Destination of the event invoke config: SQS, SNS or Lambda. */
  onFailureDestinationArn?: string;
  /** DestinationConfig.OnSuccess.Destination of the event invoke config: SQS, SNS or Lambda. */
  onSuccessDestinationArn?: string;
  /** 0 to 2; default 2. */
  maximumRetryAttempts?: number;
  /** 60 to 21600; default 21600 (6 hours). */
  maximumEventAgeSeconds?: number;
  /** ReservedConcurrentExecutions: the most environments the function runs at once; 0 throttles every call. */
  reservedConcurrency?: number;
}

/** A definition with its defaults applied. */
export interface ResolvedDefinition extends FunctionDefinition {
  region: string;
  account: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySizeMb: number;
  maximumRetryAttempts: number;
  maximumEventAgeSeconds: number;
}

export const DEFAULT_TIMEOUT_SECONDS = 3;
export const DEFAULT_MEMORY_SIZE_MB = 128;
export const DEFAULT_MAXIMUM_RETRY_ATTEMPTS = 2;
export const DEFAULT_MAXIMUM_EVENT_AGE_SECONDS = 21600;

/**
 * Environment variables the Lambda service sets itself; CreateFunction refuses a function that sets one.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 */
export const RESERVED_ENVIRONMENT_VARIABLES = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_LAMBDA_RUNTIME_API',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
];

function invalid(message: string): AwsServiceError {
  return new AwsServiceError('InvalidParameterValueException', message, 400);
}

function inRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalid(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Checks a definition as CreateFunction would and fills in Lambda's defaults. */
export function resolveDefinition(definition: FunctionDefinition): ResolvedDefinition {
  if (!/^[a-zA-Z0-9-_]{1,64}$/.test(definition.functionName)) {
    throw invalid(`Invalid function name: ${definition.functionName}`);
  }
  const arn = parseArn(definition.arn);
  if (arn.service !== 'lambda' || arn.resource !== `function:${definition.functionName}`) {
    throw invalid(`${definition.arn} is not the unqualified ARN of a function named ${definition.functionName}`);
  }
  if (!definition.zipFile === !definition.codeDir) {
    throw invalid(`Function ${definition.functionName} needs exactly one of zipFile and codeDir`);
  }
  // CloudFormation turns scalar values into strings; anything else is an error.
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(definition.environment ?? {}) as [string, unknown][]) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw invalid(`Environment variable ${name} of ${definition.functionName} is not a string`);
    }
    environment[name] = String(value);
  }
  const reserved = Object.keys(environment).filter((name) => RESERVED_ENVIRONMENT_VARIABLES.includes(name));
  if (reserved.length > 0) {
    throw invalid(
      'Lambda was unable to configure your environment variables because the environment variables you have ' +
        'provided contains reserved keys that are currently not supported for modification. ' +
        `Reserved keys used in this request: ${reserved.join(', ')}`,
    );
  }
  return {
    ...definition,
    region: arn.region,
    account: arn.account,
    environment,
    timeoutSeconds: inRange('Timeout', definition.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS, 1, 900),
    memorySizeMb: inRange('MemorySize', definition.memorySizeMb ?? DEFAULT_MEMORY_SIZE_MB, 128, 10240),
    maximumRetryAttempts: inRange(
      'MaximumRetryAttempts',
      definition.maximumRetryAttempts ?? DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
      0,
      2,
    ),
    maximumEventAgeSeconds: inRange(
      'MaximumEventAgeInSeconds',
      definition.maximumEventAgeSeconds ?? DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
      60,
      21600,
    ),
    reservedConcurrency:
      definition.reservedConcurrency === undefined
        ? undefined
        : inRange('ReservedConcurrentExecutions', definition.reservedConcurrency, 0, 1000),
  };
}

/** What an AWS::Lambda::EventInvokeConfig (PutFunctionEventInvokeConfig) sets; what it leaves out stays as it was. */
export interface EventInvokeConfig {
  maximumRetryAttempts?: number;
  maximumEventAgeSeconds?: number;
  onSuccessDestinationArn?: string;
  onFailureDestinationArn?: string;
}

/** A definition with an event invoke config laid over it, checked as Lambda checks it. */
export function withEventInvokeConfig(definition: ResolvedDefinition, config: EventInvokeConfig): ResolvedDefinition {
  const result = { ...definition };
  if (config.maximumRetryAttempts !== undefined) {
    result.maximumRetryAttempts = inRange('MaximumRetryAttempts', config.maximumRetryAttempts, 0, 2);
  }
  if (config.maximumEventAgeSeconds !== undefined) {
    result.maximumEventAgeSeconds = inRange('MaximumEventAgeInSeconds', config.maximumEventAgeSeconds, 60, 21600);
  }
  if (config.onSuccessDestinationArn !== undefined) result.onSuccessDestinationArn = config.onSuccessDestinationArn;
  if (config.onFailureDestinationArn !== undefined) result.onFailureDestinationArn = config.onFailureDestinationArn;
  return result;
}
