/**
 * The six properties as checks on finished runs. Each returns how many facts it checked (so a test
 * can tell a vacuous pass from a real one) and every violation it found, worded with the bound and
 * the measurement side by side.
 */

import { kindOf } from '../faults/registry.ts';
import { backoffWait, within } from '../observe/bounds.ts';
import type { Bound, Side } from '../result.ts';
import type { Expectation } from '../scenario/expectation-schema.ts';
import type { FaultEntry } from '../scenario/schema.ts';
import { describeFault, type PropertyCase } from './case.ts';
import { convergenceBound, expectedDetections, hammeringBound } from './expected.ts';
import { type CaseRun, clientHosts, dials, SERVER_HOST, type Session, sessions } from './run.ts';

export interface Verdict {
  /** Facts checked (a detection, a reconnect, an outage, a host…); 0 means the case said nothing. */
  checked: number;
  violations: string[];
  /**
   * Scenario expectations that state the violated facts, so that the case written out as a scenario
   * file fails `flatline run` on its own (best effort: hygiene is the runner's clean-teardown check,
   * determinism needs two runs).
   */
  expect: Expectation[];
}

const ok = (): Verdict => ({ checked: 0, violations: [], expect: [] });

/** A bound widened by the run's real-network tolerance (0 on the simulator, where bounds are exact). */
function widen(bound: Bound, tolerance: number): Bound {
  if (tolerance === 0) return bound;
  return {
    min: Math.max(0, bound.min - tolerance),
    max: bound.max + tolerance,
    why: `${bound.why} ± ε ${tolerance} (real network)`,
  };
}

/** The fault stops the client's own process (a crash): it has no session of its own to judge. */
function stopsClient(entry: FaultEntry): boolean {
  return kindOf(entry.fault).stops?.(entry.fault as never) === 'client';
}

function expectOnce(v: Verdict, e: Expectation): void {
  const key = JSON.stringify(e);
  if (!v.expect.some((x) => JSON.stringify(x) === key)) v.expect.push(e);
}

/** A session still open at `t` (teardown ends everything at the run's end, which counts as open). */
function liveAt(s: Session, t: number): boolean {
  return s.connected !== undefined && s.connected <= t && (s.ended === undefined || s.ended >= t);
}

function prevHeal(c: PropertyCase, i: number): number {
  const prev = c.faults[i - 1];
  return prev ? (prev.until ?? c.duration) : 0;
}

function faultEnd(c: PropertyCase, entry: FaultEntry): number {
  return entry.until ?? c.duration;
}

/**
 * The sessions of `side` (on `host`, if given) that met the fault in a steady state: established
 * after the previous fault healed (so no leftover misses or retransmissions), before f − margin, and
 * still open at f.
 */
function steadySessions(run: CaseRun, side: Side, i: number, margin: number, host?: string): Session[] {
  const c = run.case;
  const entry = c.faults[i]!;
  const since = prevHeal(c, i);
  return sessions(run, side, host).filter(
    (s) =>
      s.connected !== undefined &&
      s.connected >= since &&
      s.connected < entry.at - margin &&
      (s.ended === undefined || s.ended >= entry.at),
  );
}

/** The one steady session of `side` on `host`; undefined when there is not exactly one (no bound applies). */
function steadySession(
  run: CaseRun,
  side: Side,
  i: number,
  margin: number,
  host?: string,
): Session | undefined {
  const found = steadySessions(run, side, i, margin, host);
  return found.length === 1 ? found[0] : undefined;
}

/** The jitter-widened ρ margin a client session needs before f for its pinger phase to be settled. */
function clientMargin(c: PropertyCase): number {
  return c.link.up.latency + c.link.down.latency + c.link.up.jitter + c.link.down.jitter;
}

// ---------------------------------------------------------------------------------------------
// 1. completeness

/** Every fault that lasts long enough is detected by the side(s) that should, within the bound. */
export function completeness(run: CaseRun): Verdict {
  const v = ok();
  const c = run.case;
  const hosts = clientHosts(c);
  c.faults.forEach((entry, i) => {
    const expected = expectedDetections(c, entry);
    const length = faultEnd(c, entry) - entry.at;
    // Each client's own session, and the server's sessions (one per client, or none is judged).
    const clients = hosts.map((h) => steadySession(run, 'client', i, clientMargin(c), h));
    const servers = steadySessions(run, 'server', i, 0);
    const steady = {
      client: clients.filter((s): s is Session => s !== undefined),
      server: servers.length === hosts.length ? servers : [],
    };
    const complete = { client: steady.client.length === hosts.length, server: steady.server.length > 0 };
    for (const e of expected) {
      // A bound that leans on the other side's detection needs that side steady too.
      if (e.follows && !complete[e.follows]) continue;
      const bound = widen(e.bound, run.tolerance);
      if (length <= bound.max) continue; // not long enough to demand a detection during it
      for (const s of steady[e.side]) {
        v.checked++;
        const delta = s.ended === undefined || s.ended >= c.duration ? undefined : s.ended - entry.at;
        if (delta === undefined || !within(bound, delta)) {
          const seen =
            delta === undefined
              ? `never detected it${hosts.length > 1 ? ` on ${s.conn}` : ''}`
              : `ended its connection ${s.conn} after Δ = ${delta} ms`;
          v.violations.push(
            `completeness: ${describeFault(entry)} lasted ${length} ms; the ${e.side} ${seen}, outside [${bound.min}, ${bound.max}] — ${bound.why}`,
          );
          expectOnce(v, { type: 'detect', side: e.side, within: bound.max, fault: entry.id, tolerance: 0 });
        }
      }
    }
  });
  return v;
}

// ---------------------------------------------------------------------------------------------
// 2. accuracy

/** No fault, latency and jitter under the tolerance: no connection ever ends, one dial only. */
export function accuracy(run: CaseRun): Verdict {
  const v = ok();
  const c = run.case;
  if (c.faults.length) {
    v.violations.push('accuracy: this case has faults; accuracy is checked on fault-free cases only');
    return v;
  }
  for (const side of ['client', 'server'] as const) {
    v.checked++;
    for (const s of sessions(run, side)) {
      if (s.ended !== undefined && s.ended < c.duration) {
        const death = run.events.find((e) => e.side === side && e.type === 'death' && e.t === s.ended);
        v.violations.push(
          `accuracy: the ${side} ended ${s.conn} at ${s.ended} ms with no fault${death ? ` (reason ${death.reason})` : ''}: a false detection`,
        );
      }
    }
  }
  const hosts = clientHosts(c);
  for (const host of hosts) {
    const n = dials(run, -1, c.duration, host);
    if (n !== 1) {
      const who = hosts.length > 1 ? `the client on ${host}` : 'the client';
      v.violations.push(`accuracy: ${who} dialed ${n} times in a run without faults (expected 1)`);
    }
  }
  for (const f of run.result.falseDetections) {
    const line = `accuracy: false detection by the ${f.side} on ${f.conn} at ${f.at} ms (${f.reason})`;
    if (!v.violations.some((x) => x.includes(f.conn))) v.violations.push(line);
  }
  if (v.violations.length) expectOnce(v, { type: 'noFalseDetection', side: 'both' });
  return v;
}

// ---------------------------------------------------------------------------------------------
// 3. convergence

/** Where convergence after fault i is judged: the next onset, or the end of the run. */
function checkpointAfter(c: PropertyCase, i: number): number {
  return c.faults[i + 1]?.at ?? c.duration;
}

/** Instants the runner must count sockets at for convergence: every onset and the end. */
export function convergenceCheckpoints(c: PropertyCase): number[] {
  return [...c.faults.map((f) => f.at), c.duration];
}

/**
 * Whether a client session proved healthy before it ended, which is when a client starts its backoff
 * over (F13; the reference: at the first pong). From the subject's `pong` events when it reports them,
 * else from the bytes: something received after the hello could have arrived (r + J_u + J_d after
 * connecting), on a case without business traffic, is a reply to a ping.
 */
function provenHealthy(run: CaseRun, s: Session): boolean {
  if (s.connected === undefined || s.ended === undefined) return false;
  const end = s.ended;
  if (run.events.some((e) => e.type === 'pong')) {
    return run.events.some(
      (e) => e.type === 'pong' && e.side === 'client' && e.host === s.host && e.t > s.connected! && e.t < end,
    );
  }
  const c = run.case;
  if (c.config.business) return false;
  const hello = s.connected + c.link.up.latency + c.link.down.latency + c.link.up.jitter + c.link.down.jitter;
  return run.recorder.events.some(
    (e) => e.conn === s.conn && e.kind === 'data-in' && e.t > hello && e.t < end,
  );
}

/** The first wait of the case's backoff, the one after a connection that proved healthy (w_0). */
export function firstWait(c: PropertyCase): Bound {
  return backoffWait(c.config.backoff, 0);
}

/**
 * After each heal: the client reconnects within the BOUNDS.md convergence bound, is HEALTHY again
 * (its last reported state, and a reply received on the new connection a full ping period after it
 * opened), and there is exactly one live session per client — one open socket on each client host
 * and one per client on the server — at the next onset or the end of the run. And the backoff starts
 * over after a healthy connection (F13): when a client whose connection had proved healthy (a pong)
 * detects a fault, its first retry comes within the first wait w_0 — not after a wait of an earlier
 * outage's attempt count, and not never.
 */
export function convergence(run: CaseRun): Verdict {
  const v = ok();
  const c = run.case;
  const conv = widen(convergenceBound(c), run.tolerance);
  const w0 = widen(firstWait(c), run.tolerance);
  const { interval: I, pongTimeout: T, readDeadline: R } = c.config;
  const jitter = c.link.up.jitter + c.link.down.jitter;
  const r = c.link.up.latency + c.link.down.latency;
  const hosts = clientHosts(c);
  c.faults.forEach((entry, i) => {
    const h = entry.until;
    const cp = checkpointAfter(c, i);
    const crashClient = stopsClient(entry);
    let judged = false;
    for (const host of hosts) {
      const clients = sessions(run, 'client', host);
      const who = hosts.length > 1 ? `the client on ${host}` : 'the client';
      // The client session the fault met — connected, or a dial still in flight at the onset; its
      // end (if any, and not at teardown) is the detection.
      const met = crashClient
        ? undefined
        : clients.find((s) => s.opened < entry.at && (s.ended === undefined || s.ended >= entry.at));
      const detected = met?.ended !== undefined && met.ended < cp ? met.ended : undefined;
      if (met && detected !== undefined && provenHealthy(run, met)) {
        const retry = clients.find((s) => s !== met && s.opened >= detected && s.opened <= cp);
        const limit = Math.ceil(w0.max);
        const waited = retry === undefined ? undefined : retry.opened - detected;
        if (waited === undefined ? cp - detected > limit : waited > limit) {
          v.checked++;
          v.violations.push(
            `convergence after ${describeFault(entry)}: backoff not started over — ${who}'s connection ${met.conn} had proved healthy (a pong), yet after its detection at ${detected} ms ${waited === undefined ? `it had not retried by ${cp} ms` : `its first retry waited ${waited} ms`}, more than the first wait allows (${limit} ms) — ${w0.why}`,
          );
        } else if (retry !== undefined) v.checked++;
      }
      if (h === undefined) continue;
      const survived = met !== undefined && detected === undefined;
      const from = Math.max(h, detected ?? h);
      // Time to reconnect, then one ping period and its pong to prove it healthy.
      const settle = conv.max + I + T + r + jitter + 1;
      if (cp - from < settle) continue;
      v.checked++;
      judged = true;
      const label = `convergence after ${describeFault(entry)} (judged at ${cp} ms${hosts.length > 1 ? `, ${host}` : ''})`;
      const live = clients.filter((s) => liveAt(s, cp));
      if (live.length !== 1) {
        // None at all, this long after the heal: it did not reconnect within the bound.
        const late =
          live.length === 0
            ? `: not reconnected within ${conv.max} ms of ${detected !== undefined && detected > h ? `its detection at ${detected}` : `the heal at ${h}`} — ${conv.why}`
            : '';
        v.violations.push(
          `${label}: the client holds ${live.length} live connections (expected exactly 1)${late}`,
        );
        if (live.length === 0)
          expectOnce(v, { type: 'reconnect', within: conv.max, fault: entry.id, tolerance: 0 });
        continue;
      }
      const session = live[0]!;
      if (!survived) {
        const delta = session.connected! - from;
        // A connection that came up before the heal — set up during the fault, through what it left
        // open (a SYN sent just before a C2 cut) — has survived it: only lateness breaks the bound.
        if (delta > conv.max) {
          v.violations.push(
            `${label}: the client's live connection ${session.conn} connected Δ = ${delta} ms after ${detected !== undefined && detected > h ? `its detection at ${detected}` : `the heal at ${h}`}, outside [${conv.min}, ${conv.max}] — ${conv.why}`,
          );
          expectOnce(v, { type: 'reconnect', within: conv.max, fault: entry.id, tolerance: 0 });
        }
      }
      const clientSockets = run.snapshots.get(cp)?.sockets[host];
      if (clientSockets !== undefined && clientSockets !== 1) {
        v.violations.push(`${label}: ${clientSockets} sockets open on the client host (expected 1)`);
      }
      const replies = run.recorder.events.filter(
        (e) => e.conn === session.conn && e.kind === 'data-in' && e.t >= session.connected! + I && e.t <= cp,
      );
      if (replies.length === 0) {
        v.violations.push(
          `${label}: nothing received on ${session.conn} between ${session.connected! + I} and ${cp} ms: not healthy`,
        );
      }
      const states = run.events.filter(
        (e) => e.side === 'client' && e.host === host && e.type === 'state' && e.t < cp,
      );
      const last = states.at(-1);
      if (last && last.state !== 'HEALTHY') {
        v.violations.push(`${label}: the client's state is ${last.state} (since ${last.t} ms), not HEALTHY`);
      }
    }
    if (!judged || h === undefined) return;
    // A stale server session ends by its read deadline, or when a retransmission after the heal
    // draws an RST; retransmission backoff can take as long again as the outage lasted.
    const serverSettle = h + (h - entry.at) + R + 2 * (r + jitter) + 2000;
    const serverSockets = run.snapshots.get(cp)?.sockets[SERVER_HOST];
    if (cp >= serverSettle && serverSockets !== undefined && serverSockets !== hosts.length) {
      v.violations.push(
        `convergence after ${describeFault(entry)} (judged at ${cp} ms): ${serverSockets} sessions open on the server for ${hosts.length} client${hosts.length > 1 ? 's' : ''} (expected exactly ${hosts.length})`,
      );
    }
  });
  return v;
}

// ---------------------------------------------------------------------------------------------
// 4. no hammering

/**
 * The waits of one client's reconnect attempts after it detected fault `entry` (the end of the
 * session the fault met): to its first dial, then from the end of each failed attempt to the next
 * dial, up to the first attempt that connected (at most `max` waits). Undefined if it never detected it.
 */
export function retryWaits(run: CaseRun, host: string, entry: FaultEntry, max = 6): number[] | undefined {
  const all = sessions(run, 'client', host);
  const met = all.find((s) => liveAt(s, entry.at) && s.opened < entry.at);
  if (met?.ended === undefined || met.ended >= run.case.duration) return undefined;
  const waits: number[] = [];
  let from = met.ended;
  for (const s of all) {
    if (s === met || s.opened < from) continue;
    waits.push(s.opened - from);
    if (waits.length >= max || s.connected !== undefined || s.ended === undefined) break;
    from = s.ended;
  }
  return waits;
}

/**
 * How unlikely it is that two clients drawing their waits independently (as F13's jitter does, each
 * from its own seeded randomness) draw exactly these same waits: the product over the waits of
 * 1.5 / (width of the range the k-th wait is drawn from). An integer drawn uniformly from a range of
 * width w (the implementation rounds into [⌈lo⌉, ⌊hi⌋]) takes no value with probability above 1.5/w,
 * so two independent draws coincide with at most that probability. The width used is the one of the
 * k-th wait after a reset — the narrowest the k-th wait after a detection can be drawn from, since
 * β_n only grows with n (for decorrelated jitter, from the previous wait as measured).
 */
export function coincidence(c: PropertyCase, waits: readonly number[]): number {
  const policy = c.config.backoff;
  let p = 1;
  waits.forEach((_, k) => {
    const prev = policy.policy === 'decorrelated' ? (k === 0 ? policy.base : waits[k - 1]!) : undefined;
    const range = backoffWait(policy, k, prev);
    const width = Math.floor(range.max) - Math.ceil(range.min);
    if (width >= 2) p *= Math.min(1, 1.5 / width);
  });
  return p;
}

/**
 * Below this, identical retry waits of two clients are no coincidence: a herd kept in lockstep by a
 * shared jitter. With at most 10 pairs of clients and 3 faults a case, a correct implementation is
 * flagged with probability below 10⁻⁷ per case.
 */
export const LOCKSTEP_CHANCE = 1e-9;

/**
 * The integer waits F13 allows for the k-th retry after a reset: the policy's real interval for
 * w_k (BOUNDS.md), rounded inward to whole ms — or, when it holds no integer (narrower than 1 ms),
 * to its nearest integers — and widened by the run's tolerance.
 */
export function allowedWait(c: PropertyCase, k: number, prev: number | undefined, tolerance: number): Bound {
  const range = backoffWait(c.config.backoff, k, prev);
  const lo = Math.ceil(range.min);
  const hi = Math.floor(range.max);
  // An interval with no integer is a single point (β_n(1 ± 0), β_n + 0, …): rounded to nearest.
  const [min, max] = lo <= hi ? [lo, hi] : [Math.round(range.min), Math.round(range.max)];
  return widen({ min, max, why: range.why }, tolerance);
}

/**
 * Each wait of a client's reconnect attempts after it detected fault `i` on a connection that had
 * proved healthy (so its backoff starts over at w_0): the k-th wait lies in the interval the case's
 * backoff policy gives w_k (F13; for decorrelated jitter, from the previous wait as measured).
 */
function judgeWaits(run: CaseRun, v: Verdict, host: string, i: number, spread: Spread): void {
  const c = run.case;
  const entry = c.faults[i]!;
  const met = sessions(run, 'client', host).find((s) => liveAt(s, entry.at) && s.opened < entry.at);
  if (met === undefined || !provenHealthy(run, met)) return;
  const waits = retryWaits(run, host, entry, 1000);
  if (waits === undefined) return;
  const policy = c.config.backoff;
  const tol = run.tolerance;
  waits.forEach((w, k) => {
    const prev = policy.policy === 'decorrelated' ? (k === 0 ? policy.base : waits[k - 1]! + tol) : undefined;
    const allowed = allowedWait(
      c,
      k,
      prev,
      tol * (policy.policy === 'decorrelated' ? 1 + policy.multiplier : 1),
    );
    v.checked++;
    if (tol === 0 && allowed.max - allowed.min >= 4) {
      const mid = (allowed.min + allowed.max) / 2;
      if (w < mid) spread.low++;
      if (w > mid) spread.high++;
      spread.n++;
    }
    if (w < allowed.min || w > allowed.max) {
      const who = clientHosts(c).length > 1 ? `the client on ${host}` : 'the client';
      v.violations.push(
        `no hammering: ${describeFault(entry)}: ${who}'s retry #${k} after its detection at ${met.ended} ms waited ${w} ms, outside [${allowed.min}, ${allowed.max}] — backoff ${policy.policy} w_${k} ${allowed.why} (waits so far: [${waits.slice(0, k + 1).join(', ')}] ms)`,
      );
    }
  });
}

/** Where a case's jittered waits fell in their intervals: below or above the middle. */
interface Spread {
  n: number;
  low: number;
  high: number;
}

/** Fewest jittered waits in a case before their spread is judged (a correct draw fails 2·2⁻³⁰). */
export const SPREAD_MIN_WAITS = 30;

/**
 * F13 draws each wait uniformly from its interval: over SPREAD_MIN_WAITS waits or more, some fall in
 * each half. A draw that keeps to one half (full jitter drawn as equal jitter, a clamp that pins
 * every wait to an end) is not the policy configured.
 */
function judgeSpread(c: PropertyCase, v: Verdict, spread: Spread): void {
  if (spread.n < SPREAD_MIN_WAITS) return;
  v.checked++;
  if (spread.low === 0 || spread.high === 0) {
    v.violations.push(
      `no hammering: backoff ${c.config.backoff.policy}: all ${spread.n} jittered reconnect waits fell in the ${spread.low === 0 ? 'upper' : 'lower'} half of their intervals (${spread.low} below the middle, ${spread.high} above), where a uniform draw puts each there with chance ½: the waits are not drawn from the configured policy's interval`,
    );
  }
}

/**
 * During each outage the client detected, its reconnect attempts (dials from its detection to the
 * heal) stay within BOUNDS.md's no-hammering bound. And a herd does not hammer in lockstep: clients
 * that lost the same server must not retry after identical waits, attempt after attempt, when their
 * backoff has jitter (F13's uniform(0, J) is drawn for each wait, by each client).
 */
export function noHammering(run: CaseRun): Verdict {
  const v = ok();
  const c = run.case;
  const hosts = clientHosts(c);
  const spread: Spread = { n: 0, low: 0, high: 0 };
  c.faults.forEach((entry, i) => {
    if (stopsClient(entry)) return;
    const h = faultEnd(c, entry);
    for (const host of hosts) {
      const met = steadySession(run, 'client', i, 0, host);
      if (met?.ended === undefined || met.ended >= h) continue;
      const outage = Math.floor(h - met.ended);
      const bound = hammeringBound(c, outage);
      const n = dials(run, met.ended, h, host);
      v.checked++;
      if (n > bound.max) {
        const who = hosts.length > 1 ? `the detection by the client on ${host}` : "the client's detection";
        v.violations.push(
          `no hammering: ${describeFault(entry)}: ${n} reconnect attempts in the ${outage} ms between ${who} at ${met.ended} and ${entry.until === undefined ? 'the end' : 'the heal'}, more than ${bound.max} — ${bound.why}`,
        );
        expectOnce(v, { type: 'maxAttempts', n: bound.max, fault: entry.id });
      }
    }
    for (const host of hosts) judgeWaits(run, v, host, i, spread);
    if (hosts.length < 2) return;
    const waits = hosts.map((host) => ({ host, waits: retryWaits(run, host, entry) ?? [] }));
    for (let a = 0; a < waits.length; a++) {
      for (let b = a + 1; b < waits.length; b++) {
        const x = waits[a]!;
        const y = waits[b]!;
        const n = Math.min(x.waits.length, y.waits.length);
        const shared = x.waits.slice(0, n);
        if (coincidence(c, shared) > LOCKSTEP_CHANCE) continue;
        v.checked++;
        if (shared.every((w, k) => w === y.waits[k])) {
          v.violations.push(
            `no hammering: ${describeFault(entry)}: the clients on ${x.host} and ${y.host} retried in lockstep — the same ${n} waits [${shared.join(', ')}] ms after their detections, where independently drawn jitter (backoff ${c.config.backoff.policy}) coincides with chance ${coincidence(c, shared).toExponential(1)}: the herd stays synchronised`,
          );
        }
      }
    }
  });
  judgeSpread(c, v, spread);
  return v;
}

// ---------------------------------------------------------------------------------------------
// 5. hygiene

/** Once the subject's close() promises resolved: no timer and no socket left on any host. */
export function hygiene(run: CaseRun): Verdict {
  const v = ok();
  for (const l of run.leftovers) {
    v.checked++;
    if (l.timers || l.sockets) {
      v.violations.push(
        `hygiene: when its close() resolved at ${l.t} ms the ${l.host} host still had ${l.timers} timer(s) and ${l.sockets} open socket(s)`,
      );
    }
  }
  // The runner drains the simulator after teardown and reports what never stopped.
  for (const e of run.result.expectations) {
    if (e.name === 'clean teardown' && !e.passed) v.violations.push(`hygiene: ${e.detail}`);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// 6. determinism

/** A compact, order-preserving list of what was observed, for comparing two runs. */
export function observedLog(run: CaseRun): string[] {
  return run.recorder.events.map(
    (e) =>
      `${e.t} ${e.side} ${e.conn} ${e.kind}${e.bytes === undefined ? '' : ` ${e.bytes}`}${e.code ? ` ${e.code}` : ''}`,
  );
}

/** The same seed and case give the same trace hash and the same observations. */
export function determinism(a: CaseRun, b: CaseRun): Verdict {
  const v: Verdict = { checked: 1, violations: [], expect: [] };
  const la = observedLog(a);
  const lb = observedLog(b);
  const i = la.findIndex((x, k) => x !== lb[k]);
  const at = i === -1 && la.length !== lb.length ? Math.min(la.length, lb.length) : i;
  if (a.result.traceHash !== b.result.traceHash || at !== -1) {
    const diff =
      at === -1
        ? 'the observed events agree but the simulator traces differ'
        : `first difference at observed event #${at}: "${la[at] ?? '(none)'}" vs "${lb[at] ?? '(none)'}"`;
    v.violations.push(
      `determinism: seed ${a.case.seed} gave trace hashes ${a.result.traceHash.slice(0, 12)}… and ${b.result.traceHash.slice(0, 12)}…; ${diff}`,
    );
  }
  return v;
}
