/**
 * Which scenarios parity can run, and at what time scale.
 *
 * Toxiproxy-expressible: the proxy topology and no sim-only fault (partition, crash, pause,
 * clock-skew, nat, loss). Expressible is not enough to compare a single run, so two more rules:
 * - a toxic with toxicity strictly between 0 and 1 is excluded: Toxiproxy rolls it once per
 *   connection from an unseeded generator (TOXICS.md: "use 0 or 1 for reproducible real runs"), so
 *   one real run and one simulated run legitimately differ in whether the fault happened at all;
 * - the subject must be the reference one or given explicitly (the runner's own rule).
 * Latency jitter is kept: it is bounded, and the tolerance adds it (tolerance.ts).
 */
import { isSimFault, isToxicFault, type Scenario } from '../scenario/schema.ts';

export type Expressibility = { ok: true } | { ok: false; why: string };

export function parityExpressible(s: Scenario): Expressibility {
  if (s.topology.kind !== 'proxy') {
    return { ok: false, why: `topology ${s.topology.kind}: Toxiproxy only makes the proxy topology` };
  }
  const simOnly = s.faults.find((f) => isSimFault(f.fault));
  if (simOnly) {
    return { ok: false, why: `fault "${simOnly.id}" (${simOnly.fault.type}) exists only on the simulator` };
  }
  const random = s.faults.find((f) => isToxicFault(f.fault) && f.fault.toxicity > 0 && f.fault.toxicity < 1);
  if (random && isToxicFault(random.fault)) {
    return {
      ok: false,
      why: `fault "${random.id}" has toxicity ${random.fault.toxicity}: Toxiproxy rolls it unseeded, so one real run cannot be compared with one simulated run (TOXICS.md)`,
    };
  }
  return { ok: true };
}

/** Scenario ms of latency jitter the scenario's toxics add, summed over both directions. */
export function toxicJitter(s: Scenario): number {
  let up = 0;
  let down = 0;
  for (const f of s.faults) {
    if (!isToxicFault(f.fault) || f.fault.type !== 'latency') continue;
    const j = f.fault.attributes.jitter ?? 0;
    if (f.fault.stream !== 'downstream') up = Math.max(up, j);
    if (f.fault.stream !== 'upstream') down = Math.max(down, j);
  }
  return up + down;
}

export interface TimeScaleOptions {
  /** Longest real run wanted, ms (default 5000). */
  maxRealMs?: number;
  /** Fastest scale used (default 0.01: 1 real ms = 100 scenario ms). */
  maxScale?: number;
  /** Largest scale allowed even when resolution asks for more (default 0.1). */
  ceiling?: number;
  /** Real ms the shortest timing quantity of the scenario must last (default 20). */
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
    if (!isToxicFault(f.fault)) continue;
    const a = f.fault.attributes as Record<string, number>;
    if (f.fault.type === 'timeout' || f.fault.type === 'reset_peer') add(a.timeout, `fault ${f.id} timeout`);
    if (f.fault.type === 'slow_close') add(a.delay, `fault ${f.id} delay`);
    if (f.fault.type === 'latency') {
      const legs = f.fault.stream === 'both' ? 2 : 1;
      const up = f.fault.stream === 'downstream' ? 0 : (a.latency ?? 0);
      if (pongTimeout !== undefined) add(pongTimeout - legs * (a.latency ?? 0), `pongTimeout − latency of ${f.id}`);
      if (interval !== undefined && read !== undefined && up > 0)
        add(read - interval - up, `readDeadline − interval − latency of ${f.id}`);
    }
  }
  if (candidates.length === 0) return undefined;
  return candidates.reduce((a, b) => (b.ms < a.ms ? b : a));
}

/**
 * The time scale for a scenario's real run: as fast as 0.01 (the default of the toxiproxy backend),
 * slower when the scenario is long so the run stays near `maxRealMs` — but never so slow that its
 * shortest timing lasts under `minRealMs` real ms; resolution wins over speed.
 */
export function parityTimeScale(s: Scenario, o: TimeScaleOptions = {}): TimeScaleChoice {
  const maxRealMs = o.maxRealMs ?? 5000;
  const maxScale = o.maxScale ?? 0.01;
  const ceiling = o.ceiling ?? 0.1;
  const minRealMs = o.minRealMs ?? 20;
  const bySpeed = Math.min(maxScale, maxRealMs / s.duration);
  const shortest = shortestTiming(s);
  const byResolution = shortest ? minRealMs / shortest.ms : 0;
  let timeScale = bySpeed;
  let why = `${maxScale === bySpeed ? 'default' : `${s.duration} ms in ≤ ${maxRealMs} real ms`}: ×${Number(bySpeed.toPrecision(3))}`;
  if (byResolution > bySpeed) {
    timeScale = Math.min(ceiling, byResolution);
    why = `shortest timing ${shortest!.what} = ${shortest!.ms} ms must last ≥ ${minRealMs} real ms: ×${Number(timeScale.toPrecision(3))}`;
  }
  timeScale = Number(timeScale.toPrecision(3));
  return { timeScale, realMs: Math.round(s.duration * timeScale), why };
}
