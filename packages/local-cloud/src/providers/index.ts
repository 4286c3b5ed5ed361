/**
 * The CloudFormation resource providers of the local cloud: one small file per AWS service, each turning a resolved
 * resource of a packaged template into the local service's idempotent create-or-update call.
 *
 * @packageDocumentation
 */
import type { CloudFormationLogger, ResourceProviders } from '../cloudformation';
import { apiGatewayResourceProviders, type RestApiRegistry } from '../services/apigateway';
import { type LambdaRuntime, lambdaResourceProviders, serverlessArtifacts } from '../services/lambda';
import { dynamoDbTableProvider, type TableService } from './dynamodb-table-provider';
import {
  type EventSourceTiming,
  eventSourceMappingProvider,
  type MappingService,
} from './event-source-mapping-provider';
import { type EventRuleSink, eventsRuleProvider } from './events-rule-provider';
import { type DeliveryStreamService, firehoseDeliveryStreamProvider } from './firehose-delivery-stream-provider';
import { iotTopicRuleProvider, type TopicRuleSink } from './iot-topic-rule-provider';
import { kinesisStreamProvider, type StreamService } from './kinesis-stream-provider';
import { type BucketService, s3BucketProvider } from './s3-bucket-provider';
import { snsResourceProviders, type TopicService } from './sns-providers';
import { type QueueService, sqsQueueProvider } from './sqs-queue-provider';

export * from './dynamodb-table-provider';
export * from './event-source-mapping-provider';
export * from './events-rule-provider';
export * from './firehose-delivery-stream-provider';
export * from './iot-topic-rule-provider';
export * from './kinesis-stream-provider';
export * from './s3-bucket-provider';
export * from './sns-providers';
export * from './sqs-queue-provider';

/** The local services the providers create resources in. */
export interface ProviderTargets {
  lambda: LambdaRuntime;
  dynamodb: TableService;
  sns: TopicService;
  sqs: QueueService;
  s3: BucketService;
  kinesis: StreamService;
  firehose: DeliveryStreamService;
  eventSourceMappings: MappingService;
  restApis: RestApiRegistry;
  topicRules: TopicRuleSink;
  eventRules: EventRuleSink;
  /** Shorter tumbling and batching windows than the templates declare. */
  eventSourceTiming?: EventSourceTiming;
  logger?: CloudFormationLogger;
}

/**
 * A provider for every resource type the packaged services use, for the stack of the service in `serviceDir` (its
 * functions' code is in `<serviceDir>/.serverless/`). Types only recorded (IAM, permissions, log groups, policies)
 * need none.
 */
export function localCloudProviders(targets: ProviderTargets, serviceDir: string): ResourceProviders {
  return {
    ...lambdaResourceProviders(targets.lambda, { resolveCode: serverlessArtifacts(serviceDir) }),
    ...apiGatewayResourceProviders(targets.restApis),
    ...snsResourceProviders(targets.sns),
    'AWS::DynamoDB::Table': dynamoDbTableProvider(targets.dynamodb, targets.logger),
    'AWS::SQS::Queue': sqsQueueProvider(targets.sqs),
    'AWS::S3::Bucket': s3BucketProvider(targets.s3, targets.logger),
    'AWS::Kinesis::Stream': kinesisStreamProvider(targets.kinesis),
    'AWS::KinesisFirehose::DeliveryStream': firehoseDeliveryStreamProvider(targets.firehose),
    'AWS::Lambda::EventSourceMapping': eventSourceMappingProvider(
      targets.eventSourceMappings,
      targets.eventSourceTiming,
    ),
    'AWS::IoT::TopicRule': iotTopicRuleProvider(targets.topicRules),
    'AWS::Events::Rule': eventsRuleProvider(targets.eventRules),
  };
}
