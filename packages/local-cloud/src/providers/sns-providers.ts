import { type ResourceProvider, type ResourceToCreate, snsSubscriptionArn, stableUuid } from '../cloudformation';
import { asExpected, attributesFrom, isRecord, requiredText, resourceName, tagMap, text } from './template-values';

/** What the SNS providers need of the local SNS (`SnsStore`). */
export interface TopicService {
  putTopic(name: string, attributes?: Record<string, string>, tags?: Record<string, string>): unknown;
  putSubscription(
    subscriptionArn: string,
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes?: Record<string, string>,
  ): unknown;
}

/** DeliveryStatusLogging protocols, as the prefixes of the topic's feedback attributes name them. */
const FEEDBACK_PREFIX: Record<string, string> = {
  http: 'HTTP',
  https: 'HTTP',
  sqs: 'SQS',
  lambda: 'Lambda',
  firehose: 'Firehose',
  application: 'Application',
};

/** The SetTopicAttributes attributes an AWS::SNS::Topic declares. */
export function topicAttributes(properties: Record<string, unknown>): Record<string, string> {
  const attributes = attributesFrom(properties, {
    scalars: ['DisplayName', 'KmsMasterKeyId', 'SignatureVersion', 'TracingConfig', 'FifoTopic'],
    documents: ['ArchivePolicy', 'DataProtectionPolicy'],
  });
  if (attributes.FifoTopic === 'false') delete attributes.FifoTopic;
  const logging = properties.DeliveryStatusLogging;
  for (const entry of Array.isArray(logging) ? logging : []) {
    if (!isRecord(entry)) continue;
    const prefix = FEEDBACK_PREFIX[String(entry.Protocol)];
    if (!prefix) continue;
    const set = (name: string, value: unknown) => {
      if (value !== undefined) attributes[`${prefix}${name}`] = String(value);
    };
    set('SuccessFeedbackRoleArn', entry.SuccessFeedbackRoleArn);
    set('SuccessFeedbackSampleRate', entry.SuccessFeedbackSampleRate);
    set('FailureFeedbackRoleArn', entry.FailureFeedbackRoleArn);
  }
  return attributes;
}

/** The subscription attributes an AWS::SNS::Subscription declares (policies as JSON text). */
export function subscriptionAttributes(properties: Record<string, unknown>): Record<string, string> {
  return attributesFrom(properties, {
    scalars: ['FilterPolicyScope', 'RawMessageDelivery', 'SubscriptionRoleArn'],
    documents: ['FilterPolicy', 'RedrivePolicy', 'DeliveryPolicy', 'ReplayPolicy'],
  });
}

/**
 * AWS::SNS::Topic and AWS::SNS::Subscription in the local SNS. Both are declarative (`putTopic`,
 * `putSubscription`): deploying again brings a kept topic or subscription to the template's attributes, with its
 * subscriptions (and their confirmation state) kept. A topic's inline `Subscription` list becomes subscriptions with
 * ARNs derived from the stack, the topic and the position, as stable across restarts as the others.
 */
export function snsResourceProviders(
  sns: TopicService,
): Record<'AWS::SNS::Topic' | 'AWS::SNS::Subscription', ResourceProvider> {
  return {
    'AWS::SNS::Topic': {
      create: async (resource: ResourceToCreate) => {
        const name = resourceName(resource);
        sns.putTopic(name, topicAttributes(resource.properties), tagMap(resource.properties.Tags));
        const topicArn = resource.expected.physicalId;
        const inline = resource.properties.Subscription;
        for (const [index, entry] of (Array.isArray(inline) ? inline : []).entries()) {
          if (!isRecord(entry) || !text(entry.Protocol) || !text(entry.Endpoint)) continue;
          const arn = snsSubscriptionArn(topicArn, stableUuid(`${resource.stackName}/${resource.logicalId}/${index}`));
          sns.putSubscription(arn, topicArn, entry.Protocol as string, entry.Endpoint as string);
        }
        return asExpected(resource);
      },
    },
    'AWS::SNS::Subscription': {
      create: async (resource: ResourceToCreate) => {
        sns.putSubscription(
          resource.expected.physicalId,
          requiredText(resource, 'TopicArn'),
          requiredText(resource, 'Protocol'),
          requiredText(resource, 'Endpoint'),
          subscriptionAttributes(resource.properties),
        );
        return asExpected(resource);
      },
    },
  };
}
