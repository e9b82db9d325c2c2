/**
 * Per-configuration view of a sweep: a configuration's cells (one per scenario and latency profile)
 * folded into worst cases, which is what a recommendation is judged on.
 */
import type { GoalVerdict, SweepCell, SweepConfig } from '../harness/result.ts';
import { restKey, seconds } from './charts/heatmap.ts';

/** Canonical identity of a configuration (key order and backoff included). */
export function configKey(c: SweepConfig): string {
  const b = c.backoff;
  return [
    c.interval,
    c.pongTimeout,
    c.readDeadline,
    c.missThreshold,
    b.base,
    b.cap,
    b.multiplier,
    b.jitter,
    b.variant,
  ].join('|');
}

export function sameConfig(a: SweepConfig | undefined, b: SweepConfig | undefined): boolean {
  return a !== undefined && b !== undefined && configKey(a) === configKey(b);
}

/** "I 5 s · T 2 s", plus the other parameters when `full`. */
export function configLabel(c: SweepConfig, full = false): string {
  const head = `I ${seconds(c.interval)} · T ${seconds(c.pongTimeout)}`;
  return full ? `${head} · ${restKey(c)}` : head;
}

export interface ConfigSummary {
  config: SweepConfig;
  key: string;
  cells: SweepCell[];
  /** Worst (largest) p99 / max detection time over the cells; undefined when none detected. */
  detectionP99?: number;
  detectionMax?: number;
  detectionMedian?: number;
  /** Worst false-detection rate over the cells, per connection-hour. */
  falseDetectionRate: number;
  reconnectP99?: number;
  /** Client heartbeat overhead per connection-hour (worst cell). */
  messagesPerHour: number;
  bytesPerHour: number;
  /** Smallest latency tolerance over the cells. */
  toleranceClient: number;
  toleranceServer: number;
  goalsMet: boolean;
  failed: (GoalVerdict & { where: string })[];
}

function worst(values: (number | undefined)[]): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length > 0 ? Math.max(...present) : undefined;
}

export function summarizeConfig(config: SweepConfig, cells: SweepCell[]): ConfigSummary {
  const oneScenario = new Set(cells.map((c) => c.scenario)).size === 1;
  const failed = cells.flatMap((c) =>
    c.goals
      .filter((g) => !g.met)
      .map((g) => ({ ...g, where: oneScenario ? c.latencyProfile : `${c.scenario} · ${c.latencyProfile}` })),
  );
  const summary: ConfigSummary = {
    config,
    key: configKey(config),
    cells,
    falseDetectionRate: Math.max(0, ...cells.map((c) => c.falseDetectionRate)),
    messagesPerHour: Math.max(0, ...cells.map((c) => c.overhead.client.messagesPerHour)),
    bytesPerHour: Math.max(0, ...cells.map((c) => c.overhead.client.bytesPerHour)),
    toleranceClient: Math.min(...cells.map((c) => c.latencyTolerance.client)),
    toleranceServer: Math.min(...cells.map((c) => c.latencyTolerance.server)),
    goalsMet: failed.length === 0 && cells.length > 0,
    failed,
  };
  const p99 = worst(cells.map((c) => (c.detection && c.detection.n > 0 ? c.detection.p99 : undefined)));
  const max = worst(cells.map((c) => (c.detection && c.detection.n > 0 ? c.detection.max : undefined)));
  const median = worst(cells.map((c) => (c.detection && c.detection.n > 0 ? c.detection.median : undefined)));
  const rec = worst(cells.map((c) => (c.reconnect && c.reconnect.n > 0 ? c.reconnect.p99 : undefined)));
  if (p99 !== undefined) summary.detectionP99 = p99;
  if (max !== undefined) summary.detectionMax = max;
  if (median !== undefined) summary.detectionMedian = median;
  if (rec !== undefined) summary.reconnectP99 = rec;
  return summary;
}

/** One summary per distinct configuration, in the order configurations first appear. */
export function summarizeConfigs(cells: SweepCell[]): ConfigSummary[] {
  const groups = new Map<string, { config: SweepConfig; cells: SweepCell[] }>();
  for (const cell of cells) {
    const key = configKey(cell.config);
    const group = groups.get(key);
    if (group) group.cells.push(cell);
    else groups.set(key, { config: cell.config, cells: [cell] });
  }
  return [...groups.values()].map((g) => summarizeConfig(g.config, g.cells));
}
