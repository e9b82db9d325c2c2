/**
 * Small statistics for the charts. Sample summaries (nearest-rank min / median / p99 / max) are the
 * sweep engine's: harness/sweep/stats.ts.
 */

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Points of the empirical CDF: (value, fraction of the sample ≤ value), one per distinct value. */
export function ecdf(values: readonly number[]): { value: number; fraction: number }[] {
  const sorted = [...values].sort((a, b) => a - b);
  const out: { value: number; fraction: number }[] = [];
  sorted.forEach((v, i) => {
    const point = { value: v, fraction: (i + 1) / sorted.length };
    if (out.length > 0 && out[out.length - 1]!.value === v) out[out.length - 1] = point;
    else out.push(point);
  });
  return out;
}
