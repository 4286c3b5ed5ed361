import { closeSync, openSync, readSync } from 'node:fs';

/** One line of a shard's file: `[position, arrival, partitionKey, base64 data]`. */
export type RecordLine = [position: number, arrival: number, partitionKey: string, data: string];

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

interface Line {
  record: RecordLine;
  /** Offset of the line's first byte. */
  start: number;
  /** Offset just after its newline. */
  end: number;
}

/**
 * Reads the records of a shard's newline-delimited JSON file back, synchronously, without holding the file in memory.
 * Lines are in position order (and so in arrival order), so a record is found by a binary search over byte offsets.
 * Reads stop at `size`, the bytes of whole lines written so far: an append still in progress is never read.
 */
export class ShardFile {
  /** Bytes of whole lines in the file. */
  size: number;
  /** Where the line after the last one read starts, so a reader going on from there needs no search. */
  private cursor: { position: number; offset: number } | undefined;

  constructor(
    readonly path: string,
    size = 0,
  ) {
    this.size = size;
  }

  /** The file was appended to: `bytes` more of whole lines. */
  appended(bytes: number): void {
    this.size += bytes;
  }

  /** The file was rewritten (compacted): offsets found before no longer hold. */
  replaced(size: number): void {
    this.size = size;
    this.cursor = undefined;
  }

  /**
   * Up to `limit` records with positions from `from` up to (not including) `until`, stopping once `maxBytes` of data
   * is reached (at least one record is read).
   */
  read(from: number, until: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): RecordLine[] {
    if (this.size === 0 || from >= until || limit < 1) return [];
    return this.withFile((fd) => {
      const offset =
        this.cursor?.position === from ? this.cursor.offset : this.search(fd, (record) => record[0] >= from);
      const records: RecordLine[] = [];
      let bytes = 0;
      this.scan(fd, offset, (line) => {
        const [position, , partitionKey, data] = line.record;
        if (position < from) return true;
        if (position >= until) return false;
        records.push(line.record);
        this.cursor = { position: position + 1, offset: line.end };
        bytes += partitionKey.length + Math.floor((data.length * 3) / 4);
        return records.length < limit && bytes < maxBytes;
      });
      return records;
    });
  }

  /** The first record that arrived at or after `timestamp`, if any. */
  firstArrivingAtOrAfter(timestamp: number): RecordLine | undefined {
    if (this.size === 0) return undefined;
    return this.withFile((fd) => {
      const offset = this.search(fd, (record) => record[1] >= timestamp);
      return offset < this.size ? this.lineAt(fd, offset)?.record : undefined;
    });
  }

  private withFile<T>(use: (fd: number) => T): T {
    const fd = openSync(this.path, 'r');
    try {
      return use(fd);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * The offset of the first line whose record satisfies `reached` (which must hold for every line after one it holds
   * for), or `size` if none does.
   */
  private search(fd: number, reached: (record: RecordLine) => boolean): number {
    let low = 0;
    let high = this.size;
    while (low < high) {
      const line = this.lineAt(fd, Math.floor((low + high) / 2));
      if (!line || reached(line.record)) high = Math.floor((low + high) / 2);
      else low = line.start + 1;
    }
    return low >= this.size ? this.size : (this.lineAt(fd, low)?.start ?? this.size);
  }

  /** The first whole line starting at or after `offset`. */
  private lineAt(fd: number, offset: number): Line | undefined {
    const start = offset === 0 ? 0 : this.newlineAt(fd, offset - 1) + 1;
    if (start <= 0 && offset !== 0) return undefined;
    if (start >= this.size) return undefined;
    let found: Line | undefined;
    this.scan(fd, start, (line) => {
      found = line;
      return false;
    });
    return found;
  }

  /** The offset of the first newline at or after `offset`, or -1. */
  private newlineAt(fd: number, offset: number): number {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let at = offset; at < this.size; at += CHUNK_BYTES) {
      const read = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, this.size - at), at);
      const index = chunk.subarray(0, read).indexOf(NEWLINE);
      if (index >= 0) return at + index;
      if (read === 0) break;
    }
    return -1;
  }

  /** Calls `visit` with each whole line from `offset` (a line's start) on, while it answers true. */
  private scan(fd: number, offset: number, visit: (line: Line) => boolean): void {
    const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    let pending: Buffer[] = [];
    let lineStart = offset;
    for (let at = offset; at < this.size; ) {
      const read = readSync(fd, chunk, 0, Math.min(CHUNK_BYTES, this.size - at), at);
      if (read === 0) return;
      let from = 0;
      for (let index = chunk.indexOf(NEWLINE, 0); index >= 0 && index < read; index = chunk.indexOf(NEWLINE, from)) {
        const piece = chunk.subarray(from, index);
        const text = pending.length > 0 ? Buffer.concat([...pending, piece]).toString('utf8') : piece.toString('utf8');
        pending = [];
        const end = at + index + 1;
        if (!visit({ record: JSON.parse(text) as RecordLine, start: lineStart, end })) return;
        lineStart = end;
        from = index + 1;
      }
      if (from < read) pending.push(Buffer.from(chunk.subarray(from, read)));
      at += read;
    }
  }
}
