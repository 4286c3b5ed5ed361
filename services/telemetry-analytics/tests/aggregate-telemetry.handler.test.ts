/**
 * Offline invocation of the aggregator through its middy stack, with Kinesis tumbling-window events, against a real
 * local DynamoDB (dynalite). SQS (the failure queue) is mocked with aws-sdk-client-mock because no local SQS is wired
 * into these tests yet; the local cloud's acceptance tests use the real one.
 */
import { GetQueueUrlCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createLogger } from '@iot/lambda-kit';
import {
  createTableFromServerlessYml,
  kinesisRecords,
  kinesisWindowEvent,
  type LocalDynamoDb,
  lambdaContext,
  startLocalDynamoDb,
} from '@iot/testing';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoDbWindowMetricsStore } from '../src/adapters/dynamodb-window-metrics-store';
import { SqsRejectedRecordSink } from '../src/adapters/sqs-rejected-record-sink';
import { createAggregateTelemetryHandler } from '../src/handlers/aggregate-telemetry';

const TABLE = 'metrics-test';
const WINDOW_START = new Date('2026-01-01T00:00:00Z');
const T0 = WINDOW_START.getTime();
const sqs = mockClient(SQSClient);
let dynamo: LocalDynamoDb;
let documents: DynamoDBDocumentClient;
let handler: ReturnType<typeof createAggregateTelemetryHandler>;

const reading = (deviceId: string, offsetMs: number, temperature: number, messageId?: string) => ({
  partitionKey: deviceId,
  data: { deviceId, timestamp: T0 + offsetMs, receivedAt: T0 + offsetMs + 20, metrics: { temperature }, messageId },
});

async function storedWindows(deviceId: string) {
  const answer = await documents.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'deviceId = :d',
      ExpressionAttributeValues: { ':d': deviceId },
    }),
  );
  return answer.Items ?? [];
}

beforeAll(async () => {
  dynamo = await startLocalDynamoDb();
  await createTableFromServerlessYml(dynamo.client, `${__dirname}/..`, 'MetricsTable', TABLE);
  documents = DynamoDBDocumentClient.from(dynamo.client);
  handler = createAggregateTelemetryHandler({
    metrics: new DynamoDbWindowMetricsStore(documents, TABLE, 90),
    rejected: new SqsRejectedRecordSink(new SQSClient({ region: 'us-east-1' }), 'failures', 'test'),
    logger: createLogger('test'),
  });
});
afterAll(() => dynamo.stop());
beforeEach(() => {
  sqs.reset();
  sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/failures' });
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('aggregateTelemetry', () => {
  it('carries the window state across invocations and writes the window on the final one', async () => {
    // Prepare
    const first = kinesisWindowEvent({
      records: kinesisRecords([reading('sensor-1', 1000, 20), reading('sensor-2', 1500, 10)]),
      windowStart: WINDOW_START,
      windowSeconds: 60,
    });

    // Act
    const afterFirst = await handler(first, lambdaContext());
    const afterSecond = await handler(
      kinesisWindowEvent({
        records: kinesisRecords([reading('sensor-1', 2000, 30)]),
        windowStart: WINDOW_START,
        windowSeconds: 60,
        state: afterFirst.state as unknown as Record<string, unknown>,
      }),
      lambdaContext(),
    );
    const beforeFinal = await storedWindows('sensor-1');
    const final = await handler(
      kinesisWindowEvent({
        records: [],
        windowStart: WINDOW_START,
        windowSeconds: 60,
        state: afterSecond.state as unknown as Record<string, unknown>,
        isFinalInvokeForWindow: true,
      }),
      lambdaContext(),
    );

    // Assess
    expect(beforeFinal).toEqual([]);
    expect(final).toEqual({ state: { aggregates: {}, seen: {} }, batchItemFailures: [] });
    expect(await storedWindows('sensor-1')).toEqual([
      expect.objectContaining({
        deviceId: 'sensor-1',
        metric: 'temperature',
        windowStart: T0,
        windowEnd: T0 + 60_000,
        count: 2,
        min: 20,
        max: 30,
        sum: 50,
        mean: 25,
        last: 30,
        firstTimestamp: T0 + 1000,
        lastTimestamp: T0 + 2000,
        expiresAt: (T0 + 60_000) / 1000 + 90 * 86_400,
      }),
    ]);
    expect(await storedWindows('sensor-2')).toEqual([expect.objectContaining({ count: 1, mean: 10 })]);
  });

  it('overwrites a replayed window instead of adding to it', async () => {
    // Prepare
    const start = new Date('2026-01-02T00:00:00Z');
    const event = kinesisWindowEvent({
      records: kinesisRecords([reading('sensor-3', 0, 7), reading('sensor-3', 10, 9)]),
      windowStart: start,
      windowSeconds: 60,
      isFinalInvokeForWindow: true,
    });
    event.Records.forEach((r) => {
      const data = JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString());
      data.timestamp = start.getTime() + 10;
      data.receivedAt = start.getTime() + 30;
      r.kinesis.data = Buffer.from(JSON.stringify(data)).toString('base64');
    });

    // Act
    await handler(event, lambdaContext());
    await handler(event, lambdaContext());

    // Assess
    const windows = await storedWindows('sensor-3');
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ count: 2, sum: 16 });
  });

  it('sends a record that can never be aggregated to the failure queue with the reason, and goes on', async () => {
    // Prepare
    const records = kinesisRecords([
      { partitionKey: 'sensor-4', data: 'not json at all' },
      { partitionKey: 'sensor-4', data: { deviceId: 'sensor-4', timestamp: 5, metrics: {} } },
      reading('sensor-4', 100, 12),
    ]);

    // Act
    const result = await handler(
      kinesisWindowEvent({ records, windowStart: WINDOW_START, windowSeconds: 60 }),
      lambdaContext(),
    );

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(result.state.aggregates['sensor-4']?.temperature?.[0]).toBe(1);
    const sent = sqs.commandCalls(SendMessageBatchCommand)[0]?.args[0].input;
    const bodies = (sent?.Entries ?? []).map((e) => JSON.parse(e.MessageBody ?? '{}'));
    expect(sent?.QueueUrl).toContain('/failures');
    expect(bodies.map((b) => b.reason)).toEqual([
      'data is not JSON',
      expect.stringMatching(/^not a telemetry message: .*timestamp.*/),
    ]);
    expect(Buffer.from(bodies[0].record.data, 'base64').toString()).toBe('not json at all');
  });

  it('fails the invocation, so Lambda retries it, when the failure queue cannot take the rejected records', async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).rejects(new Error('queue unavailable'));

    // Act
    const invocation = handler(
      kinesisWindowEvent({
        records: kinesisRecords([{ partitionKey: 'x', data: 'garbage' }]),
        windowStart: WINDOW_START,
        windowSeconds: 60,
      }),
      lambdaContext(),
    );

    // Assess
    await expect(invocation).rejects.toThrow('queue unavailable');
  });
});
