/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Random = () => number;

/**
 * A small seeded PRNG (mulberry32): the same seed gives the same sequence, so fleets, tests and benchmarks are
 * reproducible. Not for anything that needs to be unpredictable.
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A seed for the n-th member of a family (a device of a fleet), well spread from its neighbours'. */
export function deriveSeed(seed: number, n: number): number {
  return (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(n + 1, 0xc2b2ae35)) >>> 0;
}

/** A normally distributed number (Box-Muller) of mean 0 and standard deviation 1. */
export function gaussian(random: Random): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A uniform number in [min, max). */
export function between(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}
