/**
 * The metrics export's use of PutRecordBatch: lines packed into records, batches within Firehose's limits, and only
 * the records Firehose refused sent again.
 *
 * The export is sent to the local cloud's Firehose, started in-process, and read back from the S3 object it wrote. The
 * local Firehose never refuses some records of a batch (FailedPutCount), so the two tests of that answer use one
 * client instance mocked with aws-sdk-client-mock, for that answer alone.
 */
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { type LocalAws, startLocalAwsServices } from '@iot/testing/local-aws';
import type { WindowMetric } from '@iot/types';
import { mockClient } from 'aws-sdk-client-mock';
import { FirehoseWindowMetricsExport, packLines } from '../src/adapters/firehose-window-metrics-export';

const T0 = 1_767_225_600_000;
const options = { maxAttempts: 3, retryDelayMs: 0 };
/** The client of the partial-failure tests, mocked (this instance only): the local Firehose never answers so. */
const refusingClient = new FirehoseClient({ region: 'us-east-1' });
const firehose = mockClient(refusingClient);
const exporter = new FirehoseWindowMetricsExport(refusingClient, 'metrics', options);

const metric = (deviceId: string): WindowMetric => ({
  deviceId,
  metric: 'temperature',
  windowStart: T0,
  windowEnd: T0 + 60_000,
  count: 1,
  min: 1,
  max: 1,
  sum: 1,
  mean: 1,
  last: 1,
  firstTimestamp: T0,
  lastTimestamp: T0,
});
const results = (devices: number) => ({
  part: 'shardId-000000000000#1',
  devices: Array.from({ length: devices }, (_, i) => metric(`device-${i}`)),
  fleet: [],
});
const sent = (call: number) =>
  (firehose.commandCalls(PutRecordBatchCommand)[call]?.args[0].input.Records ?? []).map((r) =>
    Buffer.from(r.Data ?? new Uint8Array()).toString('utf8'),
  );

beforeEach(() => firehose.reset());
afterAll(() => refusingClient.destroy());

describe('FirehoseWindowMetricsExport', () => {
  it('packs whole lines into records of at most the given size', () => {
    // Prepare
    const lines = ['aaaa\n', 'bbbb\n', 'cccc\n', `${'x'.repeat(20)}\n`, 'dd\n'];

    // Act
    const records = packLines(lines, 12).map((r) => r.toString());

    // Assess
    expect(records).toEqual(['aaaa\nbbbb\n', 'cccc\n', `${'x'.repeat(20)}\n`, 'dd\n']);
    expect(records.join('')).toBe(lines.join(''));
  });

  it('sends every window metric as one JSON line with its part', async () => {
    // Prepare: the local Firehose, its delivery stream `metrics` writing to a local S3 bucket.
    const aws: LocalAws = await startLocalAwsServices({ firehose: true });
    const client = new FirehoseClient(aws.clientConfig);
    try {
      await aws.s3.createBucket('metrics-export');
      await aws.firehose.createDeliveryStream({
        DeliveryStreamName: 'metrics',
        ExtendedS3DestinationConfiguration: { BucketARN: 'arn:aws:s3:::metrics-export' },
      });

      // Act
      await new FirehoseWindowMetricsExport(client, 'metrics', options).exportWindow(results(3));

      // Assess
      await aws.firehose.flush();
      const { objects } = await aws.s3.listObjects('metrics-export');
      expect(objects).toHaveLength(1);
      const { body } = await aws.s3.getObject('metrics-export', objects[0]?.key ?? '');
      const lines = body.toString('utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.map((line) => JSON.parse(line))).toEqual(
        [0, 1, 2].map((i) => ({ ...metric(`device-${i}`), part: 'shardId-000000000000#1' })),
      );
    } finally {
      client.destroy();
      await aws.stop();
    }
  });

  it('sends again only the records Firehose refused', async () => {
    // Prepare: 5,000 lines of ~260 bytes make 3 records; Firehose refuses the second once.
    firehose
      .on(PutRecordBatchCommand)
      .resolvesOnce({
        FailedPutCount: 1,
        RequestResponses: [
          { RecordId: '1' },
          { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' },
          { RecordId: '3' },
        ],
      })
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: '2' }] });

    // Act
    await exporter.exportWindow(results(5000));

    // Assess
    expect(sent(0)).toHaveLength(3);
    expect(sent(1)).toEqual([sent(0)[1]]);
  });

  it('fails, naming what Firehose answered, when records are still refused after the last attempt', async () => {
    // Prepare
    firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [{ ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }],
    });

    // Act
    const failed = exporter.exportWindow(results(1));

    // Assess
    await expect(failed).rejects.toThrow(
      'Firehose metrics refused 1 of 1 records after 3 attempts: ServiceUnavailableException Slow down.',
    );
    expect(firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });
});
