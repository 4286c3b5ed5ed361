import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = join(BENCH_DIR, '..');
export const RESULTS_DIR = join(BENCH_DIR, 'results');

/** One line of the summary table: a figure of the subject beside its baseline from the same run. */
export interface SummaryRow {
  benchmark: string;
  measure: string;
  subject: string;
  baseline: string;
  /** subject / baseline (NaN when not meaningful). */
  ratio: number;
  target: string;
  /** Whether the target is met; null when the figure has no target. */
  met: boolean | null;
}

export interface BenchResult {
  name: string;
  measuredAt: string;
  machine: { node: string; cpus: number; cpuModel: string; memoryGiB: number };
  summary: SummaryRow[];
  details: unknown;
}

export function machine(): BenchResult['machine'] {
  const list = cpus();
  return {
    node: process.version,
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  };
}

export function writeResult(result: BenchResult): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.name}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

export function readResults(): BenchResult[] {
  if (!existsSync(RESULTS_DIR)) return [];
  return readdirSync(RESULTS_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => JSON.parse(readFileSync(join(RESULTS_DIR, file), 'utf8')) as BenchResult);
}

function formatRatio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : '–';
}

function formatMet(met: boolean | null): string {
  if (met === null) return '–';
  return met ? 'met' : '**not met**';
}

/** The markdown table of every stored result's summary rows. */
export function summaryTable(results: readonly BenchResult[], short = false): string {
  const rows = results.flatMap((result) => result.summary.map((row) => ({ row, result })));
  if (short) {
    const header = '| benchmark | measure | ratio to baseline | target | |\n| --- | --- | ---: | --- | --- |';
    const body = rows.map(
      ({ row }) =>
        `| ${row.benchmark} | ${row.measure} | ${formatRatio(row.ratio)} | ${row.target} | ${formatMet(row.met)} |`,
    );
    return [header, ...body].join('\n');
  }
  const header =
    '| benchmark | measure | subject | baseline | ratio | target | | measured |\n| --- | --- | ---: | ---: | ---: | --- | --- | --- |';
  const body = rows.map(
    ({ row, result }) =>
      `| ${row.benchmark} | ${row.measure} | ${row.subject} | ${row.baseline} | ${formatRatio(row.ratio)} | ${row.target} | ${formatMet(row.met)} | ${result.measuredAt.slice(0, 10)} |`,
  );
  return [header, ...body].join('\n');
}

/** Replaces what lies between the two marker comments of a markdown file; false when a marker is missing. */
export function replaceBetweenMarkers(text: string, marker: string, content: string): string | undefined {
  const start = `<!-- ${marker}:start -->`;
  const end = `<!-- ${marker}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return undefined;
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}

/** Regenerates the summary tables of bench/README.md and of the root README's Performance section. */
export function regenerateTables(): void {
  const results = readResults();
  const targets: [string, string, boolean][] = [
    [join(BENCH_DIR, 'README.md'), 'bench-results', false],
    [join(REPO_DIR, 'README.md'), 'bench-summary', true],
  ];
  for (const [file, marker, short] of targets) {
    if (!existsSync(file)) continue;
    const updated = replaceBetweenMarkers(readFileSync(file, 'utf8'), marker, summaryTable(results, short));
    if (updated === undefined) {
      console.warn(`${file}: no <!-- ${marker}:start/end --> markers, table not written`);
      continue;
    }
    writeFileSync(file, updated);
  }
  formatWithBiome([RESULTS_DIR, ...targets.map(([file]) => file)]);
}

/** Formats what the benchmarks wrote as the repository's formatter would, so `pnpm run lint` stays clean. */
function formatWithBiome(paths: string[]): void {
  try {
    execFileSync('pnpm', ['exec', 'biome', 'format', '--write', ...paths], { cwd: REPO_DIR, stdio: 'ignore' });
  } catch (error) {
    console.warn(`biome format of the results failed: ${(error as Error).message}`);
  }
}
