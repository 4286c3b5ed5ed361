import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { sourceFiles } from '../compose';

/** Where the dashboard package is in the repository. */
export const DASHBOARD_DIR = join('packages', 'dashboard');
/** The command that builds it by hand, named in errors. */
export const DASHBOARD_BUILD_COMMAND = 'pnpm --filter @iot/dashboard build';
const HASH_FILE = '.build-hash';
const IGNORED = new Set(['node_modules', 'dist', 'tests', 'test-results', '.vite']);

/** The dashboard's build failed, or cannot run; the message says what to do. */
export class DashboardBuildError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DashboardBuildError';
  }
}

/** What the build is made of: the dashboard's sources, the shared types it imports, and the lockfile. */
export async function dashboardHash(root: string): Promise<string> {
  const hash = createHash('sha256');
  for (const dir of [join(root, DASHBOARD_DIR), join(root, 'packages', 'types', 'src')]) {
    const files: string[] = [];
    for await (const file of sourceFiles(dir, IGNORED)) files.push(file);
    for (const file of files.sort()) {
      hash.update(relative(root, file));
      hash.update(await readFile(file));
    }
  }
  hash.update(await readFile(join(root, 'pnpm-lock.yaml')).catch(() => Buffer.alloc(0)));
  return hash.digest('hex');
}

export interface DashboardBuild {
  /** The folder of static files to serve. */
  distDir: string;
  /** False when the build on disk was made from the same sources and was reused. */
  built: boolean;
}

/** The dashboard's own vite (pnpm links each package's dependencies into its node_modules). */
async function viteBin(dashboardDir: string): Promise<string> {
  const bin = join(dashboardDir, 'node_modules', 'vite', 'bin', 'vite.js');
  if (!(await stat(bin).catch(() => undefined))) {
    throw new DashboardBuildError(
      `The dashboard's build tool (vite) is not installed in ${dashboardDir}: run pnpm install, then start again.`,
    );
  }
  return bin;
}

/**
 * Builds the dashboard (`vite build`) unless `dist/` was built from the same sources (a content hash, as packaging
 * does), so a fresh clone gets a build on its first start and later starts reuse it.
 */
export async function ensureDashboardBuild(options: {
  root: string;
  force?: boolean;
  onBuilding?: () => void;
}): Promise<DashboardBuild> {
  const dashboardDir = join(options.root, DASHBOARD_DIR);
  const distDir = join(dashboardDir, 'dist');
  if (!(await stat(join(dashboardDir, 'package.json')).catch(() => undefined))) {
    throw new DashboardBuildError(`No dashboard package at ${dashboardDir}.`);
  }
  const hash = await dashboardHash(options.root);
  const previous = await readFile(join(distDir, HASH_FILE), 'utf8').catch(() => undefined);
  const present = await stat(join(distDir, 'index.html')).catch(() => undefined);
  if (!options.force && previous === hash && present) return { distDir, built: false };

  const vite = await viteBin(dashboardDir);
  options.onBuilding?.();
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [vite, 'build', '--logLevel', 'warn'], {
      cwd: dashboardDir,
      env: { ...process.env, NODE_ENV: 'production' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, text }));
  });
  if (output.code !== 0) {
    throw new DashboardBuildError(
      `The dashboard did not build (vite build exited with ${output.code}):\n${output.text.trim()}\n` +
        `Fix the error, or build it alone with ${DASHBOARD_BUILD_COMMAND} to see more.`,
    );
  }
  await writeFile(join(distDir, HASH_FILE), hash);
  return { distDir, built: true };
}
