import {
  type _Record,
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  ListStreamsCommand,
  PutRecordCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type EdgeServer, startEdgeServer } from '../../../src/edge/edge-server';
import { KinesisService, partitionKeyHash } from '../../../src/services/kinesis';

const text = (record: _Record) => Buffer.from(record.Data ?? new Uint8Array()).toString('utf8');

describe('Kinesis through the edge endpoint and the AWS SDK', () => {
  let kinesis: KinesisService;
  let edge: EdgeServer;
  let client: KinesisClient;

  beforeEach(async () => {
    kinesis = await KinesisService.open();
    edge = await startEdgeServer({ services: [kinesis] });
    client = new KinesisClient({
      endpoint: edge.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      // The Kinesis client speaks HTTP/2 by default; the edge endpoint serves HTTP/1.1.
      requestHandler: new NodeHttpHandler(),
    });
  });

  afterEach(async () => {
    client.destroy();
    await edge.close();
    await kinesis.close();
  });

  async function iterator(streamName: string, shardId: string, type: 'TRIM_HORIZON' | 'LATEST' = 'TRIM_HORIZON') {
    const answer = await client.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shardId, ShardIteratorType: type }),
    );
    return answer.ShardIterator as string;
  }

  it('creates a stream whose shards split the hash key space evenly', async () => {
    // Prepare
    await client.send(new CreateStreamCommand({ StreamName: 'telemetry', ShardCount: 2 }));

    // Act
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName: 'telemetry' }));
    const { StreamDescriptionSummary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: 'telemetry' }),
    );
    const { StreamNames, StreamSummaries } = await client.send(new ListStreamsCommand({}));
    const { Shards } = await client.send(new ListShardsCommand({ StreamName: 'telemetry' }));

    // Assess
    expect(StreamDescription).toMatchObject({
      StreamName: 'telemetry',
      StreamARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/telemetry',
      StreamStatus: 'ACTIVE',
      RetentionPeriodHours: 24,
      HasMoreShards: false,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
    expect(StreamDescription?.StreamCreationTimestamp).toBeInstanceOf(Date);
    expect(StreamDescription?.Shards?.map((shard) => [shard.ShardId, shard.HashKeyRange])).toEqual([
      ['shardId-000000000000', { StartingHashKey: '0', EndingHashKey: '170141183460469231731687303715884105727' }],
      [
        'shardId-000000000001',
        {
          StartingHashKey: '170141183460469231731687303715884105728',
          EndingHashKey: '340282366920938463463374607431768211455',
        },
      ],
    ]);
    expect(StreamDescriptionSummary).toMatchObject({ OpenShardCount: 2, StreamStatus: 'ACTIVE' });
    expect(StreamNames).toEqual(['telemetry']);
    expect(StreamSummaries?.[0]?.StreamARN).toBe('arn:aws:kinesis:us-east-1:000000000000:stream/telemetry');
    expect(Shards?.map((shard) => shard.ShardId)).toEqual(['shardId-000000000000', 'shardId-000000000001']);
  });

  it('creates an on-demand stream with four shards', async () => {
    // Act
    await client.send(
      new CreateStreamCommand({ StreamName: 'on-demand', StreamModeDetails: { StreamMode: 'ON_DEMAND' } }),
    );

    // Assess
    const { StreamDescriptionSummary } = await client.send(
      new DescribeStreamSummaryCommand({ StreamName: 'on-demand' }),
    );
    expect(StreamDescriptionSummary).toMatchObject({
      OpenShardCount: 4,
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
    });
  });

  it('puts records on the shard the MD5 of the partition key falls in, and reads them back in order', async () => {
    // Prepare
    await client.send(new CreateStreamCommand({ StreamName: 'telemetry', ShardCount: 2 }));
    const half = 1n << 127n;
    const devices = ['device-1', 'device-2', 'device-3', 'device-4', 'device-5'];

    // Act
    const puts = [];
    for (let i = 0; i < 20; i++) {
      const device = devices[i % devices.length] as string;
      puts.push(
        await client.send(
          new PutRecordCommand({ StreamName: 'telemetry', PartitionKey: device, Data: Buffer.from(`${device}#${i}`) }),
        ),
      );
    }
    const shard0 = await client.send(
      new GetRecordsCommand({ ShardIterator: await iterator('telemetry', 'shardId-000000000000') }),
    );
    const shard1 = await client.send(
      new GetRecordsCommand({ ShardIterator: await iterator('telemetry', 'shardId-000000000001') }),
    );

    // Assess
    puts.forEach((put, i) => {
      const device = devices[i % devices.length] as string;
      expect(put.ShardId).toBe(partitionKeyHash(device) < half ? 'shardId-000000000000' : 'shardId-000000000001');
      expect(put.SequenceNumber).toMatch(/^\d{56}$/);
    });
    const all = [...(shard0.Records ?? []), ...(shard1.Records ?? [])];
    expect(all).toHaveLength(20);
    for (const device of devices) {
      const order = all
        .filter((record) => record.PartitionKey === device)
        .map((record) => Number(text(record).split('#')[1]));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order).toHaveLength(4);
    }
    for (const records of [shard0.Records ?? [], shard1.Records ?? []]) {
      const sequenceNumbers = records.map((record) => BigInt(record.SequenceNumber as string));
      expect(sequenceNumbers).toEqual([...sequenceNumbers].sort((a, b) => (a < b ? -1 : 1)));
      for (const record of records) expect(record.ApproximateArrivalTimestamp).toBeInstanceOf(Date);
    }
    expect(shard0.MillisBehindLatest).toBe(0);
    expect(shard0.NextShardIterator).toBeDefined();
  });

  it('reports per-record results of PutRecords', async () => {
    // Prepare
    await client.send(new CreateStreamCommand({ StreamName: 'batch', ShardCount: 1 }));

    // Act
    const answer = await client.send(
      new PutRecordsCommand({
        StreamName: 'batch',
        Records: [
          { PartitionKey: 'a', Data: Buffer.from('one') },
          { PartitionKey: 'b', Data: Buffer.from('two') },
          { PartitionKey: 'c', Data: Buffer.from('three'), ExplicitHashKey: '0' },
        ],
      }),
    );

    // Assess
    expect(answer.FailedRecordCount).toBe(0);
    expect(answer.Records?.map((record) => record.ShardId)).toEqual([
      'shardId-000000000000',
      'shardId-000000000000',
      'shardId-000000000000',
    ]);
    const { Records } = await client.send(
      new GetRecordsCommand({ ShardIterator: await iterator('batch', 'shardId-000000000000') }),
    );
    expect(Records?.map(text)).toEqual(['one', 'two', 'three']);
    expect(Records?.map((record) => record.SequenceNumber)).toEqual(
      answer.Records?.map((record) => record.SequenceNumber),
    );
  });

  it('positions iterators at and after a sequence number, at a timestamp, and at the tip', async () => {
    // Prepare
    await client.send(new CreateStreamCommand({ StreamName: 'positions', ShardCount: 1 }));
    const sequenceNumbers: string[] = [];
    for (const word of ['a', 'b', 'c']) {
      const put = await client.send(
        new PutRecordCommand({ StreamName: 'positions', PartitionKey: 'k', Data: Buffer.from(word) }),
      );
      sequenceNumbers.push(put.SequenceNumber as string);
    }
    const read = async (
      input: Omit<ConstructorParameters<typeof GetShardIteratorCommand>[0], 'StreamName' | 'ShardId'>,
    ) => {
      const { ShardIterator } = await client.send(
        new GetShardIteratorCommand({ StreamName: 'positions', ShardId: 'shardId-000000000000', ...input }),
      );
      const { Records } = await client.send(new GetRecordsCommand({ ShardIterator }));
      return Records?.map(text);
    };
    const latest = await iterator('positions', 'shardId-000000000000', 'LATEST');

    // Act
    const at = await read({ ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: sequenceNumbers[1] });
    const after = await read({
      ShardIteratorType: 'AFTER_SEQUENCE_NUMBER',
      StartingSequenceNumber: sequenceNumbers[1],
    });
    const fromTimestamp = await read({ ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(Date.now() - 60_000) });
    await client.send(new PutRecordCommand({ StreamName: 'positions', PartitionKey: 'k', Data: Buffer.from('d') }));
    const afterLatest = await client.send(new GetRecordsCommand({ ShardIterator: latest, Limit: 10 }));
    const following = await client.send(new GetRecordsCommand({ ShardIterator: afterLatest.NextShardIterator }));

    // Assess
    expect(at).toEqual(['b', 'c']);
    expect(after).toEqual(['c']);
    expect(fromTimestamp).toEqual(['a', 'b', 'c']);
    expect(afterLatest.Records?.map(text)).toEqual(['d']);
    expect(following.Records).toEqual([]);
  });

  it('answers with the errors AWS answers with', async () => {
    // Prepare
    await client.send(new CreateStreamCommand({ StreamName: 'limits', ShardCount: 1 }));
    const tooMany = Array.from({ length: 501 }, (_, i) => ({ PartitionKey: `k${i}`, Data: Buffer.from('x') }));

    // Act
    const outcomes = await Promise.allSettled([
      client.send(new DescribeStreamCommand({ StreamName: 'missing' })),
      client.send(new PutRecordCommand({ StreamName: 'missing', PartitionKey: 'k', Data: Buffer.from('x') })),
      client.send(new CreateStreamCommand({ StreamName: 'limits', ShardCount: 1 })),
      client.send(
        new PutRecordCommand({ StreamName: 'limits', PartitionKey: 'k', Data: Buffer.alloc(1024 * 1024 + 1) }),
      ),
      client.send(new PutRecordsCommand({ StreamName: 'limits', Records: tooMany })),
      client.send(
        new PutRecordCommand({ StreamName: 'limits', PartitionKey: 'x'.repeat(257), Data: Buffer.from('x') }),
      ),
      client.send(new GetRecordsCommand({ ShardIterator: 'not-an-iterator' })),
      client.send(
        new GetShardIteratorCommand({
          StreamName: 'limits',
          ShardId: 'shardId-000000000007',
          ShardIteratorType: 'LATEST',
        }),
      ),
    ]);

    // Assess
    const names = outcomes.map((outcome) =>
      outcome.status === 'rejected' ? (outcome.reason as Error).name : 'fulfilled',
    );
    expect(names).toEqual([
      'ResourceNotFoundException',
      'ResourceNotFoundException',
      'ResourceInUseException',
      'ValidationException',
      'ValidationException',
      'ValidationException',
      'InvalidArgumentException',
      'ResourceNotFoundException',
    ]);
    const missing = outcomes[0] as PromiseRejectedResult;
    expect((missing.reason as Error).message).toBe('Stream missing under account 000000000000 not found.');
    expect((missing.reason as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(400);
  });

  it('accepts a record of exactly 1 MiB', async () => {
    // Prepare
    await client.send(new CreateStreamCommand({ StreamName: 'big', ShardCount: 1 }));

    // Act
    await client.send(
      new PutRecordCommand({ StreamName: 'big', PartitionKey: 'k', Data: Buffer.alloc(1024 * 1024, 1) }),
    );

    // Assess
    const { Records } = await client.send(
      new GetRecordsCommand({ ShardIterator: await iterator('big', 'shardId-000000000000') }),
    );
    expect(Records?.[0]?.Data?.length).toBe(1024 * 1024);
  });

  it('deletes a stream, after which it is not found', async () => {
    // Prepare
    await client.send(new CreateStreamCommand({ StreamName: 'short-lived', ShardCount: 1 }));

    // Act
    await client.send(new DeleteStreamCommand({ StreamName: 'short-lived' }));

    // Assess
    await expect(client.send(new DescribeStreamSummaryCommand({ StreamName: 'short-lived' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    expect((await client.send(new ListStreamsCommand({}))).StreamNames).toEqual([]);
  });

  it('takes the stream by ARN as well as by name', async () => {
    // Prepare
    await client.send(new CreateStreamCommand({ StreamName: 'by-arn', ShardCount: 1 }));
    const StreamARN = kinesis.streamArn('by-arn');

    // Act
    await client.send(new PutRecordCommand({ StreamARN, PartitionKey: 'k', Data: Buffer.from('hello') }));
    const { ShardIterator } = await client.send(
      new GetShardIteratorCommand({ StreamARN, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }),
    );
    const { Records } = await client.send(new GetRecordsCommand({ StreamARN, ShardIterator }));

    // Assess
    expect(Records?.map(text)).toEqual(['hello']);
  });

  it('serves in-process producers: records put with putRecord are read through the API', async () => {
    // Prepare
    kinesis.createStream({ streamName: 'rules', shardCount: 1 });

    // Act
    const put = kinesis.putRecord('rules', JSON.stringify({ deviceId: 'd-1', temperature: 21.5 }), 'd-1');

    // Assess
    const { Records } = await client.send(
      new GetRecordsCommand({ ShardIterator: await iterator('rules', put.shardId) }),
    );
    expect(Records?.map((record) => JSON.parse(text(record)))).toEqual([{ deviceId: 'd-1', temperature: 21.5 }]);
    expect(Records?.[0]?.SequenceNumber).toBe(put.sequenceNumber);
  });
});
