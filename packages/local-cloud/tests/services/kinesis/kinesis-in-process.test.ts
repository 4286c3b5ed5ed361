import { createStreamInputFromTemplate, KinesisService } from '../../../src/services/kinesis';

describe('Kinesis for in-process producers and consumers', () => {
  let kinesis: KinesisService;

  beforeEach(async () => {
    kinesis = await KinesisService.open();
  });

  afterEach(async () => {
    await kinesis.close();
  });

  it('creates a stream from the properties of an AWS::Kinesis::Stream, once', () => {
    // Prepare
    const input = createStreamInputFromTemplate('telemetry-dev', {
      ShardCount: '2',
      RetentionPeriodHours: 48,
      Tags: [{ Key: 'service', Value: 'telemetry-analytics' }],
    });

    // Act
    const created = kinesis.ensureStream(input);
    const again = kinesis.ensureStream(input);

    // Assess
    expect(again).toBe(created);
    expect(created).toMatchObject({ name: 'telemetry-dev', mode: 'PROVISIONED', retentionPeriodHours: 48 });
    expect(created.shards).toHaveLength(2);
    expect(Object.fromEntries(created.tags)).toEqual({ service: 'telemetry-analytics' });
    expect(
      createStreamInputFromTemplate('s', { StreamModeDetails: { StreamMode: 'ON_DEMAND' } }).shardCount,
    ).toBeUndefined();
  });

  it('wakes subscribers once per burst of records, naming the shards that got them', async () => {
    // Prepare
    kinesis.createStream({ streamName: 'telemetry', shardCount: 4 });
    const woken: string[] = [];
    const unsubscribe = kinesis.subscribe(kinesis.streamArn('telemetry'), (shardId) => woken.push(shardId));

    // Act
    const shards = new Set<string>();
    for (let i = 0; i < 100; i++) shards.add(kinesis.putRecord('telemetry', `${i}`, `device-${i}`).shardId);
    await Promise.resolve();
    unsubscribe();
    kinesis.putRecord('telemetry', 'unheard', 'device-1');
    await Promise.resolve();

    // Assess
    expect(woken.sort()).toEqual([...shards].sort());
  });

  it('reads a shard from a position, and tells where to read next', () => {
    // Prepare
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    for (const word of ['a', 'b', 'c']) kinesis.putRecord('telemetry', word, 'k');
    const start = kinesis.position('telemetry', 'shardId-000000000000', { type: 'TRIM_HORIZON' });

    // Act
    const first = kinesis.read('telemetry', 'shardId-000000000000', start, 2);
    const second = kinesis.read('telemetry', 'shardId-000000000000', first.next, 2);
    const third = kinesis.read('telemetry', 'shardId-000000000000', second.next, 2);

    // Assess
    expect(first.records.map((record) => record.data.toString())).toEqual(['a', 'b']);
    expect(second.records.map((record) => record.data.toString())).toEqual(['c']);
    expect(third).toEqual({ records: [], next: 3 });
    expect(kinesis.position('telemetry', 'shardId-000000000000', { type: 'LATEST' })).toBe(3);
  });

  it('keeps a record in memory of its own, not the larger buffer its bytes were sliced from', () => {
    // Prepare: a message's bytes as a slice of a socket's read chunk
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    const chunk = Buffer.alloc(64 * 1024, 'x');
    chunk.write('{"t":21.5}', 1000);

    // Act
    kinesis.putRecord('telemetry', chunk.subarray(1000, 1010), 'sensor-1');
    const start = kinesis.position('telemetry', 'shardId-000000000000', { type: 'TRIM_HORIZON' });
    const [record] = kinesis.read('telemetry', 'shardId-000000000000', start, 1).records;

    // Assess
    expect(record?.data.toString()).toBe('{"t":21.5}');
    expect(record?.data.buffer.byteLength).toBe(10);
  });

  it('refuses puts to a stream that does not exist', () => {
    // Act
    const put = () => kinesis.putRecord('missing', 'x', 'k');

    // Assess
    expect(put).toThrow(expect.objectContaining({ code: 'ResourceNotFoundException' }));
  });
});
