/** Small statistics over samples: no dependencies, pure, unit-tested. */

/** The p-th percentile (0..100) of the samples, nearest-rank method. NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  if (p < 0 || p > 100) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** The median: the mean of the two middle samples when their number is even. NaN for no samples. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** subject / baseline, rounded to 3 decimals; NaN when the baseline is zero or missing. */
export function ratio(subject: number, baseline: number): number {
  if (!Number.isFinite(subject) || !Number.isFinite(baseline) || baseline === 0) return Number.NaN;
  return Math.round((subject / baseline) * 1000) / 1000;
}

/** A least-squares line through points: y = intercept + slope * x, with its coefficient of determination. */
export interface LinearTrend {
  slope: number;
  intercept: number;
  /** R²: the share of the variance of y the line explains (0..1); NaN when y does not vary. */
  r2: number;
  points: number;
}

/** The least-squares line through the points. NaN slope for fewer than two distinct x. */
export function linearTrend(points: readonly { x: number; y: number }[]): LinearTrend {
  const n = points.length;
  const meanX = points.reduce((sum, p) => sum + p.x, 0) / n;
  const meanY = points.reduce((sum, p) => sum + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const { x, y } of points) {
    sxx += (x - meanX) ** 2;
    sxy += (x - meanX) * (y - meanY);
    syy += (y - meanY) ** 2;
  }
  if (n < 2 || sxx === 0) return { slope: Number.NaN, intercept: Number.NaN, r2: Number.NaN, points: n };
  const slope = sxy / sxx;
  return {
    slope,
    intercept: meanY - slope * meanX,
    r2: syy === 0 ? Number.NaN : (sxy * sxy) / (sxx * syy),
    points: n,
  };
}
