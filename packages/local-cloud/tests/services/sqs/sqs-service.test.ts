import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidAttributeName,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  QueueNameExists,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSServiceException,
  UnsupportedOperation,
} from '@aws-sdk/client-sqs';
import type { QueueSource } from '../../../src/event-sources/sources';
import { md5OfMessageAttributes, toSqsEventRecord } from '../../../src/services/sqs';
import { type LocalSqs, startLocalSqs } from './sqs-fixture';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('local SQS through the AWS SDK', () => {
  let sqs: LocalSqs;

  beforeEach(async () => {
    sqs = await startLocalSqs();
  });

  afterEach(async () => {
    await sqs.stop();
  });

  async function createQueue(name: string, attributes?: Record<string, string>): Promise<string> {
    const { QueueUrl } = await sqs.client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    return QueueUrl as string;
  }

  describe('queues', () => {
    it('creates, finds, lists and deletes queues with URLs on the edge endpoint', async () => {
      // Prepare
      const url = await createQueue('orders', { VisibilityTimeout: '10' });

      // Act
      const found = await sqs.client.send(new GetQueueUrlCommand({ QueueName: 'orders' }));
      await createQueue('other');
      const listed = await sqs.client.send(new ListQueuesCommand({ QueueNamePrefix: 'ord' }));
      const attributes = await sqs.client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
      );
      await sqs.client.send(new DeleteQueueCommand({ QueueUrl: url }));
      const afterDelete = await sqs.client.send(new ListQueuesCommand({}));

      // Assess
      expect(url).toBe(`${sqs.edge.url}/000000000000/orders`);
      expect(found.QueueUrl).toBe(url);
      expect(listed.QueueUrls).toEqual([url]);
      expect(attributes.Attributes).toMatchObject({
        QueueArn: 'arn:aws:sqs:us-east-1:000000000000:orders',
        VisibilityTimeout: '10',
        MessageRetentionPeriod: '345600',
        ApproximateNumberOfMessages: '0',
        ApproximateNumberOfMessagesNotVisible: '0',
        DelaySeconds: '0',
      });
      expect(afterDelete.QueueUrls).toEqual([`${sqs.edge.url}/000000000000/other`]);
    });

    it('returns the same queue when created again with the same attributes', async () => {
      // Prepare
      const first = await createQueue('same', { VisibilityTimeout: '5' });

      // Act
      const second = await createQueue('same', { VisibilityTimeout: '5' });

      // Assess
      expect(second).toBe(first);
    });

    it('counts visible and in-flight messages', async () => {
      // Prepare
      const url = await createQueue('counted');
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'b' }));
      await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));

      // Act
      const { Attributes } = await sqs.client.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );

      // Assess
      expect(Attributes).toEqual({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '1' });
    });

    it('purges every message of a queue', async () => {
      // Prepare
      const url = await createQueue('purged');
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'a' }));

      // Act
      await sqs.client.send(new PurgeQueueCommand({ QueueUrl: url }));
      const received = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url }));

      // Assess
      expect(received.Messages).toBeUndefined();
    });
  });

  describe('messages', () => {
    it('sends and receives a message with its attributes and the MD5s the SDK checks', async () => {
      // Prepare
      const url = await createQueue('messages');
      const messageAttributes = {
        kind: { DataType: 'String', StringValue: 'alarm' },
        level: { DataType: 'Number', StringValue: '3' },
        raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]) },
      };

      // Act
      const sent = await sqs.client.send(
        new SendMessageCommand({
          QueueUrl: url,
          MessageBody: '{"hello":"world"}',
          MessageAttributes: messageAttributes,
        }),
      );
      const { Messages } = await sqs.client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      );

      // Assess
      expect(Messages).toHaveLength(1);
      const [message] = Messages ?? [];
      expect(message?.MessageId).toBe(sent.MessageId);
      expect(message?.Body).toBe('{"hello":"world"}');
      expect(message?.MD5OfBody).toBe(sent.MD5OfMessageBody);
      expect(message?.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
      expect(message?.MessageAttributes?.kind).toEqual({ DataType: 'String', StringValue: 'alarm' });
      expect(message?.MessageAttributes?.level).toEqual({ DataType: 'Number', StringValue: '3' });
      expect(Buffer.from(message?.MessageAttributes?.raw?.BinaryValue ?? [])).toEqual(Buffer.from([1, 2, 3]));
      expect(message?.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: 'local' });
      expect(Number(message?.Attributes?.SentTimestamp)).toBeGreaterThan(Date.now() - 10_000);
    });

    it('computes the attribute MD5 of the SQS documentation example', () => {
      // Prepare
      const attributes = { SellerName: { DataType: 'String', StringValue: 'Example Store' } };

      // Act
      const md5 = md5OfMessageAttributes(attributes);

      // Assess
      expect(md5).toBe('cd28f3b68aeee4b2eac9c66f2f694b58');
    });

    it('sends and deletes in batches', async () => {
      // Prepare
      const url = await createQueue('batched');

      // Act
      const sent = await sqs.client.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: 'one', MessageBody: 'first' },
            { Id: 'two', MessageBody: 'second' },
            { Id: 'bad', MessageBody: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'NaN!' } } },
          ],
        }),
      );
      const { Messages } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
      const deleted = await sqs.client.send(
        new DeleteMessageBatchCommand({
          QueueUrl: url,
          Entries: (Messages ?? []).map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      const { Attributes } = await sqs.client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
      );

      // Assess
      expect(sent.Successful?.map((e) => e.Id)).toEqual(['one', 'two']);
      expect(sent.Failed).toEqual([
        expect.objectContaining({ Id: 'bad', SenderFault: true, Code: 'InvalidParameterValue' }),
      ]);
      expect(Messages?.map((m) => m.Body).sort()).toEqual(['first', 'second']);
      expect(deleted.Successful).toHaveLength(2);
      expect(Attributes?.ApproximateNumberOfMessages).toBe('0');
      expect(Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('0');
    });

    it('hides a received message for the visibility timeout, then delivers it again', async () => {
      // Prepare
      const url = await createQueue('visibility', { VisibilityTimeout: '1' });
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'again' }));
      const first = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url }));

      // Act
      const whileHidden = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
      await sleep(1100);
      const afterTimeout = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
      );

      // Assess
      expect(first.Messages).toHaveLength(1);
      expect(whileHidden.Messages).toBeUndefined();
      expect(afterTimeout.Messages?.[0]?.Body).toBe('again');
      expect(afterTimeout.Messages?.[0]?.Attributes).toEqual({ ApproximateReceiveCount: '2' });
      expect(afterTimeout.Messages?.[0]?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
    });

    it('makes a message visible again at once with ChangeMessageVisibility 0, and deletes it', async () => {
      // Prepare
      const url = await createQueue('change-visibility');
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'm' }));
      const first = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url }));

      // Act
      await sqs.client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: first.Messages?.[0]?.ReceiptHandle,
          VisibilityTimeout: 0,
        }),
      );
      const second = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
      await sqs.client.send(
        new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: second.Messages?.[0]?.ReceiptHandle }),
      );
      await sqs.client
        .send(
          new ChangeMessageVisibilityCommand({
            QueueUrl: url,
            ReceiptHandle: second.Messages?.[0]?.ReceiptHandle,
            VisibilityTimeout: 0,
          }),
        )
        .catch((e: unknown) => e);
      const third = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 }));

      // Assess
      expect(second.Messages?.[0]?.Body).toBe('m');
      expect(third.Messages).toBeUndefined();
    });

    it('moves a message to the dead-letter queue once it was received maxReceiveCount times', async () => {
      // Prepare
      const dlqUrl = await createQueue('dead-letters');
      const dlqArn = 'arn:aws:sqs:us-east-1:000000000000:dead-letters';
      const url = await createQueue('work', {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
      });
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'poison' }));

      // Act
      const receives = [];
      for (let i = 0; i < 3; i++) {
        receives.push(await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 0 })));
      }
      const dead = await sqs.client.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, MessageSystemAttributeNames: ['All'] }),
      );

      // Assess
      expect(receives.map((r) => r.Messages?.length ?? 0)).toEqual([1, 1, 0]);
      expect(dead.Messages?.[0]?.Body).toBe('poison');
      expect(dead.Messages?.[0]?.MessageId).toBe(receives[0]?.Messages?.[0]?.MessageId);
      expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toBe('arn:aws:sqs:us-east-1:000000000000:work');
    });

    it('long-polls: answers as soon as a message arrives', async () => {
      // Prepare
      const url = await createQueue('long-poll');
      const started = Date.now();

      // Act
      const receiving = sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 10 }));
      await sleep(200);
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'late' }));
      const { Messages } = await receiving;

      // Assess
      expect(Messages?.[0]?.Body).toBe('late');
      expect(Date.now() - started).toBeLessThan(3000);
    });

    it('long-polls: answers with no message when the wait time is over', async () => {
      // Prepare
      const url = await createQueue('long-poll-empty');
      const started = Date.now();

      // Act
      const { Messages } = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }));

      // Assess
      expect(Messages).toBeUndefined();
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    });

    it('honours a per-message delay', async () => {
      // Prepare
      const url = await createQueue('delayed');

      // Act
      await sqs.client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'later', DelaySeconds: 1 }));
      const immediately = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url }));
      const { Attributes } = await sqs.client.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesDelayed'] }),
      );
      const waited = await sqs.client.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 3 }));

      // Assess
      expect(immediately.Messages).toBeUndefined();
      expect(Attributes?.ApproximateNumberOfMessagesDelayed).toBe('1');
      expect(waited.Messages?.[0]?.Body).toBe('later');
    });
  });

  describe('errors', () => {
    it('raises QueueDoesNotExist for an unknown queue', async () => {
      // Prepare
      const url = `${sqs.edge.url}/000000000000/missing`;

      // Act
      const byName = await sqs.client.send(new GetQueueUrlCommand({ QueueName: 'missing' })).catch((e: unknown) => e);
      const bySend = await sqs.client
        .send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'x' }))
        .catch((e: unknown) => e);

      // Assess
      expect(byName).toBeInstanceOf(QueueDoesNotExist);
      expect(bySend).toBeInstanceOf(QueueDoesNotExist);
      expect((bySend as QueueDoesNotExist & { Code?: string }).Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
      expect((bySend as QueueDoesNotExist).$metadata.httpStatusCode).toBe(400);
    });

    it('raises QueueNameExists for a second queue of that name with other attributes', async () => {
      // Prepare
      await createQueue('taken', { VisibilityTimeout: '5' });

      // Act
      const error = await createQueue('taken', { VisibilityTimeout: '6' }).catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(QueueNameExists);
    });

    it('raises ReceiptHandleIsInvalid for a handle it never gave', async () => {
      // Prepare
      const url = await createQueue('handles');

      // Act
      const error = await sqs.client
        .send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'not-a-handle' }))
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(ReceiptHandleIsInvalid);
    });

    it('rejects FIFO queues clearly and unknown attributes', async () => {
      // Act
      const fifo = await createQueue('q.fifo', { FifoQueue: 'true' }).catch((e: unknown) => e);
      const unknown = await createQueue('q', { Colour: 'blue' }).catch((e: unknown) => e);
      const badValue = await createQueue('q', { VisibilityTimeout: '-1' }).catch((e: unknown) => e);

      // Assess
      expect(fifo).toBeInstanceOf(UnsupportedOperation);
      expect((fifo as Error).message).toMatch(/FIFO queues are not supported/);
      expect(unknown).toBeInstanceOf(InvalidAttributeName);
      expect(badValue).toBeInstanceOf(SQSServiceException);
      expect((badValue as Error).name).toBe('InvalidAttributeValue');
    });
  });
});

describe('local SQS in-process', () => {
  it('takes messages from other services by ARN and hands them to in-process consumers', async () => {
    // Prepare
    const sqs = await startLocalSqs();
    const queue = sqs.store.createQueue('events');
    try {
      // Act
      await sqs.store.sendToQueue(queue.arn, 'payload', { source: { DataType: 'String', StringValue: 'sns' } });
      const [message] = await sqs.store.receiveMessages(queue.arn, { maxNumberOfMessages: 10 });
      const record = toSqsEventRecord(message as NonNullable<typeof message>, queue.arn);
      sqs.store.deleteMessage(queue.arn, record.receiptHandle);
      const missing = await sqs.store
        .sendToQueue('arn:aws:sqs:us-east-1:000000000000:nope', 'x')
        .catch((e: unknown) => e);

      // Assess
      expect(record).toMatchObject({
        body: 'payload',
        eventSource: 'aws:sqs',
        eventSourceARN: queue.arn,
        awsRegion: 'us-east-1',
        attributes: { ApproximateReceiveCount: '1' },
        messageAttributes: { source: { stringValue: 'sns', dataType: 'String', stringListValues: [] } },
      });
      expect(
        sqs.store.getQueueAttributes(queue.name, [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
        ]),
      ).toEqual({
        ApproximateNumberOfMessages: '0',
        ApproximateNumberOfMessagesNotVisible: '0',
      });
      expect((missing as { code: string }).code).toBe('QueueDoesNotExist');
    } finally {
      await sqs.stop();
    }
  });

  it('serves event source mappings: receive without waiting, delete, and wake-ups when messages become visible', async () => {
    // Prepare
    const sqs = await startLocalSqs();
    const source: QueueSource = sqs.store;
    const queue = sqs.store.createQueue('mapped', { VisibilityTimeout: '1' });
    const wakeUps: number[] = [];
    const unsubscribe = source.subscribe?.(queue.arn, () => wakeUps.push(Date.now())) ?? (() => {});
    try {
      await sqs.store.sendToQueue(queue.arn, 'bytes', {
        raw: { DataType: 'Binary', BinaryValue: new Uint8Array([7, 8]) },
      });
      const sentWakeUps = wakeUps.length;

      // Act
      const [received] = await sqs.store.receive(queue.arn, 10);
      const hidden = await sqs.store.receive(queue.arn, 10);
      const before = wakeUps.length;
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const visibleAgain = wakeUps.length;
      const [again] = await sqs.store.receive(queue.arn, 10);
      await sqs.store.delete(queue.arn, again?.receiptHandle ?? '');
      await sqs.store.delete(queue.arn, again?.receiptHandle ?? '');

      // Assess
      expect(sentWakeUps).toBe(1);
      expect(received?.messageAttributes.raw?.BinaryValue).toEqual(new Uint8Array([7, 8]));
      expect(hidden).toEqual([]);
      expect(visibleAgain).toBeGreaterThan(before);
      expect(again?.attributes.ApproximateReceiveCount).toBe('2');
      expect(sqs.store.getQueueAttributes(queue.arn, ['ApproximateNumberOfMessages']).ApproximateNumberOfMessages).toBe(
        '0',
      );
    } finally {
      unsubscribe();
      await sqs.stop();
    }
  });

  it('brings a queue in line with a redeployed declaration, keeping its messages', async () => {
    // Prepare
    const sqs = await startLocalSqs();
    try {
      sqs.store.putQueue('declared', { VisibilityTimeout: '5', DelaySeconds: '0' }, { team: 'a' });
      sqs.store.sendMessage('declared', { body: 'kept' });

      // Act
      const queue = sqs.store.putQueue('declared', { MessageRetentionPeriod: '600' }, { team: 'b' });
      const attributes = sqs.store.getQueueAttributes(queue.url, ['VisibilityTimeout', 'MessageRetentionPeriod']);
      const [message] = await sqs.store.receiveMessages(queue.arn);

      // Assess
      expect(attributes).toEqual({ VisibilityTimeout: '30', MessageRetentionPeriod: '600' });
      expect(sqs.store.listQueueTags(queue.name)).toEqual({ team: 'b' });
      expect(message?.body).toBe('kept');
    } finally {
      await sqs.stop();
    }
  });

  it('keeps queues and messages across a restart with the same dataDir', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'local-sqs-'));
    try {
      const before = await startLocalSqs({ dataDir });
      const { QueueUrl } = await before.client.send(
        new CreateQueueCommand({ QueueName: 'durable', Attributes: { VisibilityTimeout: '7' } }),
      );
      await before.client.send(
        new SendMessageCommand({
          QueueUrl,
          MessageBody: 'survives',
          MessageAttributes: { a: { DataType: 'String', StringValue: 'b' } },
        }),
      );
      await before.stop();

      // Act
      const after = await startLocalSqs({ dataDir });
      try {
        const { QueueUrl: url } = await after.client.send(new GetQueueUrlCommand({ QueueName: 'durable' }));
        const { Attributes } = await after.client.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['VisibilityTimeout'] }),
        );
        const { Messages } = await after.client.send(
          new ReceiveMessageCommand({ QueueUrl: url, MessageAttributeNames: ['All'] }),
        );

        // Assess
        expect(Attributes?.VisibilityTimeout).toBe('7');
        expect(Messages?.[0]?.Body).toBe('survives');
        expect(Messages?.[0]?.MessageAttributes?.a?.StringValue).toBe('b');
      } finally {
        await after.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
