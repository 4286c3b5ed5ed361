import type { ThresholdRule } from '@iot/types';
import type { ThresholdStore } from '../domain/thresholds';

export interface CachingThresholdStoreOptions {
  /** How long a read answer is reused; 0 reads the store every time. */
  ttlMs: number;
  /** Entries kept at most; the oldest go first. Bounds the memory a warm function uses for a large fleet. */
  maxEntries?: number;
  /** The clock, in milliseconds. */
  now?: () => number;
}

interface Entry {
  rules: ThresholdRule[] | undefined;
  expiresAt: number;
}

/**
 * Keeps the rules read from another store in the function's memory for a bounded time, so a warm function does not
 * read DynamoDB for every message. A key with no rules is cached too. A change made elsewhere is seen at the latest
 * `ttlMs` later; a change made through this store is seen at once.
 */
export class CachingThresholdStore implements ThresholdStore {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(
    private readonly store: ThresholdStore,
    private readonly options: CachingThresholdStoreOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async getRules(keys: readonly string[]): Promise<Map<string, ThresholdRule[]>> {
    const now = this.now();
    const found = new Map<string, ThresholdRule[]>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const entry = this.entries.get(key);
      if (entry && entry.expiresAt > now) {
        if (entry.rules) found.set(key, entry.rules);
      } else {
        missing.push(key);
      }
    }
    if (missing.length === 0) return found;

    const read = await this.store.getRules(missing);
    for (const key of missing) {
      const rules = read.get(key);
      if (rules) found.set(key, rules);
      this.remember(key, { rules, expiresAt: now + this.options.ttlMs });
    }
    return found;
  }

  async putRules(key: string, rules: ThresholdRule[], updatedAt: number): Promise<void> {
    this.entries.delete(key);
    await this.store.putRules(key, rules, updatedAt);
  }

  async deleteRules(key: string): Promise<void> {
    this.entries.delete(key);
    await this.store.deleteRules(key);
  }

  private remember(key: string, entry: Entry): void {
    if (this.options.ttlMs <= 0) return;
    // A Map iterates in insertion order: the first key is the one fetched longest ago.
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
}
