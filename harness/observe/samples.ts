/**
 * Statistics of samples, for sweep cells and report charts alike. Quantiles are nearest-rank (no
 * interpolation), so every number shown is one that was measured: with n ≤ 100 samples the p99 is
 * the maximum.
 */
import type { SampleStats } from '../result.ts';

/** Nearest-rank q-quantile of an ascending list; undefined for an empty one. */
export function nearestRank(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1];
}

/** min / median / p99 / max of a sample, or undefined when it is empty. */
export function summarize(values: readonly number[]): SampleStats | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    min: sorted[0]!,
    median: nearestRank(sorted, 0.5)!,
    p99: nearestRank(sorted, 0.99)!,
    max: sorted[sorted.length - 1]!,
  };
}

export type Statistic = 'min' | 'median' | 'p99' | 'max';
export const STATISTICS: readonly Statistic[] = ['min', 'median', 'p99', 'max'];

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
