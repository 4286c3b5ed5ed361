import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import AdmZip from 'adm-zip';

/** Where a function's code is on disk, and what Lambda says about it. */
export interface FunctionCode {
  /** The task root: LAMBDA_TASK_ROOT, where the handler path starts. */
  directory: string;
  /** Base64 SHA-256 of the zip (or of the directory's files), as GetFunction's CodeSha256. */
  sha256: string;
  /** Bytes of the zip (or of the directory's files). */
  size: number;
  /** The zip the code came from, if any. */
  zipFile?: string;
}

/** Marks an unpacked directory as complete: a directory without it is a crashed unpack and is redone. */
const COMPLETE_MARKER = '.unpacked';

/**
 * Where each zip is unpacked once, by content hash, for every function packaged in it: a service's zip holds the
 * bundles of all its functions, so its functions share one unpacked copy (hard-linked into their own directories).
 */
const SHARED_DIR = '.zips';

/** Content hashes being unpacked or linked right now, which pruning must leave alone. */
const busy = new Map<string, Promise<string>>();

/**
 * Unpacks a function's zip under `<functionsDir>/<name>/<content hash>/`, or reuses that directory if an earlier run
 * unpacked the same bytes. The zip is unpacked once into `<functionsDir>/.zips/<content hash>/` and its files are
 * hard-linked into the function's directory, so the functions of one package cost one copy. Directories are built
 * in a temporary place and renamed into place, so a reader never sees half of one.
 */
export async function unpackZip(zipFile: string, functionsDir: string, functionName: string): Promise<FunctionCode> {
  const bytes = await readFile(zipFile);
  const digest = createHash('sha256').update(bytes).digest();
  const hash = digest.toString('hex').slice(0, 16);
  const directory = join(functionsDir, functionName, hash);
  const code = { directory, sha256: digest.toString('base64'), size: bytes.length, zipFile };
  if (existsSync(join(directory, COMPLETE_MARKER))) return code;

  const work = (async () => {
    await busy.get(hash)?.catch(() => undefined);
    const shared = await unpackShared(bytes, zipFile, join(functionsDir, SHARED_DIR, hash));
    await buildAtomically(directory, async (staging) => linkTree(shared, staging));
    return directory;
  })();
  busy.set(hash, work);
  try {
    await work;
  } finally {
    if (busy.get(hash) === work) busy.delete(hash);
  }
  return code;
}

async function unpackShared(bytes: Buffer, zipFile: string, directory: string): Promise<string> {
  if (existsSync(join(directory, COMPLETE_MARKER))) return directory;
  await buildAtomically(directory, async (staging) => {
    const zip = new AdmZip(bytes);
    for (const entry of zip.getEntries()) {
      const target = resolve(staging, entry.entryName);
      const inside = relative(staging, target);
      if (inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) {
        throw new Error(`${zipFile} holds an entry outside its root: ${entry.entryName}`);
      }
      if (entry.isDirectory) {
        await mkdir(target, { recursive: true });
        continue;
      }
      await mkdir(resolve(target, '..'), { recursive: true });
      const mode = entry.header.fileAttr & 0o777;
      await writeFile(target, entry.getData(), { mode: mode === 0 ? 0o644 : mode | 0o600 });
    }
  });
  return directory;
}

/** Fills a temporary directory with `fill`, marks it complete and renames it to `directory`. */
async function buildAtomically(directory: string, fill: (staging: string) => Promise<void>): Promise<void> {
  const staging = `${directory}.${randomUUID()}.partial`;
  await mkdir(staging, { recursive: true });
  try {
    await fill(staging);
    await writeFile(join(staging, COMPLETE_MARKER), '');
    await rm(directory, { recursive: true, force: true });
    await rename(staging, directory);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/** Recreates the tree of `source` in `target` with hard links (copies where a link is refused). */
async function linkTree(source: string, target: string): Promise<void> {
  for (const entry of await readdir(source, { withFileTypes: true })) {
    if (entry.name === COMPLETE_MARKER) continue;
    const from = join(source, entry.name);
    const to = join(target, entry.name);
    if (entry.isDirectory()) {
      await mkdir(to, { recursive: true });
      await linkTree(from, to);
    } else if (entry.isFile()) {
      await link(from, to).catch(() => copyFile(from, to));
    }
  }
}

/** Describes code already unpacked in a directory; its hash covers every file's path and bytes. */
export async function describeDirectory(codeDir: string): Promise<FunctionCode> {
  const directory = resolve(codeDir);
  const hash = createHash('sha256');
  let size = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
      } else if (entry.isFile()) {
        const content = await readFile(path);
        size += content.length;
        hash.update(relative(directory, path)).update('\0').update(content).update('\0');
      }
    }
  };
  if (!(await stat(directory)).isDirectory()) throw new Error(`${codeDir} is not a directory`);
  await walk(directory);
  return { directory, sha256: hash.digest('base64'), size };
}

/**
 * Removes the unpacked versions of a function other than the ones still in use, then the shared copies of zips no
 * function's directory comes from any more.
 */
export async function pruneUnpacked(functionsDir: string, functionName: string, inUse: Set<string>): Promise<void> {
  const root = join(functionsDir, functionName);
  if (existsSync(root)) {
    for (const name of await readdir(root)) {
      const path = join(root, name);
      if (!inUse.has(path)) await rm(path, { recursive: true, force: true });
    }
  }
  const sharedRoot = join(functionsDir, SHARED_DIR);
  if (!existsSync(sharedRoot)) return;
  const referenced = new Set(busy.keys());
  for (const fn of await readdir(functionsDir, { withFileTypes: true })) {
    if (!fn.isDirectory() || fn.name === SHARED_DIR) continue;
    for (const version of await readdir(join(functionsDir, fn.name))) referenced.add(version);
  }
  for (const hash of await readdir(sharedRoot)) {
    if (!referenced.has(hash) && !hash.endsWith('.partial')) {
      await rm(join(sharedRoot, hash), { recursive: true, force: true });
    }
  }
}
