import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Marks a folder as a local cloud's data folder, so `--reset` never empties a folder it did not create. */
const MARKER = '.iot-local-data';

/**
 * Creates the data folder (and its marker) if needed. With `reset`, empties it first; a non-empty folder without
 * the marker is refused, so a mistyped `--data-dir` cannot wipe unrelated files.
 */
export async function prepareDataFolder(dataDir: string, options: { reset?: boolean } = {}): Promise<void> {
  if (options.reset && existsSync(dataDir)) {
    const entries = await readdir(dataDir);
    if (entries.length > 0 && !entries.includes(MARKER)) {
      throw new Error(
        `--reset refuses to empty ${dataDir}: it is not a local cloud data folder (it has no ${MARKER} file)`,
      );
    }
    await Promise.all(entries.map((entry) => rm(join(dataDir, entry), { recursive: true, force: true })));
  }
  await mkdir(dataDir, { recursive: true });
  if (!existsSync(join(dataDir, MARKER))) {
    await writeFile(join(dataDir, MARKER), 'The data of the local cloud (iot-local start). Safe to delete.\n');
  }
}
