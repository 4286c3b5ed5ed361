// Bundles the benchmark with esbuild into a temporary file and runs it with node (no build step in the package).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const entry = process.argv[2] ?? join(here, 'rules.bench.ts');
const dir = mkdtempSync(join(tmpdir(), 'iot-sql-bench-'));
const outfile = join(dir, 'bench.cjs');
try {
  await build({ entryPoints: [entry], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile });
  execFileSync(process.execPath, [outfile], { stdio: 'inherit' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
