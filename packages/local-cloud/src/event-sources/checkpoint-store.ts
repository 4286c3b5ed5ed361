import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The open tumbling window of a shard: its bounds and the state the function returned last. */
export interface WindowCheckpoint {
  start: number;
  end: number;
  state: unknown;
  /** The first and last record aggregated into the window, for the failure record if its final invocation fails. */
  first?: { sequenceNumber: string; approximateArrivalTimestamp: number; position: number };
  last?: { sequenceNumber: string; approximateArrivalTimestamp: number; position: number };
  records: number;
  /** The state outgrew its limit: the next invocation ends the window early and the window goes on afresh. */
  terminatedEarly?: boolean;
}

export interface ShardCheckpoint {
  /** The last record processed (or discarded); absent: read from the oldest record kept. */
  sequenceNumber?: string;
  window?: WindowCheckpoint;
}

type MappingCheckpoints = Record<string, ShardCheckpoint>;

/**
 * Where each mapping got to in each shard. Kept in memory, written to `dataDir` (one JSON file a mapping) a moment
 * after a change and on `flush()`, so a restart resumes where processing stopped; like Lambda, at least once.
 */
export class CheckpointStore {
  private readonly mappings = new Map<string, MappingCheckpoints>();
  private readonly dirty = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dataDir?: string,
    private readonly writeDelayMs = 1000,
  ) {}

  async load(uuid: string): Promise<MappingCheckpoints> {
    let checkpoints = this.mappings.get(uuid);
    if (checkpoints) return checkpoints;
    checkpoints = {};
    if (this.dataDir) {
      try {
        checkpoints = JSON.parse(await readFile(this.fileOf(uuid), 'utf8')) as MappingCheckpoints;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    this.mappings.set(uuid, checkpoints);
    return checkpoints;
  }

  set(uuid: string, shardId: string, checkpoint: ShardCheckpoint): void {
    let checkpoints = this.mappings.get(uuid);
    if (!checkpoints) {
      checkpoints = {};
      this.mappings.set(uuid, checkpoints);
    }
    checkpoints[shardId] = checkpoint;
    if (!this.dataDir) return;
    this.dirty.add(uuid);
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush().catch(() => undefined);
      }, this.writeDelayMs);
      this.timer.unref();
    }
  }

  async remove(uuid: string): Promise<void> {
    this.mappings.delete(uuid);
    this.dirty.delete(uuid);
    if (this.dataDir) await rm(this.fileOf(uuid), { force: true });
  }

  async flush(): Promise<void> {
    const dataDir = this.dataDir;
    if (!dataDir) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        const uuids = [...this.dirty];
        this.dirty.clear();
        if (uuids.length) await mkdir(dataDir, { recursive: true });
        for (const uuid of uuids) {
          const checkpoints = this.mappings.get(uuid);
          if (!checkpoints) continue;
          const file = this.fileOf(uuid);
          await writeFile(`${file}.tmp`, JSON.stringify(checkpoints));
          await rename(`${file}.tmp`, file);
        }
      });
    return this.writing;
  }

  private fileOf(uuid: string): string {
    return join(this.dataDir as string, `${uuid}.json`);
  }
}
