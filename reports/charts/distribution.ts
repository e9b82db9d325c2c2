/**
 * Distributions across results or seeds: an empirical CDF per series (step line, one point per
 * distinct value), and for sweeps the spread of detection times per configuration (min–max bar,
 * median and p99 ticks).
 */
import type { TopLevelSpec } from 'vega-lite';
import { ecdf } from '../../harness/observe/samples.ts';
import type { SampleStats } from '../../harness/result.ts';
import { COLORS, MONO, textWidth } from './vega.ts';

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

/** Height of one latency profile's (group's) bar inside a configuration's row, px. */
export const SPREAD_BAND = 8;
/** Padding around each configuration's row, px. */
export const SPREAD_ROW_PAD = 10;

/** Height of a configuration's row: a band per group that has data, bounded to 18…60 px. */
export function spreadStep(groups: number): number {
  return Math.min(60, Math.max(18, SPREAD_BAND * Math.max(1, groups) + SPREAD_ROW_PAD));
}

/**
 * The x domain (s) of the spread chart: from the smallest min to the largest max over every row
 * (the scale rounds it out to nice ticks), widened around a lone value, never below 0.
 */
export function spreadDomain(mins: number[], maxes: number[]): [number, number] {
  const lo = Math.min(...mins);
  const hi = Math.max(...maxes);
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (hi - lo > 1e-9) return [lo, hi];
  const pad = Math.max(0.5, Math.abs(lo) * 0.1);
  return [Math.max(0, lo - pad), hi + pad];
}

/**
 * Detection-time spread per configuration: min–max bar, median dot, p99 tick. One row per
 * configuration (in the order given), one thin band per group inside it; groups without data take
 * no space. The height follows the number of configurations (`spreadStep` each) and the x domain
 * fits the data.
 */
export function spreadSpec(
  rows: SpreadRow[],
  groups: string[],
  palette: string[],
  width: number,
): TopLevelSpec {
  const labels = [...new Set(rows.filter((r) => r.stats.n > 0).map((r) => r.label))];
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
  const present = groups.flatMap((g, i) =>
    values.some((v) => v.group === g) ? [{ group: g, color: palette[i % palette.length]! }] : [],
  );
  const shown = present.map((p) => p.group);
  const y = {
    field: 'label',
    type: 'nominal',
    title: null,
    sort: labels,
    axis: { labelFont: MONO, labelFontSize: 10, labelLimit: 0, labelPadding: 6 },
  };
  const yOffset = {
    field: 'group',
    type: 'nominal',
    sort: shown,
    scale: { domain: shown, paddingInner: 0.15 },
  };
  // Legend in as many columns as its longest label allows, rows balanced (labels are never cut).
  const longest = Math.max(0, ...shown.map((g) => textWidth(g, 11)));
  const fit = Math.max(1, Math.floor(width / (longest + 40)));
  const columns = Math.ceil(shown.length / Math.ceil(shown.length / fit));
  const color = {
    field: 'group',
    type: 'nominal',
    scale: { domain: shown, range: present.map((p) => p.color) },
    legend: { title: null, orient: 'bottom', labelLimit: 0, columns, columnPadding: 18 },
  };
  const domain = spreadDomain(
    values.map((v) => v.min),
    values.map((v) => v.max),
  );
  const scale = { domain, zero: false, nice: true };
  const x = {
    field: 'min',
    type: 'quantitative',
    title: 'detection time Δ (s): min–max bar, median ●, p99 |',
    scale,
    axis: { titleLimit: 0 },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width,
    // the step is per configuration (the y position), not per group band inside it
    height: { step: spreadStep(shown.length), for: 'position' },
    data: { values },
    layer: [
      {
        mark: { type: 'rule', strokeWidth: 3, opacity: 0.55 },
        encoding: { x, x2: { field: 'max' }, y, yOffset, color },
      },
      {
        mark: { type: 'point', filled: true, size: 26, opacity: 1 },
        encoding: { x: { field: 'median', type: 'quantitative', scale }, y, yOffset, color },
      },
      {
        mark: { type: 'tick', thickness: 2, size: SPREAD_BAND, color: COLORS.ink },
        encoding: { x: { field: 'p99', type: 'quantitative', scale }, y, yOffset },
      },
    ],
  } as unknown as TopLevelSpec;
}
