import type { ResolvedDefinition } from './function-definition';

/** Credentials handed to functions: the local services accept any, the AWS SDK only needs some. */
export interface FunctionCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export const DEFAULT_FUNCTION_CREDENTIALS: FunctionCredentials = {
  accessKeyId: 'local',
  secretAccessKey: 'local',
  sessionToken: 'local',
};

export const FUNCTION_VERSION = '$LATEST';

export function logGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/** A log stream name as Lambda gives one execution environment: `2024/05/01/[$LATEST]<32 hex>`. */
export function newLogStreamName(now = new Date()): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[${FUNCTION_VERSION}]${crypto.randomUUID().replaceAll('-', '')}`;
}

/**
 * The environment of one execution environment: the function's own variables, the variables the Lambda runtime sets,
 * `AWS_ENDPOINT_URL` pointing at the local cloud and local credentials. Nothing of the host's environment.
 *
 * The function's variables override the unreserved defaults (a function may set its own `TZ` or `AWS_ENDPOINT_URL`,
 * as in AWS); reserved ones cannot be set by a function (see `resolveDefinition`).
 */
export function runtimeEnvironment(
  definition: ResolvedDefinition,
  taskRoot: string,
  logStreamName: string,
  endpointUrl: string | undefined,
  credentials: FunctionCredentials,
): Record<string, string> {
  const unreserved: Record<string, string> = {
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    PATH: '/usr/local/bin:/usr/bin/:/bin:/opt/bin',
  };
  if (endpointUrl) unreserved.AWS_ENDPOINT_URL = endpointUrl;
  return {
    ...unreserved,
    ...definition.environment,
    _HANDLER: definition.handler,
    AWS_REGION: definition.region,
    AWS_DEFAULT_REGION: definition.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${definition.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: definition.functionName,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySizeMb),
    AWS_LAMBDA_FUNCTION_VERSION: FUNCTION_VERSION,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: logGroupName(definition.functionName),
    AWS_LAMBDA_LOG_STREAM_NAME: logStreamName,
    AWS_ACCESS_KEY: credentials.accessKeyId,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
  };
}
