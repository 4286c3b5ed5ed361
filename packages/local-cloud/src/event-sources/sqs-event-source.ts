import type { MessageAttributeValue } from '../contracts';
import type { EventSourceMappingSettings } from './event-source-mapping';
import { batchItemFailures, invokeSynchronously } from './invocation';
import { type EventSourceRuntime, errorMessage, Waker } from './runtime';
import type { QueueMessage, QueueSource } from './sources';

/** One record of the event Lambda hands a function mapped to an SQS queue. */
export interface SqsEventRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<
    string,
    {
      stringValue?: string;
      binaryValue?: string;
      stringListValues: string[];
      binaryListValues: string[];
      dataType: string;
    }
  >;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

export interface SqsEvent {
  Records: SqsEventRecord[];
}

const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const MAX_MESSAGE_BYTES = 256 * 1024;
/** Even with a queue that wakes pollers, look again now and then: hidden messages come back when their timeout ends. */
const WAKE_CHECK_MS = 1000;

function lambdaAttributes(attributes: Record<string, MessageAttributeValue> | undefined) {
  const converted: SqsEventRecord['messageAttributes'] = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    converted[name] = {
      ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
      ...(value.BinaryValue === undefined ? {} : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
      stringListValues: [],
      binaryListValues: [],
      dataType: value.DataType,
    };
  }
  return converted;
}

export function sqsEventRecord(message: QueueMessage, eventSourceArn: string, region: string): SqsEventRecord {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: message.attributes,
    messageAttributes: lambdaAttributes(message.messageAttributes),
    md5OfBody: message.md5OfBody,
    ...(message.md5OfMessageAttributes ? { md5OfMessageAttributes: message.md5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: eventSourceArn,
    awsRegion: region,
  };
}

/**
 * An SQS event source mapping: pollers (ScalingConfig.MaximumConcurrency, default 5) receive batches, invoke the
 * function, and delete the messages it processed. Failed messages stay in the queue and come back once their
 * visibility timeout ends; the queue's redrive policy moves them to its dead-letter queue.
 */
export class SqsEventSource {
  private readonly wakers: Waker[] = [];
  private readonly stopping = new Waker();
  private running: Promise<void>[] = [];
  private stopped = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly settings: EventSourceMappingSettings,
    private readonly queues: QueueSource,
    private readonly runtime: EventSourceRuntime,
  ) {}

  async start(): Promise<void> {
    this.stopped = false;
    for (let i = 0; i < this.settings.maximumConcurrency; i++) this.wakers.push(new Waker());
    this.unsubscribe = this.queues.subscribe?.(this.settings.eventSourceArn, () => {
      for (const waker of this.wakers) waker.signal();
    });
    this.running = this.wakers.map((waker) => this.loop(waker));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.stopping.signal();
    for (const waker of this.wakers) waker.release();
    await Promise.all(this.running);
    this.wakers.length = 0;
    this.running = [];
  }

  private get idleMs(): number {
    return this.queues.subscribe ? WAKE_CHECK_MS : this.runtime.queueIdlePollMs;
  }

  private async loop(waker: Waker): Promise<void> {
    let errors = 0;
    while (!this.stopped) {
      try {
        waker.clear();
        const messages = await this.collect(waker);
        if (this.stopped && messages.length === 0) return;
        if (messages.length === 0) {
          await waker.wait(this.idleMs);
          continue;
        }
        await this.process(messages);
        errors = 0;
      } catch (error) {
        this.runtime.logger.warn('SQS event source poller failed; retrying', {
          uuid: this.settings.uuid,
          error: errorMessage(error),
        });
        this.runtime.report(this.settings.uuid, `PROBLEM: ${errorMessage(error)}`);
        await this.stopping.wait(this.runtime.retryDelayMs(++errors));
      }
    }
  }

  /** A batch: what is there now, or, with a batching window, what arrives until the batch is full or the window ends. */
  private async collect(waker: Waker): Promise<QueueMessage[]> {
    const { settings } = this;
    const arn = settings.eventSourceArn;
    const messages = await this.queues.receive(arn, settings.batchSize);
    if (messages.length === 0 || settings.maximumBatchingWindowInSeconds === 0) return messages;
    let bytes = messages.reduce((sum, message) => sum + Buffer.byteLength(message.body), 0);
    const deadline = this.runtime.now() + settings.maximumBatchingWindowInSeconds * 1000;
    while (
      !this.stopped &&
      messages.length < settings.batchSize &&
      bytes <= MAX_PAYLOAD_BYTES - MAX_MESSAGE_BYTES * 2
    ) {
      const left = deadline - this.runtime.now();
      if (left <= 0) break;
      // A queue may hand out fewer messages a call than asked for (SQS: 10): ask again before waiting.
      const more = await this.queues.receive(arn, settings.batchSize - messages.length);
      if (more.length === 0) await waker.wait(Math.min(left, this.idleMs));
      for (const message of more) {
        messages.push(message);
        bytes += Buffer.byteLength(message.body);
      }
    }
    return messages;
  }

  private async process(messages: QueueMessage[]): Promise<void> {
    const { settings } = this;
    const event: SqsEvent = {
      Records: messages.map((message) => sqsEventRecord(message, settings.eventSourceArn, settings.region)),
    };
    const outcome = await invokeSynchronously(this.runtime.invoker, settings.functionName, event);
    if (outcome.kind !== 'success') {
      this.runtime.report(
        settings.uuid,
        outcome.kind === 'function-error' ? 'PROBLEM: Function call failed' : `PROBLEM: ${errorMessage(outcome.error)}`,
      );
      return;
    }
    let failed = new Set<string>();
    if (settings.reportBatchItemFailures) {
      const ids = batchItemFailures(outcome.payload, new Set(messages.map((message) => message.messageId)));
      if (ids === undefined) {
        this.runtime.report(settings.uuid, 'PROBLEM: Invalid partial batch response');
        return;
      }
      failed = new Set(ids);
    }
    this.runtime.report(settings.uuid, 'OK');
    await Promise.all(
      messages
        .filter((message) => !failed.has(message.messageId))
        .map((message) => this.queues.delete(settings.eventSourceArn, message.receiptHandle)),
    );
  }
}
