import { linearTrend, median, percentile, ratio } from '../src/stats';

describe('percentile', () => {
  it('takes the nearest rank', () => {
    // Prepare
    const samples = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6];

    // Act & Assess
    expect(percentile(samples, 50)).toBe(5);
    expect(percentile(samples, 99)).toBe(10);
    expect(percentile(samples, 0)).toBe(1);
    expect(percentile(samples, 100)).toBe(10);
  });

  it('is NaN without samples and refuses a p outside 0..100', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('median', () => {
  it('averages the two middle samples of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([])).toBeNaN();
  });
});

describe('ratio', () => {
  it('divides and rounds to three decimals, NaN against a zero baseline', () => {
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(1, 0)).toBeNaN();
  });
});

describe('linearTrend', () => {
  it('finds the line through points on a line', () => {
    // Prepare
    const points = [0, 1, 2, 3, 4].map((x) => ({ x, y: 10 + 2 * x }));

    // Act
    const trend = linearTrend(points);

    // Assess
    expect(trend.slope).toBeCloseTo(2);
    expect(trend.intercept).toBeCloseTo(10);
    expect(trend.r2).toBeCloseTo(1);
  });

  it('gives a flat slope and a low R² for noise around a level', () => {
    // Prepare
    const points = [0, 1, 2, 3, 4, 5].map((x) => ({ x, y: 100 + (x % 2 === 0 ? 1 : -1) }));

    // Act
    const trend = linearTrend(points);

    // Assess
    expect(Math.abs(trend.slope)).toBeLessThan(0.5);
    expect(trend.r2).toBeLessThan(0.2);
  });

  it('is NaN without two distinct x', () => {
    expect(linearTrend([{ x: 1, y: 2 }]).slope).toBeNaN();
    expect(linearTrend([]).slope).toBeNaN();
  });
});
