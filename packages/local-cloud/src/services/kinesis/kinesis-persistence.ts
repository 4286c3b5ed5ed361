import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { KinesisStream, type StreamMode } from './kinesis-stream';

/**
 * The on-disk form of the streams: `streams.json` lists each stream's settings, and each stream incarnation has a
 * folder with one newline-delimited JSON file per shard, `[position, arrival, partitionKey, base64 data]` a line.
 * Flushing appends the records written since the last flush, and rewrites a file once retention has dropped more
 * records from it than it keeps.
 */
interface StreamManifest {
  name: string;
  arn: string;
  createdAt: number;
  mode: StreamMode;
  shardCount: number;
  retentionPeriodHours: number;
  tags: Record<string, string>;
  nextPositions: number[];
}

type RecordLine = [position: number, arrival: number, partitionKey: string, data: string];

const MANIFEST = 'streams.json';
const COMPACT_AFTER = 10_000;

function folderOf(stream: { name: string; createdAt: number }): string {
  return `${stream.name}-${stream.createdAt}`;
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

function linesOf(
  records: readonly { position: number; approximateArrivalTimestamp: number; partitionKey: string; data: Buffer }[],
) {
  let text = '';
  for (const record of records) {
    const line: RecordLine = [
      record.position,
      record.approximateArrivalTimestamp,
      record.partitionKey,
      record.data.toString('base64'),
    ];
    text += `${JSON.stringify(line)}\n`;
  }
  return text;
}

export async function loadStreams(dataDir: string, now: number): Promise<KinesisStream[]> {
  let manifest: StreamManifest[];
  try {
    manifest = JSON.parse(await readFile(join(dataDir, MANIFEST), 'utf8')) as StreamManifest[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const streams: KinesisStream[] = [];
  for (const entry of manifest) {
    const stream = new KinesisStream(entry);
    for (const [key, value] of Object.entries(entry.tags)) stream.tags.set(key, value);
    const cutoff = now - stream.retentionMs;
    for (const shard of stream.shards) {
      let text = '';
      try {
        text = await readFile(join(dataDir, folderOf(entry), `${shard.shardId}.ndjson`), 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      let dropped = 0;
      for (const line of text.split('\n')) {
        if (!line) continue;
        const [position, arrival, partitionKey, data] = JSON.parse(line) as RecordLine;
        if (arrival < cutoff) {
          dropped++;
          continue;
        }
        shard.restore({
          position,
          sequenceNumber: shard.sequenceNumberAt(position),
          partitionKey,
          data: Buffer.from(data, 'base64'),
          approximateArrivalTimestamp: arrival,
        });
      }
      shard.nextPosition = Math.max(shard.nextPosition, entry.nextPositions[shard.index] ?? 0);
      shard.persistedPosition = shard.nextPosition;
      shard.trimmedSinceCompaction = dropped;
    }
    streams.push(stream);
  }
  return streams;
}

/** Writes what changed since the last call; removes the folders of streams that no longer exist. */
export async function saveStreams(dataDir: string, streams: readonly KinesisStream[]): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  for (const stream of streams) {
    const folder = join(dataDir, folderOf(stream));
    await mkdir(folder, { recursive: true });
    for (const shard of stream.shards) {
      const file = join(folder, `${shard.shardId}.ndjson`);
      const upTo = shard.nextPosition;
      if (shard.trimmedSinceCompaction > Math.max(COMPACT_AFTER, shard.records.length)) {
        await writeAtomically(file, linesOf(shard.records));
        shard.trimmedSinceCompaction = 0;
      } else if (upTo > shard.persistedPosition) {
        const first = shard.records[0]?.position ?? upTo;
        const from = Math.max(0, shard.persistedPosition - first);
        await appendFile(file, linesOf(shard.records.slice(from)));
      }
      shard.persistedPosition = upTo;
    }
  }
  const manifest: StreamManifest[] = streams.map((stream) => ({
    name: stream.name,
    arn: stream.arn,
    createdAt: stream.createdAt,
    mode: stream.mode,
    shardCount: stream.shards.length,
    retentionPeriodHours: stream.retentionPeriodHours,
    tags: Object.fromEntries(stream.tags),
    nextPositions: stream.shards.map((shard) => shard.nextPosition),
  }));
  await writeAtomically(join(dataDir, MANIFEST), JSON.stringify(manifest));

  const live = new Set(streams.map(folderOf));
  for (const entry of await readdir(dataDir, { withFileTypes: true })) {
    if (entry.isDirectory() && !live.has(entry.name))
      await rm(join(dataDir, entry.name), { recursive: true, force: true });
  }
}
