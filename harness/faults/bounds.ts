/**
 * The detection bound of a fault, for each side: the one computation that scenario metrics, reports
 * and property verdicts all use. A fault kind says which mechanisms of each side can notice it
 * (kind.detection); this module takes the earliest of them, adds what one side learns from the
 * other's close (when the path still carries it), and limits them to the fault's life.
 */
import type { Bound, Side } from '../model/index.ts';
import { reconnectConvergence } from '../observe/bounds.ts';
import type { BoundContext, Mechanism } from './mechanisms.ts';
import { Model, shift } from './mechanisms.ts';
import { type FaultEntry, faultClass, kindOf } from './registry.ts';

export type { BoundContext };

/** The earliest of several mechanisms; undefined when none applies. */
function earliest(ms: (Mechanism | undefined)[]): Mechanism | undefined {
  const all = ms.filter((m): m is Mechanism => m !== undefined);
  if (all.length === 0) return undefined;
  if (all.length === 1) return all[0];
  const sure = all.filter((m) => m.sure);
  const min = Math.min(...all.map((m) => m.min));
  const max = sure.length > 0 ? Math.min(...sure.map((m) => m.max)) : Math.max(...all.map((m) => m.max));
  return {
    min,
    max,
    sure: sure.length > 0,
    why: `earliest of {${all.map((m) => `${m.why} → [${m.min}, ${m.max}]${m.sure ? '' : ' (may)'}`).join('; ')}} = [${min}, ${max}]`,
  };
}

function toBound(m: Mechanism | undefined): Bound | undefined {
  return m ? { min: m.min, max: m.max, why: m.sure ? m.why : `${m.why} (may not happen)` } : undefined;
}

/**
 * A fault that heals at U restores the path: a mechanism is sure only if it fires before U, and one
 * that cannot start before the slowest deadline has run out after U cannot fire at all.
 */
function untilHeal(ms: Mechanism[], entry: FaultEntry, m: Model): Mechanism[] {
  if (entry.until === undefined) return ms;
  const U = entry.until - entry.at;
  const { config } = m.c;
  const last = U + Math.max(config.pongTimeout, config.readDeadline, config.writeDeadline) + m.r;
  return ms
    .filter((x) => x.min <= last)
    .map((x) =>
      x.sure && !x.atHeal && x.max >= U
        ? { ...x, sure: false, why: `${x.why} (only while the fault lasts, to ${U})` }
        : x,
    );
}

/** A side's expected detection of one fault. */
export interface ExpectedDetection {
  side: Side;
  bound: Bound;
  /** The other side whose close this bound leans on (it crosses the direction that still works). */
  follows?: Side;
}

/** Where no closed form applies but the fault kills the path: [0, end of run], with the reason. */
function looseBound(entry: FaultEntry, c: BoundContext): Bound | undefined {
  const why = kindOf(entry.fault).looseBound?.(entry.fault as never);
  if (why === undefined) return undefined;
  return { min: 0, max: c.remaining, why: `${why}: [0, end of run] = [0, ${c.remaining}]` };
}

function sideBound(entry: FaultEntry, side: Side, c: BoundContext): ExpectedDetection | undefined {
  const m = new Model(c);
  const s = kindOf(entry.fault).detection?.(entry as never, m);
  if (!s) {
    const loose = looseBound(entry, c);
    return loose ? { side, bound: loose } : undefined;
  }
  const healed = (ms: Mechanism[]): Mechanism[] => (s.resume ? ms : untilHeal(ms, entry, m));
  const own = { client: earliest(healed(s.client)), server: earliest(healed(s.server)) };
  const other: Side = side === 'client' ? 'server' : 'client';
  const crossing = side === 'client' ? s.serverToClient : s.clientToServer;
  const spread = side === 'client' ? m.jd : m.ju;
  const learned =
    crossing === undefined ? undefined : shift(own[other], crossing, `${other}'s close`, spread);
  const found = earliest([own[side], learned]);
  if (!found) return undefined;
  const follows = learned !== undefined ? { follows: other } : {};
  if (s.resume?.side === side) {
    const U = s.resume.at;
    return {
      side,
      ...follows,
      bound: toBound({
        ...found,
        min: Math.max(U, found.min),
        max: Math.max(U, found.max),
        why: `paused for ${U}: it acts at resume at the earliest; ${found.why}`,
      })!,
    };
  }
  return { side, ...follows, bound: toBound(found)! };
}

/** The detection bound for one side, or undefined when that side is not expected to detect it. */
export function detectionBound(entry: FaultEntry, side: Side, c: BoundContext): Bound | undefined {
  if (faultClass(entry) !== 'dead') return undefined;
  try {
    return sideBound(entry, side, c)?.bound;
  } catch (e) {
    // A configuration the closed form does not cover (e.g. unhealthy before the fault): say so
    // rather than invent a number.
    return { min: 0, max: c.remaining, why: `no closed form: ${(e as Error).message}` };
  }
}

/** Both sides' expected detections of a fault (empty: nobody is expected to notice it). */
export function expectedDetections(entry: FaultEntry, c: BoundContext): ExpectedDetection[] {
  if (faultClass(entry) !== 'dead') return [];
  const out: ExpectedDetection[] = [];
  for (const side of ['client', 'server'] as const) {
    const d = sideBound(entry, side, c);
    if (d) out.push(d);
  }
  return out;
}

/**
 * Reconnect convergence after the heal (BOUNDS.md): A_max = the connect timeout, H = 2r (the
 * handshake's round trip, then the server's first frame: the reference client is ready on the
 * server's hello, which leaves when the server accepts, d_u after the client's connect).
 */
export function reconnectBound(c: BoundContext): Bound {
  const r = c.link.up.latency + c.link.down.latency;
  return reconnectConvergence({
    backoff: c.config.backoff,
    attemptMax: c.config.connectTimeout,
    handshake: 2 * r,
  });
}
