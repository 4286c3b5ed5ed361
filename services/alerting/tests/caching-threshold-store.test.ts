import type { ThresholdRule } from '@iot/types';
import { CachingThresholdStore } from '../src/adapters/caching-threshold-store';
import type { ThresholdStore } from '../src/domain/thresholds';

const rule: ThresholdRule = { metric: 'temperature', comparison: 'above', value: 30 };

/** A store that counts the keys it is asked for. */
function countingStore(rules: Record<string, ThresholdRule[]>) {
  const reads: string[][] = [];
  const store: ThresholdStore = {
    getRules: async (keys) => {
      reads.push([...keys]);
      return new Map(keys.flatMap((key) => (rules[key] ? [[key, rules[key]] as const] : [])));
    },
    putRules: async (key, value) => {
      rules[key] = value;
    },
    deleteRules: async (key) => {
      delete rules[key];
    },
  };
  return { store, reads };
}

describe('CachingThresholdStore', () => {
  it('answers from memory within the TTL, including keys with no rules, and reads again after it', async () => {
    // Prepare
    let now = 0;
    const { store, reads } = countingStore({ '#fleet': [rule] });
    const cache = new CachingThresholdStore(store, { ttlMs: 60_000, now: () => now });

    // Act
    const first = await cache.getRules(['sensor-1', '#fleet']);
    now = 59_999;
    const second = await cache.getRules(['sensor-1', '#fleet']);
    now = 60_000;
    await cache.getRules(['sensor-1', '#fleet']);

    // Assess
    expect(reads).toEqual([
      ['sensor-1', '#fleet'],
      ['sensor-1', '#fleet'],
    ]);
    expect(second).toEqual(first);
    expect(first.get('#fleet')).toEqual([rule]);
    expect(first.has('sensor-1')).toBe(false);
  });

  it('reads only the keys it does not hold', async () => {
    // Prepare
    const { store, reads } = countingStore({});
    const cache = new CachingThresholdStore(store, { ttlMs: 60_000, now: () => 0 });
    await cache.getRules(['sensor-1', '#fleet']);

    // Act
    await cache.getRules(['sensor-2', '#fleet']);

    // Assess
    expect(reads).toEqual([['sensor-1', '#fleet'], ['sensor-2']]);
  });

  it('sees a change made through it at once', async () => {
    // Prepare
    const { store } = countingStore({});
    const cache = new CachingThresholdStore(store, { ttlMs: 60_000, now: () => 0 });
    await cache.getRules(['sensor-1']);

    // Act
    await cache.putRules('sensor-1', [rule], 0);

    // Assess
    expect((await cache.getRules(['sensor-1'])).get('sensor-1')).toEqual([rule]);
  });

  it('reads every time with a TTL of 0', async () => {
    // Prepare
    const { store, reads } = countingStore({});
    const cache = new CachingThresholdStore(store, { ttlMs: 0, now: () => 0 });

    // Act
    await cache.getRules(['sensor-1']);
    await cache.getRules(['sensor-1']);

    // Assess
    expect(reads).toHaveLength(2);
  });

  it('forgets the keys fetched longest ago beyond its size', async () => {
    // Prepare
    const { store, reads } = countingStore({});
    const cache = new CachingThresholdStore(store, { ttlMs: 60_000, maxEntries: 2, now: () => 0 });
    await cache.getRules(['a']);
    await cache.getRules(['b']);
    await cache.getRules(['c']);

    // Act
    await cache.getRules(['b', 'c']);
    await cache.getRules(['a']);

    // Assess
    expect(reads).toEqual([['a'], ['b'], ['c'], ['a']]);
  });
});
