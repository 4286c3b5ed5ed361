/**
 * @iot/testing: what the services' tests share — a real local DynamoDB, AWS event fixtures, serverless.yml access.
 *
 * @packageDocumentation
 */
export * from './devices-table';
export * from './dynamodb';
export * from './events';
export * from './serverless-yml';
export * from './topic-rules';
