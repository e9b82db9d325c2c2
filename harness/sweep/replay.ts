/**
 * Commands that reproduce a sweep, or one cell of it for one seed, in canonical flags: every value is
 * written exactly (durations in their shortest form, backoff in full), so the command runs the same
 * configurations whatever shorthand the user typed. A cell's command adds --emit-scenarios, which
 * writes the scenario of that run as a file for `flatline run` (swimlanes in the run report).
 */

import type { BackendKind } from '../model/index.ts';
import { formatDuration } from '../scenario/duration.ts';
import { formatDurationValue } from './axis.ts';
import { formatBackoff } from './backoff.ts';
import { fmtNumber } from './describe.ts';
import type { SweepGoals } from './goals.ts';
import type { Preset } from './presets.ts';
import type { LatencyProfile } from './profiles.ts';
import type { RunConfig, SweepScenario } from './scenarios.ts';
import { DEFAULT_MAX_RUNS, type SweepSpec } from './sweep-spec.ts';

export const REPLAY_DIR = 'flatline-replay';

export interface ReplayContext {
  backend: BackendKind;
  timeScale?: number;
  /** --subject as the user gave it. */
  subject?: string;
  phase: boolean;
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function runFlags(ctx: ReplayContext): string[] {
  return [
    ...(ctx.backend === 'toxiproxy'
      ? ['--backend', 'toxiproxy', ...(ctx.timeScale ? ['--time-scale', String(ctx.timeScale)] : [])]
      : []),
    ...(ctx.subject ? ['--subject', ctx.subject] : []),
    ...(ctx.phase ? [] : ['--fixed-phase']),
  ];
}

function configFlags(run: RunConfig): string[] {
  const c = run.config;
  return [
    '--interval',
    formatDuration(c.interval),
    '--pong-timeout',
    formatDuration(c.pongTimeout),
    '--read-deadline',
    formatDuration(c.readDeadline),
    '--miss-threshold',
    String(c.missThreshold),
    '--backoff',
    formatBackoff(c.backoff),
  ];
}

function scenarioFlags(s: SweepScenario): string[] {
  return s.kind === 'builtin' ? ['--fault', s.spec] : ['--scenario', s.file];
}

/** The command that re-runs one cell for one seed and writes its scenario file. */
export function cellReplay(
  target: { run: RunConfig; preset?: Preset },
  scenario: SweepScenario,
  profile: LatencyProfile,
  seed: number,
  ctx: ReplayContext,
): string {
  const words = [
    'npx flatline sweep',
    ...(target.preset ? ['--preset', target.preset.id, '--presets-only'] : configFlags(target.run)),
    ...scenarioFlags(scenario),
    '--latency',
    profile.spec,
    '--seed',
    String(seed),
    ...runFlags(ctx),
    '--emit-scenarios',
    REPLAY_DIR,
  ];
  return words.map((w, i) => (i === 0 ? w : shellQuote(w))).join(' ');
}

function goalFlags(g: SweepGoals, defaultGoal: boolean): string[] {
  const out: string[] = [];
  if (g.detectWithin.length) {
    out.push('--detect-within', g.detectWithin.map((x) => `${x.stat}:${formatDuration(x.within)}`).join(','));
  }
  if (g.detectSide !== 'client') out.push('--detect-side', g.detectSide);
  if (g.maxFalseRate !== undefined && !defaultGoal) out.push('--max-false-rate', fmtNumber(g.maxFalseRate));
  if (g.tolerateLatency !== undefined) out.push('--tolerate-latency', formatDuration(g.tolerateLatency));
  if (g.reconnectWithin !== undefined) out.push('--reconnect-within', formatDuration(g.reconnectWithin));
  if (g.maxOverhead !== undefined) out.push('--max-overhead', fmtNumber(g.maxOverhead));
  return out;
}

function seedsFlag(seeds: readonly number[]): string[] {
  const count = seeds.every((s, i) => s === i + 1);
  if (seeds.length === 1 && !count) return ['--seed', String(seeds[0])];
  return ['--seeds', count ? String(seeds.length) : seeds.join(',')];
}

/** The whole sweep in canonical flags. */
export function sweepReplay(spec: SweepSpec, ctx: ReplayContext): string {
  const g = spec.grid;
  const f = formatDuration;
  const auto = !spec.goals.tolerateLatency ? undefined : `latency-step:${f(spec.goals.tolerateLatency)}`;
  const builtins = spec.scenarios.flatMap((s) => (s.kind === 'builtin' ? [s.spec] : []));
  const files = spec.scenarios.flatMap((s) => (s.kind === 'file' ? ['--scenario', s.file] : []));
  // The latency step --tolerate-latency adds comes back by itself, unless it is all there is.
  const rest = builtins.filter((b) => b !== auto);
  const faults = rest.length || files.length ? rest : builtins;
  const words = [
    'npx flatline sweep',
    ...(spec.name !== 'sweep' ? ['--name', spec.name] : []),
    ...(spec.presetsOnly
      ? []
      : [
          '--interval',
          g.interval.map(f).join(','),
          '--pong-timeout',
          g.pongTimeout.map((v) => formatDurationValue(v, f)).join(','),
          '--read-deadline',
          g.readDeadline.map((v) => formatDurationValue(v, f)).join(','),
          '--miss-threshold',
          g.missThreshold.join(','),
          ...g.backoff.flatMap((b) => ['--backoff', formatBackoff(b)]),
        ]),
    ...(faults.length ? ['--fault', faults.join(',')] : []),
    ...files,
    '--latency',
    spec.profiles.map((p) => p.spec).join(','),
    ...seedsFlag(spec.seeds),
    ...goalFlags(spec.goals, spec.defaultGoal),
    ...(spec.presets.length ? ['--preset', spec.presets.map((p) => p.id).join(',')] : []),
    ...(spec.presetsOnly ? ['--presets-only'] : []),
    ...(spec.maxRuns !== DEFAULT_MAX_RUNS ? ['--max-runs', String(spec.maxRuns)] : []),
    ...runFlags(ctx),
  ];
  return words.map((w, i) => (i === 0 ? w : shellQuote(w))).join(' ');
}
