import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse, type Tags } from 'yaml';
import { type BenchResult, machine, REPO_DIR, type SummaryRow } from '../results';
import {
  type AlertPlacement,
  type Assumptions,
  type CostReport,
  compareDesigns,
  DEFAULT_ASSUMPTIONS,
  type DesignBill,
  type FleetInput,
  parseBytes,
  parseDuration,
  RECENT_READINGS,
  type StreamMode,
} from './model';

/** The fleet: 1,000 devices every 10 s with 500-byte payloads. */
const TARGET_RATIO = 0.25;

// CloudFormation's short forms as the long ones, so conditions and `!If` in the templates can be read.
const CLOUDFORMATION_TAGS: Tags = (['Ref', 'Condition'] as const)
  .map((name): Tags[number] => ({
    tag: `!${name}`,
    resolve: (value: unknown) => ({ [name]: value }),
  }))
  .concat(
    [
      'If',
      'Equals',
      'GetAtt',
      'Sub',
      'Join',
      'Select',
      'Split',
      'Not',
      'And',
      'Or',
      'FindInMap',
      'ImportValue',
    ].flatMap(
      (name): Tags => [
        { tag: `!${name}`, resolve: (value: unknown) => ({ [`Fn::${name}`]: value }) },
        { tag: `!${name}`, collection: 'seq', resolve: (value) => ({ [`Fn::${name}`]: value.toJSON() }) },
        { tag: `!${name}`, collection: 'map', resolve: (value) => ({ [`Fn::${name}`]: value.toJSON() }) },
      ],
    ),
  );

function readServerlessYml(service: string): Record<string, unknown> {
  const file = join(REPO_DIR, 'services', service, 'serverless.yml');
  return parse(readFileSync(file, 'utf8'), { customTags: CLOUDFORMATION_TAGS, logLevel: 'silent' }) as Record<
    string,
    unknown
  >;
}

/** `${param:alerts}` as the placement, `${param:x, 'default'}` as its default: enough for the templates' conditions. */
function substituteParams(value: unknown, alerts: AlertPlacement): unknown {
  if (typeof value !== 'string') return value;
  return value.replace(/\$\{param:alerts(?:, *'[^']*')?\}/g, alerts).replace(/\$\{param:\w+, *'([^']*)'\}/g, '$1');
}

function conditionHolds(conditions: Record<string, unknown>, name: string, alerts: AlertPlacement): boolean {
  const condition = conditions[name] as { 'Fn::Equals'?: [unknown, unknown] } | undefined;
  const equals = condition?.['Fn::Equals'];
  if (!equals) throw new Error(`condition ${name}: only Fn::Equals is read`);
  return substituteParams(equals[0], alerts) === substituteParams(equals[1], alerts);
}

/** The actions of the telemetry rule with alerts at `alerts`, counted from the ingestion-rules service's template. */
export function countRuleActions(alerts: AlertPlacement): number {
  const doc = readServerlessYml('ingestion-rules') as {
    resources?: {
      Conditions?: Record<string, unknown>;
      Resources?: Record<string, { Type?: string; Properties?: { TopicRulePayload?: { Actions?: unknown[] } } }>;
    };
  };
  const conditions = doc.resources?.Conditions ?? {};
  const rules = Object.values(doc.resources?.Resources ?? {}).filter((r) => r.Type === 'AWS::IoT::TopicRule');
  const actions = rules
    .flatMap((rule) => rule.Properties?.TopicRulePayload?.Actions ?? [])
    .filter((action) => {
      const branch = (action as { 'Fn::If'?: [string, unknown, unknown] })['Fn::If'];
      if (!branch) return true;
      const taken = conditionHolds(conditions, branch[0], alerts) ? branch[1] : branch[2];
      return (taken as { Ref?: string }).Ref !== 'AWS::NoValue';
    });
  if (actions.length === 0) throw new Error('services/ingestion-rules/serverless.yml: no topic rule actions found');
  return actions.length;
}

/** What the alerting service's serverless.yml deploys by default that the bill depends on. */
export function alertingSettings(): Pick<
  Assumptions,
  'thresholdCacheSeconds' | 'alarmRefreshSeconds' | 'alertBatchWindowSeconds'
> {
  const doc = readServerlessYml('alerting') as {
    custom?: { streamEvaluationEvents?: { stream?: Array<{ stream?: { batchWindow?: number } }> } };
    functions?: Record<string, { environment?: Record<string, unknown> }>;
  };
  const environment = doc.functions?.evaluateTelemetry?.environment ?? {};
  const seconds = (name: string) => {
    const value = Number(substituteParams(environment[name], 'rule'));
    if (!Number.isFinite(value)) throw new Error(`services/alerting/serverless.yml: no default for ${name}`);
    return value;
  };
  const batchWindow = doc.custom?.streamEvaluationEvents?.stream?.[0]?.stream?.batchWindow;
  if (typeof batchWindow !== 'number')
    throw new Error('services/alerting/serverless.yml: no stream evaluation batchWindow');
  return {
    thresholdCacheSeconds: seconds('THRESHOLD_CACHE_TTL_SECONDS'),
    alarmRefreshSeconds: seconds('ALARM_REFRESH_SECONDS'),
    alertBatchWindowSeconds: batchWindow,
  };
}

/** What the telemetry-analytics service's serverless.yml deploys by default that the bill depends on. */
export function analyticsSettings(): Pick<
  Assumptions,
  | 'batchWindowSeconds'
  | 'archiveBatchWindowSeconds'
  | 'recentBatchWindowSeconds'
  | 'firehoseBufferSeconds'
  | 'liveReadingsWatchMinutes'
> {
  const doc = readServerlessYml('telemetry-analytics') as {
    params?: { default?: Record<string, unknown> };
    functions?: Record<string, { events?: Array<{ stream?: { batchWindow?: unknown } }> }>;
  };
  const params = doc.params?.default ?? {};
  // `${param:name}` as the param's default.
  const resolve = (value: unknown) =>
    typeof value === 'string' ? value.replace(/^\$\{param:(\w+)\}$/, (_, name: string) => String(params[name])) : value;
  const seconds = (what: string, value: unknown) => {
    const number = Number(resolve(value));
    if (!Number.isFinite(number)) throw new Error(`services/telemetry-analytics/serverless.yml: no ${what}`);
    return number;
  };
  const batchWindow = (fn: string) =>
    seconds(`${fn} batchWindow`, doc.functions?.[fn]?.events?.find((e) => e.stream)?.stream?.batchWindow);
  return {
    batchWindowSeconds: batchWindow('aggregateTelemetry'),
    archiveBatchWindowSeconds: batchWindow('archiveRawTelemetry'),
    recentBatchWindowSeconds: batchWindow('recordRecentTelemetry'),
    firehoseBufferSeconds: seconds('rawArchiveBufferSeconds', params.rawArchiveBufferSeconds),
    liveReadingsWatchMinutes: seconds('liveReadingsWatchMinutes', params.liveReadingsWatchMinutes),
  };
}

function usd(value: number): string {
  return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

function quantity(value: number): string {
  if (value === 0) return '0';
  if (value >= 1e6) return `${(value / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 })} M`;
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function billTable(bill: DesignBill): string {
  const rows = bill.lines.map(
    (l) => `| ${l.service} | ${l.item} | ${quantity(l.quantity)} | ${l.unit} | ${usd(l.usd)} |`,
  );
  return [
    `#### ${bill.design}: ${usd(bill.monthlyUsd)} a month, ${usd(bill.usdPerMillionMessages)} per million messages`,
    '',
    '| service | item | quantity | unit | monthly |',
    '| --- | --- | ---: | --- | ---: |',
    ...rows,
    `| | **total** | | | **${usd(bill.monthlyUsd)}** |`,
  ].join('\n');
}

export function costReportMarkdown(reports: readonly CostReport[]): string {
  const first = reports[0];
  if (!first) return '';
  const { input } = first;
  const head = [
    `### ${input.devices.toLocaleString('en-US')} devices, one ${input.payloadBytes}-byte message every ${input.intervalSeconds} s, ${input.windowSeconds} s windows, ${input.streamMode} stream`,
    '',
    `${quantity(first.messagesPerMonth)} messages a month (730 h). Free tiers and savings plans are left out. The stream's capacity mode (${input.streamMode}${input.streamMode === 'provisioned' ? ', shards sized to the fleet' : ''}) applies to both designs.`,
    '',
    billTable(first.original),
  ];
  const ours = reports.flatMap((r) => [
    '',
    billTable(r.ours),
    '',
    `Ratio per million messages, ${r.ours.design} / original: **${(r.ratio * 100).toFixed(1)}%** (target at most ${TARGET_RATIO * 100}%); without the live readings (lines marked \`${RECENT_READINGS}\`, a feature the original design does not have): ${(r.ratioWithoutLiveReadings * 100).toFixed(1)}%.`,
  ]);
  const assumptions = Object.entries(first.assumptions).map(([k, v]) => `\`${k}\`=${v}`);
  return [...head, ...ours, '', `Assumptions: ${assumptions.join(', ')}.`].join('\n');
}

export interface CostOptions {
  input: Omit<FleetInput, 'alerts' | 'streamMode'>;
  /** Placements to price: both unless one is asked for. */
  placements: AlertPlacement[];
  /** Stream capacity modes to price (each applied to both designs): both unless one is asked for. */
  streamModes: StreamMode[];
}

export function parseCostArgs(argv: readonly string[]): CostOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      devices: { type: 'string', default: '1000' },
      interval: { type: 'string', default: '10s' },
      payload: { type: 'string', default: '500B' },
      window: { type: 'string', default: '60s' },
      stream: { type: 'string' },
      alerts: { type: 'string' },
      'print-only': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const stream = values.stream as string | undefined;
  if (stream !== undefined && stream !== 'on-demand' && stream !== 'provisioned')
    throw new Error('--stream must be on-demand or provisioned');
  const alerts = values.alerts as string | undefined;
  if (alerts !== undefined && alerts !== 'rule' && alerts !== 'stream')
    throw new Error('--alerts must be rule or stream');
  const devices = Number(values.devices);
  if (!Number.isInteger(devices) || devices < 1) throw new Error('--devices must be a positive integer');
  return {
    input: {
      devices,
      intervalSeconds: parseDuration(values.interval as string),
      payloadBytes: parseBytes(values.payload as string),
      windowSeconds: parseDuration(values.window as string),
    },
    placements: alerts ? [alerts as AlertPlacement] : ['rule', 'stream'],
    streamModes: stream ? [stream] : ['on-demand', 'provisioned'],
  };
}

/** Prices the designs for the options; returns the printable report and the benchmark result. */
export function runCost(argv: readonly string[]): { markdown: string; result: BenchResult } {
  const options = parseCostArgs(argv);
  const assumptions = { ...DEFAULT_ASSUMPTIONS, ...alertingSettings(), ...analyticsSettings() };
  const ruleActions = Object.fromEntries(options.placements.map((alerts) => [alerts, countRuleActions(alerts)]));
  const byMode = options.streamModes.map((streamMode) =>
    options.placements.map((alerts) =>
      compareDesigns({ ...options.input, streamMode, alerts }, ruleActions[alerts] as number, assumptions),
    ),
  );
  const reports = byMode.flat();
  const summary: SummaryRow[] = reports.map((r) => ({
    benchmark: 'cost',
    measure: `${r.ours.design}, ${r.input.streamMode} stream (both designs), $ per million messages (${r.input.devices} devices, ${r.input.intervalSeconds} s, ${r.input.payloadBytes} B)`,
    subject: `${usd(r.ours.usdPerMillionMessages)} (${(r.ratioWithoutLiveReadings * 100).toFixed(1)} % of the original without live readings)`,
    baseline: `${usd(r.original.usdPerMillionMessages)} (original)`,
    ratio: Math.round(r.ratio * 1000) / 1000,
    target: '≤ 0.25×',
    met: r.ratio <= TARGET_RATIO,
  }));
  const markdown = byMode.map(costReportMarkdown).join('\n\n');
  return {
    markdown,
    result: {
      name: 'cost',
      measuredAt: new Date().toISOString(),
      machine: machine(),
      summary,
      details: { ruleActions, reports },
    },
  };
}
