/**
 * How far a time measured through real Toxiproxy may sit from the simulator's and still agree.
 *
 * A real run at time scale s measures scenario time as real time ÷ s, so every real millisecond of
 * noise is 1/s scenario ms (100 ms at ×0.01). The noise, per measured time, in real ms:
 * - the HTTP call that applies or heals a fault (Toxiproxy's API on loopback: ~1 ms idle, 15–60 ms
 *   measured with the machine's 2 cores saturated by other test runs); the runner reads the onset
 *   before the call, so a fault acts late by that much (measured per run, see below);
 * - timer lateness: Node fires a timer ≥ 1 ms late at its 1 ms granularity, more under load, once
 *   per timer in the chain that leads to the measurement (the ping, then the pong timeout);
 * - delivery through Toxiproxy's goroutines and the kernel (~0.1–1 ms per hop);
 * - the first connect after set-up (set-up itself is excluded: see AlignedBackend).
 * Measured on this project's CI-sized machine (2 cores, load average ~10 from concurrent suites):
 * up to 23 real ms between a real and a simulated detection of the same fault. `realMs` = 30 covers
 * that with margin; an idle machine stays under 5.
 *
 * A reconnect is the end of a chain of attempts, each adding its own lateness: a backoff timer
 * (≥ 1 ms late), a connect through Toxiproxy (accept + upstream dial, ~1 ms) and whatever ends the
 * attempt (a Toxiproxy or heartbeat timer, ≥ 1 ms late): ~3 real ms idle, ~6 measured on the loaded
 * machine (reset-peer: 24 attempts in a 30 s outage drifted 3.75 s at ×0.04). `perAttemptRealMs` = 5
 * more per attempt the simulator counted — or, when the run's measured timer lateness is worse,
 * ATTEMPT_HOPS × its p99 event-loop delay (each hop of an attempt is late by about that much). The
 * same drift lets the real run fit fewer attempts into an outage: compare.ts widens the count by it.
 *
 * `relative` covers what grows with the measured time itself: a scale-converted toxic attribute is
 * rounded to a whole real ms (≤ 0.5/s scenario ms per attribute, TOXICS.md integers), and timers
 * whose lateness is proportional to their length under load. 5 % of the simulator's value.
 *
 * Where Toxiproxy is allowed to differ (TOXICS.md: latency jitter is drawn from an unseeded
 * generator), the toxics' jitter is added: one leg's delay is drawn from [L − J, L + J − 1] on each
 * backend independently, so two draws differ by < 2·J per leg: 2·(J_up + J_down) for a round trip.
 *
 * Two parts of that noise are measured on each real run: how long this process's event loop stalled
 * (another process hogging the cores, a GC pause: any timer may have fired that late) and how long
 * the slowest fault onset or heal took (the HTTP call to Toxiproxy; the fault acts somewhere inside
 * it). When their sum exceeds `realMs`, it replaces `realMs` and the row says so. That follows the
 * measured noise of the environment, never the outcome of the comparison.
 */

export interface ParityTolerance {
  /** Real ms per scenario ms of the real run. */
  timeScale: number;
  /** Real ms of slack on every compared time (the base, before a measured stall). */
  realMs: number;
  /** Longest event-loop stall measured during the real run, real ms (0 when not measured). */
  stallMs: number;
  /** Longest fault onset or heal (HTTP call to Toxiproxy) of the real run, real ms. */
  faultCallMs: number;
  /** p99 of this process's event-loop delay during the real run, real ms (typical timer lateness). */
  lagP99Ms: number;
  /** max(realMs, stallMs + faultCallMs) in scenario ms plus any toxic jitter: the absolute slack. */
  absolute: number;
  /** Fraction of the simulator's value added to the slack. */
  relative: number;
  /** Real ms of extra slack per reconnect attempt. */
  perAttemptRealMs: number;
  /** Reconnect attempts may differ by this many (an attempt can cross the heal instant). */
  attempts: number;
  /** Scenario ms of Toxiproxy latency jitter included in `absolute` (TOXICS.md), 0 when none. */
  jitter: number;
}

export interface ToleranceOptions {
  realMs?: number;
  relative?: number;
  perAttemptRealMs?: number;
  attempts?: number;
  /** Scenario ms of slack for latency-toxic jitter: 2·(J_up + J_down) (select.ts toxicJitter). */
  jitter?: number;
  /** Longest event-loop stall measured during the real run, real ms. */
  stallMs?: number;
  /** Longest fault onset or heal of the real run, real ms. */
  faultCallMs?: number;
  /** p99 event-loop delay of the real run, real ms. */
  lagP99Ms?: number;
}

/** Timer or I/O hops in one reconnect attempt: the backoff timer, the connect, what ends it. */
export const ATTEMPT_HOPS = 3;

export const DEFAULT_TOLERANCE = {
  realMs: 30,
  relative: 0.05,
  perAttemptRealMs: 5,
  attempts: 1,
} as const;

export class ParityToleranceError extends RangeError {
  constructor(message: string) {
    super(`parity tolerance: ${message}`);
    this.name = 'ParityToleranceError';
  }
}

function check(name: string, value: number, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    const range = Number.isFinite(max) ? `in [0, ${max}]` : '≥ 0';
    throw new ParityToleranceError(`${name} must be a finite number ${range}, got ${String(value)}`);
  }
  return value;
}

/** The tolerance of a comparison whose real run used `timeScale`. */
export function parityTolerance(timeScale: number, options: ToleranceOptions = {}): ParityTolerance {
  if (typeof timeScale !== 'number' || !Number.isFinite(timeScale) || timeScale <= 0 || timeScale > 1) {
    throw new ParityToleranceError(`timeScale must be in (0, 1], got ${String(timeScale)}`);
  }
  const realMs = check('realMs', options.realMs ?? DEFAULT_TOLERANCE.realMs);
  const jitter = check('jitter', options.jitter ?? 0);
  const stallMs = Math.ceil(check('stallMs', options.stallMs ?? 0));
  const faultCallMs = Math.ceil(check('faultCallMs', options.faultCallMs ?? 0));
  const lagP99Ms = Math.ceil(check('lagP99Ms', options.lagP99Ms ?? 0));
  return {
    timeScale,
    realMs,
    stallMs,
    faultCallMs,
    lagP99Ms,
    absolute: Math.round(effectiveRealMs({ realMs, stallMs, faultCallMs }) / timeScale) + jitter,
    relative: check('relative', options.relative ?? DEFAULT_TOLERANCE.relative, 1),
    perAttemptRealMs: check(
      'perAttemptRealMs',
      options.perAttemptRealMs ?? DEFAULT_TOLERANCE.perAttemptRealMs,
    ),
    attempts: Math.round(check('attempts', options.attempts ?? DEFAULT_TOLERANCE.attempts)),
    jitter,
  };
}

/** The real ms of slack: the base, or the measured noise when that is larger. */
export function effectiveRealMs(t: Pick<ParityTolerance, 'realMs' | 'stallMs' | 'faultCallMs'>): number {
  return Math.max(t.realMs, t.stallMs + t.faultCallMs);
}

/** Real ms one reconnect attempt may drift: the base, or the measured timer lateness per hop. */
export function perAttemptMs(t: Pick<ParityTolerance, 'perAttemptRealMs' | 'lagP99Ms'>): number {
  return Math.max(t.perAttemptRealMs, ATTEMPT_HOPS * t.lagP99Ms);
}

/** Allowed |real − sim| for a time whose simulator value is `sim`, after `attempts` reconnect attempts. */
export function slack(t: ParityTolerance, sim: number, attempts = 0): number {
  return t.absolute + t.relative * Math.abs(sim) + (attempts * perAttemptMs(t)) / t.timeScale;
}

const fmtScale = (s: number): string => `×${Number(s.toPrecision(3))}`;
const ms = (x: number): string => `${Math.round(x)} ms`;

/** "±3000 ms (30 real ms at ×0.01) + 5%", with the per-attempt and jitter terms when they apply. */
export function describeSlack(t: ParityTolerance, attempts = 0): string {
  const real = effectiveRealMs(t);
  const measured =
    real > t.realMs ? `: measured event-loop stall ${t.stallMs} + Toxiproxy call ${t.faultCallMs}` : '';
  const parts = [`±${ms(real / t.timeScale)} (${real} real ms at ${fmtScale(t.timeScale)}${measured})`];
  if (t.jitter > 0) parts.push(`${ms(t.jitter)} toxic jitter`);
  if (t.relative > 0) parts.push(`${Number((t.relative * 100).toPrecision(3))}%`);
  if (attempts > 0 && perAttemptMs(t) > 0) {
    const measured =
      perAttemptMs(t) > t.perAttemptRealMs
        ? ` (${ATTEMPT_HOPS} hops × p99 event-loop delay ${t.lagP99Ms} ms)`
        : '';
    parts.push(`${attempts} attempt(s) × ${ms(perAttemptMs(t) / t.timeScale)}${measured}`);
  }
  return parts.join(' + ');
}

/** One line stating the whole tolerance, for reports and test output. */
export function describeTolerance(t: ParityTolerance): string {
  return [
    `times agree within ${describeSlack(t)} of the simulator's value`,
    `reconnects ${ms(perAttemptMs(t) / t.timeScale)} more per attempt`,
    `attempts within ±${t.attempts}`,
    'detected, reason, false-detection counts and verdicts exactly',
  ].join('; ');
}
