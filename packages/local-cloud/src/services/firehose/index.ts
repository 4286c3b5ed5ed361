/**
 * The local Firehose: DirectPut delivery streams that buffer records and write them to the local S3.
 *
 * @packageDocumentation
 */
export type {
  BufferingHints,
  CreateDeliveryStreamInput,
  ExtendedS3DestinationConfiguration,
  ProcessingConfiguration,
  Processor,
  ProcessorParameter,
  S3DestinationConfiguration,
  Tag,
} from './delivery-stream-config';
export { type DeliveryStreamDescription, FirehoseService, type FirehoseServiceOptions } from './firehose-service';
export type { FirehoseTransformationEvent } from './lambda-transformation';
export { formatTimestamp } from './s3-object-key';
export type { ServiceLogger } from './service-logger';
