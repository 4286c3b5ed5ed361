import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type Flushable, type MessageAttributeValue, parseArn, type QueueSender } from '../../contracts';
import { AwsServiceError, DEFAULT_REGION, LOCAL_ACCOUNT_ID } from '../../edge/aws-service';
import { JsonSnapshotFile } from '../../persistence/json-snapshot-file';
import { md5Hex, md5OfMessageAttributes, type SqsMessageAttribute } from './sqs-md5';

/** A queue as callers name it: its name, its ARN or its URL. */
export type QueueRef = string;

export interface SqsStoreOptions {
  /** When given, queues and messages are kept in `<dataDir>/sqs-queues.json` and survive a restart. */
  dataDir?: string;
  region?: string;
  accountId?: string;
  /** The edge endpoint, for queue URLs made outside a request (CloudFormation's `Ref`). */
  baseUrl?: string;
  /** Quiet period before a change is written to disk. */
  persistDebounceMs?: number;
}

export interface QueueDescription {
  name: string;
  arn: string;
  url: string;
}

export interface SendMessageInput {
  body: string;
  delaySeconds?: number;
  messageAttributes?: Record<string, SqsMessageAttribute>;
  /** Only `AWSTraceHeader` is known to SQS. */
  messageSystemAttributes?: Record<string, SqsMessageAttribute>;
  senderId?: string;
}

export interface SentMessage {
  messageId: string;
  md5OfMessageBody: string;
  md5OfMessageAttributes?: string;
  md5OfMessageSystemAttributes?: string;
}

export interface ReceiveOptions {
  /** 1 to 10; 1 when not given. */
  maxNumberOfMessages?: number;
  /** Long polling: how long to wait for a first message; the queue's ReceiveMessageWaitTimeSeconds when not given. */
  waitTimeSeconds?: number;
  /** The queue's VisibilityTimeout when not given. */
  visibilityTimeout?: number;
}

/** A received message with every system and message attribute; the wire protocol filters what was asked for. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  attributes: Record<string, string>;
  messageAttributes: Record<string, SqsMessageAttribute>;
  md5OfMessageAttributes?: string;
}

export interface RedrivePolicy {
  deadLetterTargetArn: string;
  maxReceiveCount: number;
}

interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, SqsMessageAttribute>;
  systemAttributes: Record<string, SqsMessageAttribute>;
  senderId: string;
  sentTimestamp: number;
  /** Epoch ms before which the message is delayed (never received) or in flight (received). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** The handle of the latest receive. */
  receiptHandle?: string;
  deadLetterQueueSourceArn?: string;
}

interface StoredQueue {
  name: string;
  createdTimestamp: number;
  lastModifiedTimestamp: number;
  /** Only the attributes set explicitly; defaults fill the rest. */
  attributes: Record<string, string>;
  tags: Record<string, string>;
  messages: StoredMessage[];
}

interface Snapshot {
  version: 1;
  queues: StoredQueue[];
}

const DEFAULT_ATTRIBUTES: Record<string, string> = {
  DelaySeconds: '0',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

const INTEGER_RANGES: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1048576],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43200],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
};

const SETTABLE_ATTRIBUTES = new Set([
  ...Object.keys(INTEGER_RANGES),
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

const COMPUTED_ATTRIBUTES = [
  'QueueArn',
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
];

const FIFO_ATTRIBUTES = new Set([
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAX_RECEIVE_BATCH = 10;

/** A character SQS refuses in a message body or attribute (outside the XML character range). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are exactly the characters SQS rejects.
const INVALID_CHARACTERS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * The queues and messages of the local SQS: standard queues with delays, visibility timeouts, long polling, message
 * retention and redrive to a dead-letter queue. The wire protocol (`SqsService`) and in-process callers (SNS
 * delivery, event source mappings, the CloudFormation interpreter) share it. Errors are `AwsServiceError`s carrying
 * the SQS error name (`QueueDoesNotExist`, `ReceiptHandleIsInvalid`, ...).
 */
export class SqsStore implements QueueSender, Flushable {
  readonly region: string;
  readonly accountId: string;
  /** The edge endpoint used for queue URLs made outside a request. */
  baseUrl: string;
  private readonly queues = new Map<string, StoredQueue>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly visibilityTimers = new Map<string, NodeJS.Timeout>();
  private readonly file: JsonSnapshotFile | undefined;
  private closed = false;

  constructor(options: SqsStoreOptions = {}) {
    this.region = options.region ?? DEFAULT_REGION;
    this.accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
    this.baseUrl = options.baseUrl ?? 'http://localhost:4566';
    if (options.dataDir) {
      this.file = new JsonSnapshotFile(
        join(options.dataDir, 'sqs-queues.json'),
        (): Snapshot => ({ version: 1, queues: [...this.queues.values()] }),
        options.persistDebounceMs,
      );
      const snapshot = this.file.load() as Snapshot | undefined;
      for (const queue of snapshot?.queues ?? []) this.queues.set(queue.name, queue);
    }
  }

  // ---- queues ---------------------------------------------------------------------------------------------------

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  queueUrl(name: string, origin = this.baseUrl): string {
    return `${origin.replace(/\/$/, '')}/${this.accountId}/${name}`;
  }

  /**
   * Creates a queue, or returns the existing one when every attribute given has the value it already has, as
   * CreateQueue does.
   */
  createQueue(
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
    origin?: string,
  ): QueueDescription {
    if (name.endsWith('.fifo') || attributes.FifoQueue === 'true') {
      throw new AwsServiceError(
        'UnsupportedOperation',
        `FIFO queues are not supported by the local cloud (queue ${name}); use a standard queue.`,
      );
    }
    if (!QUEUE_NAME.test(name)) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        `Invalid queue name "${name}": can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length.`,
      );
    }
    const normalized = this.validateAttributes(attributes);
    const existing = this.queues.get(name);
    if (existing) {
      for (const [key, value] of Object.entries(normalized)) {
        if (this.attributeValue(existing, key) !== value) {
          throw new AwsServiceError(
            'QueueNameExists',
            `A queue already exists with the same name and a different value for attribute ${key}`,
          );
        }
      }
      return this.describe(existing, origin);
    }
    const now = Math.floor(Date.now() / 1000);
    const queue: StoredQueue = {
      name,
      createdTimestamp: now,
      lastModifiedTimestamp: now,
      attributes: normalized,
      tags: { ...tags },
      messages: [],
    };
    this.queues.set(name, queue);
    this.changed();
    return this.describe(queue, origin);
  }

  /**
   * Creates the queue or brings it in line with a declaration (a CloudFormation create or update): the attributes
   * given replace those set before, the others go back to their defaults; tags are replaced too. Messages stay.
   */
  putQueue(
    name: string,
    attributes: Record<string, string> = {},
    tags: Record<string, string> = {},
    origin?: string,
  ): QueueDescription {
    const existing = this.queues.get(name);
    if (!existing) return this.createQueue(name, attributes, tags, origin);
    if (attributes.FifoQueue === 'true') this.createQueue(name, attributes);
    const normalized = this.validateAttributes(attributes);
    existing.attributes = Object.fromEntries(Object.entries(normalized).filter(([, value]) => value !== ''));
    existing.tags = { ...tags };
    existing.lastModifiedTimestamp = Math.floor(Date.now() / 1000);
    this.wake(name);
    this.changed();
    return this.describe(existing, origin);
  }

  /** The queue, or undefined when there is none. */
  findQueue(ref: QueueRef, origin?: string): QueueDescription | undefined {
    const name = this.nameOf(ref);
    const queue = name === undefined ? undefined : this.queues.get(name);
    return queue && this.describe(queue, origin);
  }

  getQueue(ref: QueueRef, origin?: string): QueueDescription {
    return this.describe(this.require(ref), origin);
  }

  listQueues(prefix = '', origin?: string): QueueDescription[] {
    return [...this.queues.values()]
      .filter((queue) => queue.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((queue) => this.describe(queue, origin));
  }

  deleteQueue(ref: QueueRef): void {
    const queue = this.require(ref);
    this.queues.delete(queue.name);
    this.wake(queue.name);
    this.changed();
  }

  /** The queues whose redrive policy names this one as dead-letter queue. */
  listDeadLetterSourceQueues(ref: QueueRef, origin?: string): QueueDescription[] {
    const arn = this.queueArn(this.require(ref).name);
    return [...this.queues.values()]
      .filter((queue) => this.redrivePolicy(queue)?.deadLetterTargetArn === arn)
      .map((queue) => this.describe(queue, origin));
  }

  /** The attributes asked for (`All` for every one), as GetQueueAttributes answers them. */
  getQueueAttributes(ref: QueueRef, names: string[] = ['All']): Record<string, string> {
    const queue = this.require(ref);
    const known = new Set([...SETTABLE_ATTRIBUTES, ...COMPUTED_ATTRIBUTES]);
    for (const name of names) {
      if (name !== 'All' && !known.has(name)) {
        throw new AwsServiceError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
    }
    const all = names.includes('All');
    const wanted = all ? [...COMPUTED_ATTRIBUTES, ...SETTABLE_ATTRIBUTES] : names;
    const result: Record<string, string> = {};
    for (const name of wanted) {
      const value = this.attributeValue(queue, name);
      if (value !== undefined) result[name] = value;
    }
    return result;
  }

  setQueueAttributes(ref: QueueRef, attributes: Record<string, string>): void {
    const queue = this.require(ref);
    if (attributes.FifoQueue !== undefined) {
      throw new AwsServiceError('InvalidAttributeName', 'Unknown Attribute FifoQueue: it can only be set at creation.');
    }
    const normalized = this.validateAttributes(attributes);
    for (const [key, value] of Object.entries(normalized)) {
      if (value === '' && (key === 'RedrivePolicy' || key === 'Policy' || key === 'RedriveAllowPolicy')) {
        delete queue.attributes[key];
      } else {
        queue.attributes[key] = value;
      }
    }
    queue.lastModifiedTimestamp = Math.floor(Date.now() / 1000);
    this.wake(queue.name);
    this.changed();
  }

  tagQueue(ref: QueueRef, tags: Record<string, string>): void {
    const queue = this.require(ref);
    Object.assign(queue.tags, tags);
    this.changed();
  }

  untagQueue(ref: QueueRef, keys: string[]): void {
    const queue = this.require(ref);
    for (const key of keys) delete queue.tags[key];
    this.changed();
  }

  listQueueTags(ref: QueueRef): Record<string, string> {
    return { ...this.require(ref).tags };
  }

  /** Deletes every message of the queue. */
  purgeQueue(ref: QueueRef): void {
    const queue = this.require(ref);
    queue.messages = [];
    this.changed();
  }

  // ---- messages -------------------------------------------------------------------------------------------------

  sendMessage(ref: QueueRef, input: SendMessageInput): SentMessage {
    const queue = this.require(ref);
    const messageAttributes = input.messageAttributes ?? {};
    const systemAttributes = input.messageSystemAttributes ?? {};
    this.validateMessage(queue, input.body, messageAttributes);
    for (const name of Object.keys(systemAttributes)) {
      if (name !== 'AWSTraceHeader') {
        throw new AwsServiceError('InvalidParameterValue', `Message system attribute name '${name}' is invalid.`);
      }
    }
    const delaySeconds = input.delaySeconds ?? Number(this.attributeValue(queue, 'DelaySeconds'));
    this.checkRange('DelaySeconds', delaySeconds, 0, 900);
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: input.body,
      md5OfBody: md5Hex(input.body),
      messageAttributes,
      systemAttributes,
      senderId: input.senderId ?? this.accountId,
      sentTimestamp: now,
      visibleAt: now + delaySeconds * 1000,
      receiveCount: 0,
    };
    queue.messages.push(message);
    this.wake(queue.name);
    this.changed();
    return {
      messageId: message.messageId,
      md5OfMessageBody: message.md5OfBody,
      md5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
      md5OfMessageSystemAttributes: md5OfMessageAttributes(systemAttributes),
    };
  }

  /** {@link QueueSender}: how SNS and Lambda destinations send to a queue named by ARN. */
  async sendToQueue(
    queueArn: string,
    body: string,
    attributes: Record<string, MessageAttributeValue> = {},
  ): Promise<void> {
    const messageAttributes: Record<string, SqsMessageAttribute> = {};
    for (const [name, value] of Object.entries(attributes)) {
      messageAttributes[name] = {
        DataType: value.DataType,
        ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
        ...(value.BinaryValue !== undefined ? { BinaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
      };
    }
    this.sendMessage(queueArn, { body, messageAttributes });
  }

  /**
   * Receives up to `maxNumberOfMessages` visible messages, making them invisible for the visibility timeout. With a
   * wait time it long-polls: it answers as soon as one message is there, or with none when the time is up. A message
   * received more than the redrive policy's maxReceiveCount times moves to the dead-letter queue instead.
   */
  async receiveMessages(ref: QueueRef, options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    const queue = this.require(ref);
    const max = options.maxNumberOfMessages ?? 1;
    this.checkRange('MaxNumberOfMessages', max, 1, MAX_RECEIVE_BATCH);
    const waitSeconds = options.waitTimeSeconds ?? Number(this.attributeValue(queue, 'ReceiveMessageWaitTimeSeconds'));
    this.checkRange('WaitTimeSeconds', waitSeconds, 0, 20);
    if (options.visibilityTimeout !== undefined) {
      this.checkRange('VisibilityTimeout', options.visibilityTimeout, 0, 43200);
    }
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const current = this.queues.get(queue.name);
      if (!current || current !== queue) return [];
      const received = this.receiveNow(queue, max, options.visibilityTimeout);
      const now = Date.now();
      if (received.length > 0 || now >= deadline || this.closed) return received;
      const nextVisible = queue.messages.reduce(
        (soonest, m) => (m.visibleAt > now ? Math.min(soonest, m.visibleAt) : soonest),
        Number.POSITIVE_INFINITY,
      );
      await this.waitForChange(queue.name, Math.min(deadline, nextVisible) - now);
    }
  }

  /** Deletes the message a receipt handle names; a handle of a message already deleted is accepted, as in SQS. */
  deleteMessage(ref: QueueRef, receiptHandle: string): void {
    const queue = this.require(ref);
    const { messageId } = this.parseReceiptHandle(queue, receiptHandle);
    const index = queue.messages.findIndex((m) => m.messageId === messageId);
    if (index >= 0) {
      queue.messages.splice(index, 1);
      this.changed();
    }
  }

  /** Sets how long until an in-flight message becomes visible again, counted from now. */
  changeMessageVisibility(ref: QueueRef, receiptHandle: string, visibilityTimeout: number): void {
    const queue = this.require(ref);
    const { messageId } = this.parseReceiptHandle(queue, receiptHandle);
    this.checkRange('VisibilityTimeout', visibilityTimeout, 0, 43200);
    const message = queue.messages.find((m) => m.messageId === messageId);
    const now = Date.now();
    if (!message || message.receiptHandle !== receiptHandle || message.visibleAt <= now) {
      throw new AwsServiceError(
        'MessageNotInflight',
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    message.visibleAt = now + visibilityTimeout * 1000;
    this.wake(queue.name);
    this.changed();
  }

  // ---- in-process consumers (SQS event source mappings) --------------------------------------------------------

  /**
   * Receives up to `maxMessages` visible messages without waiting, hidden for `visibilityTimeoutSeconds` (else the
   * queue's visibility timeout); binary attributes as bytes, as the in-process contracts carry them.
   */
  async receive(
    queueArn: string,
    maxMessages: number,
    visibilityTimeoutSeconds?: number,
  ): Promise<
    Array<Omit<ReceivedMessage, 'messageAttributes'> & { messageAttributes: Record<string, MessageAttributeValue> }>
  > {
    const messages = await this.receiveMessages(queueArn, {
      maxNumberOfMessages: Math.min(Math.max(1, maxMessages), MAX_RECEIVE_BATCH),
      waitTimeSeconds: 0,
      visibilityTimeout: visibilityTimeoutSeconds,
    });
    return messages.map((message) => ({
      ...message,
      messageAttributes: toContractAttributes(message.messageAttributes),
    }));
  }

  /** Deletes a received message; a stale receipt handle is not an error. */
  async delete(queueArn: string, receiptHandle: string): Promise<void> {
    this.deleteMessage(queueArn, receiptHandle);
  }

  /**
   * Calls `listener` whenever messages may have become visible: sent, redriven, made visible again, or at the end of
   * a delay or visibility timeout. Returns the function that unsubscribes.
   */
  subscribe(queueArn: string, listener: () => void): () => void {
    const name = this.require(queueArn).name;
    let listeners = this.listeners.get(name);
    if (!listeners) {
      listeners = new Set();
      this.listeners.set(name, listeners);
    }
    listeners.add(listener);
    this.armVisibilityTimer(name);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.listeners.get(name) === listeners) {
        this.listeners.delete(name);
        clearTimeout(this.visibilityTimers.get(name));
        this.visibilityTimers.delete(name);
      }
    };
  }

  // ---- lifecycle ------------------------------------------------------------------------------------------------

  /** Writes the queues and messages to disk now (no-op without a dataDir). */
  async flush(): Promise<void> {
    await this.file?.flush();
  }

  /** Ends pending long polls (they answer with no messages) and writes what is pending. */
  async close(): Promise<void> {
    this.closed = true;
    for (const name of [...this.waiters.keys()]) this.wake(name);
    for (const timer of this.visibilityTimers.values()) clearTimeout(timer);
    this.visibilityTimers.clear();
    this.listeners.clear();
    await this.flush();
  }

  // ---- internals ------------------------------------------------------------------------------------------------

  private receiveNow(queue: StoredQueue, max: number, visibilityTimeout?: number): ReceivedMessage[] {
    const now = Date.now();
    this.expire(queue, now);
    const timeout = visibilityTimeout ?? Number(this.attributeValue(queue, 'VisibilityTimeout'));
    const redrive = this.redrivePolicy(queue);
    const received: ReceivedMessage[] = [];
    let changed = false;
    for (const message of [...queue.messages]) {
      if (received.length >= max) break;
      if (message.visibleAt > now) continue;
      if (
        redrive &&
        message.receiveCount >= redrive.maxReceiveCount &&
        this.moveToDeadLetterQueue(queue, message, redrive)
      ) {
        changed = true;
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.receiptHandle = Buffer.from(
        JSON.stringify([queue.name, message.messageId, randomBytes(12).toString('base64url')]),
      ).toString('base64url');
      message.visibleAt = now + timeout * 1000;
      changed = true;
      received.push(this.view(message));
    }
    if (changed) {
      this.changed();
      this.armVisibilityTimer(queue.name);
    }
    return received;
  }

  private moveToDeadLetterQueue(source: StoredQueue, message: StoredMessage, redrive: RedrivePolicy): boolean {
    const name = this.nameOf(redrive.deadLetterTargetArn);
    const target = name === undefined ? undefined : this.queues.get(name);
    // Without its dead-letter queue, SQS keeps the message where it is.
    if (!target) return false;
    source.messages.splice(source.messages.indexOf(message), 1);
    target.messages.push({
      ...message,
      receiveCount: 0,
      firstReceiveTimestamp: undefined,
      receiptHandle: undefined,
      visibleAt: Date.now(),
      deadLetterQueueSourceArn: this.queueArn(source.name),
    });
    this.wake(target.name);
    return true;
  }

  private view(message: StoredMessage): ReceivedMessage {
    const attributes: Record<string, string> = {
      SenderId: message.senderId,
      SentTimestamp: String(message.sentTimestamp),
      ApproximateReceiveCount: String(message.receiveCount),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
    };
    if (message.deadLetterQueueSourceArn) attributes.DeadLetterQueueSourceArn = message.deadLetterQueueSourceArn;
    const traceHeader = message.systemAttributes.AWSTraceHeader?.StringValue;
    if (traceHeader) attributes.AWSTraceHeader = traceHeader;
    return {
      messageId: message.messageId,
      receiptHandle: message.receiptHandle as string,
      body: message.body,
      md5OfBody: message.md5OfBody,
      attributes,
      messageAttributes: { ...message.messageAttributes },
      md5OfMessageAttributes: md5OfMessageAttributes(message.messageAttributes),
    };
  }

  private expire(queue: StoredQueue, now: number): void {
    const retentionMs = Number(this.attributeValue(queue, 'MessageRetentionPeriod')) * 1000;
    const kept = queue.messages.filter((m) => m.sentTimestamp + retentionMs > now);
    if (kept.length !== queue.messages.length) {
      queue.messages = kept;
      this.changed();
    }
  }

  private waitForChange(name: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      let waiters = this.waiters.get(name);
      if (!waiters) {
        waiters = new Set();
        this.waiters.set(name, waiters);
      }
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.waiters.get(name) === waiters) this.waiters.delete(name);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      timer.unref();
      waiters.add(done);
    });
  }

  private wake(name: string): void {
    for (const waiter of [...(this.waiters.get(name) ?? [])]) waiter();
    for (const listener of [...(this.listeners.get(name) ?? [])]) listener();
    this.armVisibilityTimer(name);
  }

  /** For subscribed listeners: a wake-up when the next delayed or in-flight message becomes visible. */
  private armVisibilityTimer(name: string): void {
    clearTimeout(this.visibilityTimers.get(name));
    this.visibilityTimers.delete(name);
    const queue = this.queues.get(name);
    if (!queue || !this.listeners.has(name) || this.closed) return;
    const now = Date.now();
    const next = queue.messages.reduce(
      (soonest, m) => (m.visibleAt > now ? Math.min(soonest, m.visibleAt) : soonest),
      Number.POSITIVE_INFINITY,
    );
    if (next === Number.POSITIVE_INFINITY) return;
    const timer = setTimeout(() => {
      this.visibilityTimers.delete(name);
      this.wake(name);
    }, next - now);
    timer.unref();
    this.visibilityTimers.set(name, timer);
  }

  private parseReceiptHandle(queue: StoredQueue, receiptHandle: string): { messageId: string } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(receiptHandle, 'base64url').toString('utf8'));
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed[0] !== queue.name || typeof parsed[1] !== 'string') {
      throw new AwsServiceError(
        'ReceiptHandleIsInvalid',
        `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`,
      );
    }
    return { messageId: parsed[1] };
  }

  private validateMessage(queue: StoredQueue, body: string, attributes: Record<string, SqsMessageAttribute>): void {
    if (typeof body !== 'string' || body.length === 0) {
      throw new AwsServiceError('MissingParameter', 'The request must contain the parameter MessageBody.');
    }
    if (INVALID_CHARACTERS.test(body)) {
      throw new AwsServiceError(
        'InvalidMessageContents',
        'Invalid binary character in the message body: see the allowed characters in the SQS documentation.',
      );
    }
    const names = Object.keys(attributes);
    if (names.length > 10) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        `Number of message attributes [${names.length}] exceeds the allowed maximum [10].`,
      );
    }
    let size = Buffer.byteLength(body);
    for (const [name, attribute] of Object.entries(attributes)) {
      if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name) || name.startsWith('AWS.') || name.startsWith('Amazon.')) {
        throw new AwsServiceError('InvalidParameterValue', `Message attribute name '${name}' is invalid.`);
      }
      const type = attribute.DataType ?? '';
      if (!/^(String|Number|Binary)(\..+)?$/.test(type)) {
        throw new AwsServiceError(
          'InvalidParameterValue',
          `The type of message (user) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
        );
      }
      const binary = type.startsWith('Binary');
      const value = binary ? attribute.BinaryValue : attribute.StringValue;
      if (value === undefined || value === '') {
        throw new AwsServiceError(
          'InvalidParameterValue',
          `Message (user) attribute '${name}' must contain a non-empty value of type '${binary ? 'Binary' : type.split('.')[0]}'.`,
        );
      }
      if (type.startsWith('Number') && !Number.isFinite(Number(value))) {
        throw new AwsServiceError(
          'InvalidParameterValue',
          `Can't cast the value of message (user) attribute '${name}' to a number.`,
        );
      }
      size +=
        Buffer.byteLength(name) +
        Buffer.byteLength(type) +
        (binary ? Buffer.from(value, 'base64').length : Buffer.byteLength(value));
    }
    const limit = Number(this.attributeValue(queue, 'MaximumMessageSize'));
    if (size > limit) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit} bytes.`,
      );
    }
  }

  private validateAttributes(attributes: Record<string, string>): Record<string, string> {
    const normalized: Record<string, string> = {};
    for (const [name, raw] of Object.entries(attributes)) {
      if (!SETTABLE_ATTRIBUTES.has(name)) {
        throw new AwsServiceError('InvalidAttributeName', `Unknown Attribute ${name}.`);
      }
      const value = String(raw);
      if (FIFO_ATTRIBUTES.has(name)) {
        if (name === 'FifoQueue' && value === 'false') continue;
        throw new AwsServiceError(
          'UnsupportedOperation',
          `FIFO queues are not supported by the local cloud (attribute ${name}); use a standard queue.`,
        );
      }
      const range = INTEGER_RANGES[name];
      if (range) {
        const number = Number(value);
        if (!/^\d+$/.test(value) || number < range[0] || number > range[1]) {
          throw new AwsServiceError(
            'InvalidAttributeValue',
            `Invalid value for the parameter ${name}: must be an integer between ${range[0]} and ${range[1]}.`,
          );
        }
        normalized[name] = String(number);
      } else if (name === 'RedrivePolicy') {
        normalized[name] = value === '' ? '' : JSON.stringify(this.parseRedrivePolicy(value, true));
      } else if (name === 'SqsManagedSseEnabled') {
        if (value !== 'true' && value !== 'false') {
          throw new AwsServiceError('InvalidAttributeValue', `Invalid value for the parameter ${name}: true or false.`);
        }
        normalized[name] = value;
      } else {
        normalized[name] = value;
      }
    }
    return normalized;
  }

  private parseRedrivePolicy(text: string, checkTarget: boolean): RedrivePolicy {
    const invalid = (reason: string) =>
      new AwsServiceError(
        'InvalidParameterValue',
        `Value ${text} for parameter RedrivePolicy is invalid. Reason: ${reason}`,
      );
    let parsed: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
    try {
      parsed = JSON.parse(text);
    } catch {
      throw invalid('Invalid JSON.');
    }
    const maxReceiveCount = Number(parsed.maxReceiveCount);
    if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
      throw invalid('Invalid value for maxReceiveCount: must be an integer from 1 to 1000.');
    }
    if (typeof parsed.deadLetterTargetArn !== 'string') throw invalid('Missing deadLetterTargetArn.');
    if (checkTarget) {
      const name = this.nameOf(parsed.deadLetterTargetArn);
      if (name === undefined || !this.queues.has(name)) throw invalid('Dead letter target does not exist.');
    }
    return { deadLetterTargetArn: parsed.deadLetterTargetArn, maxReceiveCount };
  }

  private redrivePolicy(queue: StoredQueue): RedrivePolicy | undefined {
    const text = queue.attributes.RedrivePolicy;
    return text ? this.parseRedrivePolicy(text, false) : undefined;
  }

  private attributeValue(queue: StoredQueue, name: string): string | undefined {
    const now = Date.now();
    const inFlight = (m: StoredMessage) => m.visibleAt > now && m.receiptHandle !== undefined;
    const delayed = (m: StoredMessage) => m.visibleAt > now && m.receiptHandle === undefined;
    switch (name) {
      case 'QueueArn':
        return this.queueArn(queue.name);
      case 'ApproximateNumberOfMessages':
        return String(queue.messages.filter((m) => m.visibleAt <= now).length);
      case 'ApproximateNumberOfMessagesNotVisible':
        return String(queue.messages.filter(inFlight).length);
      case 'ApproximateNumberOfMessagesDelayed':
        return String(queue.messages.filter(delayed).length);
      case 'CreatedTimestamp':
        return String(queue.createdTimestamp);
      case 'LastModifiedTimestamp':
        return String(queue.lastModifiedTimestamp);
      default:
        return queue.attributes[name] ?? DEFAULT_ATTRIBUTES[name];
    }
  }

  private checkRange(name: string, value: number, min: number, max: number): void {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new AwsServiceError(
        'InvalidParameterValue',
        `Value ${value} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
      );
    }
  }

  private describe(queue: StoredQueue, origin?: string): QueueDescription {
    return { name: queue.name, arn: this.queueArn(queue.name), url: this.queueUrl(queue.name, origin) };
  }

  /** The queue name in a name, an ARN or a URL. */
  private nameOf(ref: QueueRef): string | undefined {
    if (ref.startsWith('arn:')) {
      try {
        const arn = parseArn(ref);
        return arn.service === 'sqs' ? arn.resource : undefined;
      } catch {
        return undefined;
      }
    }
    if (/^https?:\/\//.test(ref)) {
      try {
        const segments = new URL(ref).pathname.split('/').filter(Boolean);
        return segments.length === 2 ? decodeURIComponent(segments[1] as string) : undefined;
      } catch {
        return undefined;
      }
    }
    return ref;
  }

  private require(ref: QueueRef): StoredQueue {
    const name = this.nameOf(ref);
    const queue = name === undefined ? undefined : this.queues.get(name);
    if (!queue) throw new AwsServiceError('QueueDoesNotExist', 'The specified queue does not exist.');
    return queue;
  }

  private changed(): void {
    this.file?.changed();
  }
}

function toContractAttributes(attributes: Record<string, SqsMessageAttribute>): Record<string, MessageAttributeValue> {
  const result: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    result[name] = {
      DataType: value.DataType,
      ...(value.StringValue !== undefined ? { StringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined
        ? { BinaryValue: new Uint8Array(Buffer.from(value.BinaryValue, 'base64')) }
        : {}),
    };
  }
  return result;
}

/**
 * A received message as a record of the Lambda SQS event (`event.Records[n]`), for event source mappings.
 */
export function toSqsEventRecord(message: ReceivedMessage, queueArn: string) {
  const messageAttributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(message.messageAttributes)) {
    messageAttributes[name] = {
      ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
      ...(value.BinaryValue !== undefined ? { binaryValue: value.BinaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: message.attributes,
    messageAttributes,
    md5OfMessageAttributes: message.md5OfMessageAttributes ?? null,
    md5OfBody: message.md5OfBody,
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: parseArn(queueArn).region,
  };
}
