/**
 * Runs a sweep: every configuration of the grid (and every preset beside it) through every scenario
 * and latency profile, once per seed, on the simulator by default. Each cell's runs fold into its QoS
 * numbers (qos.ts) and goal verdicts (goals.ts); the recommendation picks the cheapest configuration
 * that meets every goal (recommend.ts). On the simulator the result is a pure function of the spec:
 * the same seeds give the same SweepResult, byte for byte.
 *
 * runSweep is planSweep (the cells, in order, and the frame of the result), runSweepCells (any
 * subset of the cells: `flatline sweep --shard i/n` runs every n-th) and assembleSweep (the result
 * from the frame and every cell, which is how `flatline merge` joins the shards).
 */
import type { Backend, Subject } from '../backend.ts';
import type { BackendKind } from '../model/index.ts';
import type { SweepCell, SweepConfig, SweepPreset, SweepResult } from '../result.ts';
import { runScenario } from '../scenario/runner.ts';
import type { Scenario } from '../scenario/schema.ts';
import { subjectConfigSchema } from '../subjects/registry.ts';
import { configKey, describeConfig } from './describe.ts';
import { COMMAND_LINE, SweepSpecError } from './errors.ts';
import { goalNames, judgeCell } from './goals.ts';
import type { Preset } from './presets.ts';
import type { LatencyProfile } from './profiles.ts';
import { explainProfile, latencyTolerance } from './profiles.ts';
import { type CellRun, cellQos } from './qos.ts';
import { type Candidate, recommend } from './recommend.ts';
import { cellReplay, type ReplayContext, sweepReplay } from './replay.ts';
import {
  instantiate,
  isLatencyStep,
  pathOf,
  type RunConfig,
  type SweepScenario,
  scenarioName,
  topologyOf,
} from './scenarios.ts';
import { runCount, type SweepSpec } from './sweep-spec.ts';

export interface SweepProgress {
  start(cells: number, runs: number): void;
  /** Before each run. */
  run(label: string): void;
  /** After each cell. */
  cell(label: string, cell: SweepCell): void;
}

export interface CellDetail {
  cell: SweepCell;
  /** The seed whose run was worst (most false detections, then slowest detection and reconnect). */
  worst: { seed: number; scenario: Scenario };
}

export interface SweepRunOptions {
  backend?: BackendKind;
  /** toxiproxy: real ms per scenario ms (default 0.01). */
  timeScale?: number;
  subject?: Subject<never>;
  /** --subject as the user wrote it, for replay commands. */
  subjectPath?: string;
  /** A fresh backend per run (toxiproxy with a shared server); the engine closes each one. */
  newBackend?: () => Promise<Backend>;
  /** How to close a backend from newBackend (default its close()). */
  closeBackend?: (backend: Backend) => Promise<void>;
  progress?: SweepProgress;
  /** The command that reproduces the sweep (default: the spec in canonical flags). */
  replay?: string;
  onCell?: (detail: CellDetail) => void | Promise<void>;
}

/** Refuses what the chosen backend cannot run, before anything runs. */
export function checkRunnable(spec: SweepSpec, o: SweepRunOptions): void {
  const issues = [];
  if ((o.backend ?? 'sim') === 'toxiproxy') {
    for (const s of spec.scenarios) {
      if (topologyOf(s) === 'direct') {
        issues.push({
          file: COMMAND_LINE,
          path: '--backend',
          message: `scenario "${scenarioName(s)}" needs the direct topology (sim-only faults); Toxiproxy cannot run it: use --backend sim or drop it`,
        });
      }
    }
  }
  if (!o.subject) {
    for (const s of spec.scenarios) {
      if (s.kind === 'file' && s.scenario.subject !== 'reference') {
        issues.push({
          file: s.file,
          path: 'subject',
          message: `subject "${s.scenario.subject}" is not built in: pass --subject <module>`,
        });
      }
    }
  }
  if (issues.length) throw new SweepSpecError(issues);
}

function worstOf(runs: readonly CellRun[]): CellRun {
  const score = (r: CellRun) => [
    r.result.falseDetections.length,
    Math.max(0, ...r.result.detections.map((d) => d.delta)),
    Math.max(0, ...r.result.reconnects.map((x) => x.delta)),
  ];
  let worst = runs[0]!;
  for (const r of runs.slice(1)) {
    const a = score(r);
    const b = score(worst);
    const i = a.findIndex((x, k) => x !== b[k]);
    if (i >= 0 && a[i]! > b[i]!) worst = r;
  }
  return worst;
}

type Group = { run: RunConfig; preset?: Preset };

/** One cell a sweep runs: a configuration (or preset) on one scenario and latency profile. */
export interface PlannedCell {
  /**
   * Its position among the cells that run, in the order an unsharded sweep runs them (a preset
   * identical to a grid configuration shares that configuration's cells and runs none of its own).
   */
  index: number;
  group: Group;
  scenario: SweepScenario;
  profile: LatencyProfile;
  /** `configuration · scenario · profile`, as progress shows it. */
  label: string;
}

/**
 * Everything of a SweepResult but the cells' numbers, as plain JSON: `flatline sweep --shard` writes
 * it beside its share of the cells, and `flatline merge` assembles the result from it.
 */
export interface SweepFrame {
  name: string;
  backend: BackendKind;
  timeScale: number;
  goals: string[];
  seeds: number[];
  presetsOnly: boolean;
  defaultGoal: boolean;
  /** Grid configurations, then presets; `cells` are indices into the planned cells. */
  groups: { config: SweepConfig; preset?: { name: string; source: string }; cells: number[] }[];
  replay: string;
  environment: Record<string, string>;
}

export interface SweepPlan {
  cells: PlannedCell[];
  frame: SweepFrame;
}

function groupsOf(spec: SweepSpec): Group[] {
  return [
    ...spec.configs.map((run) => ({ run })),
    ...spec.presets.map((preset) => ({
      run: { config: preset.config, ...(preset.extra ? { extra: preset.extra } : {}) },
      preset,
    })),
  ];
}

/** The cells a sweep runs, in order, and the frame its result is assembled in. Runs nothing. */
export function planSweep(spec: SweepSpec, o: SweepRunOptions = {}): SweepPlan {
  const backend = o.backend ?? 'sim';
  const ctx = replayContext(spec, o);
  const cells: PlannedCell[] = [];
  const owner = new Map<string, number[]>();
  const frameGroups: SweepFrame['groups'] = [];
  for (const group of groupsOf(spec)) {
    const library = o.subject ? undefined : group.preset?.library;
    const key = `${configKey(group.run.config)}|${JSON.stringify(group.run.extra ?? {})}|${library?.subject ?? ''}`;
    let indices = owner.get(key);
    if (!indices) {
      indices = [];
      const who = group.preset?.name ?? describeConfig(group.run.config);
      for (const scenario of spec.scenarios) {
        for (const profile of spec.profiles) {
          indices.push(cells.length);
          cells.push({
            index: cells.length,
            group,
            scenario,
            profile,
            label: `${who} · ${scenarioName(scenario)} · ${profile.name}`,
          });
        }
      }
      owner.set(key, indices);
    }
    const preset = group.preset && {
      name: group.preset.name,
      source:
        group.preset.library && !o.subject
          ? `${group.preset.source} — run as the unmodified library (subject ${group.preset.library.subject})`
          : group.preset.source,
    };
    frameGroups.push({ config: group.run.config, ...(preset ? { preset } : {}), cells: indices });
  }
  const timeScale = backend === 'toxiproxy' ? (o.timeScale ?? 0.01) : 1;
  return {
    cells,
    frame: {
      name: spec.name,
      backend,
      timeScale,
      goals: goalNames(spec.goals),
      seeds: [...spec.seeds],
      presetsOnly: spec.presetsOnly,
      defaultGoal: spec.defaultGoal,
      groups: frameGroups,
      replay: o.replay ?? sweepReplay(spec, ctx),
      environment: {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        backend,
        timeScale: String(timeScale),
        subject: o.subject?.name ?? 'reference',
        runs: String(runCount(spec)),
        phase: spec.phase ? 'fault onset offset by a seed-derived fraction of I' : 'fixed',
        detectSide: spec.goals.detectSide,
        ...Object.fromEntries(spec.profiles.map((p) => [`latency ${p.name}`, explainProfile(p)])),
      },
    },
  };
}

function replayContext(spec: SweepSpec, o: SweepRunOptions): ReplayContext {
  const backend = o.backend ?? 'sim';
  return {
    backend,
    phase: spec.phase,
    ...(backend === 'toxiproxy' ? { timeScale: o.timeScale ?? 0.01 } : {}),
    ...(o.subjectPath ? { subject: o.subjectPath } : {}),
  };
}

/**
 * Runs the planned cells `include` selects (default all), in order; returns them by index. A cell's
 * numbers depend only on the cell and the spec, never on which others run beside it.
 */
export async function runSweepCells(
  spec: SweepSpec,
  o: SweepRunOptions,
  plan: SweepPlan,
  include: (index: number) => boolean = () => true,
): Promise<Map<number, SweepCell>> {
  checkRunnable(spec, o);
  const ctx = replayContext(spec, o);
  const all = plan.cells.every((c) => include(c.index));
  const shown = plan.frame.groups.reduce((n, g) => n + g.cells.filter(include).length, 0);
  const ran = plan.cells.filter((c) => include(c.index)).length;
  o.progress?.start(shown, all ? runCount(spec) : ran * spec.seeds.length);
  const done = new Map<number, SweepCell>();
  for (const group of plan.frame.groups) {
    for (const index of group.cells) {
      if (!include(index)) continue;
      const planned = plan.cells[index]!;
      const previous = done.get(index);
      if (previous) {
        // A preset identical to a grid configuration: same runs, same cells.
        o.progress?.cell(`${group.preset?.name ?? describeConfig(previous.config)}`, previous);
        continue;
      }
      done.set(index, await runCell(spec, o, ctx, planned));
    }
  }
  return done;
}

/** The SweepResult of a frame and every one of its cells (from one process, or merged shards). */
export function assembleSweep(frame: SweepFrame, cells: ReadonlyMap<number, SweepCell>): SweepResult {
  const cellsAt = (indices: readonly number[]): SweepCell[] =>
    indices.map((i) => {
      const cell = cells.get(i);
      if (!cell) throw new TypeError(`assembleSweep: cell ${i} is missing`);
      return cell;
    });
  const gridGroups = frame.groups.filter((g) => !g.preset);
  const presetGroups = frame.groups.filter((g) => g.preset);
  const candidateOf = (g: SweepFrame['groups'][number]): Candidate => ({
    config: g.config,
    cells: cellsAt(g.cells),
    ...(g.preset ? { name: g.preset.name } : {}),
  });
  const candidates = (frame.presetsOnly ? presetGroups : gridGroups).map(candidateOf);
  const recommendation = recommend(candidates, {
    ...(frame.presetsOnly ? {} : { presets: presetGroups.map(candidateOf) }),
    defaultGoal: frame.defaultGoal,
  });
  const presets: SweepPreset[] = presetGroups.map((g) => ({
    name: g.preset!.name,
    source: g.preset!.source,
    config: g.config,
    cells: cellsAt(g.cells),
  }));
  return {
    name: frame.name,
    backend: frame.backend,
    timeScale: frame.timeScale,
    goals: [...frame.goals],
    seeds: [...frame.seeds],
    cells: candidates.flatMap((c) => c.cells),
    recommendation,
    presets,
    replay: frame.replay,
    environment: { ...frame.environment },
  };
}

export async function runSweep(spec: SweepSpec, o: SweepRunOptions = {}): Promise<SweepResult> {
  const plan = planSweep(spec, o);
  return assembleSweep(plan.frame, await runSweepCells(spec, o, plan));
}

/** A preset that is a shipped library runs the library itself, with its own settings. */
function withLibrary(s: Scenario, library: Preset['library']): Scenario {
  if (!library) return s;
  const schema = subjectConfigSchema(library.subject);
  if (!schema) throw new TypeError(`preset library subject "${library.subject}" is not built in`);
  return { ...s, subject: library.subject, config: schema.parse(library.config) as Record<string, unknown> };
}

async function runCell(
  spec: SweepSpec,
  o: SweepRunOptions,
  ctx: ReplayContext,
  { group, scenario, profile, label }: PlannedCell,
): Promise<SweepCell> {
  const backend = o.backend ?? 'sim';
  const runs: CellRun[] = [];
  for (const seed of spec.seeds) {
    o.progress?.run(`${label} · seed ${seed}`);
    const library = o.subject ? undefined : group.preset?.library;
    const s = withLibrary(
      instantiate(scenario, group.run, profile, { seed, phase: spec.phase, backend }),
      library,
    );
    const instance = o.newBackend ? await o.newBackend() : undefined;
    try {
      const result = await runScenario(s, {
        backend,
        seed,
        ...(o.timeScale === undefined ? {} : { timeScale: o.timeScale }),
        ...(o.subject ? { subject: o.subject } : {}),
        ...(instance ? { backendInstance: instance } : {}),
        ...(scenario.kind === 'file' ? { file: scenario.file } : {}),
      });
      runs.push({ seed, scenario: s, result });
    } finally {
      if (instance) await (o.closeBackend ? o.closeBackend(instance) : instance.close());
    }
  }
  const qos = cellQos(runs, spec.goals.detectSide);
  const path = pathOf(scenario, profile);
  const worst = worstOf(runs);
  const cell: SweepCell = {
    config: group.run.config,
    scenario: scenarioName(scenario),
    latencyProfile: profile.label,
    seeds: [...spec.seeds],
    ...(qos.detection ? { detection: qos.detection } : {}),
    falseDetectionRate: qos.falseDetectionRate,
    ...(qos.mistakeDuration ? { mistakeDuration: qos.mistakeDuration } : {}),
    ...(qos.mistakeRecurrence ? { mistakeRecurrence: qos.mistakeRecurrence } : {}),
    queryAccuracy: qos.queryAccuracy,
    ...(qos.reconnect ? { reconnect: qos.reconnect } : {}),
    overhead: qos.overhead,
    latencyTolerance: latencyTolerance(group.run.config, path),
    goals: judgeCell(spec.goals, qos, {
      config: group.run.config,
      path,
      latencyStep: isLatencyStep(scenario),
      runs: runs.length,
    }),
    samples: { detection: qos.detectionSamples, reconnect: qos.reconnectSamples },
    replay: cellReplay(group, scenario, profile, worst.seed, ctx),
  };
  o.progress?.cell(label, cell);
  await o.onCell?.({ cell, worst: { seed: worst.seed, scenario: worst.scenario } });
  return cell;
}
