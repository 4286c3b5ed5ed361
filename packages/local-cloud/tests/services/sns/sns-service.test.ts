import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  InvalidParameterException,
  InvalidParameterValueException,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  ListTopicsCommand,
  NotFoundException,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { HttpSubscriber, type LocalSns, startLocalSns } from './sns-fixture';

describe('local SNS through the AWS SDK', () => {
  let local: LocalSns;
  const subscribers: HttpSubscriber[] = [];

  beforeEach(async () => {
    local = await startLocalSns();
  });

  afterEach(async () => {
    await local.stop();
    await Promise.all(subscribers.splice(0).map((s) => s.stop()));
  });

  async function createTopic(name: string): Promise<string> {
    const { TopicArn } = await local.snsClient.send(new CreateTopicCommand({ Name: name }));
    return TopicArn as string;
  }

  async function subscriber(
    confirm: ConstructorParameters<typeof HttpSubscriber>[0] = { by: 'SubscribeURL' },
  ): Promise<HttpSubscriber> {
    const started = await new HttpSubscriber(confirm).start();
    subscribers.push(started);
    return started;
  }

  /** A queue subscribed to the topic, with its URL. */
  async function subscribeQueue(topicArn: string, name: string, attributes?: Record<string, string>) {
    const { QueueUrl } = await local.sqsClient.send(new CreateQueueCommand({ QueueName: name }));
    const { SubscriptionArn } = await local.snsClient.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: 'sqs',
        Endpoint: `arn:aws:sqs:us-east-1:000000000000:${name}`,
        Attributes: attributes,
      }),
    );
    return { queueUrl: QueueUrl as string, subscriptionArn: SubscriptionArn as string };
  }

  async function receiveBodies(queueUrl: string, waitTimeSeconds = 0): Promise<string[]> {
    const { Messages } = await local.sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitTimeSeconds,
        MessageAttributeNames: ['All'],
      }),
    );
    return (Messages ?? []).map((m) => m.Body as string);
  }

  describe('topics', () => {
    it('creates, lists, describes and deletes topics', async () => {
      // Prepare
      const arn = await createTopic('alarms');
      await createTopic('other');

      // Act
      const again = await createTopic('alarms');
      const listed = await local.snsClient.send(new ListTopicsCommand({}));
      const { Attributes } = await local.snsClient.send(new GetTopicAttributesCommand({ TopicArn: arn }));
      await local.snsClient.send(new DeleteTopicCommand({ TopicArn: arn }));
      const afterDelete = await local.snsClient.send(new ListTopicsCommand({}));
      const missing = await local.snsClient
        .send(new GetTopicAttributesCommand({ TopicArn: arn }))
        .catch((e: unknown) => e);

      // Assess
      expect(arn).toBe('arn:aws:sns:us-east-1:000000000000:alarms');
      expect(again).toBe(arn);
      expect(listed.Topics?.map((t) => t.TopicArn)).toEqual([arn, 'arn:aws:sns:us-east-1:000000000000:other']);
      expect(Attributes).toMatchObject({
        TopicArn: arn,
        Owner: '000000000000',
        SubscriptionsConfirmed: '0',
        SubscriptionsPending: '0',
      });
      expect(JSON.parse(Attributes?.Policy ?? '{}').Statement[0].Resource).toBe(arn);
      expect(afterDelete.Topics?.map((t) => t.TopicArn)).toEqual(['arn:aws:sns:us-east-1:000000000000:other']);
      expect(missing).toBeInstanceOf(NotFoundException);
      expect((missing as NotFoundException).$metadata.httpStatusCode).toBe(404);
    });

    it('raises NotFoundException when publishing or subscribing to a topic that does not exist', async () => {
      // Prepare
      const arn = 'arn:aws:sns:us-east-1:000000000000:nowhere';

      // Act
      const publish = await local.snsClient
        .send(new PublishCommand({ TopicArn: arn, Message: 'x' }))
        .catch((e: unknown) => e);
      const subscribe = await local.snsClient
        .send(new SubscribeCommand({ TopicArn: arn, Protocol: 'email', Endpoint: 'a@example.com' }))
        .catch((e: unknown) => e);

      // Assess
      expect(publish).toBeInstanceOf(NotFoundException);
      expect((publish as Error).message).toBe('Topic does not exist');
      expect(subscribe).toBeInstanceOf(NotFoundException);
    });

    it('raises InvalidParameterException for bad input', async () => {
      // Prepare
      const arn = await createTopic('strict');

      // Act
      const emptyMessage = await local.snsClient
        .send(new PublishCommand({ TopicArn: arn, Message: '' }))
        .catch((e: unknown) => e);
      const badProtocol = await local.snsClient
        .send(new SubscribeCommand({ TopicArn: arn, Protocol: 'pigeon', Endpoint: 'x' }))
        .catch((e: unknown) => e);
      const fifo = await local.snsClient
        .send(new CreateTopicCommand({ Name: 't.fifo', Attributes: { FifoTopic: 'true' } }))
        .catch((e: unknown) => e);
      const badAttribute = await local.snsClient
        .send(
          new PublishCommand({
            TopicArn: arn,
            Message: 'x',
            MessageAttributes: { n: { DataType: 'Number', StringValue: 'many' } },
          }),
        )
        .catch((e: unknown) => e);

      // Assess
      expect(emptyMessage).toBeInstanceOf(InvalidParameterException);
      expect((emptyMessage as Error).message).toBe('Invalid parameter: Empty message');
      expect(badProtocol).toBeInstanceOf(InvalidParameterException);
      expect(fifo).toBeInstanceOf(InvalidParameterException);
      expect((fifo as Error).message).toMatch(/FIFO topics are not supported/);
      expect(badAttribute).toBeInstanceOf(InvalidParameterValueException);
    });
  });

  describe('HTTP subscriptions', () => {
    it('confirms through the SubscribeURL handshake', async () => {
      // Prepare
      const topicArn = await createTopic('http-handshake');
      const endpoint = await subscriber({ by: 'SubscribeURL' });

      // Act
      const subscribed = await local.snsClient.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint.url }),
      );
      const [confirmation] = await endpoint.waitFor('SubscriptionConfirmation');
      const { Subscriptions } = await local.snsClient.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));

      // Assess
      expect(subscribed.SubscriptionArn).toBe('pending confirmation');
      expect(confirmation?.headers).toMatchObject({
        'x-amz-sns-message-type': 'SubscriptionConfirmation',
        'x-amz-sns-topic-arn': topicArn,
        'content-type': 'text/plain; charset=UTF-8',
      });
      expect(confirmation?.headers['x-amz-sns-message-id']).toBe(confirmation?.json?.MessageId);
      expect(confirmation?.json).toMatchObject({
        Type: 'SubscriptionConfirmation',
        TopicArn: topicArn,
        Token: expect.any(String),
        SubscribeURL: expect.stringContaining(`${local.edge.url}/?Action=ConfirmSubscription`),
        SignatureVersion: '1',
        Signature: expect.any(String),
        SigningCertURL: expect.any(String),
        Timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      });
      expect(Subscriptions).toHaveLength(1);
      expect(Subscriptions?.[0]?.SubscriptionArn).toMatch(new RegExp(`^${topicArn}:[0-9a-f-]{36}$`));
    });

    it('confirms through ConfirmSubscription with the token', async () => {
      // Prepare
      const topicArn = await createTopic('http-confirm-api');
      const endpoint = await subscriber({ by: 'ConfirmSubscription', client: local.snsClient });

      // Act
      const { SubscriptionArn } = await local.snsClient.send(
        new SubscribeCommand({
          TopicArn: topicArn,
          Protocol: 'http',
          Endpoint: endpoint.url,
          ReturnSubscriptionArn: true,
        }),
      );
      const pending = await local.snsClient.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));
      await endpoint.waitFor('SubscriptionConfirmation');
      const confirmed = await local.snsClient.send(new GetSubscriptionAttributesCommand({ SubscriptionArn }));

      // Assess
      expect(pending.Attributes?.PendingConfirmation).toBe('true');
      expect(confirmed.Attributes).toMatchObject({
        PendingConfirmation: 'false',
        Protocol: 'http',
        Endpoint: endpoint.url,
        TopicArn: topicArn,
        RawMessageDelivery: 'false',
      });
    });

    it('delivers nothing to a subscription that is still pending', async () => {
      // Prepare
      const topicArn = await createTopic('http-pending');
      const endpoint = await subscriber({ by: 'nothing' });
      await local.snsClient.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint.url }),
      );
      await endpoint.waitFor('SubscriptionConfirmation');

      // Act
      await local.snsClient.send(new PublishCommand({ TopicArn: topicArn, Message: 'hello' }));
      await local.sns.settled();

      // Assess
      expect(endpoint.requests.map((r) => r.headers['x-amz-sns-message-type'])).toEqual(['SubscriptionConfirmation']);
    });

    it('posts the documented notification JSON with the documented headers', async () => {
      // Prepare
      const topicArn = await createTopic('http-notify');
      const endpoint = await subscriber();
      await local.snsClient.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint.url }),
      );
      await endpoint.waitFor('SubscriptionConfirmation');
      const { Subscriptions } = await local.snsClient.send(new ListSubscriptionsCommand({}));
      const subscriptionArn = Subscriptions?.[0]?.SubscriptionArn;

      // Act
      const { MessageId } = await local.snsClient.send(
        new PublishCommand({
          TopicArn: topicArn,
          Subject: 'Temperature alarm',
          Message: '{"deviceId":"d-1","temperature":81}',
          MessageAttributes: {
            severity: { DataType: 'String', StringValue: 'high' },
            level: { DataType: 'Number', StringValue: '3' },
            blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
          },
        }),
      );
      const [notification] = await endpoint.waitFor('Notification');

      // Assess
      expect(notification?.headers).toMatchObject({
        'x-amz-sns-message-type': 'Notification',
        'x-amz-sns-message-id': MessageId,
        'x-amz-sns-topic-arn': topicArn,
        'x-amz-sns-subscription-arn': subscriptionArn,
        'content-type': 'text/plain; charset=UTF-8',
        'user-agent': 'Amazon Simple Notification Service Agent',
      });
      expect(Object.keys(notification?.json ?? {})).toEqual([
        'Type',
        'MessageId',
        'TopicArn',
        'Subject',
        'Message',
        'Timestamp',
        'SignatureVersion',
        'Signature',
        'SigningCertURL',
        'UnsubscribeURL',
        'MessageAttributes',
      ]);
      expect(notification?.json).toMatchObject({
        Type: 'Notification',
        MessageId,
        TopicArn: topicArn,
        Subject: 'Temperature alarm',
        Message: '{"deviceId":"d-1","temperature":81}',
        SignatureVersion: '1',
        UnsubscribeURL: expect.stringContaining('Action=Unsubscribe'),
        MessageAttributes: {
          severity: { Type: 'String', Value: 'high' },
          level: { Type: 'Number', Value: '3' },
          blob: { Type: 'Binary', Value: Buffer.from('hi').toString('base64') },
        },
      });
    });

    it('retries a delivery the endpoint failed', async () => {
      // Prepare
      const topicArn = await createTopic('http-retry');
      const endpoint = await subscriber();
      await local.snsClient.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint.url }),
      );
      await endpoint.waitFor('SubscriptionConfirmation');
      endpoint.statuses = [500, 503];

      // Act
      await local.snsClient.send(new PublishCommand({ TopicArn: topicArn, Message: 'persistent' }));
      const deliveries = await endpoint.waitFor('Notification', 3);

      // Assess
      expect(deliveries.map((d) => d.json?.Message)).toEqual(['persistent', 'persistent', 'persistent']);
      expect(new Set(deliveries.map((d) => d.json?.MessageId)).size).toBe(1);
      expect(local.warnings).toEqual([]);
    });

    it('follows the UnsubscribeURL and tells the endpoint with an UnsubscribeConfirmation', async () => {
      // Prepare
      const topicArn = await createTopic('http-unsubscribe');
      const endpoint = await subscriber();
      await local.snsClient.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint.url }),
      );
      await endpoint.waitFor('SubscriptionConfirmation');
      await local.snsClient.send(new PublishCommand({ TopicArn: topicArn, Message: 'last one' }));
      const [notification] = await endpoint.waitFor('Notification');

      // Act
      const answer = await fetch(String(notification?.json?.UnsubscribeURL));
      await answer.text();
      const [goodbye] = await endpoint.waitFor('UnsubscribeConfirmation');
      const { Subscriptions } = await local.snsClient.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }));

      // Assess
      expect(answer.status).toBe(200);
      expect(goodbye?.json).toMatchObject({ Type: 'UnsubscribeConfirmation', TopicArn: topicArn });
      expect(Subscriptions).toEqual([]);
    });
  });

  describe('SQS subscriptions', () => {
    it('delivers the SNS JSON envelope', async () => {
      // Prepare
      const topicArn = await createTopic('to-queue');
      const { queueUrl, subscriptionArn } = await subscribeQueue(topicArn, 'envelopes');

      // Act
      const { MessageId } = await local.snsClient.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: 'hello queue',
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'greeting' } },
        }),
      );
      const [body] = await receiveBodies(queueUrl, 2);

      // Assess
      expect(subscriptionArn).toMatch(/^arn:aws:sns:us-east-1:000000000000:to-queue:/);
      const envelope = JSON.parse(body as string);
      expect(envelope).toMatchObject({
        Type: 'Notification',
        MessageId,
        TopicArn: topicArn,
        Message: 'hello queue',
        MessageAttributes: { kind: { Type: 'String', Value: 'greeting' } },
      });
      expect(envelope).not.toHaveProperty('Subject');
    });

    it('delivers the raw message with its attributes as SQS message attributes', async () => {
      // Prepare
      const topicArn = await createTopic('raw');
      const { queueUrl } = await subscribeQueue(topicArn, 'raw-messages', { RawMessageDelivery: 'true' });

      // Act
      await local.snsClient.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: '{"raw":true}',
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'raw' } },
        }),
      );
      const { Messages } = await local.sqsClient.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 2, MessageAttributeNames: ['All'] }),
      );

      // Assess
      expect(Messages?.[0]?.Body).toBe('{"raw":true}');
      expect(Messages?.[0]?.MessageAttributes).toEqual({ kind: { DataType: 'String', StringValue: 'raw' } });
    });

    it('delivers only what the filter policy lets through', async () => {
      // Prepare
      const topicArn = await createTopic('filtered');
      const { queueUrl } = await subscribeQueue(topicArn, 'severe-only', {
        FilterPolicy: JSON.stringify({ severity: ['high', 'critical'], level: [{ numeric: ['>=', 3] }] }),
      });
      const { queueUrl: everythingUrl } = await subscribeQueue(topicArn, 'everything');
      const publish = (message: string, severity: string, level: string) =>
        local.snsClient.send(
          new PublishCommand({
            TopicArn: topicArn,
            Message: message,
            MessageAttributes: {
              severity: { DataType: 'String', StringValue: severity },
              level: { DataType: 'Number', StringValue: level },
            },
          }),
        );

      // Act
      await publish('match', 'high', '4');
      await publish('wrong severity', 'low', '4');
      await publish('too low', 'critical', '2');
      await local.sns.settled();
      const filtered = await receiveBodies(queueUrl);
      const everything = await receiveBodies(everythingUrl);

      // Assess
      expect(filtered.map((b) => JSON.parse(b).Message)).toEqual(['match']);
      expect(everything).toHaveLength(3);
    });

    it('filters on the message body with FilterPolicyScope MessageBody', async () => {
      // Prepare
      const topicArn = await createTopic('body-filtered');
      const { queueUrl, subscriptionArn } = await subscribeQueue(topicArn, 'hot-devices');
      await local.snsClient.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: subscriptionArn,
          AttributeName: 'FilterPolicyScope',
          AttributeValue: 'MessageBody',
        }),
      );
      await local.snsClient.send(
        new SetSubscriptionAttributesCommand({
          SubscriptionArn: subscriptionArn,
          AttributeName: 'FilterPolicy',
          AttributeValue: JSON.stringify({ reading: { temperature: [{ numeric: ['>', 50] }] } }),
        }),
      );

      // Act
      await local.snsClient.send(
        new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ reading: { temperature: 70 } }) }),
      );
      await local.snsClient.send(
        new PublishCommand({ TopicArn: topicArn, Message: JSON.stringify({ reading: { temperature: 20 } }) }),
      );
      await local.sns.settled();
      const bodies = await receiveBodies(queueUrl);
      const { Attributes } = await local.snsClient.send(
        new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }),
      );

      // Assess
      expect(bodies.map((b) => JSON.parse(JSON.parse(b).Message).reading.temperature)).toEqual([70]);
      expect(Attributes).toMatchObject({ FilterPolicyScope: 'MessageBody' });
    });

    it('rejects an invalid filter policy with InvalidParameterException', async () => {
      // Prepare
      const topicArn = await createTopic('bad-filter');
      const { subscriptionArn } = await subscribeQueue(topicArn, 'bad-filter-queue');

      // Act
      const error = await local.snsClient
        .send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn: subscriptionArn,
            AttributeName: 'FilterPolicy',
            AttributeValue: '{"severity":"high"}',
          }),
        )
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect((error as Error).message).toMatch(/^Invalid parameter: FilterPolicy: /);
    });

    it('selects the message per protocol with MessageStructure json', async () => {
      // Prepare
      const topicArn = await createTopic('structured');
      const { queueUrl } = await subscribeQueue(topicArn, 'structured-queue');
      const endpoint = await subscriber();
      await local.snsClient.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: endpoint.url }),
      );
      await endpoint.waitFor('SubscriptionConfirmation');

      // Act
      await local.snsClient.send(
        new PublishCommand({
          TopicArn: topicArn,
          MessageStructure: 'json',
          Message: JSON.stringify({ default: 'for everyone', sqs: 'for queues' }),
        }),
      );
      const [notification] = await endpoint.waitFor('Notification');
      const [body] = await receiveBodies(queueUrl, 2);
      const missingDefault = await local.snsClient
        .send(new PublishCommand({ TopicArn: topicArn, MessageStructure: 'json', Message: '{"sqs":"x"}' }))
        .catch((e: unknown) => e);

      // Assess
      expect(JSON.parse(body as string).Message).toBe('for queues');
      expect(notification?.json?.Message).toBe('for everyone');
      expect(missingDefault).toBeInstanceOf(InvalidParameterException);
      expect((missingDefault as Error).message).toMatch(/No default entry/);
    });
  });

  describe('Lambda subscriptions', () => {
    it('invokes the function asynchronously with the Lambda SNS event', async () => {
      // Prepare
      const topicArn = await createTopic('to-lambda');
      const functionArn = 'arn:aws:lambda:us-east-1:000000000000:function:notify';
      const { SubscriptionArn } = await local.snsClient.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'lambda', Endpoint: functionArn }),
      );

      // Act
      const { MessageId } = await local.snsClient.send(
        new PublishCommand({
          TopicArn: topicArn,
          Message: 'wake up',
          MessageAttributes: { kind: { DataType: 'String', StringValue: 'alarm' } },
        }),
      );
      await local.sns.settled();
      const rawForLambda = await local.snsClient
        .send(
          new SetSubscriptionAttributesCommand({
            SubscriptionArn,
            AttributeName: 'RawMessageDelivery',
            AttributeValue: 'true',
          }),
        )
        .catch((e: unknown) => e);

      // Assess
      expect(local.lambda.invocations).toHaveLength(1);
      const [invocation] = local.lambda.invocations;
      expect(invocation?.functionArn).toBe(functionArn);
      expect(invocation?.type).toBe('Event');
      expect(invocation?.event).toEqual({
        Records: [
          {
            EventSource: 'aws:sns',
            EventVersion: '1.0',
            EventSubscriptionArn: SubscriptionArn,
            Sns: {
              Type: 'Notification',
              MessageId,
              TopicArn: topicArn,
              Subject: null,
              Message: 'wake up',
              Timestamp: expect.stringMatching(/Z$/),
              SignatureVersion: '1',
              Signature: expect.any(String),
              SigningCertUrl: expect.any(String),
              UnsubscribeUrl: expect.stringContaining('Action=Unsubscribe'),
              MessageAttributes: { kind: { Type: 'String', Value: 'alarm' } },
            },
          },
        ],
      });
      expect(rawForLambda).toBeInstanceOf(InvalidParameterException);
    });
  });

  describe('email, SMS and mobile push', () => {
    it('records confirmations and notifications to the outbox', async () => {
      // Prepare
      const topicArn = await createTopic('mail');
      await local.snsClient.send(
        new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'ops@example.com' }),
      );
      const [confirmation] = local.sns.outbox({ type: 'SubscriptionConfirmation' });
      const confirm = await fetch(String(confirmation?.subscribeUrl));
      await confirm.text();

      // Act
      await local.snsClient.send(new PublishCommand({ TopicArn: topicArn, Subject: 'Alarm', Message: 'Too hot' }));
      await local.snsClient.send(new PublishCommand({ PhoneNumber: '+15555550100', Message: 'Too hot, by SMS' }));
      await local.snsClient.send(
        new PublishCommand({
          TargetArn: 'arn:aws:sns:us-east-1:000000000000:endpoint/GCM/app/1234',
          MessageStructure: 'json',
          Message: JSON.stringify({ default: 'plain', GCM: '{"notification":{"title":"Too hot"}}' }),
        }),
      );
      await local.sns.settled();

      // Assess
      expect(confirm.status).toBe(200);
      expect(confirmation).toMatchObject({ protocol: 'email', endpoint: 'ops@example.com', topicArn });
      expect(local.sns.outbox({ type: 'Notification' })).toEqual([
        expect.objectContaining({
          protocol: 'email',
          endpoint: 'ops@example.com',
          subject: 'Alarm',
          message: 'Too hot',
        }),
        expect.objectContaining({ protocol: 'sms', endpoint: '+15555550100', message: 'Too hot, by SMS' }),
        expect.objectContaining({ protocol: 'application', message: '{"notification":{"title":"Too hot"}}' }),
      ]);
    });
  });

  describe('PublishBatch', () => {
    it('publishes each entry and reports the ones that fail', async () => {
      // Prepare
      const topicArn = await createTopic('batch');
      const { queueUrl } = await subscribeQueue(topicArn, 'batch-queue', { RawMessageDelivery: 'true' });

      // Act
      const result = await local.snsClient.send(
        new PublishBatchCommand({
          TopicArn: topicArn,
          PublishBatchRequestEntries: [
            { Id: 'a', Message: 'first' },
            { Id: 'b', Message: '' },
            { Id: 'c', Message: 'third' },
          ],
        }),
      );
      await local.sns.settled();
      const bodies = await receiveBodies(queueUrl);

      // Assess
      expect(result.Successful?.map((s) => s.Id)).toEqual(['a', 'c']);
      expect(result.Successful?.[0]?.MessageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(result.Failed).toEqual([
        expect.objectContaining({ Id: 'b', Code: 'InvalidParameter', SenderFault: true }),
      ]);
      expect(bodies.sort()).toEqual(['first', 'third']);
    });
  });

  describe('unsubscribing', () => {
    it('stops delivery and raises NotFoundException for a subscription that is gone', async () => {
      // Prepare
      const topicArn = await createTopic('leaving');
      const { queueUrl, subscriptionArn } = await subscribeQueue(topicArn, 'leaving-queue');

      // Act
      await local.snsClient.send(new UnsubscribeCommand({ SubscriptionArn: subscriptionArn }));
      await local.snsClient.send(new PublishCommand({ TopicArn: topicArn, Message: 'anyone?' }));
      await local.sns.settled();
      const bodies = await receiveBodies(queueUrl);
      const again = await local.snsClient
        .send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }))
        .catch((e: unknown) => e);
      const { Attributes } = await local.snsClient.send(new GetTopicAttributesCommand({ TopicArn: topicArn }));

      // Assess
      expect(bodies).toEqual([]);
      expect(again).toBeInstanceOf(NotFoundException);
      expect(Attributes?.SubscriptionsDeleted).toBe('1');
    });
  });
});

describe('local SNS in-process and on disk', () => {
  it('publishes for in-process callers and subscribes under an ARN chosen by the caller', async () => {
    // Prepare
    const local = await startLocalSns();
    try {
      const topic = local.sns.createTopic('in-process');
      const queue = local.sqs.createQueue('in-process-queue');
      const subscriptionArn = `${topic.arn}:00000000-0000-4000-8000-000000000001`;
      local.sns.subscribe(topic.arn, 'sqs', queue.arn, { RawMessageDelivery: 'true' }, { subscriptionArn });

      // Act
      const messageId = await local.sns.publishToTopic(topic.arn, 'from a destination', {
        attributes: { origin: { DataType: 'String', StringValue: 'lambda' } },
      });
      await local.sns.settled();
      const [message] = await local.sqs.receiveMessages(queue.arn);

      // Assess
      expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(local.sns.findSubscription(subscriptionArn)?.pendingConfirmation).toBe(false);
      expect(message?.body).toBe('from a destination');
      expect(message?.messageAttributes.origin?.StringValue).toBe('lambda');
    } finally {
      await local.stop();
    }
  });

  it('brings topics and subscriptions in line with a redeployed declaration', async () => {
    // Prepare
    const local = await startLocalSns();
    try {
      const topic = local.sns.putTopic('declared', { DisplayName: 'Before' });
      const queue = local.sqs.createQueue('declared-queue');
      const subscriptionArn = `${topic.arn}:00000000-0000-4000-8000-000000000002`;
      local.sns.putSubscription(subscriptionArn, topic.arn, 'sqs', queue.arn, {
        RawMessageDelivery: 'true',
        FilterPolicy: '{"kind":["a"]}',
      });

      // Act
      local.sns.putTopic('declared', { DisplayName: 'After' });
      local.sns.putSubscription(subscriptionArn, topic.arn, 'sqs', queue.arn, { FilterPolicy: '{"kind":["b"]}' });
      await local.sns.publishToTopic(topic.arn, 'b message', {
        attributes: { kind: { DataType: 'String', StringValue: 'b' } },
      });
      await local.sns.settled();
      const [message] = await local.sqs.receiveMessages(queue.arn);

      // Assess
      expect(local.sns.getTopicAttributes(topic.arn).DisplayName).toBe('After');
      expect(local.sns.getSubscriptionAttributes(subscriptionArn)).toMatchObject({
        RawMessageDelivery: 'false',
        FilterPolicy: '{"kind":["b"]}',
      });
      expect(JSON.parse(message?.body ?? '{}').Message).toBe('b message');
      expect(local.sns.listSubscriptions(topic.arn)).toHaveLength(1);
    } finally {
      await local.stop();
    }
  });

  it('sends a failed delivery to the subscription dead-letter queue', async () => {
    // Prepare
    const local = await startLocalSns();
    try {
      const topic = local.sns.createTopic('failing');
      const dlq = local.sqs.createQueue('sns-dlq');
      local.sns.subscribe(topic.arn, 'sqs', 'arn:aws:sqs:us-east-1:000000000000:no-such-queue', {
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn }),
      });

      // Act
      await local.sns.publishToTopic(topic.arn, 'undeliverable');
      await local.sns.settled();
      const [message] = await local.sqs.receiveMessages(dlq.arn);

      // Assess
      expect(JSON.parse(message?.body ?? '{}').Message).toBe('undeliverable');
      expect(local.warnings).toEqual(['SNS delivery failed; message sent to the subscription dead-letter queue']);
    } finally {
      await local.stop();
    }
  });

  it('keeps topics, subscriptions and the outbox across a restart with the same dataDir', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'local-sns-'));
    try {
      const before = await startLocalSns({ dataDir });
      const { TopicArn } = await before.snsClient.send(new CreateTopicCommand({ Name: 'durable' }));
      await before.sqsClient.send(new CreateQueueCommand({ QueueName: 'durable-queue' }));
      await before.snsClient.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: 'sqs',
          Endpoint: 'arn:aws:sqs:us-east-1:000000000000:durable-queue',
          Attributes: { RawMessageDelivery: 'true', FilterPolicy: '{"keep":["yes"]}' },
        }),
      );
      await before.snsClient.send(new PublishCommand({ PhoneNumber: '+15555550100', Message: 'before' }));
      await before.stop();

      // Act
      const after = await startLocalSns({ dataDir });
      try {
        await after.snsClient.send(
          new PublishCommand({
            TopicArn,
            Message: 'after restart',
            MessageAttributes: { keep: { DataType: 'String', StringValue: 'yes' } },
          }),
        );
        await after.snsClient.send(new PublishCommand({ TopicArn, Message: 'filtered out' }));
        await after.sns.settled();
        const { Subscriptions } = await after.snsClient.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
        const messages = await after.sqs.receiveMessages('durable-queue', { maxNumberOfMessages: 10 });
        const outboxFile = await readFile(join(dataDir, 'sns-outbox.jsonl'), 'utf8');

        // Assess
        expect(Subscriptions).toHaveLength(1);
        expect(messages.map((m) => m.body)).toEqual(['after restart']);
        expect(after.sns.outbox({ protocol: 'sms' }).map((e) => e.message)).toEqual(['before']);
        expect(outboxFile.trim().split('\n')).toHaveLength(1);
      } finally {
        await after.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
