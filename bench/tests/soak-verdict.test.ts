import { memoryVerdict } from '../src/soak-bench';

/** Samples every 10 s for 30 min; each series rises by the given MiB per hour from its start. */
function samples(perHour: { rss: number; anonymous?: number; heap: number }) {
  return Array.from({ length: 181 }, (_, i) => {
    const t = i * 10;
    const hours = t / 3600;
    return {
      t,
      rssMiB: 1500 + perHour.rss * hours,
      ...(perHour.anonymous === undefined ? {} : { rssAnonMiB: 1200 + perHour.anonymous * hours }),
      heapUsedMiB: 300 + perHour.heap * hours + (i % 2 === 0 ? 40 : -40),
      heapLiveMiB: 250 + perHour.heap * hours,
    };
  });
}

describe('soak memory verdict', () => {
  it('judges the process by its anonymous memory and heap, and reports the mapped files apart', () => {
    // Prepare: the mapped database files grow with the tables, the process's own memory does not
    const run = samples({ rss: 2000, anonymous: 0, heap: 0 });

    // Act
    const verdict = memoryVerdict(run, 1800, 300);

    // Assess
    expect(verdict.verdict).toBe('stable');
    expect(verdict.anonymous?.verdict).toBe('stable');
    expect(verdict.rss.verdict).toBe('growing');
    expect(verdict.rss.slopeMiBPerHour).toBeCloseTo(2000, 0);
  });

  it('finds growth of the anonymous memory', () => {
    // Prepare
    const run = samples({ rss: 400, anonymous: 400, heap: 0 });

    // Act
    const verdict = memoryVerdict(run, 1800, 300);

    // Assess
    expect(verdict.verdict).toBe('growing');
    expect(verdict.anonymous?.riseMiB).toBeCloseTo((400 * 1500) / 3600, 0);
  });

  it('finds growth of the heap', () => {
    // Prepare
    const run = samples({ rss: 0, anonymous: 0, heap: 300 });

    // Act
    const verdict = memoryVerdict(run, 1800, 300);

    // Assess
    expect(verdict.heap.verdict).toBe('growing');
    expect(verdict.verdict).toBe('growing');
  });

  it('judges the heap by its live size after a full collection, not by its peaks between collections', () => {
    // Prepare: the heap climbs higher between collections as the run goes on; what stays alive does not
    const run = samples({ rss: 0, anonymous: 0, heap: 0 }).map((sample, i) => ({
      ...sample,
      heapUsedMiB: 300 + (i % 6) * (sample.t / 60) * 4,
    }));

    // Act
    const verdict = memoryVerdict(run, 1800, 300);

    // Assess
    expect(verdict.heap.series).toBe('heapLiveMiB');
    expect(verdict.heap.verdict).toBe('stable');
    expect(verdict.heap.maxMiB).toBe(250);
    expect(verdict.verdict).toBe('stable');
  });

  it('judges by the whole RSS where the platform does not report its parts', () => {
    // Prepare
    const run = samples({ rss: 2000, heap: 0 });

    // Act
    const verdict = memoryVerdict(run, 1800, 300);

    // Assess
    expect(verdict.anonymous).toBeUndefined();
    expect(verdict.verdict).toBe('growing');
  });
});
