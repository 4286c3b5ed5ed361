import { readFileSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

let temporaryCount = 0;

/**
 * One JSON file holding the whole state of an emulated service. `changed()` schedules a write after a short quiet
 * period, so a burst of requests costs one write; `persisted()` resolves once a write holding every change made so far
 * is on disk (write-through: a request acknowledged after it survives a crash); `flush()` writes at once. Writes go
 * to a temporary file, synced to disk, then renamed over the old one, so a crash leaves either the old or the new
 * snapshot, never half of one.
 */
export class JsonSnapshotFile {
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    private readonly snapshot: () => unknown,
    private readonly debounceMs = 100,
  ) {}

  /** The last snapshot written, or undefined when there is none yet. */
  load(): unknown {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`${this.path} is not valid JSON: ${(error as Error).message}`);
    }
  }

  changed(): void {
    this.dirty = true;
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch((error: unknown) => {
        console.error(JSON.stringify({ level: 'ERROR', message: `Cannot write ${this.path}`, error: String(error) }));
      });
    }, this.debounceMs);
    // The owner flushes before the process ends; a pending write must not keep an idle process alive.
    this.timer.unref();
  }

  /**
   * Marks the state changed and resolves once it is on disk. Calls made while a write is under way share the next
   * one (group commit), so concurrent requests cost one write between them, not one each.
   */
  persisted(): Promise<void> {
    this.dirty = true;
    return this.flush();
  }

  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // A failed write does not stop the ones after it: the next write holds its changes too.
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        if (!this.dirty) return;
        this.dirty = false;
        const text = JSON.stringify(this.snapshot());
        // Unique per write: two owners of the same file in one process (a restart in a test) never share a temporary.
        const temporary = `${this.path}.${process.pid}.${++temporaryCount}.tmp`;
        await mkdir(dirname(this.path), { recursive: true });
        const file = await open(temporary, 'w');
        try {
          await file.writeFile(text);
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temporary, this.path);
      });
    return this.writing;
  }
}
