import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  type Flushable,
  type LambdaInvoker,
  type MessageAttributeValue,
  parseArn,
  type QueueSender,
  type TopicPublisher,
} from '../../contracts';
import { AwsServiceError, DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import { JsonSnapshotFile } from '../../persistence/json-snapshot-file';
import { FilterPolicyError, type FilterPolicyScope, matchesFilterPolicy, parseFilterPolicy } from './filter-policy';
import { DEFAULT_HTTP_RETRY, type HttpRetryPolicy, postNotification } from './http-delivery';
import {
  confirmationMessage,
  lambdaEvent,
  type Notification,
  notificationAttributes,
  notificationEnvelope,
  type SnsLinks,
} from './sns-messages';
import { type OutboxEntry, SnsOutbox } from './sns-outbox';

export type SnsProtocol = 'http' | 'https' | 'email' | 'email-json' | 'sms' | 'sqs' | 'application' | 'lambda';

/** Where the local SNS reports what it could not deliver. */
export interface SnsLogger {
  warn(message: string, details?: Record<string, unknown>): void;
}

export interface SnsStoreOptions {
  /** When given, topics and subscriptions are kept in `<dataDir>/sns-topics.json`, the outbox in `sns-outbox.jsonl`. */
  dataDir?: string;
  region?: string;
  accountId?: string;
  /** The edge endpoint, for the links in messages published outside a request (in-process publishers). */
  baseUrl?: string;
  /** Delivers to `lambda` subscriptions. */
  lambda?: LambdaInvoker;
  /** Delivers to `sqs` subscriptions and subscription dead-letter queues. */
  queues?: QueueSender;
  /** Retries of HTTP/S deliveries (confirmations and notifications). */
  httpRetry?: Partial<HttpRetryPolicy>;
  /**
   * Protocols whose subscriptions are confirmed at once instead of after the handshake, e.g. `['email']` for a
   * local cloud where nobody reads the confirmation mail. None by default, as in AWS.
   */
  autoConfirmProtocols?: Array<'http' | 'https' | 'email' | 'email-json'>;
  /** How many outbox entries stay in memory. */
  outboxLimit?: number;
  persistDebounceMs?: number;
  logger?: SnsLogger;
}

export interface TopicDescription {
  name: string;
  arn: string;
}

export interface SubscriptionDescription {
  subscriptionArn: string;
  topicArn: string;
  protocol: SnsProtocol;
  endpoint: string;
  owner: string;
  pendingConfirmation: boolean;
}

export interface PublishInput {
  /** Exactly one of topicArn, targetArn (a platform endpoint, or a topic) and phoneNumber. */
  topicArn?: string;
  targetArn?: string;
  phoneNumber?: string;
  message: string;
  subject?: string;
  messageAttributes?: Record<string, MessageAttributeValue>;
  /** `json`: `message` is a JSON object of one message per protocol, with a `default`. */
  messageStructure?: string;
}

interface StoredTopic {
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
  subscriptionsDeleted: number;
}

interface StoredSubscription {
  arn: string;
  topicArn: string;
  protocol: SnsProtocol;
  endpoint: string;
  attributes: Record<string, string>;
  pendingConfirmation: boolean;
  token: string;
  confirmationWasAuthenticated: boolean;
}

interface Snapshot {
  version: 1;
  topics: StoredTopic[];
  subscriptions: StoredSubscription[];
}

/** A published message before per-subscription selection. */
interface Published {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  /** With `MessageStructure: json`: the message per protocol key, `default` included. */
  structured?: Record<string, string>;
  timestamp: string;
  attributes: Record<string, MessageAttributeValue>;
}

const PROTOCOLS = new Set<string>(['http', 'https', 'email', 'email-json', 'sms', 'sqs', 'application', 'lambda']);
const CONFIRMED_BY_HANDSHAKE = new Set<string>(['http', 'https', 'email', 'email-json']);
const RAW_DELIVERY_PROTOCOLS = new Set<string>(['http', 'https', 'sqs', 'firehose']);
const SUBSCRIPTION_ATTRIBUTES = new Set([
  'DeliveryPolicy',
  'FilterPolicy',
  'FilterPolicyScope',
  'RawMessageDelivery',
  'RedrivePolicy',
  'SubscriptionRoleArn',
  'ReplayPolicy',
]);
const TOPIC_ATTRIBUTES = new Set([
  'DisplayName',
  'Policy',
  'DeliveryPolicy',
  'KmsMasterKeyId',
  'SignatureVersion',
  'TracingConfig',
  'ArchivePolicy',
  'DataProtectionPolicy',
]);
const FEEDBACK_ATTRIBUTE = /^(HTTP|Firehose|Lambda|SQS|Application)(Success|Failure)Feedback(RoleArn|SampleRate)$/;
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const PHONE_NUMBER = /^\+?[1-9]\d{1,14}$/;
const MAX_MESSAGE_BYTES = 262_144;

const DEFAULT_HTTP_DELIVERY_POLICY = JSON.stringify({
  healthyRetryPolicy: {
    minDelayTarget: 20,
    maxDelayTarget: 20,
    numRetries: 3,
    numMaxDelayRetries: 0,
    numNoDelayRetries: 0,
    numMinDelayRetries: 0,
    backoffFunction: 'linear',
  },
  sicklyRetryPolicy: null,
  throttlePolicy: null,
  guaranteed: false,
});

const notFound = (what: string) => new AwsServiceError('NotFound', `${what} does not exist`, 404);
const invalid = (message: string) => new AwsServiceError('InvalidParameter', `Invalid parameter: ${message}`);

/**
 * The topics and subscriptions of the local SNS, and delivery: HTTP/S with the subscription handshake and retries,
 * SQS and Lambda in-process, email, SMS and mobile push recorded to an outbox. Filter policies and raw delivery as
 * in AWS. The wire protocol (`SnsService`) and in-process callers (Lambda destinations, the CloudFormation
 * interpreter) share it. Errors are `AwsServiceError`s carrying the SNS query error code (`NotFound`, ...).
 */
export class SnsStore implements TopicPublisher, Flushable {
  readonly region: string;
  readonly accountId: string;
  /** The edge endpoint used in links of messages published outside a request. */
  baseUrl: string;
  private readonly topics = new Map<string, StoredTopic>();
  private readonly subscriptions = new Map<string, StoredSubscription>();
  private readonly file: JsonSnapshotFile | undefined;
  private readonly outboxStore: SnsOutbox;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly httpRetry: HttpRetryPolicy;
  private readonly logger: SnsLogger;
  private readonly stopping = new AbortController();

  constructor(private readonly options: SnsStoreOptions = {}) {
    this.region = options.region ?? DEFAULT_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.baseUrl = options.baseUrl ?? 'http://localhost:4566';
    this.httpRetry = { ...DEFAULT_HTTP_RETRY, ...options.httpRetry };
    this.logger = options.logger ?? {
      warn: (message, details) => console.warn(JSON.stringify({ level: 'WARN', service: 'sns', message, ...details })),
    };
    this.outboxStore = new SnsOutbox(
      options.dataDir ? join(options.dataDir, 'sns-outbox.jsonl') : undefined,
      options.outboxLimit,
    );
    if (options.dataDir) {
      this.file = new JsonSnapshotFile(
        join(options.dataDir, 'sns-topics.json'),
        (): Snapshot => ({
          version: 1,
          topics: [...this.topics.values()],
          subscriptions: [...this.subscriptions.values()],
        }),
        options.persistDebounceMs,
      );
      const snapshot = this.file.load() as Snapshot | undefined;
      for (const topic of snapshot?.topics ?? []) this.topics.set(this.topicArn(topic.name), topic);
      for (const subscription of snapshot?.subscriptions ?? []) this.subscriptions.set(subscription.arn, subscription);
    }
  }

  // ---- topics ---------------------------------------------------------------------------------------------------

  topicArn(name: string): string {
    return `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
  }

  /** Creates a topic, or returns the existing one when the attributes given are those it has, as CreateTopic does. */
  createTopic(
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
  ): TopicDescription {
    if (name.endsWith('.fifo') || attributes.FifoTopic === 'true') {
      throw invalid(`Topic Name: FIFO topics are not supported by the local cloud (${name}); use a standard topic.`);
    }
    if (!TOPIC_NAME.test(name)) {
      throw invalid('Topic Name: must be 1 to 256 alphanumeric characters, hyphens or underscores.');
    }
    const { FifoTopic: _fifo, ...settable } = attributes;
    for (const [key, value] of Object.entries(settable)) this.validateTopicAttribute(key, value);
    const arn = this.topicArn(name);
    const existing = this.topics.get(arn);
    if (existing) {
      const differs = Object.entries(settable).some(([key, value]) => existing.attributes[key] !== value);
      if (differs) throw invalid('Attributes Reason: Topic already exists with different attributes');
      return { name, arn };
    }
    this.topics.set(arn, { name, attributes: { ...settable }, tags: { ...tags }, subscriptionsDeleted: 0 });
    this.changed();
    return { name, arn };
  }

  /**
   * Creates the topic or brings it in line with a declaration (a CloudFormation create or update): the attributes
   * given replace those set before; tags are replaced too. Subscriptions stay.
   */
  putTopic(name: string, attributes: Record<string, string> = {}, tags: Record<string, string> = {}): TopicDescription {
    const arn = this.topicArn(name);
    const existing = this.topics.get(arn);
    if (!existing || attributes.FifoTopic === 'true') return this.createTopic(name, attributes, tags);
    const { FifoTopic: _fifo, ...settable } = attributes;
    for (const [key, value] of Object.entries(settable)) this.validateTopicAttribute(key, value);
    existing.attributes = { ...settable };
    existing.tags = { ...tags };
    this.changed();
    return { name, arn };
  }

  /** Deletes a topic and its subscriptions; deleting a topic that is not there is not an error, as in SNS. */
  deleteTopic(topicArn: string): void {
    if (!this.topics.delete(topicArn)) return;
    for (const subscription of [...this.subscriptions.values()]) {
      if (subscription.topicArn === topicArn) this.subscriptions.delete(subscription.arn);
    }
    this.changed();
  }

  findTopic(topicArn: string): TopicDescription | undefined {
    const topic = this.topics.get(topicArn);
    return topic && { name: topic.name, arn: topicArn };
  }

  listTopics(): TopicDescription[] {
    return [...this.topics.entries()].map(([arn, topic]) => ({ name: topic.name, arn }));
  }

  getTopicAttributes(topicArn: string): Record<string, string> {
    const topic = this.requireTopic(topicArn);
    const subscriptions = [...this.subscriptions.values()].filter((s) => s.topicArn === topicArn);
    return {
      TopicArn: topicArn,
      Owner: this.accountId,
      Policy: defaultTopicPolicy(topicArn, this.accountId),
      DisplayName: '',
      SubscriptionsPending: String(subscriptions.filter((s) => s.pendingConfirmation).length),
      SubscriptionsConfirmed: String(subscriptions.filter((s) => !s.pendingConfirmation).length),
      SubscriptionsDeleted: String(topic.subscriptionsDeleted),
      EffectiveDeliveryPolicy: topic.attributes.DeliveryPolicy ?? DEFAULT_HTTP_DELIVERY_POLICY,
      ...topic.attributes,
    };
  }

  setTopicAttributes(topicArn: string, name: string, value: string): void {
    const topic = this.requireTopic(topicArn);
    this.validateTopicAttribute(name, value);
    topic.attributes[name] = value;
    this.changed();
  }

  tagResource(resourceArn: string, tags: Record<string, string>): void {
    Object.assign(this.requireTopic(resourceArn, 'Resource').tags, tags);
    this.changed();
  }

  untagResource(resourceArn: string, keys: string[]): void {
    const topic = this.requireTopic(resourceArn, 'Resource');
    for (const key of keys) delete topic.tags[key];
    this.changed();
  }

  listTagsForResource(resourceArn: string): Record<string, string> {
    return { ...this.requireTopic(resourceArn, 'Resource').tags };
  }

  // ---- subscriptions --------------------------------------------------------------------------------------------

  /**
   * Subscribes an endpoint. HTTP/S endpoints get a SubscriptionConfirmation message and stay pending until they
   * confirm (by fetching its SubscribeURL or calling ConfirmSubscription); email endpoints get one in the outbox.
   * SQS, Lambda, SMS and application subscriptions are confirmed at once. Subscribing the same endpoint again
   * returns the existing subscription. `subscriptionArn` lets a CloudFormation deploy keep its own ARN.
   */
  subscribe(
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string> = {},
    options: { origin?: string; subscriptionArn?: string } = {},
  ): SubscriptionDescription {
    this.requireTopic(topicArn);
    const checkedProtocol = this.validateEndpoint(protocol, endpoint);
    const normalized = Object.fromEntries(
      Object.entries(this.validateSubscriptionAttributes(checkedProtocol, {}, attributes)).filter(([, v]) => v !== ''),
    );
    const links = this.links(options.origin);
    const existing = [...this.subscriptions.values()].find(
      (s) => s.topicArn === topicArn && s.protocol === checkedProtocol && s.endpoint === endpoint,
    );
    if (existing) {
      if (Object.entries(normalized).some(([key, value]) => existing.attributes[key] !== value)) {
        throw invalid('Attributes Reason: Subscription already exists with different attributes');
      }
      if (existing.pendingConfirmation) this.requestConfirmation(existing, links);
      return this.describe(existing);
    }
    const subscription: StoredSubscription = {
      arn: options.subscriptionArn ?? `${topicArn}:${randomUUID()}`,
      topicArn,
      protocol: checkedProtocol,
      endpoint,
      attributes: normalized,
      pendingConfirmation: false,
      token: randomBytes(64).toString('hex'),
      confirmationWasAuthenticated: false,
    };
    const autoConfirmed = (this.options.autoConfirmProtocols ?? []) as string[];
    if (CONFIRMED_BY_HANDSHAKE.has(checkedProtocol) && !autoConfirmed.includes(checkedProtocol)) {
      subscription.pendingConfirmation = true;
      this.requestConfirmation(subscription, links);
    }
    this.subscriptions.set(subscription.arn, subscription);
    this.changed();
    return this.describe(subscription);
  }

  /**
   * Creates the subscription or brings it in line with a declaration (a CloudFormation create or update) under the
   * caller's ARN: the attributes given replace those set before. A subscription of that ARN to another topic,
   * protocol or endpoint is replaced, as CloudFormation replaces it.
   */
  putSubscription(
    subscriptionArn: string,
    topicArn: string,
    protocol: string,
    endpoint: string,
    attributes: Record<string, string> = {},
    options: { origin?: string } = {},
  ): SubscriptionDescription {
    const existing = this.subscriptions.get(subscriptionArn);
    if (
      existing &&
      (existing.topicArn !== topicArn || existing.protocol !== protocol || existing.endpoint !== endpoint)
    ) {
      this.subscriptions.delete(subscriptionArn);
      this.changed();
    } else if (existing) {
      const cleared = Object.fromEntries(
        Object.keys(existing.attributes)
          .filter((key) => !(key in attributes))
          .map((key) => [key, '']),
      );
      const normalized = this.validateSubscriptionAttributes(existing.protocol, {}, { ...cleared, ...attributes });
      existing.attributes = Object.fromEntries(Object.entries(normalized).filter(([, value]) => value !== ''));
      this.changed();
      return this.describe(existing);
    }
    return this.subscribe(topicArn, protocol, endpoint, attributes, { ...options, subscriptionArn });
  }

  /** Confirms the pending subscription a token was sent for; returns its ARN. */
  confirmSubscription(topicArn: string, token: string, authenticateOnUnsubscribe = false): string {
    this.requireTopic(topicArn);
    const subscription = [...this.subscriptions.values()].find((s) => s.topicArn === topicArn && s.token === token);
    if (!subscription) throw invalid('Token');
    if (subscription.pendingConfirmation) {
      subscription.pendingConfirmation = false;
      subscription.confirmationWasAuthenticated = authenticateOnUnsubscribe;
      this.changed();
    }
    return subscription.arn;
  }

  /** Deletes a subscription; an HTTP/S endpoint is told with an UnsubscribeConfirmation message. */
  unsubscribe(subscriptionArn: string, options: { origin?: string } = {}): void {
    const subscription = this.requireSubscription(subscriptionArn);
    this.subscriptions.delete(subscriptionArn);
    const topic = this.topics.get(subscription.topicArn);
    if (topic) topic.subscriptionsDeleted += 1;
    this.changed();
    if ((subscription.protocol === 'http' || subscription.protocol === 'https') && !subscription.pendingConfirmation) {
      this.sendConfirmation(subscription, 'UnsubscribeConfirmation', this.links(options.origin));
    }
  }

  /** Every subscription, or those of one topic; pending ones included. */
  listSubscriptions(topicArn?: string): SubscriptionDescription[] {
    if (topicArn !== undefined) this.requireTopic(topicArn);
    return [...this.subscriptions.values()]
      .filter((s) => topicArn === undefined || s.topicArn === topicArn)
      .map((s) => this.describe(s));
  }

  findSubscription(subscriptionArn: string): SubscriptionDescription | undefined {
    const subscription = this.subscriptions.get(subscriptionArn);
    return subscription && this.describe(subscription);
  }

  getSubscriptionAttributes(subscriptionArn: string): Record<string, string> {
    const s = this.requireSubscription(subscriptionArn);
    const attributes: Record<string, string> = {
      SubscriptionArn: s.arn,
      TopicArn: s.topicArn,
      Owner: this.accountId,
      Protocol: s.protocol,
      Endpoint: s.endpoint,
      PendingConfirmation: String(s.pendingConfirmation),
      ConfirmationWasAuthenticated: String(s.confirmationWasAuthenticated),
      RawMessageDelivery: 'false',
      ...s.attributes,
    };
    if (s.attributes.FilterPolicy) attributes.FilterPolicyScope = s.attributes.FilterPolicyScope ?? 'MessageAttributes';
    if (s.protocol === 'http' || s.protocol === 'https') {
      attributes.EffectiveDeliveryPolicy =
        s.attributes.DeliveryPolicy ??
        this.topics.get(s.topicArn)?.attributes.DeliveryPolicy ??
        DEFAULT_HTTP_DELIVERY_POLICY;
    }
    return attributes;
  }

  setSubscriptionAttributes(subscriptionArn: string, name: string, value: string): void {
    const subscription = this.requireSubscription(subscriptionArn);
    const normalized = this.validateSubscriptionAttributes(subscription.protocol, subscription.attributes, {
      [name]: value,
    });
    for (const [key, newValue] of Object.entries(normalized)) {
      if (newValue === '') delete subscription.attributes[key];
      else subscription.attributes[key] = newValue;
    }
    this.changed();
  }

  // ---- publishing -----------------------------------------------------------------------------------------------

  /**
   * Publishes a message; resolves with its id once accepted. Delivery to the topic's confirmed, matching
   * subscriptions goes on in the background (see {@link settled}), as in SNS. A message to a phone number or a
   * platform endpoint goes to the outbox.
   */
  publish(input: PublishInput, options: { origin?: string } = {}): string {
    const targets = [input.topicArn, input.targetArn, input.phoneNumber].filter((t) => t !== undefined && t !== '');
    if (targets.length === 0) throw invalid('TopicArn or TargetArn Reason: no value for required parameter');
    if (targets.length > 1) {
      throw invalid('TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be given');
    }
    const attributes = input.messageAttributes ?? {};
    this.validatePublish(input, attributes);
    const structured = input.messageStructure === 'json' ? parseStructuredMessage(input.message) : undefined;
    if (input.messageStructure !== undefined && input.messageStructure !== 'json') {
      throw invalid(`MessageStructure: ${input.messageStructure} Reason: Only "json" is supported`);
    }
    const messageId = randomUUID();
    const timestamp = new Date().toISOString();
    const links = this.links(options.origin);

    const topicArn = input.topicArn ?? (input.targetArn && isTopicArn(input.targetArn) ? input.targetArn : undefined);
    if (topicArn === undefined) {
      const application = input.targetArn !== undefined;
      const endpoint = (input.targetArn ?? input.phoneNumber) as string;
      if (application && !/^arn:aws:sns:[^:]*:[^:]*:endpoint\//.test(endpoint)) throw invalid('TargetArn');
      if (!application && !PHONE_NUMBER.test(endpoint)) throw invalid('PhoneNumber Reason: not an E.164 number');
      const protocol = application ? 'application' : 'sms';
      this.outboxStore.record({
        type: 'Notification',
        protocol,
        endpoint,
        messageId,
        timestamp,
        ...(input.subject !== undefined ? { subject: input.subject } : {}),
        message: structured ? selectMessage(structured, protocol, endpoint) : input.message,
        ...(Object.keys(attributes).length > 0 ? { messageAttributes: notificationAttributes(attributes) } : {}),
      });
      return messageId;
    }

    this.requireTopic(topicArn);
    const published: Published = {
      messageId,
      topicArn,
      subject: input.subject,
      message: input.message,
      structured,
      timestamp,
      attributes,
    };
    for (const subscription of this.subscriptions.values()) {
      if (subscription.topicArn !== topicArn || subscription.pendingConfirmation) continue;
      if (!this.passesFilter(subscription, published)) continue;
      this.track(this.deliver(subscription, published, links));
    }
    return messageId;
  }

  /** {@link TopicPublisher}: how Lambda destinations and other in-process callers publish. */
  async publishToTopic(
    topicArn: string,
    message: string,
    options: { subject?: string; attributes?: Record<string, MessageAttributeValue>; messageStructure?: 'json' } = {},
  ): Promise<string> {
    return this.publish({
      topicArn,
      message,
      subject: options.subject,
      messageAttributes: options.attributes,
      messageStructure: options.messageStructure,
    });
  }

  /** Messages recorded for email, SMS and mobile push, oldest first. */
  outbox(filter?: Parameters<SnsOutbox['list']>[0]): OutboxEntry[] {
    return this.outboxStore.list(filter);
  }

  /** Resolves once every delivery started so far (retries included) has ended. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------

  async flush(): Promise<void> {
    await Promise.all([this.file?.flush(), this.outboxStore.flush()]);
  }

  /** Stops HTTP deliveries and their retries, waits for the other deliveries under way, writes what is pending. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.settled();
    await this.flush();
  }

  // ---- delivery -------------------------------------------------------------------------------------------------

  private async deliver(subscription: StoredSubscription, published: Published, links: SnsLinks): Promise<void> {
    const notification: Notification = {
      messageId: published.messageId,
      topicArn: published.topicArn,
      subject: published.subject,
      message: published.structured
        ? selectMessage(published.structured, subscription.protocol, subscription.endpoint)
        : published.message,
      timestamp: published.timestamp,
      attributes: published.attributes,
    };
    const raw = subscription.attributes.RawMessageDelivery === 'true';
    const envelope = () => JSON.stringify(notificationEnvelope(notification, subscription.arn, links));
    let failure: string | undefined;
    try {
      switch (subscription.protocol) {
        case 'http':
        case 'https': {
          const result = await postNotification(
            subscription.endpoint,
            raw ? notification.message : envelope(),
            {
              'content-type': 'text/plain; charset=UTF-8',
              'user-agent': 'Amazon Simple Notification Service Agent',
              'x-amz-sns-message-type': 'Notification',
              'x-amz-sns-message-id': notification.messageId,
              'x-amz-sns-topic-arn': notification.topicArn,
              'x-amz-sns-subscription-arn': subscription.arn,
              ...(raw ? { 'x-amz-sns-rawdelivery': 'true' } : {}),
            },
            this.httpRetry,
            this.stopping.signal,
          );
          if (!result.ok)
            failure = `HTTP delivery failed after ${result.attempts} attempts: ${result.error ?? `status ${result.status}`}`;
          break;
        }
        case 'sqs': {
          if (!this.options.queues) {
            failure = 'No SQS service is wired to the local SNS';
            break;
          }
          await this.options.queues.sendToQueue(
            subscription.endpoint,
            raw ? notification.message : envelope(),
            raw ? notification.attributes : undefined,
          );
          break;
        }
        case 'lambda': {
          if (!this.options.lambda) {
            failure = 'No Lambda service is wired to the local SNS';
            break;
          }
          const result = await this.options.lambda.invoke(
            subscription.endpoint,
            lambdaEvent(notification, subscription.arn, links),
            'Event',
          );
          if (!result.ok) failure = `${result.error.errorType}: ${result.error.errorMessage}`;
          break;
        }
        default:
          this.outboxStore.record({
            type: 'Notification',
            protocol: subscription.protocol as OutboxEntry['protocol'],
            endpoint: subscription.endpoint,
            messageId: notification.messageId,
            timestamp: notification.timestamp,
            topicArn: notification.topicArn,
            subscriptionArn: subscription.arn,
            ...(notification.subject !== undefined ? { subject: notification.subject } : {}),
            message: subscription.protocol === 'email-json' ? envelope() : notification.message,
            ...(Object.keys(notification.attributes).length > 0
              ? { messageAttributes: notificationAttributes(notification.attributes) }
              : {}),
          });
      }
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    if (failure !== undefined) await this.deliveryFailed(subscription, notification, links, failure);
  }

  /** A failed delivery goes to the subscription's dead-letter queue when it has one, and is logged. */
  private async deliveryFailed(
    subscription: StoredSubscription,
    notification: Notification,
    links: SnsLinks,
    reason: string,
  ): Promise<void> {
    const details = {
      subscriptionArn: subscription.arn,
      endpoint: subscription.endpoint,
      messageId: notification.messageId,
      reason,
    };
    const deadLetterArn = subscription.attributes.RedrivePolicy
      ? (JSON.parse(subscription.attributes.RedrivePolicy) as { deadLetterTargetArn: string }).deadLetterTargetArn
      : undefined;
    if (deadLetterArn && this.options.queues) {
      try {
        await this.options.queues.sendToQueue(
          deadLetterArn,
          JSON.stringify(notificationEnvelope(notification, subscription.arn, links)),
        );
        this.logger.warn('SNS delivery failed; message sent to the subscription dead-letter queue', {
          ...details,
          deadLetterArn,
        });
        return;
      } catch (error) {
        this.logger.warn('SNS delivery failed and the dead-letter queue refused the message', {
          ...details,
          deadLetterArn,
          deadLetterError: String(error),
        });
        return;
      }
    }
    this.logger.warn('SNS delivery failed; message dropped', details);
  }

  private requestConfirmation(subscription: StoredSubscription, links: SnsLinks): void {
    if (subscription.protocol === 'http' || subscription.protocol === 'https') {
      this.sendConfirmation(subscription, 'SubscriptionConfirmation', links);
      return;
    }
    const message = confirmationMessage(
      'SubscriptionConfirmation',
      {
        messageId: randomUUID(),
        token: subscription.token,
        topicArn: subscription.topicArn,
        timestamp: new Date().toISOString(),
      },
      links,
    );
    this.outboxStore.record({
      type: 'SubscriptionConfirmation',
      protocol: subscription.protocol as OutboxEntry['protocol'],
      endpoint: subscription.endpoint,
      messageId: message.MessageId,
      timestamp: message.Timestamp,
      topicArn: subscription.topicArn,
      subscriptionArn: subscription.arn,
      subject: 'AWS Notification - Subscription Confirmation',
      message:
        subscription.protocol === 'email-json'
          ? JSON.stringify(message)
          : `You have chosen to subscribe to the topic: ${subscription.topicArn}\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n${message.SubscribeURL}`,
      subscribeUrl: message.SubscribeURL,
    });
  }

  private sendConfirmation(
    subscription: StoredSubscription,
    type: 'SubscriptionConfirmation' | 'UnsubscribeConfirmation',
    links: SnsLinks,
  ): void {
    const message = confirmationMessage(
      type,
      {
        messageId: randomUUID(),
        token: subscription.token,
        topicArn: subscription.topicArn,
        timestamp: new Date().toISOString(),
      },
      links,
    );
    this.track(
      (async () => {
        const result = await postNotification(
          subscription.endpoint,
          JSON.stringify(message),
          {
            'content-type': 'text/plain; charset=UTF-8',
            'user-agent': 'Amazon Simple Notification Service Agent',
            'x-amz-sns-message-type': type,
            'x-amz-sns-message-id': message.MessageId,
            'x-amz-sns-topic-arn': subscription.topicArn,
          },
          this.httpRetry,
          this.stopping.signal,
        );
        if (!result.ok) {
          this.logger.warn(`SNS ${type} could not be delivered`, {
            subscriptionArn: subscription.arn,
            endpoint: subscription.endpoint,
            reason: result.error ?? `status ${result.status}`,
          });
        }
      })(),
    );
  }

  private passesFilter(subscription: StoredSubscription, published: Published): boolean {
    const policyText = subscription.attributes.FilterPolicy;
    if (!policyText) return true;
    const scope = (subscription.attributes.FilterPolicyScope ?? 'MessageAttributes') as FilterPolicyScope;
    try {
      const body = published.structured
        ? selectMessage(published.structured, subscription.protocol, subscription.endpoint)
        : published.message;
      return matchesFilterPolicy(parseFilterPolicy(policyText, scope), scope, {
        body,
        attributes: published.attributes,
      });
    } catch {
      return false;
    }
  }

  private track(delivery: Promise<void>): void {
    const tracked = delivery.catch((error: unknown) => {
      this.logger.warn('SNS delivery failed unexpectedly', { reason: String(error) });
    });
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  // ---- validation -----------------------------------------------------------------------------------------------

  private validateEndpoint(protocol: string, endpoint: string): SnsProtocol {
    if (protocol === 'firehose') {
      throw invalid('Protocol: the local cloud does not deliver to the firehose protocol');
    }
    if (!PROTOCOLS.has(protocol)) throw invalid(`Amazon SNS does not support this protocol string: ${protocol}`);
    const ok = (() => {
      switch (protocol) {
        case 'http':
        case 'https':
          try {
            return new URL(endpoint).protocol === `${protocol}:`;
          } catch {
            return false;
          }
        case 'email':
        case 'email-json':
          return /^[^@\s]+@[^@\s]+$/.test(endpoint);
        case 'sms':
          return PHONE_NUMBER.test(endpoint);
        case 'sqs':
          return arnService(endpoint) === 'sqs';
        case 'lambda':
          return arnService(endpoint) === 'lambda';
        default:
          return /^arn:aws:sns:[^:]*:[^:]*:endpoint\//.test(endpoint);
      }
    })();
    if (!ok) throw invalid(`${protocol} endpoint: ${endpoint}`);
    return protocol as SnsProtocol;
  }

  /** Checks attributes about to be set on a subscription; returns them normalized (`''` removes one). */
  private validateSubscriptionAttributes(
    protocol: string,
    current: Record<string, string>,
    changes: Record<string, string>,
  ): Record<string, string> {
    const normalized: Record<string, string> = {};
    for (const [name, value] of Object.entries(changes)) {
      if (!SUBSCRIPTION_ATTRIBUTES.has(name)) throw invalid('AttributeName');
      normalized[name] = value;
    }
    if (normalized.RawMessageDelivery) {
      const value = normalized.RawMessageDelivery.toLowerCase();
      if (value !== 'true' && value !== 'false') throw invalid('Attributes Reason: RawMessageDelivery: true or false');
      if (value === 'true' && !RAW_DELIVERY_PROTOCOLS.has(protocol)) {
        throw invalid(`Attributes Reason: Delivery protocol [${protocol}] does not support raw message delivery.`);
      }
      normalized.RawMessageDelivery = value;
    }
    const scope = (normalized.FilterPolicyScope ?? current.FilterPolicyScope) || 'MessageAttributes';
    if (scope !== 'MessageAttributes' && scope !== 'MessageBody') {
      throw invalid(
        `Attributes Reason: FilterPolicyScope: Invalid value [${scope}]. Please use either MessageBody or MessageAttributes`,
      );
    }
    const policy = normalized.FilterPolicy ?? current.FilterPolicy;
    if (normalized.FilterPolicy !== undefined && ['', '{}'].includes(normalized.FilterPolicy.trim())) {
      normalized.FilterPolicy = '';
    } else if (policy) {
      try {
        parseFilterPolicy(policy, scope);
      } catch (error) {
        if (error instanceof FilterPolicyError) throw invalid(`FilterPolicy: ${error.message}`);
        throw error;
      }
    }
    if (normalized.RedrivePolicy) {
      let target: unknown;
      try {
        target = (JSON.parse(normalized.RedrivePolicy) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn;
      } catch {
        throw invalid('RedrivePolicy: failed to parse JSON.');
      }
      if (typeof target !== 'string' || arnService(target) !== 'sqs') {
        throw invalid('RedrivePolicy: deadLetterTargetArn must be an SQS queue ARN.');
      }
    }
    if (normalized.DeliveryPolicy) {
      try {
        JSON.parse(normalized.DeliveryPolicy);
      } catch {
        throw invalid('DeliveryPolicy: failed to parse JSON.');
      }
    }
    return normalized;
  }

  private validateTopicAttribute(name: string, value: string): void {
    if (!TOPIC_ATTRIBUTES.has(name) && !FEEDBACK_ATTRIBUTE.test(name)) throw invalid('AttributeName');
    if (name === 'SignatureVersion' && value !== '1' && value !== '2') throw invalid('SignatureVersion');
    if (name === 'TracingConfig' && value !== 'PassThrough' && value !== 'Active') throw invalid('TracingConfig');
    if ((name === 'Policy' || name === 'DeliveryPolicy') && value !== '') {
      try {
        JSON.parse(value);
      } catch {
        throw invalid(`${name}: failed to parse JSON.`);
      }
    }
  }

  private validatePublish(input: PublishInput, attributes: Record<string, MessageAttributeValue>): void {
    if (typeof input.message !== 'string' || input.message.length === 0) throw invalid('Empty message');
    if (input.subject !== undefined) {
      if (input.subject.length === 0 || input.subject.length > 100 || /[^\x20-\x7e]/.test(input.subject)) {
        throw invalid('Subject');
      }
    }
    const names = Object.keys(attributes);
    if (names.length > 10) {
      throw new AwsServiceError(
        'ParameterValueInvalid',
        `Number of message attributes [${names.length}] exceeds the allowed maximum [10].`,
      );
    }
    let size = Buffer.byteLength(input.message);
    for (const [name, attribute] of Object.entries(attributes)) {
      const valueInvalid = (reason: string) => new AwsServiceError('ParameterValueInvalid', reason);
      if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || /^(AWS\.|Amazon\.)/i.test(name) || name.includes('..')) {
        throw valueInvalid(`The message attribute name '${name}' is invalid.`);
      }
      const type = attribute.DataType ?? '';
      if (!/^(String|Number|Binary)(\..+)?$/.test(type)) {
        throw valueInvalid(
          `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
        );
      }
      if (type.startsWith('Binary')) {
        if (!attribute.BinaryValue || attribute.BinaryValue.length === 0) {
          throw valueInvalid(
            `The message attribute '${name}' must contain non-empty message attribute value for message attribute type 'Binary'.`,
          );
        }
        size += attribute.BinaryValue.length;
      } else {
        const value = attribute.StringValue;
        if (value === undefined || value === '') {
          throw valueInvalid(
            `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type.split('.')[0]}'.`,
          );
        }
        if (type.startsWith('Number') && !Number.isFinite(Number(value))) {
          throw valueInvalid(`Could not cast message attribute '${name}' value to number.`);
        }
        if (type === 'String.Array') {
          let parsed: unknown;
          try {
            parsed = JSON.parse(value);
          } catch {
            parsed = undefined;
          }
          if (!Array.isArray(parsed) || parsed.some((v) => v !== null && typeof v === 'object')) {
            throw valueInvalid(
              `The message attribute '${name}' with type 'String.Array' must be a JSON array of strings, numbers, booleans or nulls.`,
            );
          }
        }
        size += Buffer.byteLength(value);
      }
      size += Buffer.byteLength(name) + Buffer.byteLength(type);
    }
    if (size > MAX_MESSAGE_BYTES) throw invalid('Message too long');
  }

  // ---- helpers --------------------------------------------------------------------------------------------------

  private links(origin?: string): SnsLinks {
    return { origin: origin ?? this.baseUrl, region: this.region };
  }

  private describe(s: StoredSubscription): SubscriptionDescription {
    return {
      subscriptionArn: s.arn,
      topicArn: s.topicArn,
      protocol: s.protocol,
      endpoint: s.endpoint,
      owner: this.accountId,
      pendingConfirmation: s.pendingConfirmation,
    };
  }

  private requireTopic(topicArn: string, what = 'Topic'): StoredTopic {
    const topic = this.topics.get(topicArn);
    if (!topic) throw notFound(what);
    return topic;
  }

  private requireSubscription(subscriptionArn: string): StoredSubscription {
    const subscription = this.subscriptions.get(subscriptionArn);
    if (!subscription) throw notFound('Subscription');
    return subscription;
  }

  private changed(): void {
    this.file?.changed();
  }
}

/** The key of `MessageStructure: json` that a protocol reads; mobile push reads its platform's key. */
function selectMessage(structured: Record<string, string>, protocol: string, endpoint: string): string {
  const key = protocol === 'application' ? (/:endpoint\/([^/]+)\//.exec(endpoint)?.[1] ?? 'default') : protocol;
  return structured[key] ?? (structured.default as string);
}

function parseStructuredMessage(message: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    throw invalid('Message Structure - JSON message body failed to parse');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('Message Structure - JSON message body failed to parse');
  }
  const structured: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    structured[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  if (typeof (parsed as Record<string, unknown>).default !== 'string') {
    throw invalid('Message Structure - No default entry in JSON message body');
  }
  return structured;
}

function arnService(value: string): string | undefined {
  try {
    return parseArn(value).service;
  } catch {
    return undefined;
  }
}

function isTopicArn(arn: string): boolean {
  try {
    const parts = parseArn(arn);
    return parts.service === 'sns' && !parts.resource.includes('/') && !parts.resource.includes(':');
  } catch {
    return false;
  }
}

function defaultTopicPolicy(topicArn: string, accountId: string): string {
  return JSON.stringify({
    Version: '2008-10-17',
    Id: '__default_policy_ID',
    Statement: [
      {
        Sid: '__default_statement_ID',
        Effect: 'Allow',
        Principal: { AWS: '*' },
        Action: [
          'SNS:GetTopicAttributes',
          'SNS:SetTopicAttributes',
          'SNS:AddPermission',
          'SNS:RemovePermission',
          'SNS:DeleteTopic',
          'SNS:Subscribe',
          'SNS:ListSubscriptionsByTopic',
          'SNS:Publish',
        ],
        Resource: topicArn,
        Condition: { StringEquals: { 'AWS:SourceOwner': accountId } },
      },
    ],
  });
}
