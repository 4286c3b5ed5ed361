import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type LocalAws, startLocalAwsServices } from '@iot/testing/local-aws';
import { queueUrlOf } from '../src/sqs-queue-url';

describe('queueUrlOf', () => {
  let aws: LocalAws;
  let client: SQSClient;

  beforeAll(async () => {
    aws = await startLocalAwsServices({ sqs: true });
    client = new SQSClient(aws.clientConfig);
  });

  afterAll(async () => {
    client.destroy();
    await aws.stop();
  });

  it('looks the URL up once and keeps it', async () => {
    // Prepare
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'kept-url' }));
    const url = queueUrlOf(client, 'kept-url');
    const lookupsBefore = aws.requestsTo('sqs').length;

    // Act
    const first = await url();
    const second = await url();

    // Assess
    expect(first).toBe(QueueUrl);
    expect(second).toBe(QueueUrl);
    expect(aws.requestsTo('sqs').length - lookupsBefore).toBe(1);
  });

  it('asks again after a failed lookup, naming the queue it could not find', async () => {
    // Prepare
    const url = queueUrlOf(client, 'created-later');

    // Act
    const missing = url();
    await expect(missing).rejects.toThrow(/created-later|does not exist/i);
    const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: 'created-later' }));
    const found = await url();

    // Assess
    expect(found).toBe(QueueUrl);
  });
});
