/**
 * A sweep, fully resolved: the configurations of the grid (and the presets run beside it), the
 * scenarios, latency profiles and seeds every configuration runs over, and the goals. Flags and a
 * sweep file each produce `SpecParts` (what they say); `mergeParts` lets flags override the file
 * field by field, and `resolveSpec` fills in the defaults and expands the grid.
 *
 * Defaults: with no grid option at all, I ∈ {5s, 15s, 30s} × T ∈ {2s, 5s, 10s}; an axis not given is
 * the reference default (REFERENCE_DEFAULTS: I 30s, T 5s, N 3, backoff seed:1s:1m:2:1s) and R keeps
 * the seed's ratio to I (45 s / 30 s = 1.5·I). Scenarios: black-hole. Latency: lan (scenario files: as written). Seeds 1…5.
 * Goals: none given means "no false detections".
 */
import type { SweepBackoff, SweepConfig } from '../result.ts';
import { REFERENCE_DEFAULTS } from '../subjects/reference-config.ts';
import { type DurationValue, resolveDuration } from './axis.ts';
import { fromConfig } from './backoff.ts';
import { configKey } from './describe.ts';
import { COMMAND_LINE, SweepSpecError } from './errors.ts';
import type { DetectGoal, SweepGoals } from './goals.ts';
import type { Preset } from './presets.ts';
import { asWrittenProfile, builtinProfile, type LatencyProfile } from './profiles.ts';
import type { DetectSide } from './qos.ts';
import {
  type BuiltinScenario,
  builtin,
  type FileScenario,
  type RunConfig,
  type SweepScenario,
  scenarioName,
} from './scenarios.ts';

export interface GridAxes {
  interval: number[];
  pongTimeout: DurationValue[];
  readDeadline: DurationValue[];
  missThreshold: number[];
  backoff: SweepBackoff[];
}

export interface GoalParts {
  detectWithin?: DetectGoal[];
  detectSide?: DetectSide;
  maxFalseRate?: number;
  tolerateLatency?: number;
  reconnectWithin?: number;
  maxOverhead?: number;
}

/** What one source (flags or a file) says; undefined = not said. */
export interface SpecParts {
  name?: string;
  interval?: number[];
  pongTimeout?: DurationValue[];
  readDeadline?: DurationValue[];
  missThreshold?: number[];
  backoff?: SweepBackoff[];
  faults?: BuiltinScenario[];
  scenarios?: FileScenario[];
  profiles?: LatencyProfile[];
  seeds?: number[];
  phase?: boolean;
  goals?: GoalParts;
  presets?: Preset[];
  presetsOnly?: boolean;
  maxRuns?: number;
}

export interface SweepSpec {
  name: string;
  grid: GridAxes;
  /** The grid, expanded; empty when only presets run. */
  configs: RunConfig[];
  scenarios: SweepScenario[];
  profiles: LatencyProfile[];
  seeds: number[];
  phase: boolean;
  goals: SweepGoals;
  /** No goal was given: the default "no false detections" applies. */
  defaultGoal: boolean;
  presets: Preset[];
  presetsOnly: boolean;
  maxRuns: number;
}

const S = 1000;
export const DEFAULT_BACKOFF: SweepBackoff = fromConfig(REFERENCE_DEFAULTS.backoff);
export const DEFAULT_GRID: Pick<GridAxes, 'interval' | 'pongTimeout'> = {
  interval: [5 * S, 15 * S, 30 * S],
  pongTimeout: [2 * S, 5 * S, 10 * S],
};
/** An axis not given is the reference default; R keeps the seed's ratio to I (45 s / 30 s). */
export const SINGLE_DEFAULTS: GridAxes = {
  interval: [REFERENCE_DEFAULTS.interval],
  pongTimeout: [REFERENCE_DEFAULTS.pongTimeout],
  readDeadline: [{ times: REFERENCE_DEFAULTS.readDeadline / REFERENCE_DEFAULTS.interval }],
  missThreshold: [REFERENCE_DEFAULTS.missThreshold],
  backoff: [DEFAULT_BACKOFF],
};
export const DEFAULT_SEEDS = 5;
export const DEFAULT_MAX_RUNS = 2000;

/** Flags (`over`) win over the file (`base`) field by field; goals merge goal by goal. */
export function mergeParts(base: SpecParts, over: SpecParts): SpecParts {
  const out: SpecParts = { ...base };
  for (const [k, v] of Object.entries(over) as [keyof SpecParts, unknown][]) {
    if (v === undefined || k === 'goals') continue;
    (out as Record<string, unknown>)[k] = v;
  }
  if (base.goals || over.goals) {
    const goals: GoalParts = { ...base.goals };
    for (const [k, v] of Object.entries(over.goals ?? {}))
      if (v !== undefined) (goals as Record<string, unknown>)[k] = v;
    out.goals = goals;
  }
  return out;
}

/** The grid's configurations in order (interval, then T, R, N, backoff), duplicates dropped. */
export function expandGrid(axes: GridAxes): RunConfig[] {
  const out: RunConfig[] = [];
  const seen = new Set<string>();
  for (const interval of axes.interval) {
    for (const t of axes.pongTimeout) {
      for (const r of axes.readDeadline) {
        for (const missThreshold of axes.missThreshold) {
          for (const backoff of axes.backoff) {
            const config: SweepConfig = {
              interval,
              pongTimeout: Math.max(1, resolveDuration(t, interval)),
              readDeadline: Math.max(1, resolveDuration(r, interval)),
              missThreshold,
              backoff: { ...backoff },
            };
            const key = configKey(config);
            if (seen.has(key)) continue;
            seen.add(key);
            out.push({ config });
          }
        }
      }
    }
  }
  return out;
}

function fail(path: string, message: string): never {
  throw new SweepSpecError([{ file: COMMAND_LINE, path, message }]);
}

function goalsOf(g: GoalParts | undefined): { goals: SweepGoals; defaultGoal: boolean } {
  const goals: SweepGoals = { detectWithin: g?.detectWithin ?? [], detectSide: g?.detectSide ?? 'client' };
  if (g?.maxFalseRate !== undefined) goals.maxFalseRate = g.maxFalseRate;
  if (g?.tolerateLatency !== undefined) goals.tolerateLatency = g.tolerateLatency;
  if (g?.reconnectWithin !== undefined) goals.reconnectWithin = g.reconnectWithin;
  if (g?.maxOverhead !== undefined) goals.maxOverhead = g.maxOverhead;
  const none =
    goals.detectWithin.length === 0 &&
    goals.maxFalseRate === undefined &&
    goals.tolerateLatency === undefined &&
    goals.reconnectWithin === undefined &&
    goals.maxOverhead === undefined;
  if (none) goals.maxFalseRate = 0;
  return { goals, defaultGoal: none };
}

export function resolveSpec(parts: SpecParts): SweepSpec {
  const anyAxis = [
    parts.interval,
    parts.pongTimeout,
    parts.readDeadline,
    parts.missThreshold,
    parts.backoff,
  ].some((a) => a !== undefined);
  const grid: GridAxes = {
    interval: parts.interval ?? (anyAxis ? SINGLE_DEFAULTS.interval : DEFAULT_GRID.interval),
    pongTimeout: parts.pongTimeout ?? (anyAxis ? SINGLE_DEFAULTS.pongTimeout : DEFAULT_GRID.pongTimeout),
    readDeadline: parts.readDeadline ?? SINGLE_DEFAULTS.readDeadline,
    missThreshold: parts.missThreshold ?? SINGLE_DEFAULTS.missThreshold,
    backoff: parts.backoff ?? SINGLE_DEFAULTS.backoff,
  };
  const presets = parts.presets ?? [];
  const presetsOnly = parts.presetsOnly ?? false;
  if (presetsOnly && presets.length === 0)
    fail('--presets-only', 'needs presets to run: add --preset (e.g. --preset all)');
  if (presetsOnly && anyAxis) {
    fail(
      '--presets-only',
      'runs the presets alone; drop the grid options (--interval, --pong-timeout, …) or --presets-only',
    );
  }
  const { goals, defaultGoal } = goalsOf(parts.goals);

  const files = parts.scenarios ?? [];
  let faults = parts.faults ?? (files.length ? [] : [builtin('black-hole')]);
  if (goals.tolerateLatency !== undefined && goals.tolerateLatency > 0) {
    const step = builtin('latency-step', goals.tolerateLatency);
    if (!faults.some((f) => f.spec === step.spec)) faults = [...faults, step];
  }
  const scenarios: SweepScenario[] = [...faults, ...files];
  if (scenarios.length === 0) fail('--fault', 'no scenario to run: give --fault and/or --scenario');
  const names = new Map<string, string>();
  for (const s of scenarios) {
    const n = scenarioName(s);
    const where = s.kind === 'builtin' ? 'built-in' : s.file;
    const other = names.get(n);
    if (other !== undefined) {
      fail(
        s.kind === 'file' ? '--scenario' : '--fault',
        `scenario name "${n}" is used twice (${other} and ${where}); scenario names label cells`,
      );
    }
    names.set(n, where);
  }

  const profiles = parts.profiles ?? [files.length ? asWrittenProfile() : builtinProfile('lan')!];
  const configs = presetsOnly ? [] : expandGrid(grid);
  return {
    name: parts.name ?? 'sweep',
    grid,
    configs,
    scenarios,
    profiles,
    seeds: parts.seeds ?? Array.from({ length: DEFAULT_SEEDS }, (_, i) => i + 1),
    phase: parts.phase ?? true,
    goals,
    defaultGoal,
    presets,
    presetsOnly,
    maxRuns: parts.maxRuns ?? DEFAULT_MAX_RUNS,
  };
}

/** Configurations (grid and presets) × scenarios × profiles × seeds. */
export function runCount(spec: SweepSpec): number {
  return (
    (spec.configs.length + spec.presets.length) *
    spec.scenarios.length *
    spec.profiles.length *
    spec.seeds.length
  );
}

/** Refuses a sweep larger than its budget, saying where the runs come from. */
export function checkBudget(spec: SweepSpec): void {
  const n = runCount(spec);
  if (n <= spec.maxRuns) return;
  const parts = [
    `${spec.configs.length} configuration${spec.configs.length === 1 ? '' : 's'}${spec.presets.length ? ` + ${spec.presets.length} preset${spec.presets.length === 1 ? '' : 's'}` : ''}`,
    `${spec.scenarios.length} scenario${spec.scenarios.length === 1 ? '' : 's'}`,
    `${spec.profiles.length} latency profile${spec.profiles.length === 1 ? '' : 's'}`,
    `${spec.seeds.length} seed${spec.seeds.length === 1 ? '' : 's'}`,
  ];
  fail(
    '--max-runs',
    `this sweep needs ${n} runs (${parts.join(' × ')}), more than the budget of ${spec.maxRuns}: narrow an axis or raise --max-runs`,
  );
}
