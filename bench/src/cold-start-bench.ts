import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AdmZip from 'adm-zip';
import { build } from 'esbuild';
import { type BenchResult, machine, REPO_DIR, type SummaryRow } from './results';
import { median, ratio } from './stats';

const RUNS = 7;
const TARGET = 1.5;

interface FunctionUnderTest {
  service: string;
  name: string;
  /** The bundled module, extracted from the service's package. */
  file: string;
  environment: Record<string, string>;
  bundleBytes: number;
  sourceMapBytes: number;
  zipEntryBytes: number;
  /** Share of the bundle's original sources that come from the AWS SDK (@aws-sdk, @smithy). */
  awsSdkSourceShare: number;
}

interface CloudFormationFunction {
  Type?: string;
  Properties?: { Handler?: string; Environment?: { Variables?: Record<string, unknown> } };
}

/** The options serverless-esbuild is given in every service's serverless.yml (custom.esbuild). */
export const SERVICE_ESBUILD_OPTIONS = {
  bundle: true,
  minify: true,
  keepNames: true,
  sourcemap: true,
  target: 'node22',
  platform: 'node',
  format: 'cjs',
  mainFields: ['module', 'main'] as string[],
} as const;

/** The bundle of a handler in a package: `src/handlers/x.handler` is `src/handlers/x.mjs` (or `.js`, `.cjs`). */
function bundleOf(zip: AdmZip, handler: string): string {
  const base = handler.slice(0, handler.lastIndexOf('.'));
  const found = ['.mjs', '.js', '.cjs'].map((ext) => `${base}${ext}`).find((name) => zip.getEntry(name));
  if (!found) throw new Error(`no bundle for handler ${handler}`);
  return found;
}

function packageServices(): void {
  // Reuses unchanged packages, so this is quick when nothing changed.
  execFileSync('pnpm', ['run', 'package'], { cwd: REPO_DIR, stdio: 'inherit', timeout: 600_000 });
}

function awsSdkShare(mapFile: string): number {
  if (!existsSync(mapFile)) return Number.NaN;
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] };
  let total = 0;
  let sdk = 0;
  map.sources.forEach((source, i) => {
    const size = map.sourcesContent?.[i]?.length ?? 0;
    total += size;
    if (/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?@(aws-sdk|smithy|aws-crypto)\//.test(source)) sdk += size;
  });
  return total === 0 ? Number.NaN : sdk / total;
}

function functionsOf(service: string, dir: string): FunctionUnderTest[] {
  const serverlessDir = join(REPO_DIR, 'services', service, '.serverless');
  const zipName = readdirSync(serverlessDir).find((f) => f.endsWith('.zip'));
  if (!zipName) return [];
  const zip = new AdmZip(join(serverlessDir, zipName));
  const target = join(dir, service);
  zip.extractAllTo(target, true);
  const template = JSON.parse(
    readFileSync(join(serverlessDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as { Resources: Record<string, CloudFormationFunction> };
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Handler)
    .map(([logicalId, r]) => {
      const handler = r.Properties?.Handler as string;
      const modulePath = bundleOf(zip, handler);
      const file = join(target, modulePath);
      // Values CloudFormation resolves at deploy time (Ref, GetAtt) are placeholders: initialisation only reads them.
      const environment = Object.fromEntries(
        Object.entries(r.Properties?.Environment?.Variables ?? {}).map(([k, v]) => [
          k,
          typeof v === 'string' ? v : `bench-${k.toLowerCase()}`,
        ]),
      );
      return {
        service,
        name: logicalId.replace(/LambdaFunction$/, ''),
        file,
        environment,
        bundleBytes: statSync(file).size,
        sourceMapBytes: existsSync(`${file}.map`) ? statSync(`${file}.map`).size : 0,
        zipEntryBytes: zip.getEntry(modulePath)?.header.compressedSize ?? 0,
        awsSdkSourceShare: awsSdkShare(`${file}.map`),
      };
    });
}

async function buildEmptyHandler(dir: string): Promise<string> {
  const source = join(dir, 'empty-handler.ts');
  writeFileSync(source, 'export const handler = async () => ({ statusCode: 200 });\n');
  const outfile = join(dir, 'empty', 'empty-handler.js');
  await build({ ...SERVICE_ESBUILD_OPTIONS, entryPoints: [source], outfile, logLevel: 'error' });
  return outfile;
}

/** Wall-clock milliseconds of the last `initMs` call's whole process: node's own start, the import, the exit. */
let lastProcessMs = Number.NaN;
/** Milliseconds of the last `initMs` call's first invocation (with an empty event), after the import. */
let lastFirstCallMs = Number.NaN;

// Loads the module as Lambda's Node.js runtime does (its runtime interface client, `UserFunction.js`): `.mjs`, and `.js`
// under a package.json with `"type": "module"`, with `import()`; `.js` and `.cjs` otherwise with `require()`. An
// `import()` of a CommonJS file would add what Lambda never runs: Node's scan of the whole bundle for its named exports
// (cjs-module-lexer, about 100 ms for a 0.5 MB bundle here). Then calls the handler once with an empty event: the
// first invocation builds what the module defers to it (configuration, clients, logger, middleware), so work moved
// from the load to the first call shows up here. Every AWS call goes to a closed port and fails at once, without
// retries. The handler's own logs go to stdout too: the figures are the last line.
const TIMING_SCRIPT = `
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');
function typeModule(dir) {
  if (dir.endsWith('/node_modules')) return false;
  const pj = join(dir, 'package.json');
  if (existsSync(pj)) return JSON.parse(readFileSync(pj, 'utf8')).type === 'module';
  return dirname(dir) === dir ? false : typeModule(dirname(dir));
}
const file = resolve(process.argv[1]);
const asEsModule = file.endsWith('.mjs') || (file.endsWith('.js') && typeModule(dirname(file)));
const t = process.hrtime.bigint();
const loaded = asEsModule ? import(pathToFileURL(file).href) : Promise.resolve(require(file));
const init = Number(process.hrtime.bigint() - t) / 1e6;
loaded.then(async (m) => {
  const initMs = asEsModule ? Number(process.hrtime.bigint() - t) / 1e6 : init;
  if (typeof m.handler !== 'function') throw new Error('no handler export');
  const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 10000 };
  const t2 = process.hrtime.bigint();
  try { await m.handler({}, context); } catch {}
  const first = Number(process.hrtime.bigint() - t2) / 1e6;
  process.stdout.write('\\n' + JSON.stringify({ init: initMs, first }) + '\\n', () => process.exit(0));
});`;

/** Milliseconds a fresh node process spends loading the module, as Lambda's init phase does. */
function initMs(file: string, environment: Record<string, string>): number {
  const spawnedAt = process.hrtime.bigint();
  const run = spawnSync(process.execPath, ['-e', TIMING_SCRIPT, file], {
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
      ...environment,
    },
    encoding: 'utf8',
    timeout: 30_000,
  });
  lastProcessMs = Number(process.hrtime.bigint() - spawnedAt) / 1e6;
  if (run.status !== 0) throw new Error(`${file}: ${run.stderr.trim().split('\n').slice(-3).join(' ')}`);
  const lines = run.stdout.trim().split('\n');
  const { init, first } = JSON.parse(lines[lines.length - 1] ?? '{}') as { init: number; first: number };
  lastFirstCallMs = first;
  return init;
}

export async function runColdStart(options: { skipPackage?: boolean } = {}): Promise<BenchResult> {
  if (!options.skipPackage) packageServices();
  const dir = mkdtempSync(join(tmpdir(), 'iot-bench-cold-'));
  try {
    mkdirSync(join(dir, 'empty'), { recursive: true });
    const emptyFile = await buildEmptyHandler(dir);
    const services = readdirSync(join(REPO_DIR, 'services')).filter((s) =>
      existsSync(join(REPO_DIR, 'services', s, '.serverless')),
    );
    const functions = services.flatMap((s) => functionsOf(s, dir));
    // Each function runs with its environment as deployed (NODE_OPTIONS included); the empty handler with the same
    // NODE_OPTIONS as the functions.
    const deployedOptions = { NODE_OPTIONS: functions[0]?.environment.NODE_OPTIONS ?? '' };
    const emptySamples: number[] = [];
    const samples = new Map<string, number[]>(functions.map((f) => [f.file, []]));
    // The same modules with --enable-source-maps: what mapping stack traces through the source maps would cost (node
    // reads the map at load, and parses its mappings at the first stack trace: the first call's error, logged).
    const sourceMapOptions = { NODE_OPTIONS: `${deployedOptions.NODE_OPTIONS} --enable-source-maps`.trim() };
    const mappedEmptySamples: number[] = [];
    const mappedEmptyTotalSamples: number[] = [];
    // Whole fresh processes (node start + load + exit), closer to what Lambda's INIT duration covers.
    const emptyProcessSamples: number[] = [];
    // Import + first invocation (honest against work merely moved from the import to the first call).
    const emptyTotalSamples: number[] = [];
    const totalSamples = new Map<string, number[]>(functions.map((f) => [f.file, []]));
    const processSamples = new Map<string, number[]>(functions.map((f) => [f.file, []]));
    const mappedSamples = new Map<string, number[]>(functions.map((f) => [f.file, []]));
    const mappedTotalSamples = new Map<string, number[]>(functions.map((f) => [f.file, []]));
    const errors = new Map<string, string>();
    // Rounds interleave the empty handler with every function, so drift of the machine hits both alike.
    for (let round = 0; round < RUNS; round++) {
      emptySamples.push(initMs(emptyFile, deployedOptions));
      emptyProcessSamples.push(lastProcessMs);
      emptyTotalSamples.push((emptySamples.at(-1) ?? 0) + lastFirstCallMs);
      mappedEmptySamples.push(initMs(emptyFile, sourceMapOptions));
      mappedEmptyTotalSamples.push((mappedEmptySamples.at(-1) ?? 0) + lastFirstCallMs);
      for (const f of functions) {
        if (errors.has(f.file)) continue;
        try {
          const init = initMs(f.file, f.environment);
          samples.get(f.file)?.push(init);
          processSamples.get(f.file)?.push(lastProcessMs);
          totalSamples.get(f.file)?.push(init + lastFirstCallMs);
          const mapped = initMs(f.file, { ...f.environment, ...sourceMapOptions });
          mappedSamples.get(f.file)?.push(mapped);
          mappedTotalSamples.get(f.file)?.push(mapped + lastFirstCallMs);
        } catch (error) {
          errors.set(f.file, (error as Error).message);
        }
      }
    }
    const emptyMs = median(emptySamples);
    const emptyBytes = statSync(emptyFile).size;
    const mappedEmptyMs = median(mappedEmptySamples);
    const mappedEmptyTotalMs = median(mappedEmptyTotalSamples);
    const rows = functions.map((f) => {
      const ms = median(samples.get(f.file) ?? []);
      return {
        service: f.service,
        function: f.name,
        bundleBytes: f.bundleBytes,
        sourceMapBytes: f.sourceMapBytes,
        zipEntryBytes: f.zipEntryBytes,
        awsSdkSourceShare: Math.round(f.awsSdkSourceShare * 1000) / 1000,
        initMsMedian: Math.round(ms * 100) / 100,
        initRatio: ratio(ms, emptyMs),
        initAndFirstCallMsMedian: Math.round(median(totalSamples.get(f.file) ?? []) * 100) / 100,
        initAndFirstCallRatio: ratio(median(totalSamples.get(f.file) ?? []), median(emptyTotalSamples)),
        processMsMedian: Math.round(median(processSamples.get(f.file) ?? []) * 100) / 100,
        processRatio: ratio(median(processSamples.get(f.file) ?? []), median(emptyProcessSamples)),
        initMsMedianWithSourceMaps: Math.round(median(mappedSamples.get(f.file) ?? []) * 100) / 100,
        initRatioWithSourceMaps: ratio(median(mappedSamples.get(f.file) ?? []), mappedEmptyMs),
        initAndFirstCallMsMedianWithSourceMaps: Math.round(median(mappedTotalSamples.get(f.file) ?? []) * 100) / 100,
        initAndFirstCallRatioWithSourceMaps: ratio(median(mappedTotalSamples.get(f.file) ?? []), mappedEmptyTotalMs),
        error: errors.get(f.file),
      };
    });
    const worst = rows.reduce((a, b) => ((b.initRatio || 0) > (a.initRatio || 0) ? b : a), rows[0] ?? ({} as never));
    const measured = rows.filter((r) => Number.isFinite(r.initRatio));
    const within = measured.filter((r) => r.initRatio <= TARGET).length;
    const bytes = rows.map((r) => r.bundleBytes);
    const summary: SummaryRow[] = [
      {
        benchmark: 'cold-start',
        measure: `module init, slowest function (${worst?.service}/${worst?.function}), median of ${RUNS}`,
        subject: `${worst?.initMsMedian} ms`,
        baseline: `${Math.round(emptyMs * 100) / 100} ms (empty handler)`,
        ratio: worst?.initRatio ?? Number.NaN,
        target: `≤ ${TARGET}×`,
        met: measured.length === rows.length && within === rows.length,
      },
      {
        benchmark: 'cold-start',
        measure: `module init, median function (${within}/${rows.length} within ${TARGET}×)`,
        subject: `${Math.round(median(measured.map((r) => r.initMsMedian)) * 100) / 100} ms`,
        baseline: `${Math.round(emptyMs * 100) / 100} ms (empty handler)`,
        ratio: ratio(median(measured.map((r) => r.initMsMedian)), emptyMs),
        target: `≤ ${TARGET}×`,
        met: null,
      },
      {
        benchmark: 'cold-start',
        measure: 'module init + first invocation (empty event), median function',
        subject: `${Math.round(median(measured.map((r) => r.initAndFirstCallMsMedian)) * 100) / 100} ms`,
        baseline: `${Math.round(median(emptyTotalSamples) * 100) / 100} ms (empty handler)`,
        ratio: ratio(median(measured.map((r) => r.initAndFirstCallMsMedian)), median(emptyTotalSamples)),
        target: `≤ ${TARGET}×`,
        met: null,
      },
      {
        benchmark: 'cold-start',
        measure: 'whole fresh process (node start + load + first call), median function',
        subject: `${Math.round(median(measured.map((r) => r.processMsMedian)) * 100) / 100} ms`,
        baseline: `${Math.round(median(emptyProcessSamples) * 100) / 100} ms (empty handler)`,
        ratio: ratio(median(measured.map((r) => r.processMsMedian)), median(emptyProcessSamples)),
        target: `≤ ${TARGET}×`,
        met: null,
      },
      {
        benchmark: 'cold-start',
        measure: 'module init + first invocation, median function, if --enable-source-maps were set (off as deployed)',
        subject: `${Math.round(median(measured.map((r) => r.initAndFirstCallMsMedianWithSourceMaps)) * 100) / 100} ms`,
        baseline: `${Math.round(mappedEmptyTotalMs * 100) / 100} ms (empty handler)`,
        ratio: ratio(median(measured.map((r) => r.initAndFirstCallMsMedianWithSourceMaps)), mappedEmptyTotalMs),
        target: `≤ ${TARGET}×`,
        met: null,
      },
      {
        benchmark: 'bundle-size',
        measure: `bundle bytes, median of ${rows.length} functions (largest ${Math.max(...bytes).toLocaleString('en-US')})`,
        subject: `${median(bytes).toLocaleString('en-US')} B`,
        baseline: `${emptyBytes.toLocaleString('en-US')} B (empty handler)`,
        ratio: ratio(median(bytes), emptyBytes),
        target: 'none (reported)',
        met: null,
      },
    ];
    return {
      name: 'cold-start',
      measuredAt: new Date().toISOString(),
      machine: machine(),
      summary,
      details: {
        runs: RUNS,
        nodeOptions: deployedOptions.NODE_OPTIONS,
        loadedAs: 'as the Lambda runtime loads a handler: require() for .js and .cjs, import() for .mjs',
        esbuildOptions: SERVICE_ESBUILD_OPTIONS,
        emptyHandler: {
          bundleBytes: emptyBytes,
          initMsMedian: emptyMs,
          samples: emptySamples,
          initMsMedianWithSourceMaps: mappedEmptyMs,
          initAndFirstCallMsMedianWithSourceMaps: mappedEmptyTotalMs,
          processMsMedian: median(emptyProcessSamples),
          initAndFirstCallMsMedian: median(emptyTotalSamples),
        },
        awsSdkBundled: rows.some((r) => r.awsSdkSourceShare > 0),
        functions: rows,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
