import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { type BenchResult, machine, REPO_DIR, type SummaryRow } from './results';

export interface IotSqlRow {
  rule: string;
  compiledPerSecond: number;
  handWrittenPerSecond: number;
  ratio: number;
}

/** Reads the rows of the markdown table the @iot/iot-sql benchmark prints. */
export function parseIotSqlTable(output: string): IotSqlRow[] {
  const number = (cell: string) => Number(cell.replace(/[,\s%]/g, ''));
  return output
    .split('\n')
    .filter((l) => l.startsWith('|') && !l.startsWith('| rule') && !l.startsWith('| ---'))
    .map((l) => l.split('|').map((cell) => cell.trim()))
    .map(([, rule = '', compiled = '', hand = '']) => {
      const compiledPerSecond = number(compiled);
      const handWrittenPerSecond = number(hand);
      return { rule, compiledPerSecond, handWrittenPerSecond, ratio: compiledPerSecond / handWrittenPerSecond };
    })
    .filter((row) => Number.isFinite(row.ratio));
}

/** Runs the package's own benchmark (as `pnpm --filter @iot/iot-sql bench` does) and records its ratios. */
export function runIotSql(): BenchResult {
  const packageDir = join(REPO_DIR, 'packages', 'iot-sql');
  const output = execFileSync(process.execPath, [join(packageDir, 'bench', 'run-bench.mjs')], {
    cwd: packageDir,
    encoding: 'utf8',
    timeout: 300_000,
  });
  process.stdout.write(output);
  const rows = parseIotSqlTable(output);
  if (rows.length === 0) throw new Error('the @iot/iot-sql benchmark printed no table rows');
  const summary: SummaryRow[] = rows.map((row) => ({
    benchmark: 'iot-sql',
    measure: `${row.rule}: evaluations/s`,
    subject: `${Math.round(row.compiledPerSecond).toLocaleString('en-US')}`,
    baseline: `${Math.round(row.handWrittenPerSecond).toLocaleString('en-US')} (hand-written JS)`,
    ratio: Math.round(row.ratio * 1000) / 1000,
    target: '≥ 0.5×',
    met: row.ratio >= 0.5,
  }));
  return {
    name: 'iot-sql',
    measuredAt: new Date().toISOString(),
    machine: machine(),
    summary,
    details: { rows, output },
  };
}
