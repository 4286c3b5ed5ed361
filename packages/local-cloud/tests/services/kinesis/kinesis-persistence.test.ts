import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KinesisService } from '../../../src/services/kinesis';

describe('Kinesis persistence and retention', () => {
  let dataDir: string;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kinesis-'));
  });

  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const texts = (kinesis: KinesisService, stream: string, shardId: string) =>
    kinesis.read(stream, shardId, 0, 1000).records.map((record) => record.data.toString('utf8'));

  it('keeps streams and records across a restart, and numbers new records after the old ones', async () => {
    // Prepare
    const before = await KinesisService.open({ dataDir, flushIntervalMs: 0 });
    before.createStream({ streamName: 'telemetry', shardCount: 2 });
    const first = before.putRecord('telemetry', 'one', 'device-1');
    before.putRecord('telemetry', 'two', 'device-1');
    await before.flush();
    before.putRecord('telemetry', 'three', 'device-1');
    await before.close();

    // Act
    const after = await KinesisService.open({ dataDir, flushIntervalMs: 0 });
    const next = after.putRecord('telemetry', 'four', 'device-1');

    // Assess
    expect(after.listShardIds('telemetry')).toEqual(['shardId-000000000000', 'shardId-000000000001']);
    expect(texts(after, 'telemetry', first.shardId)).toEqual(['one', 'two', 'three', 'four']);
    expect(next.shardId).toBe(first.shardId);
    expect(BigInt(next.sequenceNumber)).toBeGreaterThan(BigInt(first.sequenceNumber));
    expect(() => after.ensureStream({ streamName: 'telemetry', shardCount: 2 })).not.toThrow();
    await after.close();
  });

  it('forgets deleted streams on disk', async () => {
    // Prepare
    const before = await KinesisService.open({ dataDir, flushIntervalMs: 0 });
    before.createStream({ streamName: 'gone', shardCount: 1 });
    before.putRecord('gone', 'x', 'k');
    await before.flush();

    // Act
    before.deleteStream('gone');
    await before.close();

    // Assess
    const after = await KinesisService.open({ dataDir, flushIntervalMs: 0 });
    expect(after.hasStream('gone')).toBe(false);
    await after.close();
  });

  it('drops records older than the retention period, also from disk', async () => {
    // Prepare
    let now = Date.parse('2026-01-01T00:00:00Z');
    const clock = () => now;
    const before = await KinesisService.open({ dataDir, flushIntervalMs: 0, now: clock });
    before.createStream({ streamName: 'retained', shardCount: 1 });
    before.putRecord('retained', 'old', 'k');
    now += 23 * 3_600_000;
    before.putRecord('retained', 'recent', 'k');
    await before.close();

    // Act
    now += 2 * 3_600_000;
    const after = await KinesisService.open({ dataDir, flushIntervalMs: 0, now: clock });

    // Assess
    expect(texts(after, 'retained', 'shardId-000000000000')).toEqual(['recent']);
    expect(after.position('retained', 'shardId-000000000000', { type: 'TRIM_HORIZON' })).toBe(1);
    await after.close();
  });
});
