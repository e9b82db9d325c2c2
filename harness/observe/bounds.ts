/**
 * BOUNDS.md as code: one function per closed-form bound, each returning a `Bound` whose `why` is the
 * formula with its numbers filled in, so a report can print the bound next to what was measured.
 *
 * Conventions (read before using a bound):
 * - All times are integer milliseconds of scenario time. Δ is always measured from the fault onset f
 *   (or from the heal h for reconnect bounds).
 * - `Bound.min` and `Bound.max` are BOTH INCLUSIVE integers: a measured value x is inside when
 *   `min ≤ x ≤ max` (use `within`). BOUNDS.md writes half-open intervals [a, b); on integer ms that
 *   is stored as `{min: a, max: b − 1}` and the `why` keeps the half-open form, e.g.
 *   "… = [4990, 34990)" with `max` 34989. Closed forms with real-valued ends (backoff jitter
 *   fractions) are widened outward to integers (⌊min⌋, ⌈max⌉) because implementations round waits
 *   either way.
 * - The tie rule of BOUNDS.md holds throughout: a deadline armed before an arrival due at the same ms
 *   wins, so equality counts as a timeout. This is why the latency predicates below use ≥. It
 *   assumes the deadline was armed before the arrival's delivery was scheduled: always true for the
 *   client's pong deadline; for the server's read deadline it needs d_u < I (a ping is not already in
 *   flight when the previous one re-arms the deadline), which every sane configuration satisfies.
 * - Drop conventions: C1 cut (every delivery arriving at or after f is lost, ρ = r) and C2 send-time
 *   (bytes sent at or after f are lost, ρ = d_u + server processing).
 * - Bad input (negative, non-integer ms, an unhealthy configuration the bound does not apply to)
 *   throws a `BoundsInputError` naming the parameter; a bound is never silently meaningless.
 */

import type { Convention } from '../model/index.ts';
import type { Bound } from '../result.ts';

export type { Convention };

export class BoundsInputError extends RangeError {
  readonly bound: string;
  readonly parameter: string | undefined;
  constructor(bound: string, message: string, parameter?: string) {
    super(`${bound}: ${message}`);
    this.name = 'BoundsInputError';
    this.bound = bound;
    this.parameter = parameter;
  }
}

/** True when the measured value lies in the bound (both ends inclusive). */
export function within(bound: Bound, value: number): boolean {
  return value >= bound.min && value <= bound.max;
}

/** One-way delays of the path, integer ms: d_u client→server, d_d server→client. */
export interface PathDelays {
  up: number;
  down: number;
  /** Server time between reading a ping and writing its pong; 0 for the reference server. */
  processing?: number;
}

// ---------------------------------------------------------------------------------------------
// helpers

const EPS = 1e-9;

/** Snaps floating noise (1000·1.6³ = 4096.0000000000005) back to the integer it means. */
function snap(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - r) <= EPS * Math.max(1, Math.abs(x)) ? r : x;
}

function fmt(x: number): string {
  if (x === Number.POSITIVE_INFINITY) return '∞';
  const s = snap(x);
  return Number.isInteger(s) ? String(s) : String(Math.round(s * 1000) / 1000);
}

function ms(bound: string, name: string, value: number | undefined, min = 0): number {
  if (value === undefined || typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new BoundsInputError(
      bound,
      `${name} must be an integer number of ms ≥ ${min}, got ${JSON.stringify(value)}`,
      name,
    );
  }
  return value;
}

function real(bound: string, name: string, value: number | undefined, min: number, max = Infinity): number {
  if (
    value === undefined ||
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max
  ) {
    const range = max === Infinity ? `≥ ${min}` : `in [${min}, ${max}]`;
    throw new BoundsInputError(
      bound,
      `${name} must be a number ${range}, got ${JSON.stringify(value)}`,
      name,
    );
  }
  return value;
}

/** [a, b) on integer ms, stored inclusive as [a, b − 1]. */
function halfOpen(label: string, formula: string, a: number, b: number): Bound {
  return { min: a, max: b - 1, why: `${label}: ${formula} = [${fmt(a)}, ${fmt(b)})` };
}

/** [a, b] with possibly real ends, widened outward to integers. */
function closed(label: string, formula: string, a: number, b: number): Bound {
  return {
    min: Math.floor(snap(a)),
    max: b === Infinity ? Infinity : Math.ceil(snap(b)),
    why: `${label}: ${formula} = [${fmt(a)}, ${fmt(b)}]`,
  };
}

function checkPath(bound: string, path: PathDelays): Required<PathDelays> {
  return {
    up: ms(bound, 'path.up (d_u)', path.up),
    down: ms(bound, 'path.down (d_d)', path.down),
    processing: ms(bound, 'path.processing', path.processing ?? 0),
  };
}

/** r = d_u + d_d + server processing. */
export function roundTrip(path: PathDelays): number {
  return path.up + path.down + (path.processing ?? 0);
}

/** ρ: C1 cut loses everything arriving at or after f (ρ = r); C2 loses what is sent at or after f. */
export function rho(convention: Convention, path: PathDelays): number {
  if (convention === 'C1') return roundTrip(path);
  if (convention === 'C2') return path.up + (path.processing ?? 0);
  throw new BoundsInputError('rho', `convention must be C1 or C2, got ${JSON.stringify(convention)}`);
}

// ---------------------------------------------------------------------------------------------
// client (ping every I, pong timeout T)

export interface ClientTiming {
  /** I: fixed ping period (F1). */
  interval: number;
  /** T: pong timeout (F5). */
  pongTimeout: number;
  path: PathDelays;
}

export interface ClientBlackHoleParams extends ClientTiming {
  convention: Convention;
  /** N: consecutive misses that declare the peer dead (F12); default 1. */
  missThreshold?: number;
}

function checkClient(name: string, p: ClientTiming): { I: number; T: number; r: number } {
  const I = ms(name, 'interval (I)', p.interval, 1);
  const T = ms(name, 'pongTimeout (T)', p.pongTimeout, 1);
  const path = checkPath(name, p.path);
  const r = roundTrip(path);
  if (r >= T) {
    throw new BoundsInputError(
      name,
      `the client is not healthy (r = ${r} ≥ T = ${T}): every pong is late before any fault`,
      'pongTimeout',
    );
  }
  return { I, T, r };
}

/**
 * Fixed-rate pinger, black-hole both ways (no FIN/RST): the first unanswered ping is the first with
 * t_k ≥ f − ρ, detected at its deadline t_k + T; each further miss up to N adds one period.
 * Δ ∈ [T − ρ, T − ρ + I) + (N−1)·I.
 */
export function clientBlackHole(p: ClientBlackHoleParams): Bound {
  const name = `client black-hole ${p.convention}`;
  const { I, T } = checkClient(name, p);
  const N = ms(name, 'missThreshold (N)', p.missThreshold ?? 1, 1);
  const rh = rho(p.convention, p.path);
  const extra = (N - 1) * I;
  const formula = N === 1 ? '[T − ρ, T − ρ + I)' : '[T − ρ, T − ρ + I) + (N−1)·I';
  return halfOpen(
    `${name} (T=${T}, ρ=${rh}, I=${I}${N === 1 ? '' : `, N=${N}`})`,
    formula,
    T - rh + extra,
    T - rh + I + extra,
  );
}

/**
 * Pong-driven pinger (next ping I after the pong): the cycle is I + r, so the first unanswered ping
 * can start up to I + r after f − ρ. Δ ∈ [T − ρ, T − ρ + I + r). N = 1 only: how a pong-driven
 * pinger schedules after a miss is implementation-specific.
 */
export function clientBlackHolePongDriven(p: ClientTiming & { convention: Convention }): Bound {
  const name = `client black-hole pong-driven ${p.convention}`;
  const { I, T, r } = checkClient(name, p);
  const rh = rho(p.convention, p.path);
  return halfOpen(
    `${name} (T=${T}, ρ=${rh}, I=${I}, r=${r})`,
    '[T − ρ, T − ρ + I + r)',
    T - rh,
    T - rh + I + r,
  );
}

export interface CloseDeliveryParams {
  /** d: ms from the fault onset until the RST/FIN reaches this side. */
  delivery: number;
  /** ε: slack for processing (0 on the simulator; the stated tolerance on a real network). */
  epsilon?: number;
}

function delivered(name: string, p: CloseDeliveryParams): Bound {
  const d = ms(name, 'delivery (d)', p.delivery);
  const e = ms(name, 'epsilon (ε)', p.epsilon ?? 0);
  return { min: d, max: d + e, why: `${name}: [d, d + ε] = [${d}, ${d + e}]` };
}

/** RST reaches the client: Δ ≈ its delivery time, independent of I and T ('error' ECONNRESET). */
export function clientReset(p: CloseDeliveryParams): Bound {
  return delivered('client RST delivery', p);
}

export interface ClientFinParams extends CloseDeliveryParams {
  /** Does the client treat 'end'/'close' as death (F15)? */
  finIsDeath: boolean;
  /** Needed when finIsDeath is false: the fallback is the black-hole bound or the next write's error. */
  timing?: ClientBlackHoleParams;
}

/**
 * FIN reaches the client: its delivery time if 'end'/'close' counts as death (F15). Otherwise the
 * earlier of the black-hole bound and an error on the next write: the next ping leaves within I of
 * the FIN and the peer's RST answering it is back within r, so the envelope is
 * [d, max(black-hole max, d + I + r + ε)].
 */
export function clientFin(p: ClientFinParams): Bound {
  if (p.finIsDeath) return delivered('client FIN delivery', p);
  const name = 'client FIN (not handled)';
  if (!p.timing) {
    throw new BoundsInputError(name, 'timing is required when finIsDeath is false', 'timing');
  }
  const d = ms(name, 'delivery (d)', p.delivery);
  const e = ms(name, 'epsilon (ε)', p.epsilon ?? 0);
  const bh = clientBlackHole(p.timing);
  const r = roundTrip(p.timing.path);
  const writeError = d + p.timing.interval + r + e;
  const max = Math.max(bh.max, writeError);
  return {
    min: d,
    max,
    why: `${name}: [d, max(black-hole max, d + I + r + ε)] = [${d}, max(${bh.max}, ${writeError})] = [${d}, ${max}]; ${bh.why}`,
  };
}

export interface LatencyVerdict {
  /** A false positive happens for sure (steady added latency alone crosses the timeout). */
  certain: boolean;
  /** A false positive can happen (with the worst-case jitter). */
  possible: boolean;
  why: string;
}

export interface ClientLatencyParams {
  path: PathDelays;
  pongTimeout: number;
  /** L: added latency on the round trip. */
  latency: number;
  /** Max extra delay per leg (±J). A Toxiproxy latency toxic with jitter j adds at most j − 1. */
  jitterUp?: number;
  jitterDown?: number;
}

/** Client false positive iff r + L ≥ T (tie rule); possible with jitter iff r + L + J_u + J_d ≥ T. */
export function clientLatencyFalsePositive(p: ClientLatencyParams): LatencyVerdict {
  const name = 'client latency false positive';
  const path = checkPath(name, p.path);
  const T = ms(name, 'pongTimeout (T)', p.pongTimeout, 1);
  const L = ms(name, 'latency (L)', p.latency);
  const Ju = ms(name, 'jitterUp (J_u)', p.jitterUp ?? 0);
  const Jd = ms(name, 'jitterDown (J_d)', p.jitterDown ?? 0);
  const r = roundTrip(path);
  const certain = r + L >= T;
  const possible = r + L + Ju + Jd >= T;
  return {
    certain,
    possible,
    why: `${name}: r + L ≥ T ⇔ ${r} + ${L} ≥ ${T} is ${certain}; with jitter r + L + J_u + J_d = ${r + L + Ju + Jd} ≥ ${T} is ${possible}`,
  };
}

/** A healthy client never sees a late pong with no fault, even with worst-case jitter: r + J_u + J_d < T. */
export function clientHealthy(p: Omit<ClientLatencyParams, 'latency'>): { healthy: boolean; why: string } {
  const name = 'client healthy';
  const path = checkPath(name, p.path);
  const T = ms(name, 'pongTimeout (T)', p.pongTimeout, 1);
  const J = ms(name, 'jitterUp (J_u)', p.jitterUp ?? 0) + ms(name, 'jitterDown (J_d)', p.jitterDown ?? 0);
  const r = roundTrip(path);
  const healthy = r + J < T;
  return { healthy, why: `${name}: r + J_u + J_d = ${r + J} < T = ${T}: ${healthy}` };
}

/**
 * Client latency tolerance T − r: the added round-trip latency L it absorbs without a false positive
 * (with worst-case jitter) is [0, T − r − J_u − J_d) ms.
 */
export function clientLatencyTolerance(p: Omit<ClientLatencyParams, 'latency'>): Bound {
  const name = 'client latency tolerance';
  const path = checkPath(name, p.path);
  const T = ms(name, 'pongTimeout (T)', p.pongTimeout, 1);
  const Ju = ms(name, 'jitterUp (J_u)', p.jitterUp ?? 0);
  const Jd = ms(name, 'jitterDown (J_d)', p.jitterDown ?? 0);
  const r = roundTrip(path);
  const top = T - r - Ju - Jd;
  if (top <= 0) throw new BoundsInputError(name, `no tolerance left: T − r − J_u − J_d = ${top} ≤ 0`);
  return halfOpen(`${name} (T=${T}, r=${r}, J=${Ju}+${Jd})`, 'L ∈ [0, T − r − J_u − J_d)', 0, top);
}

// ---------------------------------------------------------------------------------------------
// server (read deadline R re-armed by every received byte; client pings every I)

export interface ServerTiming {
  /** I: the client's ping period. */
  interval: number;
  /** R: server read deadline (F4). */
  readDeadline: number;
}

export interface ServerHealth {
  healthy: boolean;
  /** Worst gap between accept and the first ping's arrival: I + d_u + J. */
  firstGap: number;
  /** Worst gap between consecutive arrivals: I + 2J. */
  steadyGap: number;
  why: string;
}

/**
 * Healthy server: the first gap after accept is I + d_u, later gaps I; with per-arrival jitter ±J a
 * gap stretches by up to 2J (one early, one late) and the first by J. Both must stay below R.
 */
export function serverHealthy(p: ServerTiming & { up: number; jitter?: number }): ServerHealth {
  const name = 'server healthy';
  const I = ms(name, 'interval (I)', p.interval, 1);
  const R = ms(name, 'readDeadline (R)', p.readDeadline, 1);
  const du = ms(name, 'up (d_u)', p.up);
  const J = ms(name, 'jitter (J)', p.jitter ?? 0);
  const firstGap = I + du + J;
  const steadyGap = I + 2 * J;
  const healthy = firstGap < R && steadyGap < R;
  return {
    healthy,
    firstGap,
    steadyGap,
    why: `${name}: I + d_u + J = ${firstGap} < R = ${R} and I + 2J = ${steadyGap} < R: ${healthy}`,
  };
}

export interface ServerBlackHoleParams extends ServerTiming {
  convention: Convention;
  /** d_u: one-way client→server delay (matters under C2). */
  up: number;
  /** G: the largest gap between bytes the server receives; default I (pings only). */
  gap?: number;
}

/**
 * Server black-hole: the deadline fires R after the last byte that got through. C1: that byte
 * arrived in [f − G, f), so Δ ∈ [R − G, R). C2: it was sent in [f − G, f) and arrived d_u later, so
 * Δ ∈ [R − G + d_u, R + d_u).
 */
export function serverBlackHole(p: ServerBlackHoleParams): Bound {
  const name = `server black-hole ${p.convention}`;
  const I = ms(name, 'interval (I)', p.interval, 1);
  const R = ms(name, 'readDeadline (R)', p.readDeadline, 1);
  const du = ms(name, 'up (d_u)', p.up);
  const G = ms(name, 'gap (G)', p.gap ?? I, 1);
  if (G >= R) {
    throw new BoundsInputError(name, `the server is not healthy: gap ${G} ≥ R = ${R}`, 'readDeadline');
  }
  const g = p.gap === undefined ? 'I' : 'G';
  if (p.convention === 'C1') {
    return halfOpen(`${name} (R=${R}, ${g}=${G})`, `[R − ${g}, R)`, R - G, R);
  }
  if (p.convention === 'C2') {
    return halfOpen(
      `${name} (R=${R}, ${g}=${G}, d_u=${du})`,
      `[R − ${g} + d_u, R + d_u)`,
      R - G + du,
      R + du,
    );
  }
  throw new BoundsInputError(name, `convention must be C1 or C2, got ${JSON.stringify(p.convention)}`);
}

/** RST reaches the server and is handled: Δ ≈ its delivery time. */
export function serverReset(p: CloseDeliveryParams): Bound {
  return delivered('server RST delivery', p);
}

export interface ServerFinParams extends CloseDeliveryParams, ServerTiming {
  /** Does the server treat 'end' as death? If not, its read deadline fires R after the last byte. */
  handled: boolean;
  up: number;
}

/**
 * FIN reaches the server: its delivery time if handled. Unhandled, the deadline fires R after the
 * last ping, sent at most I before (or exactly at) the close and arriving d_u later:
 * Δ ∈ [R − I + d_u, R + d_u].
 */
export function serverFin(p: ServerFinParams): Bound {
  if (p.handled) return delivered('server FIN delivery', p);
  const name = 'server FIN (not handled)';
  const I = ms(name, 'interval (I)', p.interval, 1);
  const R = ms(name, 'readDeadline (R)', p.readDeadline, 1);
  const du = ms(name, 'up (d_u)', p.up);
  return closed(`${name} (R=${R}, I=${I}, d_u=${du})`, '[R − I + d_u, R + d_u]', R - I + du, R + du);
}

export interface ServerLatencyParams extends ServerTiming {
  /** L: added client→server latency. Server→client latency has no effect on the server. */
  latency: number;
  /** Max extra delay per arrival (±J); a gap can stretch by 2J. */
  jitter?: number;
}

/**
 * Server false positive when latency L is added client→server at some instant: the gap between the
 * last undelayed and the first delayed ping is I + L. Under the tie rule it times out iff I + L ≥ R
 * (BOUNDS.md's table writes >; equality is a timeout by its own tie rule). Possible with jitter iff
 * I + L + 2J ≥ R.
 */
export function serverLatencyFalsePositive(p: ServerLatencyParams): LatencyVerdict {
  const name = 'server latency false positive';
  const I = ms(name, 'interval (I)', p.interval, 1);
  const R = ms(name, 'readDeadline (R)', p.readDeadline, 1);
  const L = ms(name, 'latency (L)', p.latency);
  const J = ms(name, 'jitter (J)', p.jitter ?? 0);
  const certain = I + L >= R;
  const possible = I + L + 2 * J >= R;
  return {
    certain,
    possible,
    why: `${name}: I + L ≥ R ⇔ ${I} + ${L} ≥ ${R} is ${certain}; with jitter I + L + 2J = ${I + L + 2 * J} ≥ ${R} is ${possible}`,
  };
}

/** Server latency tolerance R − I: added client→server latency L ∈ [0, R − I − 2J) is absorbed. */
export function serverLatencyTolerance(p: ServerTiming & { jitter?: number }): Bound {
  const name = 'server latency tolerance';
  const I = ms(name, 'interval (I)', p.interval, 1);
  const R = ms(name, 'readDeadline (R)', p.readDeadline, 1);
  const J = ms(name, 'jitter (J)', p.jitter ?? 0);
  const top = R - I - 2 * J;
  if (top <= 0) throw new BoundsInputError(name, `no tolerance left: R − I − 2J = ${top} ≤ 0`);
  return halfOpen(`${name} (R=${R}, I=${I}, J=${J})`, 'L ∈ [0, R − I − 2J)', 0, top);
}

// ---------------------------------------------------------------------------------------------
// Toxiproxy specifics

export type TimeoutToxicDetector = 'heartbeat' | 'toxic' | 'either';

export interface TimeoutToxicParams {
  /** The toxic's `timeout` attribute; 0 never closes. */
  timeout: number;
  /** Largest gap between chunks arriving at the toxic in its direction (e.g. I for pings upstream). */
  gap: number;
  /** The heartbeat's own bound for this black-hole (clientBlackHole / serverBlackHole). */
  heartbeat: Bound;
  /** ms from the toxic's close until the FIN reaches the detecting side. */
  finDelivery?: number;
}

/**
 * A `timeout` toxic drops everything and closes only after `timeout` ms with no chunk in its
 * direction; each dropped chunk restarts it. With timeout 0 or a heartbeat gap below the timeout,
 * the toxic never closes: the heartbeat is what detects. Otherwise the toxic closes within
 * [timeout, 2·timeout) of onset (a chunk just before the first expiry restarts it once; the next
 * chunk is ≥ timeout later), and detection is the earlier of that FIN and the heartbeat.
 */
export function timeoutToxicDetection(p: TimeoutToxicParams): Bound & { detector: TimeoutToxicDetector } {
  const name = 'timeout toxic';
  const t = ms(name, 'timeout', p.timeout);
  const G = ms(name, 'gap', p.gap, 1);
  const d = ms(name, 'finDelivery', p.finDelivery ?? 0);
  if (t === 0 || G < t) {
    const because = t === 0 ? 'timeout 0 never closes' : `a chunk every ${G} < ${t} ms keeps restarting it`;
    return {
      ...p.heartbeat,
      detector: 'heartbeat',
      why: `${name}: ${because}; the heartbeat detects: ${p.heartbeat.why}`,
    };
  }
  const toxicMin = t + d;
  const toxicMax = 2 * t + d - 1;
  const min = Math.min(toxicMin, p.heartbeat.min);
  const max = Math.min(toxicMax, p.heartbeat.max);
  const detector: TimeoutToxicDetector =
    toxicMax < p.heartbeat.min ? 'toxic' : p.heartbeat.max < toxicMin ? 'heartbeat' : 'either';
  return {
    min,
    max,
    detector,
    why: `${name}: closes at [timeout, 2·timeout) + d = [${toxicMin}, ${toxicMax + 1}); earlier of that and the heartbeat [${p.heartbeat.min}, ${p.heartbeat.max}] = [${min}, ${max}] (${detector})`,
  };
}

/**
 * Removing a `timeout` toxic closes every connection it was on: the heal of a black-hole through
 * Toxiproxy is itself a FIN, so Δ from the heal h is the FIN's delivery time [d, d + ε].
 */
export function timeoutToxicRemoval(p: CloseDeliveryParams): Bound {
  const b = delivered('timeout toxic removal (FIN at heal)', p);
  return { ...b, why: `${b.why}, counted from the heal h` };
}

// ---------------------------------------------------------------------------------------------
// reconnect (BOUNDS.md "Reconnect convergence after the fault heals at h")

export type BackoffVariant = 'seed' | 'grpc' | 'full' | 'equal' | 'decorrelated';

/** Normalised backoff settings (ms), the same shape the scenario schema produces. */
export interface BackoffPolicy {
  policy: BackoffVariant;
  /** b */
  base: number;
  /** c */
  cap: number;
  /** m (decorrelated: the growth factor on the previous wait, 3 in BOUNDS.md). */
  multiplier: number;
  /** seed: J ms added uniformly; grpc: the fraction j (±j); other variants: unused (0). */
  jitter: number;
}

function checkPolicy(name: string, p: BackoffPolicy): BackoffPolicy {
  const variants: BackoffVariant[] = ['seed', 'grpc', 'full', 'equal', 'decorrelated'];
  if (!variants.includes(p.policy)) {
    throw new BoundsInputError(
      name,
      `policy must be one of ${variants.join(', ')}, got ${JSON.stringify(p.policy)}`,
    );
  }
  const base = real(name, 'base (b)', p.base, Number.MIN_VALUE);
  const cap = real(name, 'cap (c)', p.cap, base);
  const multiplier = real(name, 'multiplier (m)', p.multiplier, 1);
  const jitter =
    p.policy === 'grpc'
      ? real(name, 'jitter (j)', p.jitter, 0, 1)
      : real(name, 'jitter (J)', p.jitter ?? 0, 0);
  return { policy: p.policy, base, cap, multiplier, jitter };
}

/** β_n = min(c, b·mⁿ), n = 0 for the first wait. */
export function nominalWait(policy: BackoffPolicy, n: number): number {
  return snap(Math.min(policy.cap, policy.base * policy.multiplier ** n));
}

function waitRange(p: BackoffPolicy, n: number, prevWait?: number): [number, number, string] {
  const b = p.base;
  const c = p.cap;
  const beta = nominalWait(p, n);
  switch (p.policy) {
    case 'seed':
      return [beta, beta + p.jitter, `[β_n, β_n + J], β_${n} = ${fmt(beta)}, J = ${fmt(p.jitter)}`];
    case 'grpc':
      return [
        beta * (1 - p.jitter),
        beta * (1 + p.jitter),
        `[β_n(1−j), β_n(1+j)], β_${n} = ${fmt(beta)}, j = ${fmt(p.jitter)}`,
      ];
    case 'full':
      return [0, beta, `[0, β_n], β_${n} = ${fmt(beta)}`];
    case 'equal':
      return [beta / 2, beta, `[β_n/2, β_n], β_${n} = ${fmt(beta)}`];
    case 'decorrelated': {
      // w_{−1} = b; without the previous wait, the envelope over every possible history.
      const top =
        prevWait === undefined
          ? Math.min(c, b * p.multiplier ** (n + 1))
          : Math.min(c, p.multiplier * prevWait);
      const f =
        prevWait === undefined
          ? `[b, min(c, b·m^(n+1))] (envelope), m = ${fmt(p.multiplier)}`
          : `[b, min(c, m·w_{n−1})], w_{n−1} = ${fmt(prevWait)}, m = ${fmt(p.multiplier)}`;
      return [b, Math.max(b, top), f];
    }
  }
}

/**
 * The n-th reconnect wait w_n (n = 0 first) for a backoff variant. For `decorrelated`, pass the
 * previous wait to get [b, min(c, 3·w_{n−1})]; without it the envelope [b, min(c, b·3^(n+1))].
 */
export function backoffWait(policy: BackoffPolicy, n: number, prevWait?: number): Bound {
  const name = `backoff wait ${policy.policy}`;
  const p = checkPolicy(name, policy);
  ms(name, 'n', n);
  if (prevWait !== undefined) real(name, 'prevWait', prevWait, 0);
  const [lo, hi, f] = waitRange(p, n, prevWait);
  return closed(`${name} w_${n}`, f, lo, hi);
}

/** The wait once the cap is reached; its max is W_cap (seed c + J, grpc c(1+j), others c). */
export function cappedWait(policy: BackoffPolicy): Bound {
  const name = `backoff wait at cap ${policy.policy}`;
  const p = checkPolicy(name, policy);
  const c = p.cap;
  const [lo, hi, f]: [number, number, string] =
    p.policy === 'seed'
      ? [c, c + p.jitter, 'W ∈ [c, c + J]']
      : p.policy === 'grpc'
        ? [c * (1 - p.jitter), c * (1 + p.jitter), 'W ∈ [c(1−j), c(1+j)]']
        : p.policy === 'full'
          ? [0, c, 'W ∈ [0, c]']
          : p.policy === 'equal'
            ? [c / 2, c, 'W ∈ [c/2, c]']
            : [p.base, c, 'W ∈ [b, c]'];
  return closed(`${name} (W_cap = ${fmt(hi)})`, f, lo, hi);
}

/** W_cap: the worst single wait of a variant. */
export function worstWait(policy: BackoffPolicy): number {
  return cappedWait(policy).max;
}

export interface ConvergenceParams {
  backoff: BackoffPolicy;
  /** A_max: the longest failed attempt (≈ RTT when refused/reset; the connect timeout when black-holed). */
  attemptMax: number;
  /** H: successful handshake plus whatever counts as healthy again (first pong). */
  handshake: number;
}

/**
 * Sequential reconnect (wait, then try), the client already in its reconnect loop at the heal h:
 * Δ ∈ [H, A_max + W_cap + H]. BOUNDS.md writes < for the max; it is kept inclusive here because an
 * attempt that starts at the heal instant may still fail (tie order), which reaches equality.
 */
export function reconnectConvergence(p: ConvergenceParams): Bound {
  const name = `reconnect convergence ${p.backoff.policy}`;
  const A = ms(name, 'attemptMax (A_max)', p.attemptMax);
  const H = ms(name, 'handshake (H)', p.handshake);
  const W = worstWait(p.backoff);
  return closed(`${name} (A_max=${A}, W_cap=${W}, H=${H})`, '[H, A_max + W_cap + H]', H, A + W + H);
}

/**
 * End-to-end unavailability seen by the application when the fault kills the connection:
 * Δ + remaining outage + convergence. While detection comes before the heal that is U + convergence;
 * a detection after the heal starts the reconnect loop late, hence max(U, Δ_max) for the upper end.
 */
export function unavailability(p: { outage: number; detection: Bound; convergence: Bound }): Bound {
  const name = 'end-to-end unavailability';
  const U = ms(name, 'outage (U)', p.outage);
  const min = U + p.convergence.min;
  const max = Math.max(U, p.detection.max) + p.convergence.max;
  return {
    min,
    max,
    why: `${name}: [U + conv_min, max(U, Δ_max) + conv_max] = [${U} + ${p.convergence.min}, max(${U}, ${p.detection.max}) + ${p.convergence.max}] = [${min}, ${max}]`,
  };
}

/** Waits before β_n reaches the cap: ⌈log_m(c/b)⌉ (computed exactly, not with floating logs). */
export function attemptsBeforeCap(policy: BackoffPolicy): Bound {
  const name = `attempts before cap ${policy.policy}`;
  const p = checkPolicy(name, policy);
  if (p.multiplier === 1 && p.cap > p.base) {
    throw new BoundsInputError(name, 'multiplier 1 never reaches the cap', 'multiplier');
  }
  let n = 0;
  while (snap(p.base * p.multiplier ** n) < p.cap) n++;
  return {
    min: n,
    max: n,
    why: `${name}: ⌈log_m(c/b)⌉ = ⌈log_${fmt(p.multiplier)}(${fmt(p.cap)}/${fmt(p.base)})⌉ = ${n}`,
  };
}

export interface NoHammeringParams {
  backoff: BackoffPolicy;
  /** U: outage length, counted from when the client starts reconnecting. */
  outage: number;
  /** A_min: the shortest failed attempt (≈ one RTT when refused). */
  attemptMin: number;
  /**
   * 'completed' (default): attempts that finish inside U for a wait-then-try client, which is
   * BOUNDS.md's max{n : Σ_{i<n}(A_min + w_min(i)) ≤ U}. 'started': attempts begun by U, one more
   * (the last may be in flight at the heal).
   */
  count?: 'completed' | 'started';
}

/**
 * No hammering: at most max{n : Σ_{i<n}(A_min + w_min(i)) ≤ U} attempts during an outage U, with
 * w_min(i) rounded down to whole ms (the loosest an implementation's rounding can make it).
 */
export function noHammering(p: NoHammeringParams): Bound {
  const name = `no hammering ${p.backoff.policy}`;
  const policy = checkPolicy(name, p.backoff);
  const U = ms(name, 'outage (U)', p.outage);
  const A = ms(name, 'attemptMin (A_min)', p.attemptMin);
  // Widened like every other wait bound: an implementation may round a 0.5 ms wait down to 0.
  const wmin = (i: number) => Math.floor(snap(waitRange(policy, i)[0]));
  let n = 0;
  let sum = 0;
  // Past the cap w_min is constant, so the tail is one division instead of a long loop.
  const capIndex = policy.multiplier > 1 ? attemptsBeforeCap(policy).max : 0;
  for (;;) {
    if (n > capIndex) {
      const step = snap(A + wmin(n));
      if (step <= 0) {
        n = Infinity;
        break;
      }
      n += Math.floor(snap((U - sum) / step) + EPS);
      break;
    }
    const next = snap(sum + A + wmin(n));
    if (next > U) break;
    sum = next;
    n++;
  }
  const started = p.count === 'started';
  const max = started ? n + 1 : n;
  return {
    min: 0,
    max,
    why: `${name} (U=${U}, A_min=${A}): max{n : Σ_{i<n}(A_min + w_min(i)) ≤ U} = ${fmt(n)}${started ? ', +1 started' : ''} → [0, ${fmt(max)}]`,
  };
}

// ---------------------------------------------------------------------------------------------
// QoS of failure detectors (Chen, Toueg & Aguilera 2002): the closed-form bound on T_D. Measuring
// T_D, T_M, T_MR, λ_M and P_A from observations is harness/observe/qos.ts.

/** Heartbeat detector with period η and shift δ: T_D ≤ η + δ. */
export function detectionTimeBound(p: { eta: number; delta: number }): Bound {
  const name = 'detection time T_D';
  const eta = ms(name, 'eta (η)', p.eta);
  const delta = ms(name, 'delta (δ)', p.delta);
  return closed(`${name} (η=${eta}, δ=${delta})`, '[0, η + δ]', 0, eta + delta);
}
