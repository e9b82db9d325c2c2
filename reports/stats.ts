import type { SampleStats } from '../harness/result.ts';

/** Nearest-rank quantile (no interpolation: every reported value is one that was measured). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function sampleStats(values: readonly number[]): SampleStats {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return { n: 0, min: 0, median: 0, p99: 0, max: 0 };
  return {
    n: sorted.length,
    min: sorted[0]!,
    median: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    max: sorted[sorted.length - 1]!,
  };
}

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
