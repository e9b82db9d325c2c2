/**
 * A configuration's cells (one per scenario and latency profile) folded into its worst case: what the
 * recommendation ranks, the terminal summary prints and the reports show, so all of them quote the
 * same numbers. Worst is the largest detection time, false-detection rate, mistake duration,
 * reconnect time and overhead, and the smallest mistake recurrence, query accuracy and latency
 * tolerance.
 */
import type { GoalVerdict, Overhead, SampleStats, SweepCell, SweepConfig } from '../result.ts';
import { configKey } from './describe.ts';
import { bothWays } from './overhead.ts';

/** A goal a cell missed, with where: the latency profile, prefixed by the scenario when there are several. */
export interface FailedGoal extends GoalVerdict {
  where: string;
}

export interface ConfigSummary {
  config: SweepConfig;
  key: string;
  cells: SweepCell[];
  /** Worst p99 / max / median detection time T_D over the cells; undefined when none detected. */
  detectionP99?: number;
  detectionMax?: number;
  detectionMedian?: number;
  /** Worst false-detection rate λ_M over the cells, per connection-hour. */
  falseDetectionRate: number;
  /** Longest median mistake duration T_M. */
  mistakeDurationMedian?: number;
  /** Shortest median mistake recurrence T_MR. */
  mistakeRecurrenceMedian?: number;
  /** Lowest query accuracy P_A; undefined when no cell carries one. */
  queryAccuracy?: number;
  reconnectP99?: number;
  /** Heartbeat messages and bytes per connection-hour both ways (client + server), worst cell. */
  overhead: Overhead;
  /** Smallest latency tolerance over the cells. */
  toleranceClient: number;
  toleranceServer: number;
  goalsMet: boolean;
  failed: FailedGoal[];
}

function extreme(values: (number | undefined)[], pick: (...v: number[]) => number): number | undefined {
  const present = values.filter((v): v is number => v !== undefined);
  return present.length > 0 ? pick(...present) : undefined;
}

const measured = (s: SampleStats | undefined) => (s && s.n > 0 ? s : undefined);

type WorstKey =
  | 'detectionP99'
  | 'detectionMax'
  | 'detectionMedian'
  | 'mistakeDurationMedian'
  | 'mistakeRecurrenceMedian'
  | 'queryAccuracy'
  | 'reconnectP99';

/** The optional worst-case figures: which cell value, and whether worst is the largest or the smallest. */
const WORST: [WorstKey, (c: SweepCell) => number | undefined, (...v: number[]) => number][] = [
  ['detectionP99', (c) => measured(c.detection)?.p99, Math.max],
  ['detectionMax', (c) => measured(c.detection)?.max, Math.max],
  ['detectionMedian', (c) => measured(c.detection)?.median, Math.max],
  ['mistakeDurationMedian', (c) => measured(c.mistakeDuration)?.median, Math.max],
  ['mistakeRecurrenceMedian', (c) => measured(c.mistakeRecurrence)?.median, Math.min],
  ['queryAccuracy', (c) => c.queryAccuracy, Math.min],
  ['reconnectP99', (c) => measured(c.reconnect)?.p99, Math.max],
];

/** Every goal the cells missed, each with where it was missed. */
export function failedGoals(cells: readonly SweepCell[]): FailedGoal[] {
  const oneScenario = new Set(cells.map((c) => c.scenario)).size === 1;
  return cells.flatMap((c) =>
    c.goals
      .filter((g) => !g.met)
      .map((g) => ({ ...g, where: oneScenario ? c.latencyProfile : `${c.scenario} · ${c.latencyProfile}` })),
  );
}

export function summarizeConfig(config: SweepConfig, cells: readonly SweepCell[]): ConfigSummary {
  const failed = failedGoals(cells);
  const overheads = cells.map((c) => bothWays(c.overhead));
  const summary: ConfigSummary = {
    config,
    key: configKey(config),
    cells: [...cells],
    falseDetectionRate: Math.max(0, ...cells.map((c) => c.falseDetectionRate)),
    overhead: {
      messagesPerHour: Math.max(0, ...overheads.map((o) => o.messagesPerHour)),
      bytesPerHour: Math.max(0, ...overheads.map((o) => o.bytesPerHour)),
    },
    toleranceClient: Math.min(...cells.map((c) => c.latencyTolerance.client)),
    toleranceServer: Math.min(...cells.map((c) => c.latencyTolerance.server)),
    goalsMet: failed.length === 0 && cells.length > 0,
    failed,
  };
  for (const [key, of, pick] of WORST) {
    const value = extreme(cells.map(of), pick);
    if (value !== undefined) summary[key] = value;
  }
  return summary;
}

/** One summary per distinct configuration, in the order configurations first appear. */
export function summarizeConfigs(cells: readonly SweepCell[]): ConfigSummary[] {
  const groups = new Map<string, { config: SweepConfig; cells: SweepCell[] }>();
  for (const cell of cells) {
    const key = configKey(cell.config);
    const group = groups.get(key);
    if (group) group.cells.push(cell);
    else groups.set(key, { config: cell.config, cells: [cell] });
  }
  return [...groups.values()].map((g) => summarizeConfig(g.config, g.cells));
}
