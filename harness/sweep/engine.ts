/**
 * Runs a sweep: every configuration of the grid (and every preset beside it) through every scenario
 * and latency profile, once per seed, on the simulator by default. Each cell's runs fold into its QoS
 * numbers (qos.ts) and goal verdicts (goals.ts); the recommendation picks the cheapest configuration
 * that meets every goal (recommend.ts). On the simulator the result is a pure function of the spec:
 * the same seeds give the same SweepResult, byte for byte.
 */
import type { Backend, Subject } from '../backend.ts';
import type { BackendKind } from '../model/index.ts';
import type { SweepCell, SweepPreset, SweepResult } from '../result.ts';
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

export async function runSweep(spec: SweepSpec, o: SweepRunOptions = {}): Promise<SweepResult> {
  checkRunnable(spec, o);
  const backend = o.backend ?? 'sim';
  const ctx: ReplayContext = {
    backend,
    phase: spec.phase,
    ...(backend === 'toxiproxy' ? { timeScale: o.timeScale ?? 0.01 } : {}),
    ...(o.subjectPath ? { subject: o.subjectPath } : {}),
  };
  const groups: { run: RunConfig; preset?: Preset }[] = [
    ...spec.configs.map((run) => ({ run })),
    ...spec.presets.map((preset) => ({
      run: { config: preset.config, ...(preset.extra ? { extra: preset.extra } : {}) },
      preset,
    })),
  ];
  const cellsPerGroup = spec.scenarios.length * spec.profiles.length;
  o.progress?.start(groups.length * cellsPerGroup, runCount(spec));

  const done = new Map<string, SweepCell[]>();
  const cellsOf = new Map<(typeof groups)[number], SweepCell[]>();
  for (const group of groups) {
    const library = o.subject ? undefined : group.preset?.library;
    const key = `${configKey(group.run.config)}|${JSON.stringify(group.run.extra ?? {})}|${library?.subject ?? ''}`;
    const previous = done.get(key);
    if (previous) {
      // A preset identical to a grid configuration: same runs, same cells.
      cellsOf.set(group, previous);
      for (const cell of previous)
        o.progress?.cell(`${group.preset?.name ?? describeConfig(cell.config)}`, cell);
      continue;
    }
    const cells: SweepCell[] = [];
    for (const scenario of spec.scenarios) {
      for (const profile of spec.profiles) {
        cells.push(await runCell(spec, o, ctx, group, scenario, profile));
      }
    }
    done.set(key, cells);
    cellsOf.set(group, cells);
  }

  const gridGroups = groups.filter((g) => !g.preset);
  const presetGroups = groups.filter((g) => g.preset);
  const candidateOf = (g: (typeof groups)[number]): Candidate => ({
    config: g.run.config,
    cells: cellsOf.get(g)!,
    ...(g.preset ? { name: g.preset.name } : {}),
  });
  const candidates = (spec.presetsOnly ? presetGroups : gridGroups).map(candidateOf);
  const recommendation = recommend(candidates, {
    ...(spec.presetsOnly ? {} : { presets: presetGroups.map(candidateOf) }),
    defaultGoal: spec.defaultGoal,
  });
  const presets: SweepPreset[] = presetGroups.map((g) => ({
    name: g.preset!.name,
    source:
      g.preset!.library && !o.subject
        ? `${g.preset!.source} — run as the unmodified library (subject ${g.preset!.library.subject})`
        : g.preset!.source,
    config: g.run.config,
    cells: cellsOf.get(g)!,
  }));
  return {
    name: spec.name,
    backend,
    timeScale: backend === 'toxiproxy' ? (o.timeScale ?? 0.01) : 1,
    goals: goalNames(spec.goals),
    seeds: [...spec.seeds],
    cells: candidates.flatMap((c) => c.cells),
    recommendation,
    presets,
    replay: o.replay ?? sweepReplay(spec, ctx),
    environment: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      backend,
      timeScale: String(backend === 'toxiproxy' ? (o.timeScale ?? 0.01) : 1),
      subject: o.subject?.name ?? 'reference',
      runs: String(runCount(spec)),
      phase: spec.phase ? 'fault onset offset by a seed-derived fraction of I' : 'fixed',
      detectSide: spec.goals.detectSide,
      ...Object.fromEntries(spec.profiles.map((p) => [`latency ${p.name}`, explainProfile(p)])),
    },
  };
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
  group: { run: RunConfig; preset?: Preset },
  scenario: SweepScenario,
  profile: LatencyProfile,
): Promise<SweepCell> {
  const backend = o.backend ?? 'sim';
  const who = group.preset?.name ?? describeConfig(group.run.config);
  const label = `${who} · ${scenarioName(scenario)} · ${profile.name}`;
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
