import {
  appendFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { type KinesisShard, KinesisStream, type StreamMode } from './kinesis-stream';
import { type RecordLine, ShardFile } from './shard-file';

/**
 * The on-disk form of the streams: `streams.json` lists each stream's settings, and each stream incarnation has a
 * folder with one newline-delimited JSON file per shard, `[position, arrival, partitionKey, base64 data]` a line.
 * Flushing appends the records written since the last flush, and rewrites a file once retention has dropped more
 * records from it than it keeps. Only the newest records of a shard stay in memory (its `memoryWindowBytes`); the
 * older ones are read back from the shard's file (`ShardFile`).
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

const MANIFEST = 'streams.json';
const COMPACT_AFTER = 10_000;
/** Compaction writes the lines it keeps in batches of about this many characters. */
const COMPACT_BATCH_CHARS = 1 << 20;

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

/**
 * The whole lines of a shard's file and the bytes each takes, read in chunks, never the whole file at once; a line cut
 * short by a crash is not a whole line.
 */
async function* linesIn(path: string): AsyncGenerator<[line: RecordLine, bytes: number]> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    let pending: Buffer[] = [];
    for await (const chunk of handle.createReadStream({ autoClose: false }) as AsyncIterable<Buffer>) {
      let from = 0;
      for (let index = chunk.indexOf(0x0a); index >= 0; index = chunk.indexOf(0x0a, from)) {
        const piece = chunk.subarray(from, index);
        const bytes = pending.length > 0 ? Buffer.concat([...pending, piece]) : piece;
        pending = [];
        from = index + 1;
        if (bytes.length > 0) yield [JSON.parse(bytes.toString('utf8')) as RecordLine, bytes.length + 1];
      }
      if (from < chunk.length) pending.push(chunk.subarray(from));
    }
  } finally {
    await handle.close();
  }
}

export async function loadStreams(
  dataDir: string,
  now: number,
  memoryWindowBytes = Number.POSITIVE_INFINITY,
): Promise<KinesisStream[]> {
  let manifest: StreamManifest[];
  try {
    manifest = JSON.parse(await readFile(join(dataDir, MANIFEST), 'utf8')) as StreamManifest[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const streams: KinesisStream[] = [];
  for (const entry of manifest) {
    const stream = new KinesisStream({ ...entry, memoryWindowBytes });
    for (const [key, value] of Object.entries(entry.tags)) stream.tags.set(key, value);
    const cutoff = now - stream.retentionMs;
    for (const shard of stream.shards) {
      const path = join(dataDir, folderOf(entry), `${shard.shardId}.ndjson`);
      shard.file = new ShardFile(path);
      let dropped = 0;
      let first = true;
      let size = 0;
      for await (const [[position, arrival, partitionKey, data], bytes] of linesIn(path)) {
        size += bytes;
        if (arrival < cutoff) {
          dropped++;
          continue;
        }
        if (first) shard.startAt(position, arrival);
        first = false;
        shard.restore({
          position,
          sequenceNumber: shard.sequenceNumberAt(position),
          partitionKey,
          data: Buffer.from(data, 'base64'),
          approximateArrivalTimestamp: arrival,
        });
      }
      // A line cut short by a crash: new lines start after the last whole one.
      if (size > 0) await truncate(path, size);
      shard.file.replaced(size);
      shard.nextPosition = Math.max(shard.nextPosition, entry.nextPositions[shard.index] ?? 0);
      shard.persistedPosition = shard.nextPosition;
      if (first) shard.startAt(shard.nextPosition, 0);
      shard.trimmedSinceCompaction = dropped;
    }
    streams.push(stream);
  }
  return streams;
}

/**
 * Rewrites a shard's file without the records retention dropped: the lines from the trim horizon on, read from the
 * file itself (older records are not in memory), then the records not yet written.
 */
async function compact(shard: KinesisShard, path: string, upTo: number): Promise<void> {
  const horizon = shard.trimHorizon;
  const unwritten = linesOf(
    shard.records.slice(Math.max(0, shard.persistedPosition - shard.memoryStart), upTo - shard.memoryStart),
  );
  const temporary = `${path}.${process.pid}.tmp`;
  const out = await open(temporary, 'w');
  let size = 0;
  try {
    let batch = '';
    for await (const [line] of linesIn(path)) {
      if (line[0] < horizon) continue;
      batch += `${JSON.stringify(line)}\n`;
      if (batch.length >= COMPACT_BATCH_CHARS) {
        size += Buffer.byteLength(batch);
        await out.write(batch);
        batch = '';
      }
    }
    batch += unwritten;
    size += Buffer.byteLength(batch);
    await out.write(batch);
  } finally {
    await out.close();
  }
  await rename(temporary, path);
  shard.file?.replaced(size);
}

/** Writes what changed since the last call; removes the folders of streams that no longer exist. */
export async function saveStreams(dataDir: string, streams: readonly KinesisStream[]): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  for (const stream of streams) {
    const folder = join(dataDir, folderOf(stream));
    await mkdir(folder, { recursive: true });
    for (const shard of stream.shards) {
      const file = join(folder, `${shard.shardId}.ndjson`);
      shard.file ??= new ShardFile(file);
      const upTo = shard.nextPosition;
      if (shard.trimmedSinceCompaction > Math.max(COMPACT_AFTER, upTo - shard.trimHorizon)) {
        shard.trimmedSinceCompaction = 0;
        await compact(shard, file, upTo);
      } else if (upTo > shard.persistedPosition) {
        // Records not yet written are in memory (see KinesisShard.evict), unless retention already dropped them.
        const from = Math.max(0, shard.persistedPosition - shard.memoryStart);
        const text = linesOf(shard.records.slice(from, upTo - shard.memoryStart));
        await appendFile(file, text);
        shard.file.appended(Buffer.byteLength(text));
      }
      shard.persistedPosition = upTo;
      shard.evict();
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
