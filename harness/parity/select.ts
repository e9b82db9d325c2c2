/**
 * Which scenarios parity can run, and at what time scale.
 *
 * Toxiproxy-expressible: the proxy topology and no fault placed on the direct topology (its kind
 * says: partition, crash, pause, clock-skew, nat, loss…). Expressible is not enough to compare a single run, so two more rules:
 * - a toxic with toxicity strictly between 0 and 1 is excluded: Toxiproxy rolls it once per
 *   connection from an unseeded generator (TOXICS.md: "use 0 or 1 for reproducible real runs"), so
 *   one real run and one simulated run legitimately differ in whether the fault happened at all;
 * - the subject must be the reference one or given explicitly (the runner's own rule);
 * - a rate-0 bandwidth toxic (a stall) is excluded: when the writer notices depends on how much the
 *   kernels buffer, which the simulator fixes at Linux's defaults and real Linux autotunes.
 * Latency jitter is kept: it is bounded, and the tolerance adds it (tolerance.ts).
 */
import { kindOf } from '../faults/registry.ts';
import { isToxicFault } from '../faults/toxic.ts';
import type { Scenario } from '../scenario/schema.ts';
import { subjectNamed } from '../subjects/registry.ts';

export type Expressibility = { ok: true } | { ok: false; why: string };

export function parityExpressible(s: Scenario): Expressibility {
  if (s.topology.kind !== 'proxy') {
    return { ok: false, why: `topology ${s.topology.kind}: Toxiproxy only makes the proxy topology` };
  }
  const simOnly = s.faults.find((f) => kindOf(f.fault).placement === 'direct');
  if (simOnly) {
    return { ok: false, why: `fault "${simOnly.id}" (${simOnly.fault.type}) exists only on the simulator` };
  }
  const random = s.faults.find((f) => {
    const fault = f.fault;
    return isToxicFault(fault) && fault.toxicity > 0 && fault.toxicity < 1;
  });
  if (random && isToxicFault(random.fault)) {
    return {
      ok: false,
      why: `fault "${random.id}" has toxicity ${random.fault.toxicity}: Toxiproxy rolls it unseeded, so one real run cannot be compared with one simulated run (TOXICS.md)`,
    };
  }
  if (subjectNamed(s.subject)?.usesNode) {
    return {
      ok: false,
      why: `subject "${s.subject}" is an unmodified library: its real-network runs are checked against its own bounds in test/toxiproxy/libraries.test.ts; event-by-event parity with the simulator is calibrated for the reference subject only`,
    };
  }
  const stall = s.faults.find((f) => f.fault.type === 'bandwidth' && f.fault.attributes.rate === 0);
  if (stall) {
    return {
      ok: false,
      why: `fault "${stall.id}" (bandwidth rate 0) stalls the writer only once the kernels' buffers are full: the simulator models fixed Linux default buffers (about 160 KiB along the path), real Linux autotunes them to megabytes (tcp_wmem/tcp_rmem max), so when the stall bites differs by minutes`,
    };
  }
  return { ok: true };
}

/**
 * Scenario ms by which latency-toxic jitter alone can make a round trip differ between two runs:
 * each leg's delay is drawn independently from [L − J, L + J − 1] on each backend, < 2·J apart, so
 * 2·(J_up + J_down) with each direction's largest jitter.
 */
export function toxicJitter(s: Scenario): number {
  let up = 0;
  let down = 0;
  for (const f of s.faults) {
    if (!isToxicFault(f.fault) || f.fault.type !== 'latency') continue;
    const j = f.fault.attributes.jitter ?? 0;
    if (f.fault.stream !== 'downstream') up = Math.max(up, j);
    if (f.fault.stream !== 'upstream') down = Math.max(down, j);
  }
  return 2 * (up + down);
}

export interface TimeScaleOptions {
  /** Real ms a scenario's real run may take (default 5000). */
  budgetMs?: number;
  /** Largest scale used (default 1: real time). */
  ceiling?: number;
  /** Real ms the shortest timing of the scenario must last (default 20). */
  minRealMs?: number;
}

export interface TimeScaleChoice {
  timeScale: number;
  /** Real ms the run takes at that scale. */
  realMs: number;
  why: string;
}

/**
 * The shortest timing the outcome hinges on: ping interval, pong timeout, the server's margin R − I,
 * every fault's length and the timers Toxiproxy runs for it (timeout, reset_peer, slow_close), and
 * for added latency the margins left to each side (T − added round trip, R − I − added upstream
 * delay), since that is what decides a false detection. On the real backend each becomes that many
 * × scale real ms, and a span of a few real ms is lost in scheduling noise: a 400 ms pong timeout at
 * ×0.01 is 4 real ms, less than a pong through Toxiproxy may take on a loaded machine. Backoff waits
 * only pace attempts; their lateness is in the per-attempt tolerance. A margin of exactly 0 is a tie
 * that no real run reproduces at any scale, so it does not count.
 */
export function shortestTiming(s: Scenario): { ms: number; what: string } | undefined {
  const c = s.config as Record<string, unknown>;
  const candidates: { ms: number; what: string }[] = [];
  const num = (v: unknown): number | undefined => (typeof v === 'number' && v > 0 ? v : undefined);
  const add = (v: unknown, what: string) => {
    const n = typeof v === 'number' ? Math.abs(v) : undefined;
    if (n !== undefined && n > 0) candidates.push({ ms: n, what });
  };
  const interval = num(c.interval);
  const pongTimeout = num(c.pongTimeout);
  const read = num(c.readDeadline);
  add(interval, 'interval');
  add(pongTimeout, 'pongTimeout');
  if (interval !== undefined && read !== undefined) add(read - interval, 'readDeadline − interval');
  for (const f of s.faults) {
    if (f.until !== undefined) add(f.until - f.at, `fault ${f.id} length`);
    const fault = f.fault;
    if (!isToxicFault(fault)) continue;
    const a = fault.attributes as Record<string, number>;
    if (f.fault.type === 'timeout' || f.fault.type === 'reset_peer') add(a.timeout, `fault ${f.id} timeout`);
    if (f.fault.type === 'slow_close') add(a.delay, `fault ${f.id} delay`);
    if (f.fault.type === 'latency') {
      const legs = f.fault.stream === 'both' ? 2 : 1;
      const up = f.fault.stream === 'downstream' ? 0 : (a.latency ?? 0);
      if (pongTimeout !== undefined)
        add(pongTimeout - legs * (a.latency ?? 0), `pongTimeout − latency of ${f.id}`);
      if (interval !== undefined && read !== undefined && up > 0)
        add(read - interval - up, `readDeadline − interval − latency of ${f.id}`);
    }
  }
  if (candidates.length === 0) return undefined;
  return candidates.reduce((a, b) => (b.ms < a.ms ? b : a));
}

/**
 * The time scale for a scenario's real run. The tolerance is a fixed number of real ms, so it is
 * worth realMs / scale scenario ms: the slower the run, the sharper the comparison. So the run is as
 * slow as the budget allows (a 2-minute scenario in 5 s runs at ×0.0417: 30 real ms ≙ 720 scenario
 * ms, against 3000 at ×0.01) — but never so fast that its shortest timing lasts under `minRealMs`
 * real ms: resolution wins over the budget.
 */
export function parityTimeScale(s: Scenario, o: TimeScaleOptions = {}): TimeScaleChoice {
  const budgetMs = o.budgetMs ?? 5000;
  const ceiling = o.ceiling ?? 1;
  const minRealMs = o.minRealMs ?? 20;
  for (const [name, v] of [
    ['budgetMs', budgetMs],
    ['ceiling', ceiling],
    ['minRealMs', minRealMs],
  ] as const) {
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) {
      throw new RangeError(`parityTimeScale: ${name} must be a finite number > 0, got ${String(v)}`);
    }
  }
  const round = (x: number) => Number(x.toPrecision(3));
  const byBudget = budgetMs / s.duration;
  const shortest = shortestTiming(s);
  const byResolution = shortest ? minRealMs / shortest.ms : 0;
  let timeScale: number;
  let why: string;
  if (byResolution > byBudget) {
    timeScale = round(Math.min(ceiling, byResolution));
    why = `shortest timing ${shortest!.what} = ${shortest!.ms} ms must last ≥ ${minRealMs} real ms: ×${timeScale}`;
  } else {
    timeScale = round(Math.min(ceiling, byBudget));
    why = `${s.duration} ms scenario in a ${budgetMs} ms real budget: ×${timeScale}`;
  }
  return { timeScale, realMs: Math.round(s.duration * timeScale), why };
}
