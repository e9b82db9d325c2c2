/**
 * Parity: the outcome of one scenario on the simulator against the same scenario through real
 * Toxiproxy, field by field. Each row says what each backend measured, the tolerance it was judged
 * with, and whether the two agree:
 * - per fault and side: detected (how many connections), the F15 reason, Δ from the onset;
 * - per fault and client: reconnected, Δ from the heal, attempts (loose);
 * - false detections per side: count, and each one's reason and time;
 * - every expectation's verdict.
 * Presence, reasons and counts must be equal; times agree within the tolerance (tolerance.ts says
 * what it covers and why); verdicts must be equal, except that a verdict about a time which flips
 * only because that time — agreeing within the tolerance — crossed the expectation's own limit is
 * the same outcome (the row says so: the expectation has no slack for a real network).
 *
 * Races inherent to any real run are recognized from the simulator's own timeline, not guessed from
 * the disagreement, and every row that relies on one says so in its tolerance column:
 * - a heartbeat within the slack of a fault's onset may fall on either side of it on the real run,
 *   so the first lost ping — and every detection keyed to it — may move by one interval I;
 * - a reconnect attempt within the slack of the heal may be refused on one backend and succeed on
 *   the other, and a detection that moved by I starts the retry cycle at another phase: either moves
 *   the reconnect by up to one backoff wait (W_cap, BOUNDS.md);
 * - attempts are compared at the pace of the real outage (heal − the real detection).
 */
import { type BackoffPolicy, worstWait } from '../observe/bounds.ts';
import type { Detection, ParityRow, Reconnect, ScenarioResult, Side } from '../result.ts';
import { describeSlack, type ParityTolerance, perAttemptMs, slack } from './tolerance.ts';

/** What the simulator run showed beyond its ScenarioResult, used to recognize races. */
export interface ParityEvidence {
  /** Scenario times at which each client host dialed, on the simulator run. */
  simDials?: Record<string, readonly number[]>;
}

const fmtMs = (x: number): string => `${Math.round(x)} ms`;
const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x))}`;

function hostOf(conn: string): string {
  const i = conn.lastIndexOf('#');
  return i < 0 ? conn : conn.slice(0, i);
}

interface Timing {
  interval: number[];
  worstWait: number | undefined;
}

/** Heartbeat periods and the worst backoff wait, when the config is the reference subject's. */
function timingOf(config: Record<string, unknown>): Timing {
  const intervals: number[] = [];
  if (typeof config.interval === 'number' && config.interval > 0) intervals.push(config.interval);
  const sh = config.serverHeartbeat as { interval?: unknown } | false | undefined;
  if (sh && typeof sh.interval === 'number' && sh.interval > 0 && !intervals.includes(sh.interval)) {
    intervals.push(sh.interval);
  }
  let wait: number | undefined;
  const b = config.backoff as Partial<BackoffPolicy> | undefined;
  if (b && typeof b.policy === 'string' && typeof b.base === 'number' && typeof b.cap === 'number') {
    try {
      wait = worstWait(b as BackoffPolicy);
    } catch {
      // A policy the bounds reject has no W_cap: the reconnect race then widens nothing.
      wait = undefined;
    }
  }
  return { interval: intervals, worstWait: wait };
}

interface Group<T> {
  key: string;
  sim: T[];
  real: T[];
}

function groupBy<T>(sim: T[], real: T[], key: (x: T) => string, order: (a: T, b: T) => number): Group<T>[] {
  const groups = new Map<string, Group<T>>();
  const add = (x: T, which: 'sim' | 'real') => {
    const k = key(x);
    let g = groups.get(k);
    if (!g) {
      g = { key: k, sim: [], real: [] };
      groups.set(k, g);
    }
    g[which].push(x);
  };
  for (const x of sim) add(x, 'sim');
  for (const x of real) add(x, 'real');
  for (const g of groups.values()) {
    g.sim.sort(order);
    g.real.sort(order);
  }
  return [...groups.values()];
}

export function compareResults(
  sim: ScenarioResult,
  real: ScenarioResult,
  tolerance: ParityTolerance,
  evidence: ParityEvidence = {},
): ParityRow[] {
  const scenario = sim.scenario;
  const rows: ParityRow[] = [];
  const row = (field: string, s: string, r: string, tol: string, agree: boolean) =>
    rows.push({ scenario, field, sim: s, toxiproxy: r, tolerance: tol, agree });
  const timing = timingOf(sim.config);
  const faultOrder = new Map(sim.faults.map((f, i) => [f.id, i]));
  /**
   * A time after a fault's onset: within the slack, or — when a heartbeat sat within the slack of
   * the onset on the simulator — one heartbeat interval away, give or take the slack.
   */
  const timed = (s: number, r: number, race: number | undefined): { agree: boolean; tolerance: string } => {
    const allowed = slack(tolerance, s);
    const diff = r - s;
    let agree = Math.abs(diff) <= allowed;
    let text = describeSlack(tolerance);
    if (race !== undefined && timing.interval.length > 0) {
      text += `; or ± I (${timing.interval.map(fmtMs).join(', ')}): a heartbeat at ${fmtMs(race)} is within ${fmtMs(tolerance.absolute)} of the onset`;
      agree ||= timing.interval.some((i) => Math.abs(Math.abs(diff) - i) <= allowed);
    }
    return { agree, tolerance: text };
  };
  const faultById = new Map(sim.faults.map((f) => [f.id, f]));

  // --- detections, per fault, side and host (several clients: one group each) -------------------
  const clientHosts = new Set(
    [...sim.detections, ...real.detections].filter((d) => d.side === 'client').map((d) => hostOf(d.conn)),
  );
  const label = (d: Detection): string =>
    d.side === 'client' && clientHosts.size > 1 ? `${d.fault} · ${hostOf(d.conn)}` : `${d.fault} · ${d.side}`;
  const detectionGroups = groupBy(sim.detections, real.detections, label, (a, b) => a.delta - b.delta);
  // Faults where nobody detected anything on either backend still get their "detected" rows.
  for (const f of sim.faults) {
    for (const side of ['client', 'server'] as Side[]) {
      const noted = [...sim.detections, ...real.detections].some((d) => d.fault === f.id && d.side === side);
      if (!noted) detectionGroups.push({ key: `${f.id} · ${side}`, sim: [], real: [] });
    }
  }
  detectionGroups.sort((a, b) => {
    const fa = faultOrder.get(a.key.split(' · ')[0]!) ?? 0;
    const fb = faultOrder.get(b.key.split(' · ')[0]!) ?? 0;
    return fa - fb || a.key.localeCompare(b.key);
  });
  for (const g of detectionGroups) {
    const n = (xs: Detection[]) => (xs.length === 0 ? 'no' : xs.length === 1 ? 'yes' : `yes (${xs.length})`);
    row(`${g.key} detected`, n(g.sim), n(g.real), 'exact', g.sim.length === g.real.length);
    const count = Math.min(g.sim.length, g.real.length);
    for (let i = 0; i < count; i++) {
      const s = g.sim[i]!;
      const r = g.real[i]!;
      const which = count > 1 ? ` #${i + 1}` : '';
      row(`${g.key}${which} reason`, s.reason, r.reason, 'exact', s.reason === r.reason);
      const onset = faultById.get(s.fault)?.at;
      const race = onset === undefined ? undefined : heartbeatNear(sim, onset, tolerance.absolute);
      const t = timed(s.delta, r.delta, race);
      row(
        `${g.key}${which} detection Δ`,
        fmtMs(s.delta),
        `${fmtMs(r.delta)} (${signed(r.delta - s.delta)})`,
        t.tolerance,
        t.agree,
      );
    }
  }

  // --- reconnects, per fault and client ------------------------------------------------------------
  const reconnectGroups = groupBy(
    attributeReconnects(sim),
    attributeReconnects(real),
    (x) => `${x.fault} · ${x.reconnect.client}`,
    (a, b) => a.reconnect.at - b.reconnect.at,
  );
  reconnectGroups.sort((a, b) => a.key.localeCompare(b.key));
  for (const g of reconnectGroups) {
    const n = (xs: unknown[]) => (xs.length === 0 ? 'no' : xs.length === 1 ? 'yes' : `yes (${xs.length})`);
    row(`${g.key} reconnected`, n(g.sim), n(g.real), 'exact', g.sim.length === g.real.length);
    const count = Math.min(g.sim.length, g.real.length);
    for (let i = 0; i < count; i++) {
      const s = g.sim[i]!.reconnect;
      const r = g.real[i]!.reconnect;
      const which = count > 1 ? ` #${i + 1}` : '';
      const heal = faultById.get(g.sim[i]!.fault)?.until;
      const detectedAt = (x: ScenarioResult) =>
        x.detections.find(
          (d) => d.fault === g.sim[i]!.fault && d.side === 'client' && hostOf(d.conn) === s.client,
        )?.at;
      const simDetected = detectedAt(sim);
      const realDetected = detectedAt(real);
      const race =
        heal === undefined
          ? undefined
          : dialNear(evidence, s.client, heal, slack(tolerance, 0, s.attempts), tolerance.absolute);
      // A detection that moved beyond the slack (it agreed only by the onset race) starts the retry
      // cycle elsewhere: its phase at the heal is then unrelated to the simulator's.
      const moved =
        simDetected !== undefined &&
        realDetected !== undefined &&
        Math.abs(realDetected - simDetected) >
          slack(tolerance, simDetected - (faultById.get(g.sim[i]!.fault)?.at ?? 0));
      const crossed = race === undefined && evidence.simDials === undefined && s.attempts !== r.attempts;
      const allowed = slack(tolerance, s.delta, s.attempts);
      const diff = r.delta - s.delta;
      let agree = Math.abs(diff) <= allowed;
      let tol = describeSlack(tolerance, s.attempts);
      if ((race !== undefined || moved || crossed) && timing.worstWait !== undefined) {
        const why =
          race !== undefined
            ? `an attempt at ${fmtMs(race)} is within the slack of the heal`
            : moved
              ? `the detection moved by ${fmtMs(realDetected! - simDetected!)}, so the retry cycle meets the heal at another phase`
              : 'the attempt counts differ: one attempt crossed the heal';
        tol += `; + W_cap ${fmtMs(timing.worstWait)}: ${why}`;
        agree ||= Math.abs(diff) <= allowed + timing.worstWait;
      }
      row(`${g.key}${which} reconnect Δ`, fmtMs(s.delta), `${fmtMs(r.delta)} (${signed(diff)})`, tol, agree);
      const a = attemptsCheck(tolerance, s.attempts, r.attempts, heal, simDetected, realDetected);
      row(
        `${g.key}${which} reconnect attempts`,
        String(s.attempts),
        String(r.attempts),
        a.tolerance,
        a.agree,
      );
    }
  }

  // --- false detections ------------------------------------------------------------------------------
  for (const side of ['client', 'server'] as Side[]) {
    const s = sim.falseDetections.filter((d) => d.side === side).sort((a, b) => a.at - b.at);
    const r = real.falseDetections.filter((d) => d.side === side).sort((a, b) => a.at - b.at);
    const show = (xs: typeof s) =>
      xs.length === 0 ? '0' : `${xs.length} (${xs.map((d) => `${d.reason} at ${fmtMs(d.at)}`).join(', ')})`;
    row(`false detections · ${side}`, show(s), show(r), 'exact count', s.length === r.length);
    const count = Math.min(s.length, r.length);
    for (let i = 0; i < count; i++) {
      const a = s[i]!;
      const b = r[i]!;
      const which = `false detection · ${side}${count > 1 ? ` #${i + 1}` : ''}`;
      row(`${which} reason`, a.reason, b.reason, 'exact', a.reason === b.reason);
      // Timed from the latest onset before it: that is the chain of timers that led to it.
      const before = sim.faults.filter((f) => f.at <= a.at).map((f) => f.at);
      const onset = before.length ? Math.max(...before) : undefined;
      const race = onset === undefined ? undefined : heartbeatNear(sim, onset, tolerance.absolute);
      const t = timed(a.at - (onset ?? 0), b.at - (onset ?? 0), race);
      row(`${which} at`, fmtMs(a.at), `${fmtMs(b.at)} (${signed(b.at - a.at)})`, t.tolerance, t.agree);
    }
  }

  // --- expectation verdicts ---------------------------------------------------------------------------
  const verdicts = Math.max(sim.expectations.length, real.expectations.length);
  for (let i = 0; i < verdicts; i++) {
    const s = sim.expectations[i];
    const r = real.expectations[i];
    const show = (v: typeof s) =>
      v === undefined
        ? '—'
        : v.passed
          ? 'pass'
          : `fail: ${v.detail.length > 160 ? `${v.detail.slice(0, 157)}…` : v.detail}`;
    const name = s?.name ?? r?.name ?? `expectation ${i + 1}`;
    const sameName = s !== undefined && r !== undefined && s.name === r.name;
    if (sameName && s.passed !== r.passed) {
      const related = timedRows(name, rows);
      if (related.length > 0 && related.every((x) => x.agree)) {
        row(
          `expect: ${name}`,
          show(s),
          show(r),
          `verdict follows from times that agree within the tolerance (${related.map((x) => x.field).join('; ')}): the expectation has no slack for a real network`,
          true,
        );
        continue;
      }
    }
    row(`expect: ${name}`, show(s), show(r), 'exact verdict', sameName && s.passed === r.passed);
  }
  return rows;
}

/**
 * The rows an expectation's verdict is computed from, when it is about times: a verdict that
 * differs only because a measured time crossed the expectation's own limit by less than the parity
 * tolerance is the same outcome. Names are expectations.ts's `type (key=value, …)`. Empty when the
 * expectation is not about a time parity measures (state, overhead, gaveUp, noFalseDetection).
 */
function timedRows(name: string, rows: readonly ParityRow[]): ParityRow[] {
  const match = /^(\w+)(?: \((.*)\))?$/.exec(name);
  if (!match) return [];
  const type = match[1]!;
  const params = new Map(
    (match[2] ?? '')
      .split(', ')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
  );
  const fault = params.get('fault');
  const ofFault = (r: ParityRow) => fault === undefined || r.field.startsWith(`${fault} · `);
  const pick = (keep: (r: ParityRow) => boolean, timed: RegExp) => {
    const related = rows.filter((r) => keep(r));
    return related.some((r) => timed.test(r.field)) ? related : [];
  };
  switch (type) {
    case 'detect':
      return pick((r) => ofFault(r) && / (detected|reason|detection Δ)$/.test(r.field), / detection Δ$/);
    case 'reconnect':
    case 'maxAttempts':
      return pick(
        (r) => ofFault(r) && / reconnect(ed| Δ| attempts)$/.test(r.field),
        / reconnect (Δ|attempts)$/,
      );
    case 'falseDetection':
      return pick((r) => r.field.startsWith('false detection'), / at$/);
    case 'state':
      // A state reached within a time of the onset (SUSPECT after N misses) is timed by the same
      // heartbeat chain as the detection of that fault; the result has no state times of its own.
      if (!params.has('within') || fault === undefined) return [];
      return pick((r) => ofFault(r) && / (detected|detection Δ)$/.test(r.field), / detection Δ$/);
    default:
      return [];
  }
}

/**
 * Attempts are a count of retry cycles inside the outage U = heal − detection. Two things may make
 * the real count differ without any difference in behaviour:
 * - the real outage is not the simulated one: the real client detects a little later (within the
 *   slack), or a whole interval earlier or later when a heartbeat raced the onset; the same pace of
 *   retries then fits n_sim · U_real / U_sim attempts, which is what the real count is compared with;
 * - each real cycle is later than its simulated twin by up to perAttemptMs, so n cycles drift by
 *   n·a and about n·a / (U / n) fewer (or, with early timers, more) fit.
 * Beyond those, ±`attempts` (an attempt can cross the heal instant).
 */
function attemptsCheck(
  t: ParityTolerance,
  sim: number,
  real: number,
  heal: number | undefined,
  simDetectedAt: number | undefined,
  realDetectedAt: number | undefined,
): { agree: boolean; tolerance: string } {
  const base = `±${t.attempts}`;
  const simOutage = heal !== undefined && simDetectedAt !== undefined ? heal - simDetectedAt : 0;
  if (heal === undefined || simOutage <= 0 || sim === 0) {
    return { agree: Math.abs(sim - real) <= t.attempts, tolerance: base };
  }
  const realOutage = realDetectedAt === undefined ? simOutage : Math.max(0, heal - realDetectedAt);
  const expected = (sim * realOutage) / simOutage;
  const perAttempt = perAttemptMs(t) / t.timeScale;
  const drift = Math.round((sim * sim * perAttempt) / simOutage);
  const parts = [base];
  if (drift > 0)
    parts.push(`${drift} (${sim} cycles drifting ${fmtMs(perAttempt)} each in a ${fmtMs(simOutage)} outage)`);
  let text = parts.join(' + ');
  if (Math.abs(expected - sim) >= 0.5) {
    text += `, around ${Number(expected.toFixed(1))}: the real outage is ${fmtMs(realOutage)}, not ${fmtMs(simOutage)}`;
  }
  return { agree: Math.abs(real - expected) <= t.attempts + drift, tolerance: text };
}

/** The first client heartbeat (ping sent, pong received) within `slackMs` of `t`, if any. */
function heartbeatNear(result: ScenarioResult, t: number, slackMs: number): number | undefined {
  let best: number | undefined;
  for (const lane of result.lanes) {
    if (lane.opened > t || (lane.closed !== undefined && lane.closed < t)) continue;
    for (const e of lane.events) {
      if ((e.kind === 'ping' || e.kind === 'pong') && Math.abs(e.t - t) <= slackMs) {
        if (best === undefined || Math.abs(e.t - t) < Math.abs(best - t)) best = e.t;
      }
    }
  }
  return best;
}

/** A simulator dial of `host` in [heal − before, heal + after], if any. */
function dialNear(
  evidence: ParityEvidence,
  host: string,
  heal: number,
  before: number,
  after: number,
): number | undefined {
  const dials = evidence.simDials?.[host] ?? [];
  return dials.find((t) => t >= heal - before && t <= heal + after);
}

interface Attributed {
  fault: string;
  reconnect: Reconnect;
}

/**
 * The fault each reconnect follows: its own `fault` when the metrics name it; otherwise inferred —
 * metrics measure a reconnect from max(detection, heal) of the client detection it follows, so that
 * instant (at − delta) names the detection and so the fault.
 */
function attributeReconnects(result: ScenarioResult): Attributed[] {
  const heals = new Map(result.faults.map((f) => [f.id, f.until ?? result.duration]));
  return result.reconnects.map((r) => {
    if (r.fault !== undefined) return { fault: r.fault, reconnect: r };
    const from = r.at - r.delta;
    let best: { fault: string; error: number } | undefined;
    for (const d of result.detections) {
      if (d.side !== 'client' || hostOf(d.conn) !== r.client || d.at > r.at) continue;
      const error = Math.abs(Math.max(d.at, heals.get(d.fault) ?? d.at) - from);
      if (!best || error < best.error) best = { fault: d.fault, error };
    }
    return { fault: best?.fault ?? '?', reconnect: r };
  });
}
