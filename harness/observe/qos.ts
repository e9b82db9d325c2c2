/**
 * The quality-of-service metrics of a failure detector (Chen, Toueg & Aguilera 2002; BOUNDS.md
 * "Quality-of-service metrics"), computed in one place for everything that quotes them: run
 * reports (reports/html/run.ts through `runQos`) and sweep cells (harness/sweep/qos.ts through
 * `qosMetrics` over the cell's runs). The closed-form bound T_D ≤ η + δ is in bounds.ts with the
 * other bounds; this module only measures.
 *
 * Input: what one or more detectors were seen doing during an observation window [from, to]:
 * crashes (with when each was detected, if it was) and mistakes (wrong suspicions, with when trust
 * came back, if it did). `detectors` detectors watched the whole window (in a run: one per client,
 * so the observed time is in connection-hours, as sweeps count it). All times are ms.
 *
 * Notation: W = exposure = Σ detectors × (to − from) over the observations; n = number of mistakes.
 *
 * - T_D = detectedAt − at, per crash that was detected. A crash never detected gives no T_D and is
 *   counted in `undetected` instead (T_D = ∞ for it; a mean would hide it).
 * - T_M = (restoredAt, or the window's end if trust was not back by then) − at, counting only the
 *   part inside the window: a mistake still open at the end of the window is cut there (censored),
 *   so E(T_M) = ΣT_M / n is a lower estimate when mistakes are left open.
 * - T_MR: `gaps` are the observed times between consecutive mistake starts within ONE observation
 *   (sorted by start; never across two runs), kept for distributions (a sweep cell's T_MR median).
 *   The expectation is NOT their mean: E(T_MR) = W / n. Why: the mean gap needs two mistakes (one
 *   mistake gave λ_M and P_A = NaN before), ignores the mistake-free time before the first mistake
 *   and after the last one (two mistakes 1 s apart in a quiet hour would claim 3600 mistakes per
 *   hour), and cannot be pooled over runs. n / W is the standard rate estimate (the maximum
 *   likelihood rate of a Poisson process watched for W), finite for every n ≥ 1 and additive.
 * - λ_M = 1 / E(T_MR) = n / W (per ms; `mistakesPerHour` per hour of detector time, i.e. per
 *   connection-hour for one detector per client).
 * - P_A = 1 − E(T_M) / E(T_MR) = 1 − (ΣT_M / n) / (W / n) = 1 − ΣT_M / W: BOUNDS.md's formula
 *   with the estimators above is exactly the fraction of observed time the detector was right.
 *   Clamped at 0 (mistakes of one detector that overlap are each charged in full).
 *
 * Edge cases, the same everywhere:
 * - 0 mistakes: λ_M = 0, P_A = 1, E(T_M) and E(T_MR) undefined (nothing to average; E(T_MR) is
 *   only known to exceed W), no gaps.
 * - 1 mistake: E(T_MR) = W, λ_M = 1 / W, P_A = 1 − T_M / W, all finite; no gaps.
 * - n ≥ 2 mistakes: E(T_MR) = W / n, λ_M = n / W, P_A = 1 − ΣT_M / W; n − 1 gaps per observation.
 * - several observations (the runs of a sweep cell) are pooled: W, n and ΣT_M are sums, which is the
 *   same as one observation over the runs' windows laid end to end (each run's open mistakes cut at
 *   its own end). So a sweep cell of one run quotes exactly what that run's report quotes.
 * - mistakes seen in an empty window (W = 0) are an input error; W = 0 without mistakes gives
 *   λ_M = 0 and P_A = 1.
 */
import type { ConnectionLane, ScenarioResult } from '../result.ts';

const HOUR = 3_600_000;

export interface CrashObservation {
  /** When the monitored process crashed (or the path died for good). */
  at: number;
  /** When the detector started suspecting it permanently; undefined if it never did. */
  detectedAt?: number;
}

export interface MistakeObservation {
  /** A wrong suspicion began (a false detection). */
  at: number;
  /** Trust restored (healthy again); undefined if still suspected at the end of the observation. */
  restoredAt?: number;
}

export interface ObservationWindow {
  from: number;
  to: number;
}

/** What some detectors were seen doing over one window (one run). */
export interface QosObservation {
  window: ObservationWindow;
  /** Detectors that watched the whole window (in a run: its clients); default 1. */
  detectors?: number;
  crashes?: readonly CrashObservation[];
  mistakes?: readonly MistakeObservation[];
}

export interface QosMetrics {
  /** T_D values (ms) in input order, their mean and max; `undetected` crashes never got one. */
  detection: { values: number[]; mean?: number; max?: number; undetected: number };
  /** n: wrong suspicions observed. */
  mistakes: number;
  /** W: detector time observed, ms (Σ detectors × window length). */
  exposure: number;
  /** T_M per mistake (ms; by start within each observation), ΣT_M, and E(T_M) = ΣT_M / n. */
  mistakeDuration: { values: number[]; total: number; mean?: number };
  /** Observed gaps between consecutive mistakes of one observation, and E(T_MR) = W / n. */
  mistakeRecurrence: { gaps: number[]; mean?: number };
  /** λ_M = n / W, per ms. */
  mistakeRate: number;
  /** λ_M per hour of detector time (per connection-hour with one detector per client). */
  mistakesPerHour: number;
  /** P_A = 1 − ΣT_M / W. */
  queryAccuracy: number;
  /** The numbers behind the metrics, for reports. */
  why: string;
}

function bad(message: string): never {
  throw new RangeError(`QoS: ${message}`);
}

function windowLength(w: ObservationWindow): number {
  if (!Number.isFinite(w.from) || !Number.isFinite(w.to) || w.to < w.from) {
    bad(`observation window [${w.from}, ${w.to}] is not a finite interval`);
  }
  return w.to - w.from;
}

function byStart(mistakes: readonly MistakeObservation[]): MistakeObservation[] {
  return [...mistakes].sort((a, b) => a.at - b.at);
}

/** T_D per crash that was detected: detectedAt − at (input order). */
export function detectionTimes(crashes: readonly CrashObservation[]): number[] {
  return crashes.flatMap((c) => (c.detectedAt === undefined ? [] : [c.detectedAt - c.at]));
}

/** Observed T_MR gaps: time between consecutive wrong suspicions (starts, sorted) of one observation. */
export function mistakeRecurrenceTimes(mistakes: readonly MistakeObservation[]): number[] {
  const s = byStart(mistakes);
  return s.slice(1).map((m, i) => m.at - s[i]!.at);
}

/** T_M per mistake (sorted by start): the part of [at, restoredAt) inside the window (open: to its end). */
export function mistakeDurations(
  mistakes: readonly MistakeObservation[],
  window: ObservationWindow,
): number[] {
  windowLength(window);
  return byStart(mistakes).map((m) => {
    if (m.restoredAt !== undefined && m.restoredAt < m.at) {
      bad(`mistake at ${m.at} restored before it began (${m.restoredAt})`);
    }
    const start = Math.max(m.at, window.from);
    const end = Math.min(m.restoredAt ?? window.to, window.to);
    return Math.max(0, end - start);
  });
}

function mean(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((a, b) => a + b, 0) / values.length;
}

function show(x: number | undefined): string {
  if (x === undefined) return 'n/a';
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000);
}

/**
 * All five metrics for one observation, or pooled over several (a sweep cell's runs): see the
 * header for the estimators and the edge cases.
 */
export function qosMetrics(observations: QosObservation | readonly QosObservation[]): QosMetrics {
  const list: readonly QosObservation[] = Array.isArray(observations)
    ? observations
    : [observations as QosObservation];
  const td: number[] = [];
  const tm: number[] = [];
  const gaps: number[] = [];
  let undetected = 0;
  let n = 0;
  let exposure = 0;
  for (const o of list) {
    const detectors = o.detectors ?? 1;
    if (!Number.isFinite(detectors) || detectors <= 0) bad(`detectors must be positive (got ${detectors})`);
    exposure += detectors * windowLength(o.window);
    const crashes = o.crashes ?? [];
    const t = detectionTimes(crashes);
    for (const x of t) td.push(x);
    undetected += crashes.length - t.length;
    const mistakes = o.mistakes ?? [];
    n += mistakes.length;
    for (const x of mistakeDurations(mistakes, o.window)) tm.push(x);
    for (const x of mistakeRecurrenceTimes(mistakes)) gaps.push(x);
  }
  if (n > 0 && exposure === 0) bad(`${n} mistake(s) in an empty observation window`);
  const total = tm.reduce((a, b) => a + b, 0);
  const out: QosMetrics = {
    detection: { values: td, undetected },
    mistakes: n,
    exposure,
    mistakeDuration: { values: tm, total },
    mistakeRecurrence: { gaps },
    mistakeRate: n === 0 ? 0 : n / exposure,
    mistakesPerHour: n === 0 ? 0 : (n * HOUR) / exposure,
    queryAccuracy: exposure === 0 ? 1 : Math.max(0, 1 - total / exposure),
    why: '',
  };
  if (td.length > 0) {
    out.detection.mean = mean(td)!;
    out.detection.max = td.reduce((a, b) => Math.max(a, b));
  }
  if (n > 0) {
    out.mistakeDuration.mean = total / n;
    out.mistakeRecurrence.mean = exposure / n;
  }
  const undetectedText = undetected ? `, ${undetected} undetected` : '';
  out.why =
    `QoS over W = ${show(exposure)} ms: E(T_D) = ${show(out.detection.mean)} ms over ${td.length} ` +
    `detected crash(es)${undetectedText}; ${n} mistake(s); ` +
    `E(T_MR) = W/n = ${show(out.mistakeRecurrence.mean)} ms; λ_M = n/W = ${show(out.mistakesPerHour)}/h; ` +
    `E(T_M) = ${show(out.mistakeDuration.mean)} ms; P_A = 1 − ΣT_M/W = ${out.queryAccuracy.toFixed(6)}`;
  return out;
}

// ---------------------------------------------------------------------------------------------
// From a ScenarioResult

function connectedAt(lane: ConnectionLane): number | undefined {
  return lane.events.find((e) => e.kind === 'connect')?.t;
}

/**
 * The mistakes of one run. A mistake is a false detection (either side ended a connection while the
 * peer was alive). Trust is restored when the same client has a connection again: the first of its
 * connections opened at or after the mistake that got established. A server-side mistake is charged
 * to the client whose connection closed first at or after it (the one that heard the close), and
 * that client's next connection is looked for from that close on. No such connection: still open
 * at the end of the run.
 */
export function mistakesOf(result: ScenarioResult): MistakeObservation[] {
  const lanes = result.lanes;
  const nextConnection = (client: string, after: number): number | undefined => {
    const next = lanes
      .filter((l) => l.client === client && l.opened >= after && connectedAt(l) !== undefined)
      .map((l) => connectedAt(l)!);
    return next.length ? Math.min(...next) : undefined;
  };
  return result.falseDetections.map((m) => {
    let client: string | undefined;
    let from = m.at;
    const own = lanes.find((l) => l.conn === m.conn);
    if (own) client = own.client;
    else {
      const heard = lanes
        .filter((l) => l.closed !== undefined && l.closed >= m.at && (connectedAt(l) ?? Infinity) <= m.at)
        .sort((a, b) => a.closed! - b.closed!)[0];
      if (heard) {
        client = heard.client;
        from = heard.closed!;
      }
    }
    const restoredAt = client === undefined ? undefined : nextConnection(client, from);
    return restoredAt === undefined ? { at: m.at } : { at: m.at, restoredAt };
  });
}

/**
 * One run as an observation: its mistakes over [0, duration], one detector per client. `clients`
 * is the scenario's client count when the caller knows it (a sweep does); a report, which has only
 * the result, counts the distinct clients of its lanes (at least 1).
 */
export function runObservation(result: ScenarioResult, clients?: number): QosObservation {
  const detectors = clients ?? Math.max(1, new Set(result.lanes.map((l) => l.client)).size);
  return { window: { from: 0, to: result.duration }, detectors, mistakes: mistakesOf(result) };
}

/** The QoS of one run: `qosMetrics(runObservation(result, clients))`. */
export function runQos(result: ScenarioResult, clients?: number): QosMetrics {
  return qosMetrics(runObservation(result, clients));
}
