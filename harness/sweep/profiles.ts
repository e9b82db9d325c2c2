/**
 * Latency profiles: the steady path a sweep's scenarios run over, given the way people measure it —
 * a round-trip time distribution from `ping` (p50 and p99) — or directly as a per-leg delay ± jitter.
 *
 * The model. Each leg (client→server, server→client) delays a packet by latency ± jitter: an integer
 * drawn uniformly from [L − J, L + J] and never below 0, independently per packet. That is exactly
 * what the simulator's wire does (harness/sim/wire.ts); on Toxiproxy the same numbers go into a
 * `latency` toxic per direction, whose jitter is [L − J, L + J − 1].
 *
 * From p50/p99 of the round trip: the legs share the median, L_u = ⌈p50/2⌉ and L_d = ⌊p50/2⌋, so the
 * sum of the medians is p50. J is the smallest whole number of ms for which the model's round-trip
 * p99 reaches the target: for unclamped legs the sum of two uniforms on ±J is triangular, its p99 is
 * 2L + (2 − √0.08)·J ≈ 2L + 1.717·J, so J ≈ (p99 − p50)/1.717; the exact J is then found on the
 * model's own distribution (computed, not sampled). Clamping at 0 (J > L) leaves the upper tail —
 * what causes false detections — untouched, but moves the model's median up; the label shows the
 * model's own p50/p99 next to the target.
 *
 * Worst case: the round trip is at most (L_u + J) + (L_d + J); the gap between two arrivals at the
 * server stretches by at most 2J. The latency tolerances of BOUNDS.md use these.
 */
import { BoundsInputError, clientLatencyTolerance, serverLatencyTolerance } from '../observe/bounds.ts';
import type { Bound } from '../result.ts';
import { formatDuration, parseDuration } from '../scenario/duration.ts';
import { didYouMean } from '../scenario/issues.ts';
import { ValueError } from './errors.ts';

export interface Leg {
  /** L: base one-way delay, ms. */
  latency: number;
  /** J: ± jitter, ms. */
  jitter: number;
}

export interface LatencyProfile {
  /** Short name, unique in a sweep: "lan", "mobile", "office", "40ms/300ms". */
  name: string;
  /** How the profile is written on the command line (canonical), for replay commands. */
  spec: string;
  /** What reports show: name plus the model's round trip. */
  label: string;
  up: Leg;
  down: Leg;
  /** Round-trip percentiles the profile was asked for, when given as p50/p99. */
  target?: { p50: number; p99: number };
  /** The model's own round trip: nearest-rank p50 and p99, and the worst case. */
  model: { p50: number; p99: number; max: number };
  /** Keep the scenario file's own link (built-in scenarios: none). */
  asWritten?: boolean;
  /** Where a built-in profile's numbers come from. */
  note?: string;
}

/** Built-in profiles, as round-trip p50/p99. */
export const BUILTIN_PROFILES: readonly { name: string; p50: number; p99: number; note: string }[] = [
  { name: 'lan', p50: 2, p99: 2, note: 'same rack / LAN: 1 ms each way, no jitter' },
  { name: 'broadband', p50: 30, p99: 80, note: 'home broadband to a nearby region' },
  { name: 'intercontinental', p50: 150, p99: 250, note: 'across an ocean on a good path' },
  { name: 'mobile', p50: 100, p99: 800, note: '4G/5G with bufferbloat and handovers in the tail' },
  { name: 'satellite', p50: 600, p99: 1200, note: 'geostationary satellite link' },
];

export const AS_WRITTEN = 'as-written';

/** What a custom profile may be called (it appears in replay commands). */
export const PROFILE_NAME = /^[A-Za-z][\w.-]*$/;

/** Largest jitter the model accepts (the round trip's p99 above ~4 minutes is not a heartbeat path). */
const MAX_JITTER = 120_000;

// ---------------------------------------------------------------------------------------------
// the model's distribution, exactly

/** Counts per delay value of one leg: delay v ∈ [0, L + J], total 2J + 1. */
function legCounts(leg: Leg): number[] {
  const top = leg.latency + leg.jitter;
  const counts = new Array<number>(top + 1).fill(0);
  for (let j = -leg.jitter; j <= leg.jitter; j++) counts[Math.max(0, leg.latency + j)]!++;
  return counts;
}

/** Round-trip quantile finder: smallest s with P(up + down ≤ s) ≥ q, in exact integer arithmetic. */
function rttQuantiles(up: Leg, down: Leg): (percent: number) => number {
  const cu = legCounts(up);
  const cd = legCounts(down);
  const cumDown: number[] = [];
  let acc = 0;
  for (const c of cd) {
    acc += c;
    cumDown.push(acc);
  }
  const total = (2 * up.jitter + 1) * (2 * down.jitter + 1);
  const maxDown = cd.length - 1;
  const below = (s: number): number => {
    let n = 0;
    for (let u = 0; u < cu.length && u <= s; u++) {
      if (cu[u] === 0) continue;
      n += cu[u]! * cumDown[Math.min(maxDown, s - u)]!;
    }
    return n;
  };
  const max = cu.length - 1 + maxDown;
  return (percent) => {
    let lo = 0;
    let hi = max;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (below(mid) * 100 >= percent * total) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}

export function modelOf(up: Leg, down: Leg): LatencyProfile['model'] {
  const q = rttQuantiles(up, down);
  return { p50: q(50), p99: q(99), max: up.latency + up.jitter + down.latency + down.jitter };
}

/** L_u, L_d and the smallest J whose model round trip reaches p99 (see the header). */
export function legsFromRtt(p50: number, p99: number): { up: Leg; down: Leg } {
  if (!Number.isSafeInteger(p50) || p50 < 0 || !Number.isSafeInteger(p99)) {
    throw new ValueError(`p50 and p99 must be whole ms ≥ 0, got ${p50} and ${p99}`);
  }
  if (p99 < p50) throw new ValueError(`p99 (${formatDuration(p99)}) is below p50 (${formatDuration(p50)})`);
  const upL = Math.ceil(p50 / 2);
  const downL = Math.floor(p50 / 2);
  const p99Of = (j: number) => rttQuantiles({ latency: upL, jitter: j }, { latency: downL, jitter: j })(99);
  let j = Math.max(0, Math.ceil((p99 - p50) / (2 - Math.sqrt(0.08))));
  if (j > MAX_JITTER)
    throw new ValueError(`p99 ${formatDuration(p99)} needs more jitter than the model allows`);
  while (j > 0 && p99Of(j - 1) >= p99) j--;
  while (p99Of(j) < p99) {
    j++;
    if (j > MAX_JITTER)
      throw new ValueError(`p99 ${formatDuration(p99)} needs more jitter than the model allows`);
  }
  return { up: { latency: upL, jitter: j }, down: { latency: downL, jitter: j } };
}

/** Short, for cell labels and heatmap panels: "mobile (RTT 244ms/800ms)", "40ms/300ms", "lan (RTT 2ms)". */
function describe(p: Omit<LatencyProfile, 'label'>): string {
  if (p.asWritten) return 'as written';
  const m = p.model;
  const rtt = m.p50 === m.p99 ? formatDuration(m.p50) : `${formatDuration(m.p50)}/${formatDuration(m.p99)}`;
  // A name made of the numbers already says them.
  return /[/±]/.test(p.name) ? p.name : `${p.name} (RTT ${rtt})`;
}

/** How the profile is modelled, in full (for the sweep's environment block). */
export function explainProfile(p: LatencyProfile): string {
  if (p.asWritten) return p.note ?? 'as written';
  const leg = (l: Leg) => `${formatDuration(l.latency)} ± ${formatDuration(l.jitter)}`;
  const legs =
    p.up.latency === p.down.latency && p.up.jitter === p.down.jitter
      ? `each leg ${leg(p.up)}`
      : `up ${leg(p.up)}, down ${leg(p.down)}`;
  const target = p.target
    ? `; asked RTT p50 ${formatDuration(p.target.p50)} · p99 ${formatDuration(p.target.p99)}`
    : '';
  return `${legs} (uniform, never below 0); model RTT p50 ${formatDuration(p.model.p50)} · p99 ${formatDuration(p.model.p99)} · max ${formatDuration(p.model.max)}${target}`;
}

function finish(p: Omit<LatencyProfile, 'label' | 'model'>): LatencyProfile {
  const withModel = { ...p, model: modelOf(p.up, p.down) };
  return { ...withModel, label: describe(withModel) };
}

export function profileFromRtt(
  name: string,
  p50: number,
  p99: number,
  spec: string,
  note?: string,
): LatencyProfile {
  const { up, down } = legsFromRtt(p50, p99);
  return finish({ name, spec, up, down, target: { p50, p99 }, ...(note ? { note } : {}) });
}

export function profileFromLeg(name: string, leg: Leg, spec: string): LatencyProfile {
  for (const [k, v] of Object.entries(leg)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new ValueError(`${k} must be whole ms ≥ 0, got ${v}`);
  }
  if (leg.jitter > MAX_JITTER)
    throw new ValueError(`jitter ${formatDuration(leg.jitter)} is more than the model allows`);
  return finish({ name, spec, up: { ...leg }, down: { ...leg } });
}

export function asWrittenProfile(): LatencyProfile {
  const zero = { latency: 0, jitter: 0 };
  return {
    name: AS_WRITTEN,
    spec: AS_WRITTEN,
    label: 'as written',
    up: zero,
    down: zero,
    model: { p50: 0, p99: 0, max: 0 },
    asWritten: true,
    note: 'a scenario file keeps its own topology latency; built-in scenarios get none',
  };
}

export function builtinProfile(name: string): LatencyProfile | undefined {
  const b = BUILTIN_PROFILES.find((p) => p.name === name);
  return b ? profileFromRtt(b.name, b.p50, b.p99, b.name, b.note) : undefined;
}

function ms(text: string): number {
  try {
    return parseDuration(text);
  } catch (e) {
    throw new ValueError((e as Error).message);
  }
}

/**
 * One profile as written on the command line: a built-in name, `p50/p99` of the round trip
 * (`40ms/300ms`), `L±J` per leg (`20ms±5ms`, or `20ms+-5ms`), each optionally named (`office=…`).
 */
export function parseProfile(text: string): LatencyProfile {
  const t = text.trim();
  if (t === '') throw new ValueError('empty latency profile');
  const eq = t.indexOf('=');
  const name = eq >= 0 ? t.slice(0, eq).trim() : undefined;
  const body = eq >= 0 ? t.slice(eq + 1).trim() : t;
  if (name !== undefined && !PROFILE_NAME.test(name)) {
    throw new ValueError(`"${name}": a profile name starts with a letter and has letters, digits, . _ -`);
  }
  if (body === AS_WRITTEN && name === undefined) return asWrittenProfile();
  const builtin = builtinProfile(body);
  if (builtin)
    return name
      ? { ...builtin, name, spec: `${name}=${body}`, label: builtin.label.replace(body, name) }
      : builtin;
  const rtt = /^([^/]+)\/([^/]+)$/.exec(body);
  if (rtt) {
    const p50 = ms(rtt[1]!);
    const p99 = ms(rtt[2]!);
    const spec = `${name ? `${name}=` : ''}${formatDuration(p50)}/${formatDuration(p99)}`;
    return profileFromRtt(name ?? `${formatDuration(p50)}/${formatDuration(p99)}`, p50, p99, spec);
  }
  const leg = /^(.+?)(?:±|\+-)(.+)$/.exec(body);
  if (leg) {
    const latency = ms(leg[1]!);
    const jitter = ms(leg[2]!);
    const canonical = `${formatDuration(latency)}+-${formatDuration(jitter)}`;
    return profileFromLeg(
      name ?? `${formatDuration(latency)}±${formatDuration(jitter)}`,
      { latency, jitter },
      `${name ? `${name}=` : ''}${canonical}`,
    );
  }
  const known = [...BUILTIN_PROFILES.map((p) => p.name), AS_WRITTEN];
  const guess = didYouMean(body, known);
  throw new ValueError(
    `unknown latency profile "${body}"${guess ? ` (did you mean "${guess}"?)` : ''}: use ${known.join(', ')}, p50/p99 of the round trip (40ms/300ms) or latency±jitter per leg (20ms+-5ms)`,
  );
}

/** A comma-separated list of profiles (`lan,mobile,40ms/300ms`). Throws ValueError. */
export function parseProfiles(text: string): LatencyProfile[] {
  return text.split(',').map((item, index) => {
    try {
      return parseProfile(item);
    } catch (e) {
      throw e instanceof ValueError ? new ValueError(e.message, index) : e;
    }
  });
}

/** Profiles in a sweep must have distinct names (they label cells). */
export function checkDistinct(profiles: readonly LatencyProfile[]): void {
  const seen = new Set<string>();
  profiles.forEach((p, i) => {
    if (seen.has(p.name)) throw new ValueError(`latency profile "${p.name}" is listed twice`, i);
    seen.add(p.name);
  });
}

/**
 * BOUNDS.md latency tolerance of a configuration on a path, from bounds.ts, worst case over the
 * jitter: client T − r − J_u − J_d (clientLatencyTolerance), server R − I − 2·J_u
 * (serverLatencyTolerance). Added latency L is tolerated when L < tolerance (the tie rule counts
 * equality as a timeout). Where nothing is left bounds.ts refuses; the same formula then gives the
 * (zero or negative) shortfall.
 */
export function latencyTolerance(
  config: { interval: number; pongTimeout: number; readDeadline: number },
  path: { up: Leg; down: Leg },
): { client: number; server: number } {
  const { rMax, spread } = pathExtremes(path);
  const client = toleranceOf(
    () =>
      clientLatencyTolerance({
        path: { up: path.up.latency, down: path.down.latency },
        pongTimeout: config.pongTimeout,
        jitterUp: path.up.jitter,
        jitterDown: path.down.jitter,
      }),
    config.pongTimeout - rMax,
  );
  const server = toleranceOf(
    () =>
      serverLatencyTolerance({
        interval: config.interval,
        readDeadline: config.readDeadline,
        jitter: path.up.jitter,
      }),
    config.readDeadline - config.interval - spread,
  );
  return { client, server };
}

function toleranceOf(bound: () => Bound, shortfall: number): number {
  try {
    // bounds.ts stores [0, top) as the inclusive [0, top − 1].
    return bound().max + 1;
  } catch (e) {
    if (e instanceof BoundsInputError) return shortfall;
    throw e;
  }
}

/** Worst round trip r_max = (L_u + J_u) + (L_d + J_d), and 2·J_u: how much a gap between ping arrivals can stretch. */
export function pathExtremes(path: { up: Leg; down: Leg }): { rMax: number; spread: number } {
  return {
    rMax: path.up.latency + path.up.jitter + path.down.latency + path.down.jitter,
    spread: 2 * path.up.jitter,
  };
}
