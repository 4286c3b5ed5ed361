import { alertingSettings, countRuleActions } from '../src/cost/cost-bench';
import {
  compareDesigns,
  DEFAULT_ASSUMPTIONS,
  type FleetInput,
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
    const ours = ourDesign(FLEET, 3);

    // Assess
    expect(lineOf(original.lines, 'messaging').usd).toBeCloseTo(262.8);
    expect(lineOf(ours.lines, 'messaging').usd).toBe(0);
    expect(lineOf(ours.lines, 'actions executed').usd).toBeCloseTo((3 * 262.8 * 0.15) / 1, 6);
  });

  it('prices a Lambda per message as requests plus GB-seconds', () => {
    const lines = originalDesign(FLEET).lines;
    expect(lineOf(lines, 'alert function per message: requests').usd).toBeCloseTo(262.8 * 0.2);
    const gbSeconds = 262_800_000 * (DEFAULT_ASSUMPTIONS.evaluateMs / 1000) * DEFAULT_ASSUMPTIONS.lambdaMemoryGb;
    expect(lineOf(lines, 'alert function per message: duration').usd).toBeCloseTo(gbSeconds * 0.0000133334);
  });

  it('prices a Lambda per stream batch instead of per message, and the second reader of the stream, when alerts are on the stream', () => {
    // Act
    const onRule = ourDesign(FLEET, 3);
    const onStream = ourDesign({ ...FLEET, alerts: 'stream' }, 2);

    // Assess
    expect(lineOf(onStream.lines, 'actions executed').item).toContain('2 per message');
    expect(onStream.lines.some((l) => l.item.startsWith('evaluateTelemetry per message'))).toBe(false);
    // One batch per shard per batch window: 4 shards, 1 s.
    expect(lineOf(onStream.lines, 'evaluateTelemetryStream per stream batch: requests').quantity).toBe(4 * 2_628_000);
    expect(lineOf(onStream.lines, 'data out (second consumer').quantity).toBeGreaterThan(0);
    expect(onStream.monthlyUsd).toBeLessThan(onRule.monthlyUsd);
  });

  it('writes an alarm per breaching reading and otherwise once per refresh interval per warm function', () => {
    // Act
    const onRule = ourDesign(FLEET, 3);
    const onStream = ourDesign({ ...FLEET, alerts: 'stream' }, 2);

    // Assess: 2 alarms per message, 1 % breaching; 1,000 devices × 2 alarms × 8,760 refreshes of 300 s a month, in
    // both warm functions on the rule (100 messages/s × 20 ms) and in the shard's one on the stream.
    expect(lineOf(onRule.lines, 'alarms: conditional write per breaching').quantity).toBeCloseTo(
      262_800_000 * 2 * 0.01,
    );
    expect(lineOf(onRule.lines, 'alarms: refresh write').quantity).toBeCloseTo(1000 * 2 * 8760 * 2);
    expect(lineOf(onStream.lines, 'alarms: refresh write').quantity).toBeCloseTo(1000 * 2 * 8760);
    expect(onRule.lines.some((l) => l.item.includes('per alarmed metric per message'))).toBe(false);
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

    // Assess: Lambda (only on the rule), Kinesis, Firehose.
    expect([onRule, onStream]).toEqual([3, 2]);
  });

  it("reads the alerting service's cache and batch settings from alerting/serverless.yml", () => {
    expect(alertingSettings()).toEqual({
      thresholdCacheSeconds: 60,
      alarmRefreshSeconds: 300,
      alertBatchWindowSeconds: 1,
    });
  });
});
