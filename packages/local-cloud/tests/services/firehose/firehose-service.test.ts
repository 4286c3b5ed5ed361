import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  CreateDeliveryStreamCommand,
  type CreateDeliveryStreamCommandInput,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  type FirehoseServiceException,
  InvalidArgumentException,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateDestinationCommand,
} from '@aws-sdk/client-firehose';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { InvokeResult } from '../../../src/contracts';
import { FirehoseService, type FirehoseTransformationEvent } from '../../../src/services/firehose';
import { S3Store } from '../../../src/services/s3';
import { FakeLambdaInvoker, type LocalFirehose, silentLogger, startLocalFirehose } from './firehose-fixture';

const BUCKET_ARN = 'arn:aws:s3:::archive';
const ROLE_ARN = 'arn:aws:iam::000000000000:role/firehose-delivery';
const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:000000000000:function:transform';
const DEFAULT_KEY = /^\d{4}\/\d{2}\/\d{2}\/\d{2}\/raw-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}$/;

async function errorOf(promise: Promise<unknown>): Promise<FirehoseServiceException> {
  try {
    await promise;
  } catch (error) {
    return error as FirehoseServiceException;
  }
  throw new Error('Expected the request to fail');
}

function streamInput(
  name: string,
  destination: Partial<NonNullable<CreateDeliveryStreamCommandInput['ExtendedS3DestinationConfiguration']>> = {},
): CreateDeliveryStreamCommandInput {
  return {
    DeliveryStreamName: name,
    DeliveryStreamType: 'DirectPut',
    ExtendedS3DestinationConfiguration: {
      RoleARN: ROLE_ARN,
      BucketARN: BUCKET_ARN,
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
      CompressionFormat: 'UNCOMPRESSED',
      ...destination,
    },
  };
}

function lambdaProcessing(parameters: Record<string, string> = {}) {
  return {
    Enabled: true,
    Processors: [
      {
        Type: 'Lambda' as const,
        Parameters: Object.entries({ LambdaArn: LAMBDA_ARN, ...parameters }).map(([name, value]) => ({
          ParameterName: name as 'LambdaArn',
          ParameterValue: value,
        })),
      },
    ],
  };
}

const line = (value: object) => Buffer.from(`${JSON.stringify(value)}\n`);

describe('local Firehose through the AWS SDK', () => {
  let local: LocalFirehose;

  afterEach(async () => {
    await local?.stop();
  });

  async function start(options: Parameters<typeof startLocalFirehose>[0] = {}) {
    local = await startLocalFirehose(options);
    await local.s3Client.send(new CreateBucketCommand({ Bucket: 'archive' }));
  }

  describe('delivery streams', () => {
    it('creates, describes, lists and deletes delivery streams', async () => {
      // Prepare
      await start();

      // Act
      const created = await local.firehoseClient.send(new CreateDeliveryStreamCommand(streamInput('raw')));
      await local.firehoseClient.send(new CreateDeliveryStreamCommand(streamInput('metrics', { Prefix: 'metrics/' })));
      const described = await local.firehoseClient.send(
        new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'raw' }),
      );
      const listed = await local.firehoseClient.send(new ListDeliveryStreamsCommand({}));
      await local.firehoseClient.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'metrics' }));
      const afterDelete = await local.firehoseClient.send(new ListDeliveryStreamsCommand({}));

      // Assess
      expect(created.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/raw');
      const description = described.DeliveryStreamDescription;
      expect(description?.DeliveryStreamStatus).toBe('ACTIVE');
      expect(description?.DeliveryStreamType).toBe('DirectPut');
      expect(description?.VersionId).toBe('1');
      expect(description?.CreateTimestamp).toBeInstanceOf(Date);
      expect(description?.Destinations?.[0]?.ExtendedS3DestinationDescription).toMatchObject({
        BucketARN: BUCKET_ARN,
        RoleARN: ROLE_ARN,
        BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 60 },
        CompressionFormat: 'UNCOMPRESSED',
      });
      expect(listed.DeliveryStreamNames).toEqual(['metrics', 'raw']);
      expect(listed.HasMoreDeliveryStreams).toBe(false);
      expect(afterDelete.DeliveryStreamNames).toEqual(['raw']);
    });

    it('answers ResourceNotFound, ResourceInUse and InvalidArgument as Firehose does', async () => {
      // Prepare
      await start();
      await local.firehoseClient.send(new CreateDeliveryStreamCommand(streamInput('raw')));

      // Act
      const missing = await errorOf(
        local.firehoseClient.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'nope' })),
      );
      const putMissing = await errorOf(
        local.firehoseClient.send(
          new PutRecordCommand({ DeliveryStreamName: 'nope', Record: { Data: Buffer.from('x') } }),
        ),
      );
      const duplicate = await errorOf(local.firehoseClient.send(new CreateDeliveryStreamCommand(streamInput('raw'))));
      const expressionsWithoutErrorPrefix = await errorOf(
        local.firehoseClient.send(
          new CreateDeliveryStreamCommand(streamInput('bad', { Prefix: 'data/!{timestamp:yyyy}/' })),
        ),
      );
      const errorPrefixWithoutType = await errorOf(
        local.firehoseClient.send(
          new CreateDeliveryStreamCommand(
            streamInput('bad', { Prefix: 'data/!{timestamp:yyyy}/', ErrorOutputPrefix: 'errors/!{timestamp:yyyy}/' }),
          ),
        ),
      );
      const unsupportedSource = await errorOf(
        local.firehoseClient.send(
          new CreateDeliveryStreamCommand({ ...streamInput('bad'), DeliveryStreamType: 'KinesisStreamAsSource' }),
        ),
      );

      // Assess
      expect(missing).toBeInstanceOf(ResourceNotFoundException);
      expect(missing.message).toBe('Firehose stream nope under account 000000000000 not found.');
      expect(putMissing).toBeInstanceOf(ResourceNotFoundException);
      expect(duplicate).toBeInstanceOf(ResourceInUseException);
      expect(expressionsWithoutErrorPrefix).toBeInstanceOf(InvalidArgumentException);
      expect(errorPrefixWithoutType).toBeInstanceOf(InvalidArgumentException);
      expect(unsupportedSource).toBeInstanceOf(InvalidArgumentException);
    });
  });

  describe('delivery to S3', () => {
    it('writes exactly the records, concatenated, when the interval elapses', async () => {
      // Prepare
      await start({ bufferIntervalOverrideMs: 150 });
      await local.firehoseClient.send(new CreateDeliveryStreamCommand(streamInput('raw')));
      const records = [line({ deviceId: 'd-1', t: 1 }), line({ deviceId: 'd-2', t: 2 }), Buffer.from('no-newline')];

      // Act
      const single = await local.firehoseClient.send(
        new PutRecordCommand({ DeliveryStreamName: 'raw', Record: { Data: records[0] } }),
      );
      const batch = await local.firehoseClient.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'raw',
          Records: [{ Data: records[1] }, { Data: records[2] }],
        }),
      );
      const keysBeforeInterval = await local.keys('archive');
      const [key] = await local.waitForObjects('archive', 1);
      const content = await local.read('archive', key as string);

      // Assess
      expect(single.RecordId).toMatch(/^\d{56}$/);
      expect(batch.FailedPutCount).toBe(0);
      expect(batch.RequestResponses?.map((r) => r.RecordId)).toHaveLength(2);
      expect(keysBeforeInterval).toEqual([]);
      expect(key).toMatch(DEFAULT_KEY);
      expect(content.equals(Buffer.concat(records as Buffer[]))).toBe(true);
    });

    it('writes as soon as the buffer reaches its size', async () => {
      // Prepare
      await start();
      await local.firehoseClient.send(
        new CreateDeliveryStreamCommand(
          streamInput('raw', { BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 900 } }),
        ),
      );
      const first = Buffer.alloc(600 * 1024, 'a');
      const second = Buffer.alloc(600 * 1024, 'b');
      const third = Buffer.from('c');

      // Act
      await local.firehoseClient.send(
        new PutRecordBatchCommand({ DeliveryStreamName: 'raw', Records: [{ Data: first }] }),
      );
      const keysAtHalf = await local.keys('archive');
      await local.firehoseClient.send(
        new PutRecordBatchCommand({ DeliveryStreamName: 'raw', Records: [{ Data: second }, { Data: third }] }),
      );
      const [key] = await local.waitForObjects('archive', 1);
      const content = await local.read('archive', key as string);
      await local.firehose.flush();
      const keysAfterFlush = await local.keys('archive');
      const rest = await local.read('archive', keysAfterFlush.find((k) => k !== key) as string);

      // Assess
      expect(keysAtHalf).toEqual([]);
      expect(content.length).toBe(first.length + second.length);
      expect(content.equals(Buffer.concat([first, second]))).toBe(true);
      expect(keysAfterFlush).toHaveLength(2);
      expect(rest.toString()).toBe('c');
    });

    it('evaluates custom prefixes and compresses with GZIP', async () => {
      // Prepare
      await start();
      await local.firehoseClient.send(
        new CreateDeliveryStreamCommand(
          streamInput('raw', {
            Prefix: "telemetry/!{timestamp:'year='yyyy'/month='MM}/!{firehose:random-string}/",
            ErrorOutputPrefix: 'errors/!{firehose:error-output-type}/',
            CompressionFormat: 'GZIP',
          }),
        ),
      );
      const records = [line({ a: 1 }), line({ b: 2 })];

      // Act
      await local.firehose.putRecords('raw', records);
      await local.firehose.flush();
      const [key] = await local.keys('archive');
      const content = gunzipSync(await local.read('archive', key as string));

      // Assess
      const now = new Date();
      const month = String(now.getUTCMonth() + 1).padStart(2, '0');
      expect(key).toMatch(
        new RegExp(
          `^telemetry/year=${now.getUTCFullYear()}/month=${month}/[0-9a-f-]{11}/raw-1-[0-9-]{19}-[0-9a-f-]{36}\\.gz$`,
        ),
      );
      expect(content.equals(Buffer.concat(records))).toBe(true);
    });

    it('appends yyyy/MM/dd/HH/ to a static prefix, and delivers what is buffered on close', async () => {
      // Prepare
      await start();
      await local.firehose.createDeliveryStream(
        streamInput('raw', { Prefix: 'raw/', BufferingHints: { SizeInMBs: 128, IntervalInSeconds: 900 } }) as never,
      );
      await local.firehose.putRecords('raw', [Buffer.from('kept on close\n')]);

      // Act
      await local.firehose.close();
      const keys = await local.keys('archive');
      const content = await local.read('archive', keys[0] as string);

      // Assess
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(/^raw\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/raw-1-/);
      expect(content.toString()).toBe('kept on close\n');
    });

    it('keeps what S3 refuses and writes it once the bucket exists', async () => {
      // Prepare
      local = await startLocalFirehose();
      await local.firehose.createDeliveryStream(streamInput('raw') as never);
      await local.firehose.putRecords('raw', [Buffer.from('waiting for the bucket')]);

      // Act
      const firstFlush = await local.firehose.flush().then(
        () => 'delivered',
        (error: Error) => error.message,
      );
      await local.s3.createBucket('archive');
      await local.firehose.flush();
      const keys = await local.keys('archive');

      // Assess
      expect(firstFlush).toBe('Some Firehose deliveries could not be written');
      expect(keys).toHaveLength(1);
      expect((await local.read('archive', keys[0] as string)).toString()).toBe('waiting for the bucket');
    });

    it('starts a new version with UpdateDestination', async () => {
      // Prepare
      await start();
      await local.firehoseClient.send(new CreateDeliveryStreamCommand(streamInput('raw')));

      // Act
      await local.firehoseClient.send(
        new UpdateDestinationCommand({
          DeliveryStreamName: 'raw',
          CurrentDeliveryStreamVersionId: '1',
          DestinationId: 'destinationId-000000000001',
          ExtendedS3DestinationUpdate: { Prefix: 'v2/' },
        }),
      );
      await local.firehose.putRecords('raw', [Buffer.from('x')]);
      await local.firehose.flush();
      const [key] = await local.keys('archive');
      const described = await local.firehoseClient.send(
        new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'raw' }),
      );

      // Assess
      expect(described.DeliveryStreamDescription?.VersionId).toBe('2');
      expect(key).toMatch(/^v2\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/raw-2-/);
    });
  });

  describe('processing with a Lambda', () => {
    const answer = (payload: unknown): InvokeResult => ({ ok: true, payload });

    /** Upper-cases records, drops those saying "drop", fails those saying "fail", forgets those saying "skip". */
    const transformer = () =>
      new FakeLambdaInvoker((event) => {
        const { records } = event as FirehoseTransformationEvent;
        return answer({
          records: records.flatMap((record) => {
            const text = Buffer.from(record.data, 'base64').toString();
            if (text.includes('skip')) return [];
            if (text.includes('drop')) return [{ recordId: record.recordId, result: 'Dropped' }];
            if (text.includes('fail'))
              return [{ recordId: record.recordId, result: 'ProcessingFailed', data: record.data }];
            return [
              { recordId: record.recordId, result: 'Ok', data: Buffer.from(text.toUpperCase()).toString('base64') },
            ];
          }),
        });
      });

    it('delivers Ok records transformed, leaves Dropped ones out, and writes failures to processing-failed/', async () => {
      // Prepare
      const invoker = transformer();
      await start({ lambdaInvoker: invoker });
      await local.firehoseClient.send(
        new CreateDeliveryStreamCommand(streamInput('raw', { ProcessingConfiguration: lambdaProcessing() })),
      );
      const before = Date.now();

      // Act
      await local.firehoseClient.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: 'raw',
          Records: ['keep one\n', 'drop me\n', 'fail me\n', 'skip me\n', 'keep two\n'].map((text) => ({
            Data: Buffer.from(text),
          })),
        }),
      );
      await local.firehose.flush();
      const keys = await local.keys('archive');
      const dataKey = keys.find((key) => !key.startsWith('processing-failed/')) as string;
      const errorKey = keys.find((key) => key.startsWith('processing-failed/')) as string;
      const delivered = (await local.read('archive', dataKey)).toString();
      const errorLines = (await local.read('archive', errorKey))
        .toString()
        .trimEnd()
        .split('\n')
        .map((text) => JSON.parse(text));

      // Assess
      const event = invoker.calls[0]?.event as FirehoseTransformationEvent;
      expect(invoker.calls).toHaveLength(1);
      expect(invoker.calls[0]?.functionArn).toBe(LAMBDA_ARN);
      expect(event.deliveryStreamArn).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/raw');
      expect(event.region).toBe('us-east-1');
      expect(event.invocationId).toMatch(/^[0-9a-f-]{36}$/);
      expect(event.records).toHaveLength(5);
      expect(event.records[0]).toEqual({
        recordId: expect.stringMatching(/^\d{56}$/),
        approximateArrivalTimestamp: expect.any(Number),
        data: Buffer.from('keep one\n').toString('base64'),
      });
      expect(keys).toHaveLength(2);
      expect(dataKey).toMatch(DEFAULT_KEY);
      expect(delivered).toBe('KEEP ONE\nKEEP TWO\n');
      expect(errorKey).toMatch(/^processing-failed\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/raw-1-[0-9-]{19}-[0-9a-f-]{36}$/);
      expect(errorLines).toEqual([
        {
          attemptsMade: 1,
          arrivalTimestamp: expect.any(Number),
          errorCode: 'Lambda.ProcessingFailedStatus',
          errorMessage: expect.any(String),
          attemptEndingTimestamp: expect.any(Number),
          rawData: Buffer.from('fail me\n').toString('base64'),
          lambdaArn: LAMBDA_ARN,
        },
        expect.objectContaining({
          errorCode: 'Lambda.MissingRecordId',
          rawData: Buffer.from('skip me\n').toString('base64'),
        }),
      ]);
      expect(Object.keys(errorLines[0])).toEqual([
        'attemptsMade',
        'arrivalTimestamp',
        'errorCode',
        'errorMessage',
        'attemptEndingTimestamp',
        'rawData',
        'lambdaArn',
      ]);
      expect(errorLines[0].arrivalTimestamp).toBeGreaterThanOrEqual(before);
    });

    it('retries a failing function, then writes the whole batch to the error output prefix', async () => {
      // Prepare
      const invoker = new FakeLambdaInvoker(() => ({
        ok: false,
        functionError: 'Unhandled',
        error: { errorType: 'Error', errorMessage: 'boom' },
      }));
      await start({ lambdaInvoker: invoker });
      await local.firehose.createDeliveryStream(
        streamInput('raw', {
          Prefix: 'data/',
          ErrorOutputPrefix: 'failed/!{firehose:error-output-type}/!{timestamp:yyyy}/',
          ProcessingConfiguration: lambdaProcessing({ NumberOfRetries: '2' }),
        }) as never,
      );

      // Act
      await local.firehose.putRecords('raw', [Buffer.from('one'), Buffer.from('two')]);
      await local.firehose.flush();
      const keys = await local.keys('archive');
      const lines = (await local.read('archive', keys[0] as string))
        .toString()
        .trimEnd()
        .split('\n')
        .map((text) => JSON.parse(text));

      // Assess
      expect(invoker.calls).toHaveLength(3);
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(new RegExp(`^failed/processing-failed/${new Date().getUTCFullYear()}/raw-1-`));
      expect(lines.map((l) => [l.errorCode, l.attemptsMade, Buffer.from(l.rawData, 'base64').toString()])).toEqual([
        ['Lambda.FunctionError', 3, 'one'],
        ['Lambda.FunctionError', 3, 'two'],
      ]);
    });

    it('invokes the function when its own buffer interval elapses', async () => {
      // Prepare
      const invoker = transformer();
      await start({ lambdaInvoker: invoker, bufferIntervalOverrideMs: 100 });
      await local.firehose.createDeliveryStream(
        streamInput('raw', { ProcessingConfiguration: lambdaProcessing() }) as never,
      );

      // Act
      await local.firehose.putRecords('raw', [Buffer.from('late\n')]);
      const [key] = await local.waitForObjects('archive', 1);

      // Assess
      expect(invoker.calls).toHaveLength(1);
      expect((await local.read('archive', key as string)).toString()).toBe('LATE\n');
    });
  });
});

describe('local Firehose on disk', () => {
  it('keeps delivery stream definitions across a restart on the same data folder', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'local-firehose-'));
    const store = new S3Store({ dataDir });
    await store.createBucket('archive');
    const first = new FirehoseService({ objectWriter: store, dataDir, logger: silentLogger });
    await first.createDeliveryStream({
      DeliveryStreamName: 'raw',
      ExtendedS3DestinationConfiguration: {
        BucketARN: BUCKET_ARN,
        RoleARN: ROLE_ARN,
        Prefix: 'raw/',
        BufferingHints: { SizeInMBs: '2', IntervalInSeconds: '120' },
      },
    });
    await first.close();

    // Act
    const second = new FirehoseService({ objectWriter: store, dataDir, logger: silentLogger });
    const names = await second.listDeliveryStreams();
    const description = await second.describeDeliveryStream('raw');
    await second.putRecords('raw', [Buffer.from('after restart\n')]);
    await second.close();
    const listed = await store.listObjects('archive');
    const content = (await store.getObject('archive', listed.objects[0]?.key as string)).body.toString();
    await rm(dataDir, { recursive: true, force: true });

    // Assess
    expect(names).toEqual(['raw']);
    expect(description.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/raw');
    expect(description.Destinations).toEqual([
      expect.objectContaining({
        ExtendedS3DestinationDescription: expect.objectContaining({
          Prefix: 'raw/',
          BufferingHints: { SizeInMBs: 2, IntervalInSeconds: 120 },
        }),
      }),
    ]);
    expect(listed.objects).toHaveLength(1);
    expect(content).toBe('after restart\n');
  });

  it('ensures a stream from a template again: kept when unchanged, a new version when changed', async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), 'local-firehose-'));
    const store = new S3Store();
    const properties = streamInput('raw', { Prefix: 'raw/' }) as never;
    const first = new FirehoseService({ objectWriter: store, dataDir, logger: silentLogger });
    const created = await first.ensureDeliveryStream(properties);
    await first.close();

    // Act
    const second = new FirehoseService({ objectWriter: store, dataDir, logger: silentLogger });
    const again = await second.ensureDeliveryStream(properties);
    const changed = await second.ensureDeliveryStream(streamInput('raw', { Prefix: 'raw-v2/' }) as never);
    const description = await second.describeDeliveryStream('raw');
    await second.close();
    await rm(dataDir, { recursive: true, force: true });

    // Assess
    expect(created).toMatchObject({ created: true, updated: false });
    expect(again).toEqual({ arn: created.arn, created: false, updated: false });
    expect(changed).toEqual({ arn: created.arn, created: false, updated: true });
    expect(description.VersionId).toBe('2');
  });

  it('rejects records for a stream that does not exist', async () => {
    // Prepare
    const firehose = new FirehoseService({ objectWriter: new S3Store(), logger: silentLogger });

    // Act
    const error = await firehose.putRecords('nope', [Buffer.from('x')]).catch((e: Error) => e);

    // Assess
    expect((error as FirehoseServiceException).name).toBe('AwsServiceError');
    expect(error).toMatchObject({ code: 'ResourceNotFoundException' });
  });
});
