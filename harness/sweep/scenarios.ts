/**
 * The scenarios a sweep runs each configuration through: built-in fault scenarios whose timeline is
 * sized to the configuration, or scenario files (their topology and faults; the heartbeat settings
 * come from the sweep). `instantiate` turns one (scenario, configuration, latency profile, seed) into
 * the exact Scenario the runner plays.
 *
 * Built-in timeline, for a configuration (I, T, R, N, backoff) on a path with worst round trip r_max:
 *   warm-up       W = max(60 s, 3·I)                      false detections can show before the fault
 *   onset         f = W + φ, φ = ⌊u(seed)·I⌋, u ∈ [0, 1)  the seeds sample the ping phase: BOUNDS.md's
 *                                                        Δ is spread over a whole interval
 *   outage        U = D + max(5 s, D/4), rounded up to 1 s, D = the worst-case detection
 *                 (client T + N·I, server R, plus r_max), so T_D is never cut short by the heal
 *   after heal    max(60 s, connect timeout + W_cap + 2·I + r_max + 10 s): the reconnect
 *                 converges (BOUNDS.md A_max + W_cap + H) and runs a while
 * Scenario files get the same phase offset φ on every fault (their duration grows by φ) unless the
 * sweep asks for a fixed phase.
 */

import type { BackendKind } from '../model/index.ts';
import { worstWait } from '../observe/bounds.ts';
import type { SweepConfig } from '../result.ts';
import { faults, scenario } from '../scenario/builder.ts';
import { formatDuration, parseDuration } from '../scenario/duration.ts';
import { didYouMean } from '../scenario/issues.ts';
import type { FaultEntry, Scenario } from '../scenario/schema.ts';
import type { ReferenceConfig } from '../subjects/reference-config.ts';
import { toConfig } from './backoff.ts';
import { ValueError } from './errors.ts';
import { type LatencyProfile, type Leg, pathExtremes } from './profiles.ts';

export const BUILTIN_SCENARIOS = [
  'black-hole',
  'partition',
  'server-crash',
  'steady',
  'latency-step',
] as const;
export type BuiltinName = (typeof BUILTIN_SCENARIOS)[number];

export const BUILTIN_DESCRIPTIONS: Record<BuiltinName, string> = {
  'black-hole':
    'the proxy drops everything both ways (Toxiproxy timeout toxic, timeout 0): no FIN, no RST (F19), C1; removing the toxic at the heal closes both sides',
  partition: 'sim only: the wire drops every packet both ways (C1) and heals silently',
  'server-crash': 'sim only: the server host vanishes without FIN or RST and comes back at the heal',
  steady: 'steady[:duration] (default 30m): no fault, false detections under the latency profile alone',
  'latency-step':
    'latency-step[:L] (default 500ms): +L client→server (a latency toxic upstream): the round trip and the server’s gap between pings grow by L; a benign fault',
};

const DEFAULT_STEADY = 30 * 60_000;
const DEFAULT_STEP = 500;

export interface BuiltinScenario {
  kind: 'builtin';
  name: BuiltinName;
  /** steady: its duration; latency-step: L. */
  param?: number;
  /** Canonical `--fault` form: black-hole, steady:30m, latency-step:800ms. */
  spec: string;
}

export interface FileScenario {
  kind: 'file';
  /** As given (relative to the working directory), for messages and replay commands. */
  file: string;
  scenario: Scenario;
}

export type SweepScenario = BuiltinScenario | FileScenario;

/** What a cell's `scenario` field says. */
export function scenarioName(s: SweepScenario): string {
  return s.kind === 'builtin' ? s.spec : s.scenario.name;
}

export function topologyOf(s: SweepScenario): 'proxy' | 'direct' {
  if (s.kind === 'file') return s.scenario.topology.kind;
  return s.name === 'partition' || s.name === 'server-crash' ? 'direct' : 'proxy';
}

export function isLatencyStep(s: SweepScenario): boolean {
  return s.kind === 'builtin' && s.name === 'latency-step';
}

export function builtin(name: BuiltinName, param?: number): BuiltinScenario {
  const spec = param === undefined ? name : `${name}:${formatDuration(param)}`;
  return param === undefined ? { kind: 'builtin', name, spec } : { kind: 'builtin', name, param, spec };
}

/** One `--fault` item: a built-in name, optionally with its parameter (`latency-step:800ms`). */
export function parseBuiltin(text: string): BuiltinScenario {
  const t = text.trim();
  const colon = t.indexOf(':');
  const word = (colon < 0 ? t : t.slice(0, colon)).trim().toLowerCase();
  const arg = colon < 0 ? undefined : t.slice(colon + 1).trim();
  if (!(BUILTIN_SCENARIOS as readonly string[]).includes(word)) {
    const guess = didYouMean(word, BUILTIN_SCENARIOS);
    throw new ValueError(
      `unknown fault scenario "${word}"${guess ? ` (did you mean "${guess}"?)` : ''}: built-in ones are ${BUILTIN_SCENARIOS.join(', ')}; use --scenario for a scenario file`,
    );
  }
  const name = word as BuiltinName;
  if (arg === undefined) return builtin(name);
  if (name !== 'steady' && name !== 'latency-step') {
    throw new ValueError(`"${t}": ${name} takes no parameter`);
  }
  let value: number;
  try {
    value = parseDuration(arg);
  } catch (e) {
    throw new ValueError(`"${t}": ${(e as Error).message}`);
  }
  if (value <= 0)
    throw new ValueError(`"${t}": the ${name === 'steady' ? 'duration' : 'latency'} must be more than 0 ms`);
  return builtin(name, value);
}

export function parseBuiltins(input: string | readonly string[]): BuiltinScenario[] {
  const list = typeof input === 'string' ? input.split(',') : [...input];
  const out: BuiltinScenario[] = [];
  list.forEach((item, index) => {
    try {
      const b = parseBuiltin(item);
      if (!out.some((x) => x.spec === b.spec)) out.push(b);
    } catch (e) {
      throw e instanceof ValueError && typeof input !== 'string' ? new ValueError(e.message, index) : e;
    }
  });
  return out;
}

/** A configuration as it runs: the swept settings plus what a preset adds. */
export interface RunConfig {
  config: SweepConfig;
  extra?: { connectTimeout?: number };
}

export interface InstantiateOptions {
  seed: number;
  /** Offset the fault onset by a seed-derived fraction of the interval (default true). */
  phase: boolean;
  backend: BackendKind;
}

/** u(seed) ∈ [0, 1): a fixed integer hash of the seed (murmur3's finalizer), no Math.random. */
export function phaseFraction(seed: number): number {
  let x = (seed ^ 0x9e3779b9) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return x / 2 ** 32;
}

export function phaseOffset(seed: number, interval: number, phase: boolean): number {
  return phase ? Math.floor(phaseFraction(seed) * interval) : 0;
}

const ZERO: Leg = { latency: 0, jitter: 0 };

/** The path a cell runs over: the profile's legs, or the scenario file's own link ("as written"). */
export function pathOf(s: SweepScenario, profile: LatencyProfile): { up: Leg; down: Leg } {
  if (!profile.asWritten) return { up: profile.up, down: profile.down };
  if (s.kind === 'file')
    return { up: { ...s.scenario.topology.link.up }, down: { ...s.scenario.topology.link.down } };
  return { up: ZERO, down: ZERO };
}

function connectTimeoutOf(run: RunConfig): number {
  return run.extra?.connectTimeout ?? 10_000;
}

function configInput(run: RunConfig): Record<string, unknown> {
  const c = run.config;
  const b = c.backoff;
  const backoff: Record<string, unknown> = {
    policy: b.variant,
    base: b.base,
    cap: b.cap,
    multiplier: b.multiplier,
  };
  if (b.variant === 'seed' || b.variant === 'grpc') backoff.jitter = b.jitter;
  return {
    interval: c.interval,
    pongTimeout: c.pongTimeout,
    readDeadline: c.readDeadline,
    missThreshold: c.missThreshold,
    backoff,
    connectTimeout: connectTimeoutOf(run),
  };
}

/** Timeline numbers of a built-in scenario (see the header). */
export function builtinTimeline(
  name: BuiltinName,
  run: RunConfig,
  path: { up: Leg; down: Leg },
  offset: number,
): { onset: number; outage: number; duration: number } {
  const { interval: I, pongTimeout: T, readDeadline: R, missThreshold: N } = run.config;
  const { rMax } = pathExtremes(path);
  const onset = Math.max(60_000, 3 * I) + offset;
  const clientWorst = T + N * I;
  if (name === 'latency-step') {
    const outage = Math.max(clientWorst, R) + 2 * I + rMax;
    return { onset, outage, duration: onset + outage + Math.max(30_000, 2 * I) };
  }
  const D = (name === 'server-crash' ? clientWorst : Math.max(clientWorst, R)) + rMax;
  const outage = Math.ceil((D + Math.max(5000, D / 4)) / 1000) * 1000;
  const wCap = worstWait(toConfig(run.config.backoff));
  const tail = Math.max(60_000, connectTimeoutOf(run) + Math.ceil(wCap) + 2 * I + rMax + 10_000);
  return { onset, outage, duration: onset + outage + tail };
}

function builtinScenario(
  s: BuiltinScenario,
  run: RunConfig,
  profile: LatencyProfile,
  o: InstantiateOptions,
): Scenario {
  const path = pathOf(s, profile);
  const onToxiproxy = o.backend === 'toxiproxy';
  const link = onToxiproxy ? undefined : { up: { ...path.up }, down: { ...path.down } };
  const b = scenario(s.spec).clients(1).seed(o.seed).config(configInput(run));
  if (topologyOf(s) === 'direct') b.direct(link);
  else b.proxy(link);
  if (onToxiproxy) {
    for (const t of profileToxics(path)) {
      b.fault({
        id: t.id,
        at: 0,
        fault: faults.latency({ stream: t.stream, name: t.name, latency: t.latency, jitter: t.jitter }),
      });
    }
  }
  if (s.name === 'steady') return b.duration(s.param ?? DEFAULT_STEADY).build();
  const offset = phaseOffset(o.seed, run.config.interval, o.phase);
  const t = builtinTimeline(s.name, run, path, offset);
  b.duration(t.duration);
  const window = { at: t.onset, until: t.onset + t.outage };
  switch (s.name) {
    case 'black-hole':
      b.fault({ id: 'black-hole', ...window, fault: faults.timeout({ stream: 'both', timeout: 0 }) });
      break;
    case 'partition':
      b.fault({
        id: 'partition',
        ...window,
        fault: faults.partition({ direction: 'both', mode: 'drop', convention: 'C1' }),
      });
      break;
    case 'server-crash':
      b.fault({
        id: 'server-crash',
        ...window,
        fault: faults.crash({ host: 'server', close: 'none', convention: 'C1' }),
      });
      break;
    case 'latency-step':
      b.fault({
        id: 'latency-step',
        ...window,
        fault: faults.latency({ stream: 'upstream', latency: s.param ?? DEFAULT_STEP }),
      });
      break;
  }
  return b.build();
}

/**
 * On Toxiproxy the wire has no delay of its own: the profile becomes a latency toxic per direction
 * for the whole run, under names no scenario toxic uses.
 */
function profileToxics(path: { up: Leg; down: Leg }) {
  return (
    [
      ['upstream', path.up],
      ['downstream', path.down],
    ] as const
  )
    .filter(([, leg]) => leg.latency > 0 || leg.jitter > 0)
    .map(([stream, leg]) => ({
      id: `flatline-profile-${stream}`,
      stream,
      name: `flatline_profile_${stream}`,
      latency: leg.latency,
      jitter: leg.jitter,
    }));
}

function fileScenario(
  s: FileScenario,
  run: RunConfig,
  profile: LatencyProfile,
  o: InstantiateOptions,
): Scenario {
  const base = s.scenario;
  const c = run.config;
  const backoff = { ...toConfig(c.backoff) };
  const baseBackoff = (base.config as Partial<ReferenceConfig>).backoff;
  if (baseBackoff?.maxAttempts !== undefined) backoff.maxAttempts = baseBackoff.maxAttempts;
  const config = {
    ...base.config,
    interval: c.interval,
    pongTimeout: c.pongTimeout,
    readDeadline: c.readDeadline,
    missThreshold: c.missThreshold,
    backoff,
    ...(run.extra?.connectTimeout === undefined ? {} : { connectTimeout: run.extra.connectTimeout }),
  };
  const path = pathOf(s, profile);
  const offset = phaseOffset(o.seed, c.interval, o.phase);
  const faults: FaultEntry[] = base.faults.map((f) => ({
    ...f,
    at: f.at + offset,
    ...(f.until === undefined ? {} : { until: f.until + offset }),
  }));
  const topology = structuredClone(base.topology);
  if (!profile.asWritten && o.backend === 'sim')
    topology.link = { up: { ...path.up }, down: { ...path.down } };
  // The runner sets link delays on the simulator only: on Toxiproxy the path is made of toxics.
  if (o.backend === 'toxiproxy') {
    faults.unshift(
      ...profileToxics(path).map(
        (t): FaultEntry => ({
          id: t.id,
          at: 0,
          fault: {
            type: 'latency',
            stream: t.stream,
            toxicity: 1,
            name: t.name,
            attributes: { latency: t.latency, jitter: t.jitter },
          },
        }),
      ),
    );
  }
  return {
    ...base,
    config: config as Scenario['config'],
    topology,
    duration: base.duration + offset,
    seed: o.seed,
    faults,
    expect: [],
  };
}

/** The exact scenario one run of a cell plays. */
export function instantiate(
  s: SweepScenario,
  run: RunConfig,
  profile: LatencyProfile,
  o: InstantiateOptions,
): Scenario {
  return s.kind === 'builtin' ? builtinScenario(s, run, profile, o) : fileScenario(s, run, profile, o);
}
