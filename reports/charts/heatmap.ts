/**
 * Interval × pong-timeout heatmaps for sweeps, one panel per scenario and latency profile (and one
 * row per combination of the other parameters when those vary too). Each cell shows a metric; a
 * red ✗ outline marks a cell that failed a goal, a green ★ outline the recommended configuration.
 */
import * as vega from 'vega';
import type { TopLevelSpec } from 'vega-lite';
import type { SweepCell, SweepConfig } from '../../harness/result.ts';
import { restKey, seconds } from '../sweep-summary.ts';
import { COLORS, MONO, textWidth, wrapText } from './vega.ts';

export interface HeatmapMetric {
  title: string;
  /** Value of a cell in display units (the legend shows them as they are), or undefined. */
  value: (cell: SweepCell) => number | undefined;
  /** Text inside the cell. */
  text: (value: number) => string;
  /** Colour scheme; light = good. */
  scheme: string;
  /**
   * 0 means "nothing" (a rate, a count): the colour scale starts at 0 and 0 gets the neutral
   * NOTHING, lighter than any colour of the scheme, even when every cell is 0. Otherwise the scale
   * spans the values shown.
   */
  zeroIsNothing?: boolean;
}

/**
 * The colour domain of a heatmap: never empty or a single point (vega maps every value of a
 * degenerate domain to the top colour, which would paint "no false detections" dark). With
 * `fromZero` it is [0, max] and [0, 1] when every value is 0; otherwise [min, max], widened around a
 * lone value (never below 0 for values that are not negative).
 */
export function colorDomain(values: number[], fromZero = false): [number, number] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  const hi = Math.max(...finite);
  if (fromZero) lo = Math.min(0, lo);
  if (hi - lo > 1e-9 * Math.max(1, Math.abs(hi))) return [lo, hi];
  if (fromZero || lo === 0) return [lo, lo + 1];
  const pad = Math.max(Math.abs(lo) * 0.25, 0.5);
  return [lo >= 0 ? Math.max(0, lo - pad) : lo - pad, hi + pad];
}

/** Font size of the panel headers (one per scenario · latency profile). */
const HEADER_FONT = 11;

/** The colour of "nothing" (0 of a `zeroIsNothing` metric): the page's neutral background grey. */
export const NOTHING = '#f6f8fa';

/**
 * The colour scale of a metric: the scheme over the domain; with `zeroIsNothing`, a range that
 * starts at the neutral NOTHING at 0 and runs through the scheme's colours (a scheme's lightest
 * colour is still clearly tinted, vega trims the white end), so only a real 0 looks like nothing.
 */
export function colorScale(metric: HeatmapMetric, domain: [number, number]): Record<string, unknown> {
  const base = { domain, nice: false, clamp: true };
  const interpolate = metric.zeroIsNothing ? vega.scheme(metric.scheme) : undefined;
  if (typeof interpolate !== 'function' || domain[0] !== 0) return { ...base, scheme: metric.scheme };
  const stops = [0, 0.25, 0.5, 0.75, 1].map((t) => String(interpolate(t)));
  return { ...base, range: [NOTHING, ...stops], interpolate: 'rgb' };
}

export function heatmapSpec(
  cells: SweepCell[],
  metric: HeatmapMetric,
  isBest: (c: SweepConfig) => boolean,
  cellSize = 58,
  /** Width the chart may take; panels wrap onto more rows beyond it (when no row facet is used). */
  maxWidth = Number.POSITIVE_INFINITY,
): TopLevelSpec {
  const intervals = [...new Set(cells.map((c) => c.config.interval))].sort((a, b) => a - b);
  const timeouts = [...new Set(cells.map((c) => c.config.pongTimeout))].sort((a, b) => a - b);
  const oneScenario = new Set(cells.map((c) => c.scenario)).size === 1;
  const panelOf = (c: SweepCell) => (oneScenario ? c.latencyProfile : `${c.scenario} · ${c.latencyProfile}`);
  const panels = [...new Set(cells.map(panelOf))];
  // A row per combination of the other parameters only when they split an (I, T) cell; when they
  // are derived from I and T (one value per cell) they would only fragment the grid.
  const perCell = new Map<string, Set<string>>();
  for (const c of cells) {
    const k = `${panelOf(c)}|${c.config.interval}|${c.config.pongTimeout}`;
    perCell.set(k, (perCell.get(k) ?? new Set()).add(restKey(c.config)));
  }
  const splitRows = [...perCell.values()].some((set) => set.size > 1);
  const rests = [...new Set(cells.map((c) => restKey(c.config)))];
  // Panel headers wrap onto lines that fit the panel (never an ellipsis; vega's labelLimit would
  // cut them). A panel's value is its header lines joined by \n (as unique as the panels).
  const gridWidth = cellSize * intervals.length;
  const maxChars = Math.floor(gridWidth / (HEADER_FONT * 0.62));
  // when one header needs two lines, every header breaks at its " · " (scenario above profile)
  const oneLine = panels.every((p) => wrapText(p, maxChars).length === 1);
  const headerOf = new Map(
    panels.map((p) => [p, oneLine ? [p] : p.split(' · ').flatMap((part) => wrapText(part, maxChars))]),
  );
  const panelKey = (p: string) => (headerOf.get(p) ?? [p]).join('\n');
  const widest = Math.max(0, ...[...headerOf.values()].flat().map((l) => textWidth(l, HEADER_FONT)));
  const panelWidth = Math.max(gridWidth, widest);
  const values = cells.map((c) => {
    const v = metric.value(c);
    const met = c.goals.every((g) => g.met);
    const best = isBest(c.config);
    return {
      interval: seconds(c.config.interval),
      timeout: seconds(c.config.pongTimeout),
      panel: panelKey(panelOf(c)),
      rest: restKey(c.config),
      value: v ?? null,
      label: (best ? '★ ' : '') + (v === undefined ? '—' : metric.text(v)) + (met ? '' : '\n✗ goal'),
      stroke: best ? COLORS.reconnect : met ? '#ffffff' : COLORS.detect,
      strokeWidth: best || !met ? 2.5 : 1,
    };
  });
  const numeric = values.flatMap((v) => (v.value === null ? [] : [v.value]));
  const domain = colorDomain(numeric, metric.zeroIsNothing);
  const [lo, hi] = domain;
  const withInk = values.map((v) => ({
    ...v,
    ink: v.value !== null && (v.value - lo) / (hi - lo) > 0.6 ? 'light' : 'dark',
  }));
  const spacing = 18;
  // Facet wrap: as many panels per row as fit in maxWidth (y axis and legend take ~130 px), with
  // the rows balanced (6 panels that do not fit in one row go 3 + 3, not 5 + 1).
  const fit = Math.max(1, Math.floor((maxWidth - 130 + spacing) / (panelWidth + spacing)));
  const columns = Math.ceil(panels.length / Math.ceil(panels.length / fit));
  const x = {
    field: 'interval',
    type: 'ordinal',
    sort: intervals.map(seconds),
    title: 'ping interval I',
    axis: { labelAngle: 0 },
  };
  const y = { field: 'timeout', type: 'ordinal', sort: timeouts.map(seconds), title: 'pong timeout T' };
  const header = {
    labelFontWeight: 600,
    labelFontSize: HEADER_FONT,
    labelLimit: 0,
    labelLineHeight: HEADER_FONT + 3,
    labelExpr: "split(datum.value, '\\n')",
    titleFontWeight: 400,
    titleLimit: 0,
  };
  const panelTitle = oneScenario ? (cells[0]?.scenario ?? null) : null;
  const wrap = !splitRows && columns < panels.length;
  const facet: Record<string, unknown> = wrap
    ? { field: 'panel', type: 'nominal', title: panelTitle, sort: panels.map(panelKey), header }
    : { column: { field: 'panel', type: 'nominal', title: panelTitle, sort: panels.map(panelKey), header } };
  if (splitRows)
    facet.row = {
      field: 'rest',
      type: 'nominal',
      title: null,
      sort: rests,
      // upright, one parameter a line, so a long key is neither cut nor run into the next row
      header: {
        labelAngle: 0,
        labelAlign: 'left',
        labelBaseline: 'middle',
        labelLimit: 0,
        labelFontSize: 10,
        labelLineHeight: 13,
        labelExpr: "split(datum.value, ' · ')",
      },
    };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: metric.title, limit: 0 },
    data: { values: withInk },
    facet,
    ...(wrap ? { columns } : {}),
    spacing,
    spec: {
      width: panelWidth,
      height: cellSize * timeouts.length * 0.8,
      layer: [
        {
          mark: { type: 'rect' },
          encoding: {
            x,
            y,
            color: {
              field: 'value',
              type: 'quantitative',
              title: null,
              scale: colorScale(metric, domain),
              legend: { orient: 'right', gradientLength: 100, labelFont: MONO, format: '~r' },
            },
            stroke: { field: 'stroke', type: 'nominal', scale: null, legend: null },
            strokeWidth: { field: 'strokeWidth', type: 'quantitative', scale: null, legend: null },
          },
        },
        // Two text layers (dark ink on light cells, white on dark ones): a data-driven text colour
        // inside a facet trips a vega-lite 6 compile error.
        ...(['dark', 'light'] as const).map((ink) => ({
          transform: [{ filter: `datum.ink === '${ink}'` }],
          mark: {
            type: 'text',
            fontSize: 10,
            font: MONO,
            lineBreak: '\n',
            lineHeight: 12,
            color: ink === 'light' ? '#ffffff' : COLORS.ink,
          },
          encoding: { x, y, text: { field: 'label' } },
        })),
      ],
    },
    resolve: { scale: { color: 'shared' } },
  } as unknown as TopLevelSpec;
}
