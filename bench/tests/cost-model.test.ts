import { alertingSettings, analyticsSettings, countRuleActions } from '../src/cost/cost-bench';
import {
  compareDesigns,
  DEFAULT_ASSUMPTIONS,
  type FleetInput,
  firehoseIngestGb,
  iotMessagingUsd,
  messagesPerMonth,
  meteredUnits,
  originalDesign,
  ourDesign,
  parseBytes,
  parseDuration,
} from '../src/cost/model';

const FLEET: FleetInput = {
  devices: 1000,
  intervalSeconds: 10,
  payloadBytes: 500,
  windowSeconds: 60,
  streamMode: 'on-demand',
  alerts: 'rule',
};

const lineOf = (lines: { item: string; usd: number; quantity: number }[], start: string) => {
  const found = lines.find((l) => l.item.startsWith(start));
  if (!found) throw new Error(`no line starting with ${start}`);
  return found;
};

describe('cost arithmetic', () => {
  it('counts a month of 730 hours of messages', () => {
    expect(messagesPerMonth(FLEET)).toBe(262_800_000);
  });

  it('meters at least one unit and rounds up', () => {
    expect(meteredUnits(0, 5120)).toBe(1);
    expect(meteredUnits(5120, 5120)).toBe(1);
    expect(meteredUnits(5121, 5120)).toBe(2);
  });

  it('prices IoT messaging across its volume tiers', () => {
    expect(iotMessagingUsd(1e6)).toBeCloseTo(1.0);
    // 1 billion at $1.00, 4 billion at $0.80, 1 billion at $0.70.
    expect(iotMessagingUsd(6e9)).toBeCloseTo(1000 + 3200 + 700);
  });

  it('charges the original design for every publish and ours for none (Basic Ingest)', () => {
    // Act
    const original = originalDesign(FLEET);
    const ours = ourDesign(FLEET, 2);

    // Assess
    expect(lineOf(original.lines, 'messaging').usd).toBeCloseTo(262.8);
    expect(lineOf(ours.lines, 'messaging').usd).toBe(0);
    expect(lineOf(ours.lines, 'actions executed').usd).toBeCloseTo(2 * 262.8 * 0.15, 6);
  });

  it('prices a Lambda per message as requests plus GB-seconds', () => {
    const lines = originalDesign(FLEET).lines;
    expect(lineOf(lines, 'alert function per message: requests').usd).toBeCloseTo(262.8 * 0.2);
    const gbSeconds = 262_800_000 * (DEFAULT_ASSUMPTIONS.evaluateMs / 1000) * DEFAULT_ASSUMPTIONS.lambdaMemoryGb;
    expect(lineOf(lines, 'alert function per message: duration').usd).toBeCloseTo(gbSeconds * 0.0000133334);
  });

  it('prices a Lambda per stream batch instead of per message, and the second reader of the stream, when alerts are on the stream', () => {
    // Act
    const onRule = ourDesign(FLEET, 2);
    const onStream = ourDesign({ ...FLEET, alerts: 'stream' }, 1);

    // Assess
    expect(lineOf(onStream.lines, 'actions executed').item).toContain('1 per message');
    expect(onStream.lines.some((l) => l.item.startsWith('evaluateTelemetry per message'))).toBe(false);
    // One batch per shard per batch window: 4 shards, 1 s.
    expect(lineOf(onStream.lines, 'evaluateTelemetryStream per stream batch: requests').quantity).toBe(4 * 2_628_000);
    expect(lineOf(onStream.lines, 'data out (the stream evaluation)').quantity).toBeGreaterThan(0);
    expect(onStream.monthlyUsd).toBeLessThan(onRule.monthlyUsd);
  });

  it('writes an alarm per breaching reading and otherwise once per refresh interval; reads it per reading on the rule', () => {
    // Act
    const onRule = ourDesign(FLEET, 3);
    const onStream = ourDesign({ ...FLEET, alerts: 'stream' }, 2);

    // Assess: 2 alarms per message, 1 % breaching; 1,000 devices × 2 alarms × 8,760 refreshes of 300 s a month. On the
    // rule, no alarm cache: a consistent read per reading and alarm. On the stream, the shard's one warm function
    // keeps the alarms: a read at most per write.
    expect(lineOf(onRule.lines, 'alarms: conditional write per breaching').quantity).toBeCloseTo(
      262_800_000 * 2 * 0.01,
    );
    expect(lineOf(onRule.lines, 'alarms: refresh write').quantity).toBeCloseTo(1000 * 2 * 8760);
    expect(lineOf(onRule.lines, 'alarms: consistent read per reading').quantity).toBeCloseTo(262_800_000 * 2);
    expect(lineOf(onStream.lines, 'alarms: refresh write').quantity).toBeCloseTo(1000 * 2 * 8760);
    expect(lineOf(onStream.lines, 'alarms: consistent read, at most one per write').quantity).toBeCloseTo(
      262_800_000 * 2 * 0.01 + 1000 * 2 * 8760,
    );
  });

  it('meters Firehose records as at least 5 KB: one per line in the original, packed lines in ours', () => {
    // Prepare: 1,000 lines of 580 bytes.
    const a = DEFAULT_ASSUMPTIONS;

    // Act
    const unpacked = firehoseIngestGb(1000, 580, a);
    const packedInOne = firehoseIngestGb(1000, 580, a, 1);
    const packedInTen = firehoseIngestGb(1000, 580, a, 10);

    // Assess: 1,000 records of 5 KB; one record of 580,000 B (a full 512 KiB record and 55,712 B, 11 units);
    // ten records of 58,000 B (12 units each).
    expect(unpacked * 1024 ** 3).toBeCloseTo(1000 * 5120);
    expect(packedInOne * 1024 ** 3).toBeCloseTo((103 + 11) * 5120);
    expect(packedInTen * 1024 ** 3).toBeCloseTo(10 * 12 * 5120);
  });

  it('prices the raw archive fed from the stream: its consumer, its read of the stream, packed records', () => {
    // Act
    const original = originalDesign(FLEET);
    const ours = ourDesign(FLEET, 2);

    // Assess: one batch per shard per 30 s window, 4 shards.
    expect(lineOf(ours.lines, 'archiveRawTelemetry per stream batch: requests').quantity).toBe(4 * (2_628_000 / 30));
    expect(lineOf(ours.lines, 'data out (the raw archive feed)').quantity).toBeCloseTo(
      lineOf(ours.lines, 'data in').quantity,
    );
    // 262.8 M readings of 580 bytes packed, against one 5 KB record each.
    expect(lineOf(ours.lines, 'raw archive: ingest').quantity).toBeCloseTo((262_800_000 * 580) / 1024 ** 3, -1);
    expect(lineOf(original.lines, 'raw archive: ingest').quantity).toBeCloseTo((262_800_000 * 5120) / 1024 ** 3);
    expect(lineOf(ours.lines, 'window metrics export: ingest').usd).toBeLessThan(
      lineOf(original.lines, 'window metrics export: ingest').usd / 10,
    );
  });

  it('prices the live readings, which the original design has not, and reports the ratio without them too', () => {
    // Act
    const report = compareDesigns(FLEET, 2);
    const live = report.ours.lines.filter((l) => l.item.startsWith('live readings:'));

    // Assess: a write unit per reading of the 10 watched devices (1 % of the fleet), a batch per shard per second
    // reading the watch marks (half a unit), a read of the stream; each watched device's mark written every 5 minutes
    // and read on every poll of 5 s.
    expect(lineOf(live, 'live readings: recent readings: a write per reading').quantity).toBe(2_628_000);
    expect(lineOf(live, 'live readings: recordRecentTelemetry per stream batch: requests').quantity).toBe(
      4 * 2_628_000,
    );
    expect(lineOf(live, 'live readings: watch marks: a read per stream batch').quantity).toBe(0.5 * 4 * 2_628_000);
    expect(lineOf(live, 'live readings: watch marks: a write per watched device').quantity).toBe(10 * 8760);
    expect(lineOf(live, 'live readings: watch marks: a read per dashboard poll').quantity).toBe(0.5 * 10 * 525_600);
    expect(lineOf(live, 'live readings: data out').quantity).toBeGreaterThan(0);
    const liveUsd = live.reduce((sum, l) => sum + l.usd, 0);
    expect(report.ratioWithoutLiveReadings).toBeCloseTo(
      (report.ours.monthlyUsd - liveUsd) / report.original.monthlyUsd,
    );
  });

  it('reports the ratio of the costs per million messages', () => {
    const report = compareDesigns(FLEET, 3);
    expect(report.ratio).toBeCloseTo(report.ours.usdPerMillionMessages / report.original.usdPerMillionMessages);
    expect(report.ours.usdPerMillionMessages).toBeCloseTo(report.ours.monthlyUsd / 262.8);
  });

  it('sizes a provisioned stream by records and bytes per second', () => {
    const lines = ourDesign({ ...FLEET, devices: 20_000, intervalSeconds: 1, streamMode: 'provisioned' }, 3).lines;
    // 20,000 records/s → 20 shards by count; 11.6 MB/s → 12 by bytes.
    expect(lineOf(lines, 'shard-hours').item).toContain('20 provisioned');
  });

  it('parses the command line units', () => {
    expect(parseDuration('10s')).toBe(10);
    expect(parseDuration('1m')).toBe(60);
    expect(parseDuration('500ms')).toBe(0.5);
    expect(parseBytes('500B')).toBe(500);
    expect(parseBytes('2KB')).toBe(2000);
    expect(parseBytes('1KiB')).toBe(1024);
    expect(() => parseDuration('ten')).toThrow('not a duration');
  });
});

describe('the deployed shape, read from the services', () => {
  it('counts the telemetry rule actions of each placement of the alerts from ingestion-rules/serverless.yml', () => {
    // Act
    const onRule = countRuleActions('rule');
    const onStream = countRuleActions('stream');

    // Assess: Lambda (only on the rule), Kinesis; the raw archive is fed from the stream, not by a rule action.
    expect([onRule, onStream]).toEqual([2, 1]);
  });

  it("reads the analytics service's batch windows, archive buffer and watch period from telemetry-analytics/serverless.yml", () => {
    expect(analyticsSettings()).toEqual({
      batchWindowSeconds: 5,
      archiveBatchWindowSeconds: 30,
      recentBatchWindowSeconds: 1,
      firehoseBufferSeconds: 60,
      liveReadingsWatchMinutes: 10,
    });
  });

  it("reads the alerting service's cache and batch settings from alerting/serverless.yml", () => {
    expect(alertingSettings()).toEqual({
      thresholdCacheSeconds: 60,
      alarmRefreshSeconds: 300,
      alertBatchWindowSeconds: 1,
    });
  });
});
