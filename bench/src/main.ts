import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runColdStart } from './cold-start-bench';
import { runConnections } from './connections-bench';
import { runCost } from './cost/cost-bench';
import { runIotSql } from './iot-sql-bench';
import { runLatency } from './latency-bench';
import { type BenchResult, regenerateTables, writeResult } from './results';
import { runSoak } from './soak-bench';
import { runThroughput } from './throughput-bench';

/** Every benchmark, in the order `pnpm bench` runs them. Each takes the arguments after its name. */
const BENCHMARKS: Record<string, (argv: string[]) => Promise<BenchResult>> = {
  cost: async (argv) => {
    const { markdown, result } = runCost(argv);
    console.log(markdown);
    return result;
  },
  'iot-sql': async () => runIotSql(),
  'cold-start': async (argv) => runColdStart({ skipPackage: argv.includes('--skip-package') }),
  throughput: async () => runThroughput(),
  'alert-latency': async () => runLatency(),
  connections: async () => runConnections(),
  soak: async (argv) => runSoak(argv),
};

/** Run only when named (`pnpm bench soak`): too long for the default run, which stays under 15 minutes. */
const ON_DEMAND = new Set(['soak']);

async function main(): Promise<void> {
  const [name, ...rest] = process.argv.slice(2);
  if (name === '--help' || name === '-h') {
    console.log(`usage: pnpm bench [${Object.keys(BENCHMARKS).join('|')}] [options]`);
    return;
  }
  if (name && !(name in BENCHMARKS)) throw new Error(`unknown benchmark "${name}"; one of ${Object.keys(BENCHMARKS)}`);
  // `pnpm cost ...` prints the bill for any fleet without replacing the stored result of the fleet.
  if (name === 'cost' && rest.includes('--print-only')) {
    console.log(runCost(rest).markdown);
    return;
  }
  if (!name) {
    // Each benchmark in a fresh process: memory figures (RSS) must not carry what an earlier benchmark left behind.
    const failed: string[] = [];
    for (const benchmark of Object.keys(BENCHMARKS).filter((name) => !ON_DEMAND.has(name))) {
      try {
        execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), benchmark], {
          stdio: 'inherit',
        });
      } catch {
        failed.push(benchmark);
      }
    }
    if (failed.length > 0) throw new Error(`failed: ${failed.join(', ')} (the others' results are written)`);
    return;
  }
  const started = Date.now();
  console.log(`\n== ${name}`);
  const result = await (BENCHMARKS[name] as (argv: string[]) => Promise<BenchResult>)(rest);
  const file = writeResult(result);
  console.log(`${name}: ${file} (${Math.round((Date.now() - started) / 1000)} s)`);
  regenerateTables();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
