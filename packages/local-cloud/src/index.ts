/**
 * @iot/local-cloud: the embedded stand-in for the AWS services the IoT backend uses.
 *
 * @packageDocumentation
 */
export * from './cloudformation';
export * from './compose';
export * from './contracts';
export * from './default-extensions';
export * from './edge/aws-service';
export * from './edge/edge-server';
export * from './event-sources';
export * from './iot/broker';
export * from './iot/contracts';
export * from './iot/control-plane';
export * from './iot/data-plane';
export * from './iot/identity';
export * from './iot/local-iot-core';
export { RulesEngine, TopicRuleRegistry } from './iot/rules';
export * from './iot/shadow';
export * from './local-cloud';
export { JsonSnapshotFile } from './persistence/json-snapshot-file';
export * from './providers';
export type { HealthReport, StackHealth } from './runtime/health';
export { PortInUseError } from './runtime/ports';
export type { StackSummary } from './runtime/stack-summary';
export * from './services/apigateway';
export * from './services/cognito';
export * from './services/dynamodb';
export * from './services/events';
export * from './services/firehose';
export * from './services/kinesis';
export * from './services/lambda';
export { S3Service, S3Store } from './services/s3';
export * from './services/sns';
export * from './services/sqs';
