/**
 * Distributions across results or seeds: an empirical CDF per series (step line, one point per
 * distinct value), and for sweeps the spread of detection times per configuration (min–max bar,
 * median and p99 ticks).
 */
import type { TopLevelSpec } from 'vega-lite';
import { ecdf } from '../../harness/observe/samples.ts';
import type { SampleStats } from '../../harness/result.ts';
import { COLORS, MONO } from './vega.ts';

export interface Series {
  name: string;
  color: string;
  values: number[];
}

/** ECDF chart; x in seconds. Series with no values are left out. */
export function ecdfSpec(series: Series[], xTitle: string, width: number): TopLevelSpec {
  const present = series.filter((s) => s.values.length > 0);
  const values = present.flatMap((s) =>
    ecdf(s.values).flatMap((p, i) => {
      const point = { series: s.name, seconds: p.value / 1000, fraction: p.fraction };
      // Start each curve at 0 so a single-sample series still shows as a step.
      return i === 0 ? [{ ...point, fraction: 0 }, point] : [point];
    }),
  );
  const seconds = values.map((v) => v.seconds);
  const lo = Math.min(...seconds);
  const hi = Math.max(...seconds);
  // A single distinct value would give the axis an empty domain; widen it around the value.
  const pad = Math.max(0.5, Math.abs(lo) * 0.1);
  const xScale = seconds.length > 0 && hi - lo < 1e-9 ? { domain: [lo - pad, hi + pad] } : { zero: false };
  const domain = present.map((s) => s.name);
  const range = present.map((s) => s.color);
  const color = {
    field: 'series',
    type: 'nominal',
    scale: { domain, range },
    legend: { title: null, orient: 'bottom' },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width,
    height: 150,
    data: { values },
    layer: [
      {
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1.75 },
        encoding: {
          x: { field: 'seconds', type: 'quantitative', title: xTitle, scale: xScale },
          y: {
            field: 'fraction',
            type: 'quantitative',
            title: 'fraction ≤ x',
            scale: { domain: [0, 1] },
            axis: { format: '.0%', tickCount: 5 },
          },
          color,
        },
      },
      {
        transform: [{ filter: 'datum.fraction > 0' }],
        mark: { type: 'point', filled: true, size: 18 },
        encoding: {
          x: { field: 'seconds', type: 'quantitative' },
          y: { field: 'fraction', type: 'quantitative' },
          color,
        },
      },
    ],
  } as unknown as TopLevelSpec;
}

export interface SpreadRow {
  /** Row label (a configuration). */
  label: string;
  /** Sub-series (latency profile / scenario). */
  group: string;
  stats: SampleStats;
  met: boolean;
}

/** Detection-time spread per configuration: min–max bar, median tick, p99 tick. */
export function spreadSpec(
  rows: SpreadRow[],
  groups: string[],
  palette: string[],
  width: number,
): TopLevelSpec {
  const labels = [...new Set(rows.map((r) => r.label))];
  const values = rows
    .filter((r) => r.stats.n > 0)
    .map((r) => ({
      label: r.label,
      group: r.group,
      min: r.stats.min / 1000,
      median: r.stats.median / 1000,
      p99: r.stats.p99 / 1000,
      max: r.stats.max / 1000,
    }));
  const y = {
    field: 'label',
    type: 'nominal',
    title: null,
    sort: labels,
    axis: { labelFont: MONO, labelFontSize: 10, labelLimit: 220 },
  };
  const yOffset = { field: 'group', type: 'nominal', scale: { domain: groups, paddingInner: 0.2 } };
  const color = {
    field: 'group',
    type: 'nominal',
    scale: { domain: groups, range: palette },
    legend: { title: null, orient: 'bottom' },
  };
  const x = {
    field: 'min',
    type: 'quantitative',
    title: 'detection time Δ (s): min–max bar, median ●, p99 |',
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width,
    height: { step: 9 * Math.max(1, groups.length) + 6 },
    data: { values },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 3, opacity: 0.55 },
        encoding: { x, x2: { field: 'max' }, y, yOffset, color },
      },
      {
        mark: { type: 'point', filled: true, size: 26, opacity: 1 },
        encoding: { x: { field: 'median', type: 'quantitative' }, y, yOffset, color },
      },
      {
        mark: { type: 'tick', thickness: 2, size: 9, color: COLORS.ink },
        encoding: { x: { field: 'p99', type: 'quantitative' }, y, yOffset },
      },
    ],
  } as unknown as TopLevelSpec;
}
