/**
 * Offline invocation of the aggregator through its middy stack, with Kinesis tumbling-window events (state carried
 * between invocations, final invocations, several shards, a window ended early), against a real local DynamoDB
 * (dynalite), and the local cloud's SQS (the failure queue) and Firehose (the metrics delivery stream, writing to a
 * local S3 bucket) started in-process: the adapters' real SQS and Firehose clients reach them at the local edge
 * endpoint, and the tests read the failure queue's messages and the exported lines from the S3 objects Firehose wrote.
 * One answer the local SQS never gives, a SendMessageBatch refusing one entry of the batch, is injected at the edge
 * endpoint in front of it.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createLogger } from '@iot/lambda-kit';
import {
  createTableFromServerlessYml,
  type KinesisRecordInput,
  kinesisRecords,
  kinesisWindowEvent,
  type LocalDynamoDb,
  lambdaContext,
  startLocalDynamoDb,
} from '@iot/testing';
import { type LocalAws, startLocalAwsServices } from '@iot/testing/local-aws';
import type { TelemetryStreamRecord } from '@iot/types';
import { DynamoDbWindowMetricsStore, FLEET_PARTITION } from '../src/adapters/dynamodb-window-metrics-store';
import { FirehoseWindowMetricsExport } from '../src/adapters/firehose-window-metrics-export';
import { SqsRejectedRecordSink } from '../src/adapters/sqs-rejected-record-sink';
import { queryDeviceWindows, queryFleetWindows } from '../src/domain/query-window-metrics';
import { createAggregateTelemetryHandler } from '../src/handlers/aggregate-telemetry';

const TABLE = 'metrics-test';
const STREAM = 'window-metrics-test';
const SHARD_0 = 'shardId-000000000000';
const SHARD_1 = 'shardId-000000000001';
const QUEUE = 'failures';
const BUCKET = 'window-metrics-export';
let aws: LocalAws;
let clients: { sqs: SQSClient; firehose: FirehoseClient };
/** What the failure queue received during the test, message bodies parsed. */
let failureQueue: Array<{ reason: string; record: { data: string } }>;
let dynamo: LocalDynamoDb;
let documents: DynamoDBDocumentClient;
let store: DynamoDbWindowMetricsStore;
let handler: ReturnType<typeof createAggregateTelemetryHandler>;

/** Each test its own window, so the table holds only what the test wrote there. */
let windowStart: Date;
let t0: number;
let nextWindow = Date.parse('2026-01-01T00:00:00Z');

const reading = (
  deviceId: string,
  offsetMs: number,
  metrics: Record<string, number>,
  messageId?: string,
  thresholds?: TelemetryStreamRecord['thresholds'],
): KinesisRecordInput => ({
  partitionKey: deviceId,
  data: {
    deviceId,
    timestamp: t0 + offsetMs,
    receivedAt: t0 + offsetMs + 20,
    metrics,
    ...(messageId ? { messageId } : {}),
    ...(thresholds ? { thresholds } : {}),
  },
});

/** Records of one shard with sequence numbers from `first` on. */
function records(inputs: KinesisRecordInput[], shardId = SHARD_0, first = 49_650_000_000_000_000_000n) {
  return kinesisRecords(inputs, shardId).map((record, index) => {
    const sequenceNumber = (first + BigInt(index)).toString();
    return { ...record, eventID: `${shardId}:${sequenceNumber}`, kinesis: { ...record.kinesis, sequenceNumber } };
  });
}

function invoke(options: {
  records?: ReturnType<typeof records>;
  state?: unknown;
  final?: boolean;
  shardId?: string;
  terminatedEarly?: boolean;
}) {
  const event = kinesisWindowEvent({
    records: options.records ?? [],
    windowStart,
    windowSeconds: 60,
    state: (options.state ?? {}) as Record<string, unknown>,
    isFinalInvokeForWindow: options.final ?? false,
  });
  return handler(
    { ...event, shardId: options.shardId ?? SHARD_0, isWindowTerminatedEarly: options.terminatedEarly ?? false },
    lambdaContext(),
  );
}

async function stored(partition: string) {
  const answer = await documents.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'deviceId = :p AND begins_with(windowKey, :w)',
      ExpressionAttributeValues: { ':p': partition, ':w': String(t0).padStart(13, '0') },
    }),
  );
  return answer.Items ?? [];
}

/** The metrics delivery stream and the failure queue, as the service's templates make them. */
async function createStreamAndQueue() {
  aws.sqs.createQueue(QUEUE);
  await aws.firehose.ensureDeliveryStream({
    DeliveryStreamName: STREAM,
    ExtendedS3DestinationConfiguration: { BucketARN: `arn:aws:s3:::${BUCKET}` },
  });
}

/** Every line of this test's window that reached the metrics delivery stream, parsed, from the S3 objects. */
async function exported(): Promise<Array<Record<string, unknown>>> {
  await aws.firehose.flush();
  const { objects } = await aws.s3.listObjects(BUCKET);
  const lines: Array<Record<string, unknown>> = [];
  for (const { key } of objects) {
    const { body } = await aws.s3.getObject(BUCKET, key);
    lines.push(
      ...body
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
    );
  }
  return lines.filter((line) => line.windowStart === t0);
}

/** Every message the failure queue holds (received and deleted, so that each is read once), bodies parsed. */
async function sentToFailureQueue() {
  for (;;) {
    const messages = await aws.sqs.receiveMessages(QUEUE, { maxNumberOfMessages: 10, waitTimeSeconds: 0 });
    if (messages.length === 0) return failureQueue;
    for (const message of messages) {
      failureQueue.push(JSON.parse(message.body));
      aws.sqs.deleteMessage(QUEUE, message.receiptHandle);
    }
  }
}

const range = () => ({ from: t0, to: t0, limit: 100 });

beforeAll(async () => {
  aws = await startLocalAwsServices({ sqs: true, firehose: true });
  await aws.s3.createBucket(BUCKET);
  clients = { sqs: new SQSClient(aws.clientConfig), firehose: new FirehoseClient(aws.clientConfig) };
  dynamo = await startLocalDynamoDb();
  await createTableFromServerlessYml(dynamo.client, `${__dirname}/..`, 'MetricsTable', TABLE);
  documents = DynamoDBDocumentClient.from(dynamo.client, { marshallOptions: { removeUndefinedValues: true } });
  store = new DynamoDbWindowMetricsStore(documents, TABLE, 90);
  handler = createAggregateTelemetryHandler({
    metrics: store,
    exporter: new FirehoseWindowMetricsExport(clients.firehose, STREAM, { retryDelayMs: 1 }),
    rejected: new SqsRejectedRecordSink(clients.sqs, QUEUE, 'test'),
    logger: createLogger('test'),
  });
});
afterAll(async () => {
  clients.sqs.destroy();
  clients.firehose.destroy();
  await aws.stop();
  await dynamo.stop();
});
beforeEach(async () => {
  t0 = nextWindow;
  nextWindow += 60_000;
  windowStart = new Date(t0);
  aws.intercept(undefined);
  aws.requests.splice(0); // each test sees only its own requests
  await createStreamAndQueue();
  failureQueue = [];
});

describe('aggregateTelemetry', () => {
  it('carries the state across invocations and writes device and fleet metrics, and the export, on the final one', async () => {
    // Prepare
    const first = records([
      reading('sensor-1', 1000, { temperature: 20 }),
      reading('sensor-2', 1500, { temperature: 10 }),
    ]);
    const second = records([reading('sensor-1', 2000, { temperature: 30 })], SHARD_0, 49_650_000_000_000_000_002n);

    // Act
    const afterFirst = await invoke({ records: first });
    const afterSecond = await invoke({ records: second, state: afterFirst.state });
    const beforeFinal = await stored('sensor-1');
    const final = await invoke({ state: afterSecond.state, final: true });

    // Assess
    const part = `${SHARD_0}#49650000000000000000`;
    expect(beforeFinal).toEqual([]);
    expect(final).toEqual({ state: { aggregates: {}, seen: {} }, batchItemFailures: [] });
    expect(await stored('sensor-1')).toEqual([
      {
        deviceId: 'sensor-1',
        windowKey: `${String(t0).padStart(13, '0')}#temperature#${part}`,
        part,
        metric: 'temperature',
        windowStart: t0,
        windowEnd: t0 + 60_000,
        count: 2,
        min: 20,
        max: 30,
        sum: 50,
        mean: 25,
        last: 30,
        firstTimestamp: t0 + 1000,
        lastTimestamp: t0 + 2000,
        expiresAt: (t0 + 60_000) / 1000 + 90 * 86_400,
      },
    ]);
    expect(await stored('sensor-2')).toEqual([expect.objectContaining({ count: 1, mean: 10 })]);
    expect(await stored(FLEET_PARTITION)).toEqual([
      expect.objectContaining({
        metric: 'temperature',
        part,
        count: 3,
        min: 10,
        max: 30,
        sum: 60,
        mean: 20,
        devices: 2,
      }),
    ]);
    expect(await exported()).toEqual([
      expect.objectContaining({ deviceId: 'sensor-1', metric: 'temperature', windowStart: t0, count: 2, part }),
      expect.objectContaining({ deviceId: 'sensor-2', metric: 'temperature', windowStart: t0, count: 1, part }),
    ]);
  });

  it('overwrites a replayed window instead of adding to it', async () => {
    // Prepare
    const batch = records([reading('sensor-3', 10, { temperature: 7 }), reading('sensor-3', 10, { temperature: 9 })]);

    // Act
    await invoke({ records: batch, final: true });
    await invoke({ records: batch, final: true });

    // Assess
    const windows = await stored('sensor-3');
    expect(windows).toHaveLength(1);
    expect(windows[0]).toMatchObject({ count: 2, sum: 16 });
    expect(await stored(FLEET_PARTITION)).toEqual([expect.objectContaining({ count: 2, sum: 16, devices: 1 })]);
    expect(await exported()).toHaveLength(2);
  });

  it('counts a message delivered twice once, and the readings outside the thresholds the records carry', async () => {
    // Prepare
    const limits = { temperature: { above: 25 } };
    const batch = records([
      reading('sensor-4', 1, { temperature: 20, humidity: 50 }, 'm-1', limits),
      reading('sensor-4', 2, { temperature: 30 }, 'm-2', limits),
      reading('sensor-4', 2, { temperature: 30 }, 'm-2', limits),
      reading('sensor-5', 3, { temperature: 40 }, 'm-1'),
    ]);

    // Act
    await invoke({ records: batch, final: true });

    // Assess
    const sensor4 = await stored('sensor-4');
    expect(sensor4.find((m) => m.metric === 'temperature')).toMatchObject({ count: 2, breaches: 1 });
    expect(sensor4.find((m) => m.metric === 'humidity')).not.toHaveProperty('breaches');
    expect((await stored('sensor-5'))[0]).not.toHaveProperty('breaches');
    expect((await stored(FLEET_PARTITION)).find((m) => m.metric === 'temperature')).toMatchObject({
      count: 3,
      breaches: 1,
      devices: 2,
    });
  });

  it('keeps the fleet parts of several shards side by side, merged on read', async () => {
    // Prepare
    const shard0 = records([reading('a', 1, { temperature: 10 }), reading('b', 2, { temperature: 20 })], SHARD_0);
    const shard1 = records([reading('c', 3, { temperature: 60 })], SHARD_1);

    // Act
    await invoke({ records: shard0, final: true, shardId: SHARD_0 });
    await invoke({ records: shard1, final: true, shardId: SHARD_1 });
    const page = await queryFleetWindows(store, range());

    // Assess
    expect((await stored(FLEET_PARTITION)).map((item) => item.part)).toEqual([
      `${SHARD_0}#49650000000000000000`,
      `${SHARD_1}#49650000000000000000`,
    ]);
    expect(page.items).toEqual([
      {
        metric: 'temperature',
        windowStart: t0,
        windowEnd: t0 + 60_000,
        count: 3,
        min: 10,
        max: 60,
        sum: 90,
        mean: 30,
        devices: 3,
        firstTimestamp: t0 + 1,
        lastTimestamp: t0 + 3,
      },
    ]);
  });

  it('keeps both parts of a window that ended early, merged on read', async () => {
    // Prepare: the state outgrew 1 MB, Lambda ended the window early, and the window went on with a fresh state.
    const before = records([reading('d', 1, { temperature: 1 }), reading('d', 2, { temperature: 3 })]);
    const after = records([reading('d', 3, { temperature: 8 })], SHARD_0, 49_650_000_000_000_000_100n);

    // Act
    const first = await invoke({ records: before });
    await invoke({ state: first.state, final: true, terminatedEarly: true });
    const second = await invoke({ records: after });
    await invoke({ state: second.state, final: true });
    const device = await queryDeviceWindows(store, 'd', range());
    const fleet = await queryFleetWindows(store, range());

    // Assess
    expect(await stored('d')).toHaveLength(2);
    expect(device.items).toEqual([
      expect.objectContaining({ count: 3, min: 1, max: 8, sum: 12, mean: 4, last: 8, lastTimestamp: t0 + 3 }),
    ]);
    expect(fleet.items).toEqual([expect.objectContaining({ count: 3, sum: 12, devices: 2 })]);
  });

  it('sends a record that can never be aggregated to the failure queue with the reason, and goes on', async () => {
    // Prepare
    const batch = records([
      { partitionKey: 'sensor-6', data: 'not json at all' },
      { partitionKey: 'sensor-6', data: { deviceId: 'sensor-6', timestamp: 5, metrics: {} } },
      { partitionKey: 'other', data: { deviceId: 'sensor-6', timestamp: t0, receivedAt: t0, metrics: { t: 1 } } },
      reading('sensor-6', 100, { temperature: 12 }),
    ]);

    // Act
    const result = await invoke({ records: batch });

    // Assess
    expect(result.batchItemFailures).toEqual([]);
    expect(result.state.aggregates['sensor-6']?.temperature?.[0]).toBe(1);
    const bodies = await sentToFailureQueue();
    expect(bodies.map((b) => b.reason)).toEqual([
      'data is not JSON',
      expect.stringMatching(/^not a telemetry message: .*timestamp.*/),
      'partition key other is not the device id sensor-6',
    ]);
    expect(Buffer.from(bodies[0]?.record.data ?? '', 'base64').toString()).toBe('not json at all');
  });

  it('reports the record the failure queue could not keep, with a state of only the records before it', async () => {
    // Prepare: the queue takes the first bad record of the batch and refuses the second. The local SQS never refuses
    // one entry of a batch, so the first SendMessageBatch is answered here as SQS answers a partial failure, the
    // entry it takes put into the real queue.
    let refused = false;
    aws.intercept(async (request) => {
      if (refused || request.operation !== 'SendMessageBatch') return undefined;
      refused = true;
      const { Entries } = JSON.parse(request.body) as { Entries: Array<{ Id: string; MessageBody: string }> };
      const [kept, dropped] = Entries as [{ Id: string; MessageBody: string }, { Id: string }];
      const sent = aws.sqs.sendMessage(QUEUE, { body: kept.MessageBody });
      return {
        status: 200,
        headers: { 'content-type': 'application/x-amz-json-1.0' },
        body: JSON.stringify({
          Successful: [{ Id: kept.Id, MessageId: sent.messageId, MD5OfMessageBody: sent.md5OfMessageBody }],
          Failed: [{ Id: dropped.Id, Code: 'InternalError', SenderFault: false, Message: 'try again' }],
        }),
      };
    });
    const batch = records([
      reading('sensor-7', 1, { temperature: 1 }),
      { partitionKey: 'sensor-7', data: 'garbage 1' },
      reading('sensor-7', 2, { temperature: 2 }),
      { partitionKey: 'sensor-7', data: 'garbage 2' },
      reading('sensor-7', 3, { temperature: 4 }),
    ]);

    // Act: as Lambda does, the retry delivers the reported record and those after it, with the returned state.
    const first = await invoke({ records: batch });
    const failedAt = batch.findIndex((r) => r.kinesis.sequenceNumber === first.batchItemFailures[0]?.itemIdentifier);
    const retried = await invoke({ records: batch.slice(failedAt), state: first.state });
    await invoke({ state: retried.state, final: true });

    // Assess
    expect(failedAt).toBe(3);
    expect(first.state.aggregates['sensor-7']?.temperature?.[0]).toBe(2);
    expect(retried.batchItemFailures).toEqual([]);
    // Sent: garbage 1 and 2, then garbage 2 again; kept: garbage 1, and garbage 2 once.
    const sentEntries = aws
      .requestsTo('sqs')
      .filter((r) => r.operation === 'SendMessageBatch')
      .flatMap((r) => (JSON.parse(r.body) as { Entries: Array<{ MessageBody: string }> }).Entries)
      .map((entry) => Buffer.from(JSON.parse(entry.MessageBody).record.data, 'base64').toString());
    expect(sentEntries).toEqual(['garbage 1', 'garbage 2', 'garbage 2']);
    expect((await sentToFailureQueue()).map((b) => Buffer.from(b.record.data, 'base64').toString())).toEqual([
      'garbage 1',
      'garbage 2',
    ]);
    expect(await stored('sensor-7')).toEqual([expect.objectContaining({ count: 3, sum: 7 })]);
  });

  it('fails the final invocation, so Lambda retries it with the same state, when the window cannot be written', async () => {
    // Prepare: the delivery stream is gone.
    const state = (await invoke({ records: records([reading('sensor-8', 1, { temperature: 1 })]) })).state;
    await aws.firehose.deleteDeliveryStream(STREAM);

    // Act
    const failed = invoke({ state: structuredClone(state), final: true });

    // Assess
    await expect(failed).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    expect(await stored('sensor-8')).toEqual([expect.objectContaining({ count: 1 })]);
  });

  it('fails the final invocation when the failure queue cannot take a record of it', async () => {
    // Prepare: the failure queue is gone.
    aws.sqs.deleteQueue(QUEUE);

    // Act
    const failed = invoke({ records: records([{ partitionKey: 'x', data: 'garbage' }]), final: true });

    // Assess
    await expect(failed).rejects.toThrow(/failure queue could not keep record/);
  });

  it('goes on with a window state carried from before breaches were counted', async () => {
    // Prepare
    const state = { aggregates: { old: { temperature: [2, 1, 5, 6, 5, t0, t0 + 9] } }, seen: {} };

    // Act
    const result = await invoke({ records: records([reading('old', 10, { temperature: 3 })]), state });

    // Assess
    expect(result.state.aggregates.old?.temperature).toEqual([3, 1, 5, 9, 3, t0, t0 + 10, null]);
  });
});
