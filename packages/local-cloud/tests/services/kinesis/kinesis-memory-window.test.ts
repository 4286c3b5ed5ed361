import { appendFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type _Record, GetRecordsCommand, GetShardIteratorCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { startEdgeServer } from '../../../src/edge/edge-server';
import { KinesisService } from '../../../src/services/kinesis';

const SHARD = 'shardId-000000000000';
const WINDOW = 16 * 1024;
const payload = (index: number) => `record-${index}-${'x'.repeat(200)}`;
const indexOf = (data: Buffer | Uint8Array) => Number(Buffer.from(data).toString('utf8').split('-')[1]);

describe('Kinesis keeps a bounded window of records in memory and reads older ones from disk', () => {
  let dataDir: string;
  let now: number;
  const clock = () => now;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kinesis-window-'));
    now = Date.parse('2026-01-01T00:00:00Z');
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Puts `count` records of about 220 bytes, one millisecond apart; returns their sequence numbers. */
  function putMany(kinesis: KinesisService, from: number, count: number): string[] {
    const sequenceNumbers: string[] = [];
    for (let index = from; index < from + count; index++) {
      now += 1;
      sequenceNumbers.push(kinesis.putRecord('telemetry', payload(index), 'device-1').sequenceNumber);
    }
    return sequenceNumbers;
  }

  function readAll(kinesis: KinesisService, position: number): number[] {
    const seen: number[] = [];
    for (;;) {
      const { records, next } = kinesis.read('telemetry', SHARD, position, 37);
      if (records.length === 0) return seen;
      seen.push(...records.map((record) => indexOf(record.data)));
      position = next;
    }
  }

  it('holds at most the window once records are written, and serves every older record from the file', async () => {
    // Prepare
    const kinesis = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    const sequenceNumbers = putMany(kinesis, 0, 1000);
    const putAt = now;

    // Act
    await kinesis.flush();
    const inMemory = kinesis.memoryBytes('telemetry');
    const fromTrimHorizon = readAll(kinesis, kinesis.position('telemetry', SHARD, { type: 'TRIM_HORIZON' }));
    const atSequenceNumber = kinesis.read(
      'telemetry',
      SHARD,
      kinesis.position('telemetry', SHARD, {
        type: 'AT_SEQUENCE_NUMBER',
        sequenceNumber: sequenceNumbers[10] as string,
      }),
      3,
    );
    const afterSequenceNumber = kinesis.read(
      'telemetry',
      SHARD,
      kinesis.position('telemetry', SHARD, {
        type: 'AFTER_SEQUENCE_NUMBER',
        sequenceNumber: sequenceNumbers[10] as string,
      }),
      1,
    );
    const atTimestamp = kinesis.read(
      'telemetry',
      SHARD,
      kinesis.position('telemetry', SHARD, { type: 'AT_TIMESTAMP', timestamp: putAt - 1000 + 250 }),
      1,
    );
    await kinesis.close();

    // Assess
    expect(inMemory).toBeGreaterThan(0);
    expect(inMemory).toBeLessThanOrEqual(WINDOW);
    expect(fromTrimHorizon).toEqual(Array.from({ length: 1000 }, (_, index) => index));
    expect(atSequenceNumber.records.map((record) => indexOf(record.data))).toEqual([10, 11, 12]);
    expect(atSequenceNumber.records[0]?.sequenceNumber).toBe(sequenceNumbers[10]);
    expect(afterSequenceNumber.records.map((record) => indexOf(record.data))).toEqual([11]);
    expect(atTimestamp.records.map((record) => indexOf(record.data))).toEqual([249]);
  });

  it('answers GetRecords from the file for records that left memory, page by page', async () => {
    // Prepare
    const kinesis = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    putMany(kinesis, 0, 500);
    await kinesis.flush();
    putMany(kinesis, 500, 20);
    const edge = await startEdgeServer({ services: [kinesis] });
    const client = new KinesisClient({
      endpoint: edge.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: new NodeHttpHandler(),
    });

    // Act
    const pages: number[][] = [];
    let behind: number[] = [];
    let { ShardIterator } = await client.send(
      new GetShardIteratorCommand({ StreamName: 'telemetry', ShardId: SHARD, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    for (;;) {
      const answer = await client.send(new GetRecordsCommand({ ShardIterator, Limit: 150 }));
      if ((answer.Records ?? []).length === 0) break;
      pages.push((answer.Records as _Record[]).map((record) => indexOf(record.Data as Uint8Array)));
      behind = [...behind, answer.MillisBehindLatest ?? -1];
      ShardIterator = answer.NextShardIterator;
    }
    client.destroy();
    await edge.close();
    await kinesis.close();

    // Assess
    expect(pages.map((page) => page.length)).toEqual([150, 150, 150, 70]);
    expect(pages.flat()).toEqual(Array.from({ length: 520 }, (_, index) => index));
    expect(behind.slice(0, 3).every((ms) => ms > 0)).toBe(true);
    expect(behind.at(-1)).toBe(0);
  });

  it('keeps only the window in memory after a restart, and still reads the records before it', async () => {
    // Prepare
    const before = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    before.createStream({ streamName: 'telemetry', shardCount: 1 });
    putMany(before, 0, 800);
    await before.close();

    // Act
    const after = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    const inMemory = after.memoryBytes('telemetry');
    const next = putMany(after, 800, 1);
    const records = readAll(after, after.position('telemetry', SHARD, { type: 'TRIM_HORIZON' }));
    await after.close();

    // Assess
    expect(inMemory).toBeLessThanOrEqual(WINDOW);
    expect(records).toEqual(Array.from({ length: 801 }, (_, index) => index));
    expect(next[0]?.endsWith('800')).toBe(true);
  });

  it('writes early when a shard holds more unwritten records than its window, so memory comes back within it', async () => {
    // Prepare
    const kinesis = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });

    // Act
    putMany(kinesis, 0, 1000);
    const afterPuts = kinesis.memoryBytes('telemetry');
    const deadline = Date.now() + 4_000;
    while (kinesis.memoryBytes('telemetry') > WINDOW && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const settled = kinesis.memoryBytes('telemetry');
    const records = readAll(kinesis, 0);
    await kinesis.close();

    // Assess
    expect(afterPuts).toBeGreaterThan(10 * WINDOW);
    expect(settled).toBeLessThanOrEqual(WINDOW);
    expect(records).toEqual(Array.from({ length: 1000 }, (_, index) => index));
  });

  it('drops records past the retention period from the file as well once they left memory', async () => {
    // Prepare
    const kinesis = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    putMany(kinesis, 0, 300);
    await kinesis.flush();
    now += 23 * 3_600_000;
    putMany(kinesis, 300, 300);
    await kinesis.flush();

    // Act
    now += 2 * 3_600_000;
    const horizon = kinesis.position('telemetry', SHARD, { type: 'TRIM_HORIZON' });
    const kept = readAll(kinesis, 0);
    const atOldTimestamp = kinesis.position('telemetry', SHARD, {
      type: 'AT_TIMESTAMP',
      timestamp: now - 30 * 3_600_000,
    });
    await kinesis.close();

    // Assess
    expect(horizon).toBe(300);
    expect(kept).toEqual(Array.from({ length: 300 }, (_, index) => 300 + index));
    expect(atOldTimestamp).toBe(300);
  });

  it('reads on after a crash cut the last line of a shard file short', async () => {
    // Prepare
    const before = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    before.createStream({ streamName: 'telemetry', shardCount: 1 });
    putMany(before, 0, 200);
    await before.close();
    const [folder] = (await readdir(dataDir, { withFileTypes: true })).filter((entry) => entry.isDirectory());
    await appendFile(join(dataDir, folder?.name as string, `${SHARD}.ndjson`), '[200,17672256');

    // Act
    const middle = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    putMany(middle, 200, 100);
    await middle.close();
    const after = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    const records = readAll(after, 0);
    await after.close();

    // Assess
    expect(records).toEqual(Array.from({ length: 300 }, (_, index) => index));
  });

  it('writes the records put after older ones expired before they were ever written', async () => {
    // Prepare
    const before = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    before.createStream({ streamName: 'telemetry', shardCount: 1 });
    putMany(before, 0, 1);
    now += 25 * 3_600_000;
    putMany(before, 1, 3);

    // Act
    await before.close();
    const after = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    const records = readAll(after, 0);
    await after.close();

    // Assess
    expect(records).toEqual([1, 2, 3]);
  });

  it('reads records of up to 1 MiB back from the file, whatever their partition keys', async () => {
    // Prepare
    const kinesis = await KinesisService.open({ dataDir, flushIntervalMs: 0, memoryWindowBytes: WINDOW, now: clock });
    kinesis.createStream({ streamName: 'telemetry', shardCount: 1 });
    const large = Buffer.alloc(1024 * 1024, 7);
    const keys = ['capteur-été', 'датчик', '传感器-1'];
    for (const key of keys) kinesis.putRecord('telemetry', large, key, '0');
    putMany(kinesis, 0, 100);
    await kinesis.flush();

    // Act
    const inMemory = kinesis.memoryBytes('telemetry');
    const { records } = kinesis.read('telemetry', SHARD, 0, 4);
    await kinesis.close();

    // Assess
    expect(inMemory).toBeLessThanOrEqual(WINDOW);
    expect(records.slice(0, 3).map((record) => record.partitionKey)).toEqual(keys);
    expect(records.slice(0, 3).every((record) => record.data.equals(large))).toBe(true);
    expect(indexOf(records[3]?.data as Buffer)).toBe(0);
  });
});
