/**
 * @iot/local-cloud: the embedded stand-in for the AWS services the IoT backend uses.
 *
 * @packageDocumentation
 */
export * from './cloudformation';
export * from './compose';
export * from './contracts';
export * from './edge/aws-service';
export * from './edge/edge-server';
export * from './event-sources';
export * from './local-cloud';
export * from './providers';
export type { HealthReport, StackHealth } from './runtime/health';
export { PortInUseError } from './runtime/ports';
export type { StackSummary } from './runtime/stack-summary';
export * from './services/apigateway';
export * from './services/dynamodb';
export * from './services/firehose';
export * from './services/kinesis';
export * from './services/lambda';
export { S3Service, S3Store } from './services/s3';
export * from './services/sns';
export * from './services/sqs';
