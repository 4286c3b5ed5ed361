import { cachedPartitionKeyHash, evenHashKeyRanges, type HashKeyRange, rangeIndexOf } from './hash-key';

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

export class KinesisShard {
  readonly shardId: string;
  /** Records still within the retention period, oldest first; positions are contiguous. */
  records: KinesisRecord[] = [];
  /** The position the next record will take. */
  nextPosition = 0;
  /** Records up to this position are on disk (when the stream is persisted). */
  persistedPosition = 0;
  /** Records dropped by retention since the shard's file was last rewritten. */
  trimmedSinceCompaction = 0;
  private lastArrival = 0;

  constructor(
    readonly index: number,
    readonly hashKeyRange: HashKeyRange,
    /** The 21-digit prefix of the shard's sequence numbers. */
    readonly sequencePrefix: string,
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
    return record;
  }

  /** Puts back a record read from disk; records must come in order. */
  restore(record: KinesisRecord): void {
    this.records.push(record);
    this.lastArrival = Math.max(this.lastArrival, record.approximateArrivalTimestamp);
    this.nextPosition = Math.max(this.nextPosition, record.position + 1);
  }

  /** The position of the oldest record kept. */
  get trimHorizon(): number {
    return this.records[0]?.position ?? this.nextPosition;
  }

  /** Drops the records that arrived before `cutoff`. */
  trimBefore(cutoff: number): void {
    const first = this.records[0];
    if (!first || first.approximateArrivalTimestamp >= cutoff) return;
    const count = this.firstArrivingAtOrAfter(cutoff);
    this.records.splice(0, count);
    this.trimmedSinceCompaction += count;
  }

  /** Index in `records` of the first record that arrived at or after `timestamp`. */
  firstArrivingAtOrAfter(timestamp: number): number {
    let low = 0;
    let high = this.records.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((this.records[middle] as KinesisRecord).approximateArrivalTimestamp < timestamp) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** Up to `limit` records from `position` on (clamped to the trim horizon), without copying them. */
  read(position: number, limit: number): KinesisRecord[] {
    const first = this.records[0];
    if (!first) return [];
    const start = Math.max(0, position - first.position);
    return start >= this.records.length ? [] : this.records.slice(start, start + limit);
  }

  /** The record at `position`, if it is still kept. */
  recordAt(position: number): KinesisRecord | undefined {
    const first = this.records[0];
    return first ? this.records[position - first.position] : undefined;
  }
}

export interface KinesisStreamInit {
  name: string;
  arn: string;
  createdAt: number;
  mode: StreamMode;
  shardCount: number;
  retentionPeriodHours: number;
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
      (range, index) => new KinesisShard(index, range, `49${created}${String(index).padStart(6, '0')}`),
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
