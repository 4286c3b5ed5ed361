import type { ResourceProvider } from '../cloudformation';
import { asExpected, attributesFrom, resourceName, tagMap } from './template-values';

/** What the queue provider needs of the local SQS (`SqsStore`). */
export interface QueueService {
  putQueue(name: string, attributes?: Record<string, string>, tags?: Record<string, string>): unknown;
}

/** The queue attributes an AWS::SQS::Queue declares, as SetQueueAttributes takes them (policies as JSON text). */
export function queueAttributes(properties: Record<string, unknown>): Record<string, string> {
  const attributes = attributesFrom(properties, {
    scalars: [
      'DelaySeconds',
      'MaximumMessageSize',
      'MessageRetentionPeriod',
      'ReceiveMessageWaitTimeSeconds',
      'VisibilityTimeout',
      'KmsMasterKeyId',
      'KmsDataKeyReusePeriodSeconds',
      'SqsManagedSseEnabled',
      'FifoQueue',
      'ContentBasedDeduplication',
      'DeduplicationScope',
      'FifoThroughputLimit',
    ],
    documents: ['RedrivePolicy', 'RedriveAllowPolicy'],
  });
  if (attributes.FifoQueue === 'false') delete attributes.FifoQueue;
  return attributes;
}

/**
 * AWS::SQS::Queue in the local SQS, declaratively (`putQueue`): a queue kept from an earlier run keeps its messages
 * and takes the template's attributes.
 */
export function sqsQueueProvider(sqs: QueueService): ResourceProvider {
  return {
    create: async (resource) => {
      sqs.putQueue(resourceName(resource), queueAttributes(resource.properties), tagMap(resource.properties.Tags));
      return asExpected(resource);
    },
  };
}
