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
