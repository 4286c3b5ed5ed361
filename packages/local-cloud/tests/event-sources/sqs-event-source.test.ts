import { createHash, randomUUID } from 'node:crypto';
import { EventSourceMappingManager, type QueueMessage, type QueueSource, type SqsEvent } from '../../src/event-sources';
import { recordingFunction, sleep, waitFor } from './helpers';

const QUEUE_ARN = 'arn:aws:sqs:us-east-1:000000000000:commands';

/**
 * A queue with the receive/delete/visibility behaviour the SQS event source relies on; the SQS service is another
 * part of the local cloud, tested on its own.
 */
function inMemoryQueue(visibilityTimeoutMs = 200) {
  const messages: { id: string; body: string; visibleAt: number; receipt?: string; receives: number; sent: number }[] =
    [];
  const listeners = new Set<() => void>();
  const queue: QueueSource & { send(body: string): void; remaining(): string[] } = {
    send(body) {
      messages.push({ id: randomUUID(), body, visibleAt: 0, receives: 0, sent: Date.now() });
      for (const listener of listeners) listener();
    },
    remaining: () => messages.map((message) => message.body),
    async receive(_queueArn, maxMessages, visibilityTimeoutSeconds) {
      const now = Date.now();
      const received: QueueMessage[] = [];
      for (const message of messages) {
        if (received.length >= maxMessages) break;
        if (message.visibleAt > now) continue;
        message.receipt = randomUUID();
        message.receives++;
        message.visibleAt =
          now + (visibilityTimeoutSeconds === undefined ? visibilityTimeoutMs : visibilityTimeoutSeconds * 1000);
        received.push({
          messageId: message.id,
          receiptHandle: message.receipt,
          body: message.body,
          md5OfBody: createHash('md5').update(message.body).digest('hex'),
          attributes: {
            ApproximateReceiveCount: String(message.receives),
            SentTimestamp: String(message.sent),
            SenderId: '000000000000',
            ApproximateFirstReceiveTimestamp: String(now),
          },
          messageAttributes: { kind: { DataType: 'String', StringValue: 'command' } },
        });
      }
      return received;
    },
    async delete(_queueArn, receiptHandle) {
      const index = messages.findIndex((message) => message.receipt === receiptHandle);
      if (index >= 0) messages.splice(index, 1);
    },
    subscribe(_queueArn, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return queue;
}

const bodies = (event: SqsEvent) => event.Records.map((record) => record.body);

describe('SQS event source mappings', () => {
  let manager: EventSourceMappingManager | undefined;

  afterEach(async () => {
    await manager?.close();
    manager = undefined;
  });

  function mapping(
    invoker: ReturnType<typeof recordingFunction>['invoker'],
    queue: QueueSource,
    props: { BatchSize?: number; MaximumBatchingWindowInSeconds?: number; FunctionResponseTypes?: string[] } = {},
  ) {
    manager = new EventSourceMappingManager({ invoker, queues: queue, logger: { warn: () => undefined } });
    return manager.createEventSourceMapping({
      EventSourceArn: QUEUE_ARN,
      FunctionName: 'apply-command',
      ScalingConfig: { MaximumConcurrency: 2 },
      ...props,
    });
  }

  it('invokes the function with the Lambda SQS event and deletes the messages it processed', async () => {
    // Prepare
    const queue = inMemoryQueue();
    const fn = recordingFunction<SqsEvent>();
    queue.send('{"command":"reboot"}');

    // Act
    await mapping(fn.invoker, queue);
    await waitFor(() => queue.remaining().length === 0);

    // Assess
    expect(fn.events).toHaveLength(1);
    expect(fn.events[0]?.Records[0]).toEqual({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: '{"command":"reboot"}',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.any(String),
        SenderId: '000000000000',
        ApproximateFirstReceiveTimestamp: expect.any(String),
      },
      messageAttributes: {
        kind: { stringValue: 'command', stringListValues: [], binaryListValues: [], dataType: 'String' },
      },
      md5OfBody: createHash('md5').update('{"command":"reboot"}').digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: QUEUE_ARN,
      awsRegion: 'us-east-1',
    });
  });

  it('sends batches of at most BatchSize', async () => {
    // Prepare
    const queue = inMemoryQueue();
    const fn = recordingFunction<SqsEvent>();
    for (let i = 0; i < 25; i++) queue.send(`m${i}`);

    // Act
    await mapping(fn.invoker, queue, { BatchSize: 4 });
    await waitFor(() => queue.remaining().length === 0);

    // Assess
    expect(fn.events.every((event) => event.Records.length <= 4)).toBe(true);
    expect(fn.events.flatMap(bodies).sort()).toEqual(Array.from({ length: 25 }, (_, i) => `m${i}`).sort());
  });

  it('keeps only the messages a partial batch response names, and receives them again after their visibility timeout', async () => {
    // Prepare
    const queue = inMemoryQueue(100);
    let first = true;
    const fn = recordingFunction<SqsEvent>((event) => {
      const failing = first ? event.Records.filter((record) => record.body === 'b') : [];
      first = false;
      return { batchItemFailures: failing.map((record) => ({ itemIdentifier: record.messageId })) };
    });
    for (const body of ['a', 'b', 'c']) queue.send(body);

    // Act
    await mapping(fn.invoker, queue, { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    await waitFor(() => fn.events.length === 2);

    // Assess
    expect(fn.events.map(bodies)).toEqual([['a', 'b', 'c'], ['b']]);
    expect(fn.events[1]?.Records[0]?.attributes.ApproximateReceiveCount).toBe('2');
    await waitFor(() => queue.remaining().length === 0);
  });

  it('deletes nothing when the function fails', async () => {
    // Prepare
    const queue = inMemoryQueue(10_000);
    const fn = recordingFunction<SqsEvent>(() => {
      throw new Error('downstream unavailable');
    });
    queue.send('x');

    // Act
    await mapping(fn.invoker, queue);
    await waitFor(() => fn.events.length === 1);
    await sleep(50);

    // Assess
    expect(queue.remaining()).toEqual(['x']);
    expect(manager?.listEventSourceMappings()[0]?.LastProcessingResult).toBe('PROBLEM: Function call failed');
  });

  it('treats a malformed partial batch response as the failure of the whole batch', async () => {
    // Prepare
    const queue = inMemoryQueue(10_000);
    const fn = recordingFunction<SqsEvent>(() => ({ batchItemFailures: [{ itemIdentifier: '' }] }));
    queue.send('x');
    queue.send('y');

    // Act
    await mapping(fn.invoker, queue, { FunctionResponseTypes: ['ReportBatchItemFailures'] });
    await waitFor(() => fn.events.length === 1);
    await sleep(50);

    // Assess
    expect(queue.remaining()).toEqual(['x', 'y']);
  });

  it('gathers a batch for up to MaximumBatchingWindowInSeconds', async () => {
    // Prepare
    const queue = inMemoryQueue(5000);
    const fn = recordingFunction<SqsEvent>();
    await mapping(fn.invoker, queue, { BatchSize: 50, MaximumBatchingWindowInSeconds: 1 });

    // Act
    queue.send('first');
    await sleep(100);
    queue.send('second');
    await waitFor(() => queue.remaining().length === 0);

    // Assess
    expect(fn.events.map(bodies)).toEqual([['first', 'second']]);
  });

  it('rejects a batch size over 10 without a batching window, as Lambda does', async () => {
    // Prepare
    const queue = inMemoryQueue();
    const fn = recordingFunction<SqsEvent>();

    // Act
    const outcome = mapping(fn.invoker, queue, { BatchSize: 50 });

    // Assess
    await expect(outcome).rejects.toMatchObject({ code: 'InvalidParameterValueException' });
  });
});
