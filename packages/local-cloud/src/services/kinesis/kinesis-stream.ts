import { cachedPartitionKeyHash, evenHashKeyRanges, type HashKeyRange, rangeIndexOf } from './hash-key';
import type { RecordLine, ShardFile } from './shard-file';

/** One data record as the stream holds it. */
export interface KinesisRecord {
  readonly sequenceNumber: string;
  /** The record's position in its shard: 0 for the first record ever written, then one more for each record. */
  readonly position: number;
  readonly partitionKey: string;
  readonly data: Buffer;
  /** Milliseconds since the epoch; never decreasing within a shard. */
  readonly approximateArrivalTimestamp: number;
}

export type StreamMode = 'PROVISIONED' | 'ON_DEMAND';

/** Sequence numbers are 56 decimal digits: a 21-digit prefix naming the stream incarnation and shard, then a counter. */
const PREFIX_DIGITS = 21;
const COUNTER_DIGITS = 35;
const SEQUENCE_NUMBER = /^\d{56}$/;

export function shardIdOf(index: number): string {
  return `shardId-${String(index).padStart(12, '0')}`;
}

/** Accepts `shardId-000000000001` and the short forms Kinesis also takes (`1`, `shardId-1`). */
export function shardIndexOf(shardId: string): number | undefined {
  const match = /^(?:shardId-)?(\d{1,12})$/.exec(shardId);
  return match ? Number(match[1]) : undefined;
}

/** Bytes a record takes in memory besides its data and partition key (the object, its sequence number). */
const RECORD_OVERHEAD_BYTES = 200;
/** Once over its window, a shard drops its oldest records from memory down to this share of the window. */
const EVICT_TO = 0.75;
/** Retention is applied to records on disk at most this often (reads from disk are searches of the file). */
const DISK_TRIM_STEP_MS = 1000;

function memorySize(record: KinesisRecord): number {
  return record.data.length + record.partitionKey.length * 2 + RECORD_OVERHEAD_BYTES;
}

export class KinesisShard {
  readonly shardId: string;
  /**
   * The newest records, oldest first, positions contiguous up to `nextPosition - 1`. With a file, older records of the
   * retention period are on disk only; without one, every record of the retention period is here.
   */
  records: KinesisRecord[] = [];
  /** The position the next record will take. */
  nextPosition = 0;
  /** Records up to this position are on disk (when the stream is persisted). */
  persistedPosition = 0;
  /** Records dropped by retention since the shard's file was last rewritten. */
  trimmedSinceCompaction = 0;
  /** The shard's file, once the stream is persisted: records before `records[0]` are read back from it. */
  file: ShardFile | undefined;
  /** Approximate bytes of memory the records in `records` take. */
  memoryBytes = 0;
  /** The position of the oldest record kept, in memory or on disk. */
  private horizon = 0;
  /** Arrival of the record at `horizon` when that record is on disk only. */
  private horizonArrival = 0;
  private lastDiskTrim = Number.NEGATIVE_INFINITY;
  private lastArrival = 0;

  constructor(
    readonly index: number,
    readonly hashKeyRange: HashKeyRange,
    /** The 21-digit prefix of the shard's sequence numbers. */
    readonly sequencePrefix: string,
    /** Bytes of records kept in memory once they are on disk; the older ones are read back from the file. */
    readonly memoryWindowBytes = Number.POSITIVE_INFINITY,
  ) {
    this.shardId = shardIdOf(index);
  }

  sequenceNumberAt(position: number): string {
    return this.sequencePrefix + String(position).padStart(COUNTER_DIGITS, '0');
  }

  /** The position a sequence number of this shard stands for, or undefined if it is not one of this shard's. */
  positionOf(sequenceNumber: string): number | undefined {
    if (!SEQUENCE_NUMBER.test(sequenceNumber) || !sequenceNumber.startsWith(this.sequencePrefix)) return undefined;
    return Number(sequenceNumber.slice(PREFIX_DIGITS));
  }

  append(partitionKey: string, data: Buffer, now: number): KinesisRecord {
    const arrival = Math.max(now, this.lastArrival);
    this.lastArrival = arrival;
    const position = this.nextPosition++;
    const record: KinesisRecord = {
      sequenceNumber: this.sequenceNumberAt(position),
      position,
      partitionKey,
      data: ownCopy(data),
      approximateArrivalTimestamp: arrival,
    };
    this.records.push(record);
    this.memoryBytes += memorySize(record);
    if (this.memoryBytes > this.memoryWindowBytes) this.evict();
    return record;
  }

  /** Before records are restored from disk: the oldest record kept is at `position`, arrived at `arrival`. */
  startAt(position: number, arrival: number): void {
    this.horizon = position;
    this.horizonArrival = arrival;
  }

  /** Puts back a record read from disk; records must come in order. The oldest leave memory past the window. */
  restore(record: KinesisRecord): void {
    this.records.push(record);
    this.memoryBytes += memorySize(record);
    this.lastArrival = Math.max(this.lastArrival, record.approximateArrivalTimestamp);
    this.nextPosition = Math.max(this.nextPosition, record.position + 1);
    this.persistedPosition = this.nextPosition;
    if (this.memoryBytes > this.memoryWindowBytes) this.evict();
  }

  /** The position of the first record in memory (`nextPosition` when none is). */
  get memoryStart(): number {
    return this.records[0]?.position ?? this.nextPosition;
  }

  /** The position of the oldest record kept: records from there to `memoryStart` are on disk only. */
  get trimHorizon(): number {
    return this.horizon;
  }

  /**
   * Drops the oldest records from memory, down to a share of the window, as long as they are on disk. Records not yet
   * written stay until a flush has written them.
   */
  evict(): void {
    if (!this.file || this.memoryBytes <= this.memoryWindowBytes) return;
    const target = this.memoryWindowBytes * EVICT_TO;
    const first = this.records[0];
    let count = 0;
    let bytes = this.memoryBytes;
    while (bytes > target && count < this.records.length) {
      const record = this.records[count] as KinesisRecord;
      if (record.position >= this.persistedPosition) break;
      bytes -= memorySize(record);
      count++;
    }
    if (count === 0 || !first) return;
    if (this.horizon >= first.position) {
      this.horizon = first.position;
      this.horizonArrival = first.approximateArrivalTimestamp;
    }
    this.records.splice(0, count);
    this.memoryBytes = bytes;
  }

  /** Drops the records that arrived before `cutoff`. */
  trimBefore(cutoff: number): void {
    if (this.horizon < this.memoryStart) {
      if (this.horizonArrival >= cutoff) return;
      if (cutoff - this.lastDiskTrim < DISK_TRIM_STEP_MS) return;
      this.lastDiskTrim = cutoff;
      const kept = this.file?.firstArrivingAtOrAfter(cutoff);
      const position = kept ? kept[0] : this.nextPosition;
      if (kept && position < this.memoryStart) {
        this.trimmedSinceCompaction += position - this.horizon;
        this.horizon = position;
        this.horizonArrival = kept[1];
        return;
      }
      this.trimmedSinceCompaction += this.memoryStart - this.horizon;
      this.horizon = this.memoryStart;
    }
    const first = this.records[0];
    if (!first || first.approximateArrivalTimestamp >= cutoff) return;
    const count = this.firstInMemoryArrivingAtOrAfter(cutoff);
    for (const record of this.records.slice(0, count)) this.memoryBytes -= memorySize(record);
    this.records.splice(0, count);
    this.horizon = this.memoryStart;
    this.trimmedSinceCompaction += count;
  }

  /** The position of the first record kept that arrived at or after `timestamp` (`nextPosition` if none did). */
  positionArrivingAtOrAfter(timestamp: number): number {
    const first = this.records[0];
    if (this.file && this.horizon < this.memoryStart && (!first || timestamp < first.approximateArrivalTimestamp)) {
      const found = this.file.firstArrivingAtOrAfter(timestamp);
      if (found && found[0] < this.memoryStart) return Math.max(found[0], this.horizon);
    }
    return this.records[this.firstInMemoryArrivingAtOrAfter(timestamp)]?.position ?? this.nextPosition;
  }

  /** Index in `records` of the first record that arrived at or after `timestamp`. */
  private firstInMemoryArrivingAtOrAfter(timestamp: number): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.records[middle] as KinesisRecord).approximateArrivalTimestamp < timestamp) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * Up to `limit` records from `position` on (clamped to the trim horizon), and no more than `maxBytes` of data read
   * back from disk. Records in memory are not copied.
   */
  read(position: number, limit: number, maxBytes = Number.POSITIVE_INFINITY): KinesisRecord[] {
    const start = Math.max(position, this.trimHorizon);
    const memoryStart = this.memoryStart;
    let fromDisk: KinesisRecord[] = [];
    if (start < memoryStart && this.file) {
      fromDisk = this.file.read(start, memoryStart, limit, maxBytes).map((line) => this.recordOf(line));
      const last = fromDisk[fromDisk.length - 1];
      // A full page, or one cut short by `maxBytes`: the caller reads on from there.
      if (last && (fromDisk.length >= limit || last.position + 1 < memoryStart)) return fromDisk;
    }
    const index = Math.max(0, start - memoryStart);
    const fromMemory = index >= this.records.length ? [] : this.records.slice(index, index + limit - fromDisk.length);
    return fromDisk.length > 0 ? fromDisk.concat(fromMemory) : fromMemory;
  }

  /** The record at `position`, if it is still kept. */
  recordAt(position: number): KinesisRecord | undefined {
    if (position < this.trimHorizon) return undefined;
    const memoryStart = this.memoryStart;
    if (position >= memoryStart) return this.records[position - memoryStart];
    const line = this.file?.read(position, position + 1, 1)[0];
    return line ? this.recordOf(line) : undefined;
  }

  private recordOf([position, arrival, partitionKey, data]: RecordLine): KinesisRecord {
    return {
      sequenceNumber: this.sequenceNumberAt(position),
      position,
      partitionKey,
      data: Buffer.from(data, 'base64'),
      approximateArrivalTimestamp: arrival,
    };
  }
}

export interface KinesisStreamInit {
  name: string;
  arn: string;
  createdAt: number;
  mode: StreamMode;
  shardCount: number;
  retentionPeriodHours: number;
  /** Bytes of records each shard keeps in memory once they are on disk; unbounded by default. */
  memoryWindowBytes?: number;
}

/** A stream: its shards, each an ordered log of records, and the stream's settings. */
export class KinesisStream {
  readonly name: string;
  readonly arn: string;
  readonly createdAt: number;
  readonly mode: StreamMode;
  retentionPeriodHours: number;
  readonly shards: KinesisShard[];
  readonly tags = new Map<string, string>();
  private readonly ranges: HashKeyRange[];

  constructor(init: KinesisStreamInit) {
    this.name = init.name;
    this.arn = init.arn;
    this.createdAt = init.createdAt;
    this.mode = init.mode;
    this.retentionPeriodHours = init.retentionPeriodHours;
    this.ranges = evenHashKeyRanges(init.shardCount);
    const created = String(init.createdAt).padStart(13, '0').slice(-13);
    this.shards = this.ranges.map(
      (range, index) =>
        new KinesisShard(index, range, `49${created}${String(index).padStart(6, '0')}`, init.memoryWindowBytes),
    );
  }

  get retentionMs(): number {
    return this.retentionPeriodHours * 3_600_000;
  }

  shard(shardId: string): KinesisShard | undefined {
    const index = shardIndexOf(shardId);
    return index === undefined ? undefined : this.shards[index];
  }

  /** The shard a record goes to: the one whose hash key range holds the MD5 of its partition key (or its explicit hash key). */
  shardFor(partitionKey: string, explicitHashKey?: bigint): KinesisShard {
    const hashKey = explicitHashKey ?? cachedPartitionKeyHash(partitionKey);
    return this.shards[rangeIndexOf(this.ranges, hashKey)] as KinesisShard;
  }

  put(
    partitionKey: string,
    data: Buffer,
    now: number,
    explicitHashKey?: bigint,
  ): { shard: KinesisShard; record: KinesisRecord } {
    const shard = this.shardFor(partitionKey, explicitHashKey);
    shard.trimBefore(now - this.retentionMs);
    return { shard, record: shard.append(partitionKey, data, now) };
  }

  trim(now: number): void {
    const cutoff = now - this.retentionMs;
    for (const shard of this.shards) shard.trimBefore(cutoff);
  }
}

/**
 * The record's bytes in memory of their own. A small Buffer is usually a slice of a larger one (Node's 8 KB pool, a
 * socket's read chunk), and a record kept for the whole retention period would keep all of that alive with it.
 */
function ownCopy(data: Buffer): Buffer {
  if (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength) return data;
  const copy = Buffer.allocUnsafeSlow(data.length);
  data.copy(copy);
  return copy;
}
