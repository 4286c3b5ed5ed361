import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';

/** Where `serverless package` leaves its output in a service folder. */
export const PACKAGE_DIR = '.serverless';
export const TEMPLATE_FILE = 'cloudformation-template-update-stack.json';
const HASH_FILE = '.package-hash';

/** `serverless package` failed; the message holds its output. */
export class PackagingError extends Error {
  constructor(
    readonly service: string,
    readonly output: string,
  ) {
    super(`serverless package failed for ${service}:\n${output.trim()}`);
    this.name = 'PackagingError';
  }
}

const IGNORED = new Set(['node_modules', PACKAGE_DIR, '.esbuild', 'tests', '.local']);
/** Build output of `tsc -b` (rewritten by every type check), not part of a bundle. */
const IGNORED_SUFFIXES = ['.tsbuildinfo'];

/** The files under `dir` that make up a build: output folders, dependencies and tests left out. */
export async function* sourceFiles(dir: string, ignored: ReadonlySet<string> = IGNORED): AsyncGenerator<string> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (ignored.has(entry.name) || IGNORED_SUFFIXES.some((suffix) => entry.name.endsWith(suffix))) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path, ignored);
    else if (entry.isFile()) yield path;
  }
}

/**
 * What a package is made of: the service's files (tests aside), the workspace packages it bundles, the lockfile,
 * the stage and the params. Packaging again with the same hash would give the same package.
 */
export async function packageHash(options: {
  root: string;
  serviceDir: string;
  stage: string;
  params: Record<string, string>;
  sharedDirs: string[];
}): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ stage: options.stage, params: options.params }));
  for (const dir of [options.serviceDir, ...options.sharedDirs]) {
    const files: string[] = [];
    for await (const file of sourceFiles(dir)) files.push(file);
    for (const file of files.sort()) {
      hash.update(relative(options.root, file));
      hash.update(await readFile(file));
    }
  }
  hash.update(await readFile(join(options.root, 'pnpm-lock.yaml')).catch(() => Buffer.alloc(0)));
  return hash.digest('hex');
}

function serverlessBin(root: string): string {
  const require = createRequire(join(root, 'package.json'));
  return join(require.resolve('osls/package.json'), '..', 'bin', 'serverless.js');
}

export interface PackageServiceOptions {
  root: string;
  name: string;
  serviceDir: string;
  stage: string;
  params: Record<string, string>;
  /** Folders whose content goes into the bundles too (the workspace packages). */
  sharedDirs: string[];
  /** Package even if nothing changed. */
  force?: boolean;
}

/**
 * Runs `serverless package` for one service with the given params, unless the service was already packaged from
 * the same content (then its package is reused). Returns the packaged CloudFormation template.
 */
export async function packageService(options: PackageServiceOptions): Promise<{ template: unknown; reused: boolean }> {
  return withPackageLock(options.serviceDir, async () => {
    const outDir = join(options.serviceDir, PACKAGE_DIR);
    const hash = await packageHash(options);
    const previous = await readFile(join(outDir, HASH_FILE), 'utf8').catch(() => '');
    const templatePath = join(outDir, TEMPLATE_FILE);
    const reusable = !options.force && previous === hash && (await stat(templatePath).catch(() => undefined));
    if (!reusable) {
      // A package cut short must not pass for the one the old hash describes.
      await rm(join(outDir, HASH_FILE), { force: true });
      const args = [serverlessBin(options.root), 'package', '--stage', options.stage];
      for (const [key, value] of Object.entries(options.params)) args.push('--param', `${key}=${value}`);
      const output = await run(process.execPath, args, options.serviceDir, options.name);
      await stat(templatePath).catch(() => {
        throw new PackagingError(options.name, `${output}\n(no ${TEMPLATE_FILE} was written)`);
      });
      await writeFile(join(outDir, HASH_FILE), hash);
    }
    return { template: JSON.parse(await readFile(templatePath, 'utf8')), reused: Boolean(reusable) };
  });
}

/** How long a process waits for another one packaging the same service. */
const LOCK_WAIT_MS = 10 * 60_000;

/** Whether the process that took a lock is gone (or never wrote its pid, long ago). */
async function isStale(lock: string): Promise<boolean> {
  const pid = Number(await readFile(join(lock, 'pid'), 'utf8').catch(() => ''));
  if (!pid) {
    const since = await stat(lock)
      .then((s) => Date.now() - s.mtimeMs)
      .catch(() => Number.POSITIVE_INFINITY);
    return since > 30_000;
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Runs `work` while holding a lock on the service's package, so two processes (two `pnpm start`, a test run and a
 * `pnpm run package`) never run `serverless package` into the same `.serverless/` at once. The lock is a folder in
 * the service's node_modules (ignored by git and by the content hash); one left by a process that died is taken over.
 */
async function withPackageLock<T>(serviceDir: string, work: () => Promise<T>): Promise<T> {
  const lock = join(serviceDir, 'node_modules', '.iot-local-package.lock');
  await mkdir(join(serviceDir, 'node_modules'), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await mkdir(lock);
      await writeFile(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (await isStale(lock)) {
        await rm(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${serviceDir} is being packaged by another process (${lock})`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    return await work();
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
}

function run(command: string, args: string[], cwd: string, service: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // Telemetry and update checks reach the internet; packaging must work offline.
    const env = { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', FORCE_COLOR: '0' };
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (error) => reject(new PackagingError(service, String(error))));
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new PackagingError(service, output))));
  });
}
