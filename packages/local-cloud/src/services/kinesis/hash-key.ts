import { createHash } from 'node:crypto';

/** The hash key space of a Kinesis stream: 128-bit unsigned integers. */
export const MAX_HASH_KEY = (1n << 128n) - 1n;

export interface HashKeyRange {
  startingHashKey: bigint;
  endingHashKey: bigint;
}

/**
 * Splits the hash key space into `shardCount` contiguous ranges the way CreateStream does: shard `i` starts at
 * `floor(i * 2^128 / n)` and ends one before the next shard's start.
 */
export function evenHashKeyRanges(shardCount: number): HashKeyRange[] {
  const space = 1n << 128n;
  const count = BigInt(shardCount);
  const ranges: HashKeyRange[] = [];
  for (let i = 0n; i < count; i++) {
    ranges.push({ startingHashKey: (i * space) / count, endingHashKey: ((i + 1n) * space) / count - 1n });
  }
  return ranges;
}

/** The hash key of a partition key: its MD5 digest read as a 128-bit unsigned integer, as Kinesis maps it to a shard. */
export function partitionKeyHash(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

/** The hash keys of recently used partition keys: producers reuse a few keys (a device id) for many records. */
const recentHashes = new Map<string, bigint>();
const RECENT_HASHES_KEPT = 10_000;

/** {@link partitionKeyHash}, remembered for the last partition keys seen (the cache is emptied when full). */
export function cachedPartitionKeyHash(partitionKey: string): bigint {
  let hash = recentHashes.get(partitionKey);
  if (hash === undefined) {
    if (recentHashes.size >= RECENT_HASHES_KEPT) recentHashes.clear();
    hash = partitionKeyHash(partitionKey);
    recentHashes.set(partitionKey, hash);
  }
  return hash;
}

/** Parses an ExplicitHashKey (a decimal string), or undefined when it is not one in the hash key space. */
export function parseExplicitHashKey(value: string): bigint | undefined {
  if (!/^\d{1,39}$/.test(value)) return undefined;
  const key = BigInt(value);
  return key <= MAX_HASH_KEY ? key : undefined;
}

/** The index of the range holding `hashKey`; ranges are sorted and cover the whole space. */
export function rangeIndexOf(ranges: readonly HashKeyRange[], hashKey: bigint): number {
  let low = 0;
  let high = ranges.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (hashKey > (ranges[middle] as HashKeyRange).endingHashKey) low = middle + 1;
    else high = middle;
  }
  return low;
}
