/**
 * The raw archive's feed from the telemetry stream, invoked offline through its middy stack with Kinesis events.
 * Its Firehose client writes to the local cloud's Firehose, started in-process with a local S3 bucket, and the tests
 * read back the object Firehose wrote. The local Firehose never refuses some records of a batch (FailedPutCount), so
 * the tests of that answer use one client instance mocked with aws-sdk-client-mock, for that answer alone.
 */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { createLogger } from '@iot/lambda-kit';
import { type KinesisRecordInput, kinesisRecords, lambdaContext } from '@iot/testing';
import { type LocalAws, startLocalAwsServices } from '@iot/testing/local-aws';
import { mockClient } from 'aws-sdk-client-mock';
import { FirehoseRecordBatches } from '../src/adapters/firehose-record-batches';
import { rawArchiveBatch } from '../src/domain/archive-raw-telemetry';
import { normalizeRawRecord } from '../src/domain/normalize-raw-telemetry';
import { createArchiveRawTelemetryHandler } from '../src/handlers/archive-raw-telemetry';

const T0 = 1_767_225_600_000;
const BUCKET = 'raw-archive-test';
const STREAM = 'raw-archive';
const logger = createLogger('test');
/** The client of the refusal tests, mocked (this instance only): the local Firehose never answers so. */
const refusingClient = new FirehoseClient({ region: 'us-east-1' });
const refusing = mockClient(refusingClient);

const reading = (deviceId: string, i: number): KinesisRecordInput => ({
  partitionKey: deviceId,
  data: {
    metrics: { temperature: 20 + (i % 10) },
    deviceId,
    timestamp: T0 + i,
    receivedAt: T0 + i + 40,
    messageId: `${deviceId}-${i}`,
    padding: 'a field the schema does not know',
  },
});
const kinesisEvent = (inputs: KinesisRecordInput[]) => ({ Records: kinesisRecords(inputs) });
const line = (deviceId: string, i: number) =>
  `{"deviceId":"${deviceId}","timestamp":${T0 + i},"receivedAt":${T0 + i + 40},"messageId":"${deviceId}-${i}","metrics":{"temperature":${20 + (i % 10)}}}\n`;
const sent = (call: number) =>
  (refusing.commandCalls(PutRecordBatchCommand)[call]?.args[0].input.Records ?? []).map((r) =>
    Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'),
  );

beforeEach(() => refusing.reset());
afterAll(() => refusingClient.destroy());

describe('archiveRawTelemetry', () => {
  let aws: LocalAws;
  let client: FirehoseClient;

  beforeAll(async () => {
    aws = await startLocalAwsServices({ firehose: true });
    client = new FirehoseClient(aws.clientConfig);
    await aws.s3.createBucket(BUCKET);
    await aws.firehose.createDeliveryStream({
      DeliveryStreamName: STREAM,
      ExtendedS3DestinationConfiguration: { BucketARN: `arn:aws:s3:::${BUCKET}` },
    });
  });

  afterAll(async () => {
    client?.destroy();
    await aws?.stop();
  });

  it('writes the readings as normalised lines, a record that is not telemetry on its own line as it arrived', async () => {
    // Prepare
    const handler = createArchiveRawTelemetryHandler({
      archive: new FirehoseRecordBatches(client, STREAM, { retryDelayMs: 0 }),
      logger,
    });
    const event = kinesisEvent([
      reading('sensor-1', 0),
      reading('sensor-2', 1),
      { partitionKey: 'sensor-3', data: { deviceId: 'sensor-3', receivedAt: T0 } },
      { partitionKey: 'sensor-4', data: '  ' },
      reading('sensor-1', 2),
    ]);

    // Act
    const answer = await handler(event, lambdaContext());

    // Assess
    expect(answer).toEqual({ batchItemFailures: [] });
    await aws.firehose.flush();
    const { objects } = await aws.s3.listObjects(BUCKET);
    expect(objects).toHaveLength(1);
    const { body } = await aws.s3.getObject(BUCKET, objects[0]?.key ?? '');
    expect(body.toString('utf8')).toBe(
      [
        line('sensor-1', 0),
        line('sensor-2', 1),
        `${JSON.stringify({ deviceId: 'sensor-3', receivedAt: T0 })}\n`,
        line('sensor-1', 2),
      ].join(''),
    );
  });

  it('packs a batch of readings into a few records within Firehose limits, each record a run of whole lines', async () => {
    // Prepare: 3,000 lines of ~130 bytes (~390 KB) in records of at most 512 KiB: one record, one call.
    refusing.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '1' }] });
    const handler = createArchiveRawTelemetryHandler({
      archive: new FirehoseRecordBatches(refusingClient, STREAM, { retryDelayMs: 0 }),
      logger,
    });
    const inputs = Array.from({ length: 3000 }, (_, i) => reading(`device-${i % 100}`, i));

    // Act
    const answer = await handler(kinesisEvent(inputs), lambdaContext());

    // Assess
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(refusing.commandCalls(PutRecordBatchCommand)).toHaveLength(1);
    expect(sent(0)).toEqual([inputs.map((_, i) => line(`device-${i % 100}`, i)).join('')]);
  });

  it('sends again only the records Firehose refused, and reports the first reading of a record still refused', async () => {
    // Prepare: 6,000 lines make two records; Firehose takes the first and refuses the second three times.
    const refusal = {
      FailedPutCount: 1,
      RequestResponses: [{ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }],
    };
    refusing
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 1,
        RequestResponses: [{ RecordId: '1' }, { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }],
      })
      .resolves(refusal);
    const handler = createArchiveRawTelemetryHandler({
      archive: new FirehoseRecordBatches(refusingClient, STREAM, { maxAttempts: 3, retryDelayMs: 0 }),
      logger,
    });
    const event = kinesisEvent(Array.from({ length: 6000 }, (_, i) => reading(`device-${i % 100}`, i)));

    // Act
    const answer = await handler(event, lambdaContext());

    // Assess
    expect(refusing.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
    expect(sent(0)).toHaveLength(2);
    expect(sent(1)).toEqual([sent(0)[1]]);
    expect(sent(2)).toEqual([sent(0)[1]]);
    const firstRefused = sent(0)[0]?.split('\n').length ?? 0;
    expect(firstRefused).toBeGreaterThan(1);
    // The first record held lines 0 .. n-1 (n - 1 newlines, then an empty tail): the refused record starts at n - 1.
    const refusedIndex = firstRefused - 1;
    expect(answer).toEqual({
      batchItemFailures: [{ itemIdentifier: event.Records[refusedIndex]?.kinesis.sequenceNumber }],
    });
    expect(sent(0)[1]?.startsWith(line(`device-${refusedIndex % 100}`, refusedIndex))).toBe(true);
  });

  it('reports the first reading of the batch when Firehose cannot be called at all', async () => {
    // Prepare
    refusing.on(PutRecordBatchCommand).rejects(new Error('connect ECONNREFUSED'));
    const handler = createArchiveRawTelemetryHandler({
      archive: new FirehoseRecordBatches(refusingClient, STREAM, { maxAttempts: 2, retryDelayMs: 0 }),
      logger,
    });
    const event = kinesisEvent([reading('sensor-1', 0), reading('sensor-1', 1)]);

    // Act
    const answer = await handler(event, lambdaContext());

    // Assess: the SDK's own retries done, the call is not made again.
    expect(refusing.commandCalls(PutRecordBatchCommand)).toHaveLength(1);
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: event.Records[0]?.kinesis.sequenceNumber }] });
  });
});

describe('rawArchiveBatch', () => {
  const record = (sequenceNumber: string, data: unknown) => ({
    sequenceNumber,
    data: Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)),
  });
  const message = (i: number) => ({ deviceId: 'd', timestamp: T0 + i, receivedAt: T0 + i, metrics: { t: i } });

  it('packs runs of readings, gives each refused record a record of its own, and says where each record starts', () => {
    // Prepare
    const records = [
      record('1', message(1)),
      record('2', message(2)),
      record('3', 'not json'),
      record('4', '\n'),
      record('5', message(5)),
      record('6', message(6)),
      record('7', message(7)),
    ];
    const lineBytes = `${JSON.stringify(message(5))}\n`.length;

    // Act: records of at most two lines.
    const batch = rawArchiveBatch(records, 2 * lineBytes);

    // Assess
    expect(batch.records.map(({ data, first }) => [data.toString(), first])).toEqual([
      [`${JSON.stringify(message(1))}\n${JSON.stringify(message(2))}\n`, 0],
      ['not json\n', 2],
      [`${JSON.stringify(message(5))}\n${JSON.stringify(message(6))}\n`, 3],
      [`${JSON.stringify(message(7))}\n`, 6],
    ]);
    expect(batch.refused).toEqual([{ sequenceNumber: '3', reason: 'data is not one JSON value' }]);
    expect(batch.dropped).toBe(1);
  });

  it('makes records the archive processor takes whole: packed readings Ok, a refused record ProcessingFailed', () => {
    // Prepare
    const records = [record('1', message(1)), record('2', { deviceId: 'd' }), record('3', message(3))];

    // Act
    const outcomes = rawArchiveBatch(records).records.map(({ data }) => normalizeRawRecord(data).result);

    // Assess
    expect(outcomes).toEqual(['Ok', 'ProcessingFailed', 'Ok']);
  });
});

describe('FirehoseRecordBatches', () => {
  it('calls PutRecordBatch with at most 500 records and 4 MiB each, in order', async () => {
    // Prepare
    refusing.on(PutRecordBatchCommand).resolves({ FailedPutCount: 0, RequestResponses: [] });
    const batches = new FirehoseRecordBatches(refusingClient, STREAM);
    const small = Array.from({ length: 600 }, (_, i) => Buffer.from(`${i}\n`));
    const large = Array.from({ length: 9 }, (_, i) => Buffer.alloc(512 * 1024, String(i)));

    // Act
    const failures = [await batches.write(small), await batches.write(large)];

    // Assess
    expect(failures).toEqual([undefined, undefined]);
    const calls = refusing.commandCalls(PutRecordBatchCommand).map((c) => c.args[0].input.Records ?? []);
    expect(calls.map((records) => records.length)).toEqual([500, 100, 8, 1]);
    expect(calls.map((records) => records.reduce((n, r) => n + (r.Data?.length ?? 0), 0))).toEqual([
      small.slice(0, 500).reduce((n, b) => n + b.length, 0),
      small.slice(500).reduce((n, b) => n + b.length, 0),
      4 * 1024 * 1024,
      512 * 1024,
    ]);
    expect(sent(1)[0]).toBe('500\n');
  });
});
