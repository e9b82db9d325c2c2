/**
 * Swimlane timelines. One overview chart per connection over the whole run, plus one zoomed panel
 * per fault episode (onset → detections, heal → reconnects) with every lane that overlaps it.
 *
 * Readability rule for long runs: when a chart would draw more than BIN_THRESHOLD pings/pongs/data
 * events, they are aggregated into fixed bins (opacity = events in the bin relative to the busiest
 * bin), so a gap in pongs during a black-hole still shows. Faults, detections, reconnects and every
 * other event are always drawn at their exact time. Zoomed panels are short, so they normally show
 * every ping and pong exactly.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ConnectionLane, LaneEvent, ScenarioResult, Side } from '../../harness/result.ts';
import { fmtDuration } from '../format.ts';
import { COLORS, MONO } from './vega.ts';

export const BIN_THRESHOLD = 300;
const MAX_BINS = 240;
const NICE_BINS = [
  1, 2, 5, 10, 20, 50, 100, 250, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
  600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000,
];

const HEARTBEAT_KINDS = new Set(['ping', 'pong', 'data']);
const BEAT_KINDS = ['ping', 'pong', 'data'];

interface MarkerStyle {
  shape: string;
  color: string;
  filled: boolean;
}
const MARKERS: Record<string, MarkerStyle> = {
  detect: { shape: 'triangle-down', color: COLORS.detect, filled: true },
  fin: { shape: 'square', color: COLORS.close, filled: false },
  rst: { shape: 'cross', color: COLORS.detect, filled: true },
  error: { shape: 'cross', color: COLORS.detect, filled: true },
  close: { shape: 'diamond', color: COLORS.close, filled: true },
  connect: { shape: 'circle', color: COLORS.reconnect, filled: true },
  reconnect: { shape: 'circle', color: COLORS.reconnect, filled: true },
  state: { shape: 'triangle-up', color: COLORS.state, filled: true },
};
const OTHER_MARKER: MarkerStyle = { shape: 'circle', color: COLORS.close, filled: false };
const BEAT_COLOR: Record<string, string> = { ping: COLORS.ping, pong: COLORS.pong, data: COLORS.data };

export interface Span {
  start: number;
  end: number;
}

export interface ChartPlan {
  spec: TopLevelSpec;
  /** Bin width in ms when heartbeats were aggregated; undefined when every event is drawn. */
  binMs?: number;
  /** Heartbeat events inside the chart's time span. */
  heartbeats: number;
}

export interface HeartbeatBin {
  row: string;
  kind: string;
  start: number;
  end: number;
  count: number;
}

/** The smallest nice bin width that keeps `span` under `maxBins` bins. */
export function binWidth(span: number, maxBins = MAX_BINS): number {
  for (const w of NICE_BINS) if (span / w <= maxBins) return w;
  return Math.ceil(span / maxBins);
}

/** Counts heartbeat events per (row, kind, bin); bins are aligned to multiples of `width`. */
export function binHeartbeats(
  beats: readonly { row: string; kind: string; t: number }[],
  width: number,
): HeartbeatBin[] {
  const bins = new Map<string, HeartbeatBin>();
  for (const b of beats) {
    const start = Math.floor(b.t / width) * width;
    const key = `${b.row}\u0000${b.kind}\u0000${start}`;
    const bin = bins.get(key);
    if (bin) bin.count++;
    else bins.set(key, { row: b.row, kind: b.kind, start, end: start + width, count: 1 });
  }
  return [...bins.values()].sort((a, b) => a.start - b.start || a.row.localeCompare(b.row));
}

const TICK_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000,
  600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Tick positions at a round clock step, at most ~12 across the span. */
export function clockTicks(span: Span, maxTicks = 12): number[] {
  const length = Math.max(1, span.end - span.start);
  const step = TICK_STEPS.find((s) => length / s <= maxTicks) ?? Math.ceil(length / maxTicks);
  const ticks: number[] = [];
  for (let t = Math.ceil(span.start / step) * step; t <= span.end; t += step) ticks.push(t);
  return ticks;
}

function timeFormat(span: Span, step: number): string {
  const clock = span.end >= 3_600_000 ? '%H:%M:%S' : '%M:%S';
  return step < 1000 ? `${clock}.%L` : clock;
}

interface RowEvent {
  row: string;
  event: LaneEvent;
}

interface SwimlaneInput {
  rows: string[];
  span: Span;
  width: number;
  events: RowEvent[];
  faults: { start: number; end: number; label: string }[];
  lifetimes: { row: string; start: number; end: number }[];
  detections: { row: string; t: number; label: string; ok: boolean }[];
  bounds: { row: string; start: number; end: number }[];
  reconnects: { t: number; label: string; ok: boolean }[];
  /** False detections (BOUNDS.md "mistakes"). */
  mistakes: { t: number; label: string }[];
  labels: boolean;
}

function clip(span: Span, start: number, end: number): Span | undefined {
  const s = Math.max(span.start, start);
  const e = Math.min(span.end, end);
  return e > s || (e === s && start === end) ? { start: s, end: e } : undefined;
}

function swimlane(input: SwimlaneInput): ChartPlan {
  const { span, rows } = input;
  const inSpan = (t: number) => t >= span.start && t <= span.end;
  const beats = input.events.filter((e) => HEARTBEAT_KINDS.has(e.event.kind) && inSpan(e.event.t));
  const markers = input.events.filter((e) => !HEARTBEAT_KINDS.has(e.event.kind) && inSpan(e.event.t));
  const binned = beats.length > BIN_THRESHOLD;
  const binMs = binned ? binWidth(span.end - span.start) : undefined;
  const rowHeight = 28;
  const height = rows.length * rowHeight;
  // Time is quantitative ms with explicit tick positions at round clock steps (labels h:mm:ss);
  // only the first layer declares the scale, the others share it.
  const ticks = clockTicks(span);
  const xScaled = {
    field: 'start',
    type: 'quantitative' as const,
    scale: { domain: [span.start, span.end], nice: false, zero: false },
    axis: {
      title: null,
      values: ticks,
      labelExpr: `utcFormat(datum.value, '${timeFormat(span, (ticks[1] ?? span.end) - (ticks[0] ?? span.start))}')`,
      labelFlush: true,
      grid: true,
    },
  };
  const x = (field: string) => ({ field, type: 'quantitative' as const });
  const y = {
    field: 'row',
    type: 'nominal' as const,
    scale: { domain: rows, paddingInner: 0.18, paddingOuter: 0.09 },
    axis: {
      title: null,
      labelFont: MONO,
      labelFontSize: 10,
      labelLimit: 150,
      domain: false,
      ticks: false,
      grid: false,
    },
  };
  // Pings, pongs and data each get a third of their side's band.
  const yOffset = {
    field: 'kind',
    type: 'nominal' as const,
    scale: { domain: BEAT_KINDS, paddingInner: 0.1 },
  };
  const literal = (field: string) => ({ field, type: 'nominal' as const, scale: null, legend: null });
  const clipped = <T extends { start: number; end: number }>(items: T[]): T[] =>
    items.flatMap((item) => {
      const c = clip(span, item.start, item.end);
      return c ? [{ ...item, ...c }] : [];
    });

  const faults = clipped(input.faults);
  const layers: unknown[] = [
    // Fault windows, full height. Always present (possibly empty) so it can carry the time scale.
    {
      data: { values: faults },
      mark: { type: 'rect', color: COLORS.faultFill, opacity: 0.7 },
      encoding: { x: xScaled, x2: { field: 'end' } },
    },
  ];
  const bounds = clipped(input.bounds);
  if (bounds.length > 0) {
    layers.push({
      data: { values: bounds },
      mark: {
        type: 'rect',
        color: COLORS.boundFill,
        opacity: 0.75,
        stroke: COLORS.bound,
        strokeWidth: 1,
        strokeDash: [3, 2],
      },
      encoding: { x: x('start'), x2: { field: 'end' }, y },
    });
  }
  layers.push({
    data: { values: clipped(input.lifetimes) },
    mark: { type: 'rule', color: COLORS.lifetime, strokeWidth: 1 },
    encoding: { x: x('start'), x2: { field: 'end' }, y },
  });
  if (binned && binMs !== undefined) {
    const bins = binHeartbeats(
      beats.map((b) => ({ row: b.row, kind: b.event.kind, t: b.event.t })),
      binMs,
    );
    const busiest = Math.max(1, ...bins.map((b) => b.count));
    layers.push({
      data: {
        values: bins.map((b) => ({
          row: b.row,
          start: Math.max(b.start, span.start),
          end: Math.min(b.end, span.end),
          kind: b.kind,
          color: BEAT_COLOR[b.kind] ?? COLORS.data,
          share: 0.12 + (0.88 * b.count) / busiest,
        })),
      },
      mark: { type: 'rect' },
      encoding: {
        x: x('start'),
        x2: { field: 'end' },
        y,
        yOffset,
        color: literal('color'),
        opacity: { field: 'share', type: 'quantitative', scale: null, legend: null },
      },
    });
  } else if (beats.length > 0) {
    layers.push({
      data: {
        values: beats.map((b) => ({
          start: b.event.t,
          row: b.row,
          kind: b.event.kind,
          color: BEAT_COLOR[b.event.kind] ?? COLORS.data,
        })),
      },
      mark: { type: 'tick', thickness: 1.5, size: 7 },
      encoding: { x: x('start'), y, yOffset, color: literal('color') },
    });
  }
  const rules = [
    ...input.detections
      .filter((d) => inSpan(d.t))
      .map((d) => ({ start: d.t, color: COLORS.detect, label: d.label })),
    ...input.reconnects
      .filter((r) => inSpan(r.t))
      .map((r) => ({ start: r.t, color: COLORS.reconnect, label: r.label })),
    ...input.mistakes
      .filter((m) => inSpan(m.t))
      .map((m) => ({ start: m.t, color: COLORS.mistake, label: m.label })),
  ];
  if (rules.length > 0) {
    layers.push({
      data: { values: rules },
      mark: { type: 'rule', strokeWidth: 1.25, strokeDash: [4, 3] },
      encoding: { x: x('start'), color: literal('color') },
    });
  }
  const points = markers.map((m) => {
    const style = MARKERS[m.event.kind] ?? OTHER_MARKER;
    return {
      start: m.event.t,
      row: m.row,
      shape: style.shape,
      stroke: style.color,
      fill: style.filled ? style.color : '#ffffff',
    };
  });
  if (points.length > 0) {
    layers.push({
      data: { values: points },
      mark: { type: 'point', size: 46, strokeWidth: 1.5, opacity: 1 },
      encoding: {
        x: x('start'),
        y,
        shape: literal('shape'),
        stroke: literal('stroke'),
        fill: literal('fill'),
      },
    });
  }
  // Labels: fault names along the top; with `labels`, Δ of detections and reconnects along the bottom.
  const texts = [
    ...faults.map((f) => ({ start: f.start, py: 7, label: f.label, color: COLORS.fault })),
    ...(input.labels
      ? rules.map((r) => ({ start: r.start, py: height - 6, label: r.label, color: r.color }))
      : []),
  ];
  if (texts.length > 0) {
    layers.push({
      data: { values: texts },
      mark: {
        type: 'text',
        align: 'left',
        baseline: 'middle',
        dx: 3,
        fontSize: 9,
        fontWeight: 600,
        font: MONO,
        limit: 280,
      },
      encoding: {
        x: x('start'),
        y: { field: 'py', type: 'quantitative', scale: null },
        text: { field: 'label' },
        color: literal('color'),
      },
    });
  }
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: input.width,
    height,
    layer: layers,
  } as unknown as TopLevelSpec;
  return binMs === undefined ? { spec, heartbeats: beats.length } : { spec, binMs, heartbeats: beats.length };
}

function detectionLabel(delta: number, ok: boolean): string {
  return `${ok ? '✓' : '✗'} Δ ${fmtDuration(delta)}`;
}

function laneEnd(result: ScenarioResult, lane: ConnectionLane): number {
  return lane.closed ?? result.duration;
}

/** Lanes a reconnect record belongs on: the client's lanes alive at that instant. */
function lanesAt(result: ScenarioResult, client: string, t: number): ConnectionLane[] {
  return result.lanes.filter((l) => l.client === client && l.opened <= t && laneEnd(result, l) >= t);
}

function faultLabel(f: ScenarioResult['faults'][number]): string {
  return `${f.id} · ${f.type}`;
}

function faultOnset(result: ScenarioResult, id: string): number | undefined {
  return result.faults.find((f) => f.id === id)?.at;
}

function boundWindows(result: ScenarioResult, conn: string, row: (side: Side) => string) {
  return result.detections.flatMap((d) => {
    const onset = faultOnset(result, d.fault);
    if (d.conn !== conn || onset === undefined) return [];
    const end = Number.isFinite(d.bound.max) ? onset + d.bound.max : result.duration;
    return [{ row: row(d.side), start: onset + d.bound.min, end }];
  });
}

/** The overview swimlane of one connection, rows client and server, over the whole run. */
export function laneTimeline(result: ScenarioResult, lane: ConnectionLane, width: number): ChartPlan {
  const span = { start: 0, end: Math.max(1, result.duration) };
  const row = (side: Side) => side;
  return swimlane({
    rows: ['client', 'server'],
    span,
    width,
    events: lane.events.map((event) => ({ row: event.side, event })),
    faults: result.faults.map((f) => ({
      start: f.at,
      end: f.until ?? result.duration,
      label: faultLabel(f),
    })),
    lifetimes: (['client', 'server'] as const).map((side) => ({
      row: side,
      start: lane.opened,
      end: laneEnd(result, lane),
    })),
    detections: result.detections
      .filter((d) => d.conn === lane.conn)
      .map((d) => ({
        row: d.side,
        t: d.at,
        label: detectionLabel(d.delta, d.withinBound),
        ok: d.withinBound,
      })),
    bounds: boundWindows(result, lane.conn, row),
    reconnects: result.reconnects
      .filter((r) => lanesAt(result, r.client, r.at).some((l) => l.conn === lane.conn))
      .map((r) => ({ t: r.at, label: `↻ ${fmtDuration(r.delta)}`, ok: r.withinBound })),
    mistakes: result.falseDetections
      .filter((m) => m.conn === lane.conn)
      .map((m) => ({ t: m.at, label: `✗ false detection (${m.side})` })),
    labels: false,
  });
}

export interface ZoomWindow extends Span {
  /** Fault ids whose onset or heal falls in this window. */
  faults: string[];
  /** What the window shows, e.g. "onset of f1 → detections". */
  title: string;
}

/**
 * Windows worth a close look: each fault's onset up to its last detection (or the end of its
 * detection bound), and its heal up to the reconnects that follow it; overlapping windows merge.
 */
export function zoomWindows(result: ScenarioResult): ZoomWindow[] {
  const raw: ZoomWindow[] = [];
  for (const f of result.faults) {
    const dets = result.detections.filter((d) => d.fault === f.id);
    const faultEnd = f.until ?? result.duration;
    const mistakes = result.falseDetections.filter((m) => m.at >= f.at && m.at <= faultEnd);
    const ends = [
      ...dets.map((d) => d.at),
      ...dets.map((d) => f.at + d.bound.max),
      ...mistakes.map((m) => m.at),
    ].filter(Number.isFinite);
    // Without detections, show the first moments of the fault (up to 10 s, or its heal).
    const onsetEnd = ends.length > 0 ? Math.max(f.at, ...ends) : Math.min(faultEnd, f.at + 10_000);
    const found = [
      `${dets.length} detection${dets.length === 1 ? '' : 's'}`,
      mistakes.length > 0
        ? `${mistakes.length} false detection${mistakes.length === 1 ? '' : 's'}`
        : undefined,
    ].filter((x) => x !== undefined);
    const pad = Math.max(1000, Math.round((onsetEnd - f.at) * 0.12));
    raw.push({
      start: f.at - pad,
      end: onsetEnd + pad,
      faults: [f.id],
      title: `onset of ${f.id} → ${found.join(', ')}`,
    });
    const heal = f.until;
    const recs = heal === undefined ? [] : result.reconnects.filter((r) => r.at - r.delta === heal);
    // A heal is worth a panel only when reconnects are attributed to it.
    if (heal !== undefined && recs.length > 0) {
      const healEnd = Math.max(heal, ...recs.map((r) => r.at));
      const healPad = Math.max(1000, Math.round((healEnd - heal) * 0.12));
      raw.push({
        start: heal - healPad,
        end: healEnd + healPad,
        faults: [f.id],
        title: `heal of ${f.id} → ${recs.length} reconnect${recs.length === 1 ? '' : 's'}`,
      });
    }
  }
  raw.sort((a, b) => a.start - b.start);
  const merged: ZoomWindow[] = [];
  for (const w of raw) {
    const clipped = { ...w, start: Math.max(0, w.start), end: Math.min(result.duration, w.end) };
    if (clipped.end <= clipped.start) continue;
    const last = merged[merged.length - 1];
    if (last && clipped.start <= last.end) {
      last.end = Math.max(last.end, clipped.end);
      last.faults = [...new Set([...last.faults, ...clipped.faults])];
      last.title = `${last.title}; ${clipped.title}`;
    } else merged.push(clipped);
  }
  return merged;
}

/** A zoomed panel: every lane alive in the window, one row per connection and side. */
export function zoomTimeline(result: ScenarioResult, window: Span, width: number): ChartPlan {
  const lanes = result.lanes.filter((l) => l.opened <= window.end && laneEnd(result, l) >= window.start);
  const rowOf = (lane: ConnectionLane, side: Side) => `${lane.conn} ${side === 'client' ? 'C' : 'S'}`;
  const rows = lanes.flatMap((l) => [rowOf(l, 'client'), rowOf(l, 'server')]);
  const events: RowEvent[] = lanes.flatMap((l) =>
    l.events.map((event) => ({ row: rowOf(l, event.side), event })),
  );
  return swimlane({
    rows: rows.length > 0 ? rows : ['(no connection)'],
    span: window,
    width,
    events,
    faults: result.faults.map((f) => ({
      start: f.at,
      end: f.until ?? result.duration,
      label: faultLabel(f),
    })),
    lifetimes: lanes.flatMap((l) =>
      (['client', 'server'] as const).map((side) => ({
        row: rowOf(l, side),
        start: l.opened,
        end: laneEnd(result, l),
      })),
    ),
    detections: result.detections.flatMap((d) => {
      const lane = lanes.find((l) => l.conn === d.conn);
      return lane
        ? [
            {
              row: rowOf(lane, d.side),
              t: d.at,
              label: detectionLabel(d.delta, d.withinBound),
              ok: d.withinBound,
            },
          ]
        : [];
    }),
    bounds: lanes.flatMap((l) => boundWindows(result, l.conn, (side) => rowOf(l, side))),
    reconnects: result.reconnects.map((r) => ({
      t: r.at,
      label: `${r.withinBound ? '✓' : '✗'} ↻ ${fmtDuration(r.delta)}`,
      ok: r.withinBound,
    })),
    mistakes: result.falseDetections
      .filter((m) => lanes.some((l) => l.conn === m.conn))
      .map((m) => ({ t: m.at, label: `✗ false detection (${m.side})` })),
    labels: true,
  });
}
