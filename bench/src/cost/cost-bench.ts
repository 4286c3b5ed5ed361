import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { type BenchResult, machine, REPO_DIR, type SummaryRow } from '../results';
import {
  type AlertPlacement,
  type CostReport,
  compareDesigns,
  type DesignBill,
  type FleetInput,
  parseBytes,
  parseDuration,
  type StreamMode,
} from './model';

/** The fleet: 1,000 devices every 10 s with 500-byte payloads. */
const TARGET_RATIO = 0.25;

interface TopicRuleResource {
  Type?: string;
  Properties?: { TopicRulePayload?: { Actions?: unknown[] } };
}

/** The actions of the telemetry rule, counted from the ingestion-rules service's template. */
export function countRuleActions(): number {
  const file = join(REPO_DIR, 'services', 'ingestion-rules', 'serverless.yml');
  // CloudFormation tags (!GetAtt, !Sub) are unknown to the YAML parser; their values are not needed here.
  const doc = parse(readFileSync(file, 'utf8'), { logLevel: 'silent' }) as {
    resources?: { Resources?: Record<string, TopicRuleResource> };
  };
  const rules = Object.values(doc.resources?.Resources ?? {}).filter((r) => r.Type === 'AWS::IoT::TopicRule');
  const actions = rules.reduce((sum, rule) => sum + (rule.Properties?.TopicRulePayload?.Actions?.length ?? 0), 0);
  if (actions === 0) throw new Error(`${file}: no topic rule actions found`);
  return actions;
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
    `${quantity(first.messagesPerMonth)} messages a month (730 h). Free tiers and savings plans are left out.`,
    '',
    billTable(first.original),
  ];
  const ours = reports.flatMap((r) => [
    '',
    billTable(r.ours),
    '',
    `Ratio per million messages, ${r.ours.design} / original: **${(r.ratio * 100).toFixed(1)}%** (target at most ${TARGET_RATIO * 100}%).`,
  ]);
  const assumptions = Object.entries(first.assumptions).map(([k, v]) => `\`${k}\`=${v}`);
  return [...head, ...ours, '', `Assumptions: ${assumptions.join(', ')}.`].join('\n');
}

export interface CostOptions {
  input: Omit<FleetInput, 'alerts'>;
  /** Placements to price: both unless one is asked for. */
  placements: AlertPlacement[];
}

export function parseCostArgs(argv: readonly string[]): CostOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      devices: { type: 'string', default: '1000' },
      interval: { type: 'string', default: '10s' },
      payload: { type: 'string', default: '500B' },
      window: { type: 'string', default: '60s' },
      stream: { type: 'string', default: 'on-demand' },
      alerts: { type: 'string' },
      'print-only': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const stream = values.stream as string;
  if (stream !== 'on-demand' && stream !== 'provisioned') throw new Error('--stream must be on-demand or provisioned');
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
      streamMode: stream as StreamMode,
    },
    placements: alerts ? [alerts as AlertPlacement] : ['rule', 'stream'],
  };
}

/** Prices the designs for the options; returns the printable report and the benchmark result. */
export function runCost(argv: readonly string[]): { markdown: string; result: BenchResult } {
  const options = parseCostArgs(argv);
  const ruleActions = countRuleActions();
  const reports = options.placements.map((alerts) => compareDesigns({ ...options.input, alerts }, ruleActions));
  const summary: SummaryRow[] = reports.map((r) => ({
    benchmark: 'cost',
    measure: `${r.ours.design}, $ per million messages (${r.input.devices} devices, ${r.input.intervalSeconds} s, ${r.input.payloadBytes} B)`,
    subject: usd(r.ours.usdPerMillionMessages),
    baseline: `${usd(r.original.usdPerMillionMessages)} (original)`,
    ratio: Math.round(r.ratio * 1000) / 1000,
    target: '≤ 0.25×',
    met: r.ratio <= TARGET_RATIO,
  }));
  const markdown = costReportMarkdown(reports);
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
