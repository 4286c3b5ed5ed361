/**
 * The local Lambda: functions created from their packaged code, run in worker-thread execution environments, invoked
 * in-process (`LambdaRuntime`, the `LambdaInvoker` of the other local services) or through the Lambda API on the edge
 * endpoint (`LambdaApi`).
 *
 * @packageDocumentation
 */
export type { QueuedEvent } from './async-invocations';
export {
  type FunctionCodeProperty,
  LAMBDA_RESOURCE_TYPES,
  type LambdaProviderOptions,
  type LambdaResourceType,
  type LocalCode,
  lambdaResourceProviders,
  serverlessArtifacts,
} from './cloudformation-provider';
export type { DestinationCondition, DestinationRecord } from './destinations';
export {
  DEFAULT_MAXIMUM_EVENT_AGE_SECONDS,
  DEFAULT_MAXIMUM_RETRY_ATTEMPTS,
  DEFAULT_MEMORY_SIZE_MB,
  DEFAULT_TIMEOUT_SECONDS,
  type EventInvokeConfig,
  type FunctionDefinition,
  RESERVED_ENVIRONMENT_VARIABLES,
} from './function-definition';
export type { LogConsole } from './function-log';
export { LambdaApi } from './lambda-api';
export {
  ASYNC_PAYLOAD_LIMIT,
  type FunctionConfiguration,
  type FunctionDetails,
  type InvocationResponse,
  type InvocationType,
  type InvokeOptions,
  LambdaRuntime,
  type LambdaRuntimeOptions,
  SYNC_PAYLOAD_LIMIT,
} from './lambda-runtime';
export type { FunctionCredentials } from './runtime-environment';
