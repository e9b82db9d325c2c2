/**
 * Interval × pong-timeout heatmaps for sweeps, one panel per scenario and latency profile (and one
 * row per combination of the other parameters when those vary too). Each cell shows a metric; a
 * red ✗ outline marks a cell that failed a goal, a green ★ outline the recommended configuration.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SweepCell, SweepConfig } from '../../harness/result.ts';
import { restKey, seconds } from '../sweep-summary.ts';
import { COLORS, MONO } from './vega.ts';

export interface HeatmapMetric {
  title: string;
  /** Value of a cell in display units (the legend shows them as they are), or undefined. */
  value: (cell: SweepCell) => number | undefined;
  /** Text inside the cell. */
  text: (value: number) => string;
  /** Colour scheme; light = good. */
  scheme: string;
}

export function heatmapSpec(
  cells: SweepCell[],
  metric: HeatmapMetric,
  isBest: (c: SweepConfig) => boolean,
  cellSize = 58,
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
  const values = cells.map((c) => {
    const v = metric.value(c);
    const met = c.goals.every((g) => g.met);
    const best = isBest(c.config);
    return {
      interval: seconds(c.config.interval),
      timeout: seconds(c.config.pongTimeout),
      panel: panelOf(c),
      rest: restKey(c.config),
      value: v ?? null,
      label: (best ? '★ ' : '') + (v === undefined ? '—' : metric.text(v)) + (met ? '' : '\n✗ goal'),
      stroke: best ? COLORS.reconnect : met ? '#ffffff' : COLORS.detect,
      strokeWidth: best || !met ? 2.5 : 1,
    };
  });
  const numeric = values.flatMap((v) => (v.value === null ? [] : [v.value]));
  const hi = numeric.length > 0 ? Math.max(...numeric) : 1;
  const lo = numeric.length > 0 ? Math.min(...numeric) : 0;
  const withInk = values.map((v) => ({
    ...v,
    ink: v.value !== null && hi > lo && (v.value - lo) / (hi - lo) > 0.6 ? 'light' : 'dark',
  }));
  const x = {
    field: 'interval',
    type: 'ordinal',
    sort: intervals.map(seconds),
    title: 'ping interval I',
    axis: { labelAngle: 0 },
  };
  const y = { field: 'timeout', type: 'ordinal', sort: timeouts.map(seconds), title: 'pong timeout T' };
  const facet: Record<string, unknown> = {
    column: {
      field: 'panel',
      type: 'nominal',
      title: oneScenario ? (cells[0]?.scenario ?? null) : null,
      sort: panels,
      header: { labelFontWeight: 600, labelLimit: cellSize * intervals.length + 10, titleFontWeight: 400 },
    },
  };
  if (splitRows) facet.row = { field: 'rest', type: 'nominal', title: null, sort: rests };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: metric.title,
    data: { values: withInk },
    facet,
    spacing: 18,
    spec: {
      width: cellSize * intervals.length,
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
              scale: { scheme: metric.scheme, zero: false },
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
