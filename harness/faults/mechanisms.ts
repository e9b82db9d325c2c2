/**
 * The ways a side can come to end a faulted connection, in the numbers of one configuration and wire:
 * the building blocks each fault kind's `detection` uses to say which side notices it, how, and when.
 * The closed forms themselves live in harness/observe/bounds.ts; harness/faults/bounds.ts combines what
 * a kind returns into one bound per side.
 *
 * A side ends a faulted connection at the first of its own mechanisms that fires (its pong timeout,
 * its read deadline, its own pings under F10, an RST or FIN the fault itself delivers) and of the
 * peer's close reaching it (when the path still carries it). Each mechanism is a range of Δ and
 * whether it surely fires; the side's bound is the range of the earliest one:
 *   min = the smallest min of all mechanisms; max = the smallest max of those that surely fire.
 *
 * Jitter: each leg's delay is d ± J. A ρ made of legs spreads by their jitters; the read deadline's
 * gap between arrivals is at most G = I + d_u + 2·J_u (the first gap after an accept is I + d_u, and
 * one early plus one late arrival stretch a gap by 2·J_u); a close crossing a leg arrives d ± J later.
 *
 * Assumptions, stated so a reader can check them: the reference server answers pings at once
 * (processing 0); times are integer ms and the BOUNDS.md tie rule holds.
 */

import type { Bound, Side } from '../model/index.ts';
import { clientBlackHole, serverBlackHole } from '../observe/bounds.ts';
import type { LinkLeg } from '../scenario/topology.ts';
import type { ReferenceConfig } from '../subjects/reference-config.ts';

/** The wire of a run: up = client→server, down = server→client. */
export interface Link {
  up: LinkLeg;
  down: LinkLeg;
}

export interface BoundContext {
  config: ReferenceConfig;
  link: Link;
  /** Scenario time left after the onset, for faults whose bound is only "before the run ends". */
  remaining: number;
}

/** One way a side can come to end the connection. */
export interface Mechanism {
  min: number;
  /** Inclusive, like Bound.max. */
  max: number;
  /** It fires for sure (by max); otherwise it only may. */
  sure: boolean;
  why: string;
  /** It is the heal itself (a toxic's removal closing the connection), not a mechanism the heal stops. */
  atHeal?: boolean;
}

/** What a fault kind says about both sides. */
export interface Sides {
  client: Mechanism[];
  server: Mechanism[];
  /** The client's close reaches the server after this delay (undefined: it does not). */
  clientToServer?: number;
  /** The server's close reaches the client after this delay (undefined: it does not). */
  serverToClient?: number;
  /** A paused side notices nothing before it resumes, U after the onset. */
  resume?: { side: Side; at: number };
}

/** ρ (BOUNDS.md): how much of the last round trip the fault swallows, and its spread under jitter. */
export interface Rho {
  value: number;
  spread: number;
}

/** What cuts the path: which direction, and ρ for the client's and the server's pings. */
export interface Cut {
  up: boolean;
  down: boolean;
  /** For the client's pinger: pings t_k ≥ f − ρ fail. */
  rhoClient: Rho;
  /** For the server's pinger (F10). */
  rhoServer: Rho;
  /** The last byte the server read was sent before f (C2): its deadline runs d_u later. */
  readSendTime: boolean;
}

export const fromBound = (b: Bound, why: string): Mechanism => ({
  min: b.min,
  max: b.max,
  sure: true,
  why: `${why}: ${b.why}`,
});

/** Δ = d exactly (± spread, the jitter of the leg it crosses). */
export const exact = (d: number, why: string, spread = 0): Mechanism => ({
  min: d - spread,
  max: d + spread,
  sure: true,
  why: spread ? `${why}: Δ = ${d} ± ${spread}` : `${why}: Δ = ${d}`,
});

export function shift(m: Mechanism | undefined, d: number, why: string, spread = 0): Mechanism | undefined {
  if (!m) return undefined;
  return {
    ...m,
    min: m.min + d - spread,
    max: m.max + d + spread,
    why: `${why} (+${d}${spread ? ` ± ${spread}` : ''}) after [${m.why}]`,
  };
}

export function isSome<T>(x: T | undefined): x is T {
  return x !== undefined;
}

/** The numbers of one run, and the mechanisms of the reference subject in them. */
export class Model {
  readonly I: number;
  readonly T: number;
  readonly N: number;
  readonly R: number;
  readonly du: number;
  readonly dd: number;
  readonly ju: number;
  readonly jd: number;
  readonly r: number;

  constructor(readonly c: BoundContext) {
    this.I = c.config.interval;
    this.T = c.config.pongTimeout;
    this.N = c.config.missThreshold;
    this.R = c.config.readDeadline;
    this.du = c.link.up.latency;
    this.dd = c.link.down.latency;
    this.ju = c.link.up.jitter;
    this.jd = c.link.down.jitter;
    this.r = this.du + this.dd;
  }

  /** ρ made of the up leg, the down leg, both or neither. */
  rho(up: boolean, down: boolean): Rho {
    return {
      value: (up ? this.du : 0) + (down ? this.dd : 0),
      spread: (up ? this.ju : 0) + (down ? this.jd : 0),
    };
  }

  /**
   * Pong timeout of a fixed-rate pinger (I, T, N) whose first lost ping is the first with
   * t_k ≥ f − ρ: [T − ρ, T − ρ + I) + (N−1)·I, widened by ρ's spread.
   */
  private pinger(interval: number, pongTimeout: number, rho: Rho, who: string): Mechanism {
    // clientBlackHole takes ρ through its convention; C2 (ρ = d_u) with the path {ρ, r − ρ} gives ρ
    // and keeps its health check (r < T) on the real round trip.
    const b = clientBlackHole({
      interval,
      pongTimeout,
      missThreshold: this.N,
      convention: 'C2',
      path: { up: rho.value, down: this.r - rho.value },
    });
    const late = Math.min(rho.spread, rho.value);
    const why = b.why.replace(/^client black-hole C2 /, 'black-hole ');
    return fromBound(
      {
        min: b.min - rho.spread,
        max: b.max + late,
        why: rho.spread ? `${why}, jitter widens by −${rho.spread}/+${late}` : why,
      },
      `${who} pong timeout`,
    );
  }

  clientPings(rho: Rho): Mechanism | undefined {
    if (this.I <= 0) return undefined;
    return this.pinger(this.I, this.T, rho, 'client');
  }

  serverPings(rho: Rho): Mechanism | undefined {
    const hb = this.c.config.serverHeartbeat;
    if (hb === false || hb.interval <= 0) return undefined;
    return this.pinger(hb.interval, hb.pongTimeout, rho, 'server');
  }

  /**
   * Server read deadline R after the last byte that got through. It arrived in [f − G, f) (C1), or
   * was sent in it and arrived d_u later (send time, C2).
   */
  readDeadline(sendTime: boolean): Mechanism | undefined {
    if (this.R <= 0 || this.I <= 0) return undefined;
    const gap = this.I + this.du + 2 * this.ju;
    const b = serverBlackHole({
      interval: this.I,
      readDeadline: this.R,
      convention: sendTime ? 'C2' : 'C1',
      up: this.du,
      gap,
    });
    const spread = sendTime ? this.ju : 0;
    return fromBound(
      {
        min: b.min - spread,
        max: b.max + spread,
        why: `${b.why} (G = I + d_u + 2·J_u)${spread ? `, jitter ±${spread}` : ''}`,
      },
      'server read deadline',
    );
  }

  /** A cut of one or both directions, as seen by both sides' mechanisms. */
  cut(c: Cut): Sides {
    return {
      client: [c.up || c.down ? this.clientPings(c.rhoClient) : undefined].filter(isSome),
      server: [
        c.up ? this.readDeadline(c.readSendTime) : undefined,
        c.up || c.down ? this.serverPings(c.rhoServer) : undefined,
      ].filter(isSome),
      ...(c.up ? {} : { clientToServer: this.du }),
      ...(c.down ? {} : { serverToClient: this.dd }),
    };
  }
}
