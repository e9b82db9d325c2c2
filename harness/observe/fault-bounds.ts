/**
 * Which BOUNDS.md bound applies to which side for which fault. The closed forms live in bounds.ts;
 * this module only knows the faults: what kind of failure each one is (the peer is gone, or merely
 * slow), which mechanisms of each side can notice it, and with which numbers.
 *
 * A side ends a faulted connection at the first of its own mechanisms that fires (its pong timeout,
 * its read deadline, its own pings under F10, an RST or FIN the fault itself delivers) and of the
 * peer's close reaching it (when the path still carries it). Each mechanism is a range of Δ and
 * whether it surely fires; the side's bound is the range of the earliest one:
 *   min = the smallest min of all mechanisms; max = the smallest max of those that surely fire.
 * The peer's close counts with the peer's OWN mechanisms shifted by the one-way delay (its earliest
 * close can only come from them: anything it learns from us is later than our own close).
 *
 * Where the cut sits matters for ρ (BOUNDS.md notation). Toxiproxy acts at the proxy, which shares a
 * rack with the server: a chunk is lost when it reaches the proxy at or after f, so for the client
 * ρ = d_u whichever direction is cut (a pong leaves the proxy the instant its ping reached it). A
 * partition follows its declared convention per direction. A silently crashed host loses what
 * arrives at it from f on, while what it sent before f still arrives.
 *
 * Assumptions, stated so a reader can check them: base delays without jitter (links with jitter are
 * used for benign faults only); the reference server answers pings at once (processing 0); times are
 * integer ms and the BOUNDS.md tie rule holds.
 */
import type { Bound, Side } from '../result.ts';
import type { FaultEntry, ReferenceConfig, Topology } from '../scenario/schema.ts';
import { clientBlackHole, reconnectConvergence, serverBlackHole } from './bounds.ts';

/**
 * dead: the path or peer is gone (or frozen), a detection is the point (true detection).
 * benign: the peer is alive and the path only slow or odd; any detection is a mistake (BOUNDS.md
 * "a false detection").
 */
export type FaultClass = 'dead' | 'benign';

export function faultClass(entry: FaultEntry): FaultClass {
  const f = entry.fault;
  switch (f.type) {
    case 'timeout':
    case 'reset_peer':
    case 'limit_data':
    case 'proxy-down':
    case 'partition':
    case 'crash':
    case 'nat':
    case 'pause':
      return 'dead';
    case 'bandwidth':
      return f.attributes.rate === 0 ? 'dead' : 'benign';
    case 'loss':
      // Random loss only delays: TCP resends every lost segment one RTO later (doubling while it keeps
      // being lost), so the peer stays reachable and a detection is a mistake, however heavy the loss —
      // unless nothing gets through at all: probability 1 is a C2 partition that drops.
      return f.probability === 1 ? 'dead' : 'benign';
    default:
      return 'benign';
  }
}

export interface BoundContext {
  config: ReferenceConfig;
  topology: Topology;
  /** Scenario time left after the onset, for faults whose bound is only "before the run ends". */
  remaining: number;
}

/** One way a side can come to end the connection. */
interface Mechanism {
  min: number;
  /** Inclusive, like Bound.max. */
  max: number;
  /** It fires for sure (by max); otherwise it only may. */
  sure: boolean;
  why: string;
  /** It is the heal itself (a toxic's removal closing the connection), not a mechanism the heal stops. */
  atHeal?: boolean;
}

const fromBound = (b: Bound, why: string): Mechanism => ({
  min: b.min,
  max: b.max,
  sure: true,
  why: `${why}: ${b.why}`,
});

const exact = (d: number, why: string): Mechanism => ({
  min: d,
  max: d,
  sure: true,
  why: `${why}: Δ = ${d}`,
});

function shift(m: Mechanism | undefined, d: number, why: string): Mechanism | undefined {
  if (!m) return undefined;
  return { ...m, min: m.min + d, max: m.max + d, why: `${why} (+${d}) after [${m.why}]` };
}

/** The earliest of several mechanisms, as a Bound; undefined when none applies. */
function earliest(ms: (Mechanism | undefined)[]): Mechanism | undefined {
  const all = ms.filter((m): m is Mechanism => m !== undefined);
  if (all.length === 0) return undefined;
  const sure = all.filter((m) => m.sure);
  const min = Math.min(...all.map((m) => m.min));
  const max = sure.length > 0 ? Math.min(...sure.map((m) => m.max)) : Math.max(...all.map((m) => m.max));
  if (all.length === 1) return all[0];
  return {
    min,
    max,
    sure: sure.length > 0,
    why: `earliest of {${all.map((m) => `${m.why} → [${m.min}, ${m.max}]${m.sure ? '' : ' (may)'}`).join('; ')}} = [${min}, ${max}]`,
  };
}

/** Pong timeout of a fixed-rate pinger (I, T, N) whose first lost ping is the first with t_k ≥ f − ρ. */
function pinger(
  interval: number,
  pongTimeout: number,
  n: number,
  rho: number,
  r: number,
  who: string,
): Mechanism {
  // clientBlackHole takes ρ through its convention; C2 (ρ = d_u) with the path {ρ, r − ρ} gives ρ
  // and keeps its health check (r < T) on the real round trip.
  const b = clientBlackHole({
    interval,
    pongTimeout,
    missThreshold: n,
    convention: 'C2',
    path: { up: rho, down: r - rho },
  });
  return fromBound(
    { ...b, why: b.why.replace(/^client black-hole C2 /, 'black-hole ') },
    `${who} pong timeout`,
  );
}

interface Sides {
  client: Mechanism[];
  server: Mechanism[];
  /** The client's close reaches the server after this delay (undefined: it does not). */
  clientToServer?: number;
  /** The server's close reaches the client after this delay (undefined: it does not). */
  serverToClient?: number;
  /** A paused side notices nothing before it resumes, U after the onset. */
  resume?: { side: Side; at: number };
}

/** What cuts the path: which direction, and ρ per BOUNDS.md for the client's and the server's pings. */
interface Cut {
  up: boolean;
  down: boolean;
  /** For the client's pinger: pings t_k ≥ f − ρc fail. */
  rhoClient: number;
  /** For the server's pinger (F10). */
  rhoServer: number;
  /** Last byte the server read arrived in [f − I + shift, f + shift): its read deadline is R after it. */
  readShift: number;
}

class Model {
  readonly I: number;
  readonly T: number;
  readonly N: number;
  readonly R: number;
  readonly du: number;
  readonly dd: number;
  readonly r: number;

  constructor(readonly c: BoundContext) {
    this.I = c.config.interval;
    this.T = c.config.pongTimeout;
    this.N = c.config.missThreshold;
    this.R = c.config.readDeadline;
    this.du = c.topology.link.up.latency;
    this.dd = c.topology.link.down.latency;
    this.r = this.du + this.dd;
  }

  clientPings(rho: number): Mechanism | undefined {
    if (this.I <= 0) return undefined;
    return pinger(this.I, this.T, this.N, rho, this.r, 'client');
  }

  serverPings(rho: number): Mechanism | undefined {
    const hb = this.c.config.serverHeartbeat;
    if (hb === false || hb.interval <= 0) return undefined;
    return pinger(hb.interval, hb.pongTimeout, this.N, rho, this.r, 'server');
  }

  /** Server read deadline R after the last byte, which arrived in [f − I + s, f + s). */
  readDeadline(s: number): Mechanism | undefined {
    if (this.R <= 0 || this.I <= 0) return undefined;
    const b = serverBlackHole({ interval: this.I, readDeadline: this.R, convention: 'C1', up: 0 });
    return fromBound(
      { min: b.min + s, max: b.max + s, why: s ? `${b.why} + ${s}` : b.why },
      'server read deadline',
    );
  }

  /** A cut of one or both directions, as seen by both sides' mechanisms. */
  cut(c: Cut): Sides {
    return {
      client: [c.up || c.down ? this.clientPings(c.rhoClient) : undefined].filter(isSome),
      server: [
        c.up ? this.readDeadline(c.readShift) : undefined,
        c.up || c.down ? this.serverPings(c.rhoServer) : undefined,
      ].filter(isSome),
      ...(c.up ? {} : { clientToServer: this.du }),
      ...(c.down ? {} : { serverToClient: this.dd }),
    };
  }
}

function isSome<T>(x: T | undefined): x is T {
  return x !== undefined;
}

function toBound(m: Mechanism | undefined): Bound | undefined {
  return m ? { min: m.min, max: m.max, why: m.sure ? m.why : `${m.why} (may not happen)` } : undefined;
}

function sidesOf(entry: FaultEntry, m: Model): Sides | undefined {
  const f = entry.fault;
  const { du, dd, r } = m;
  switch (f.type) {
    case 'timeout':
    case 'bandwidth': {
      if (f.type === 'bandwidth' && f.attributes.rate !== 0) return undefined;
      if (f.type === 'timeout' && (f.attributes.timeout ?? 0) > 0) return undefined;
      const up = f.stream !== 'downstream';
      const down = f.stream !== 'upstream';
      // At the proxy: a client ping fails from t_k + d_u ≥ f on, both ways (ρ = d_u); a server ping
      // fails when it (down) or its pong (up: back at the proxy r later) reaches the proxy after f.
      const sides = m.cut({ up, down, rhoClient: du, rhoServer: down ? 0 : r, readShift: 0 });
      const U = entry.until === undefined ? undefined : entry.until - entry.at;
      if (f.type === 'timeout') {
        // A `timeout` toxic passes EOF, so a close still crosses it; removing it closes every
        // connection it was on (BOUNDS.md: the heal of a black-hole through Toxiproxy is a FIN).
        const heal =
          U === undefined
            ? undefined
            : { ...exact(U, 'the toxic is removed at the heal, closing the connection'), atHeal: true };
        return {
          client: [...sides.client, shift(heal, dd, 'its FIN reaches the client')].filter(isSome),
          server: [...sides.server, heal].filter(isSome),
          clientToServer: du,
          serverToClient: dd,
        };
      }
      // `bandwidth` rate 0 holds its first chunk for ever and reads nothing behind it (no EOF
      // either): the writer's buffers fill. Once they are full a heartbeat write stays queued and
      // the write deadline W (F2) fires — when depends on how much the side writes, so it may fire
      // from W on. At the heal the held data and any close behind it go through.
      const W = m.c.config.writeDeadline;
      const writeStall = (who: string): Mechanism | undefined =>
        W > 0
          ? {
              min: W,
              max: m.c.remaining,
              sure: false,
              why: `${who} write deadline (F2) once its buffers are full: from W = ${W}`,
            }
          : undefined;
      const heal = (d: number): Mechanism | undefined =>
        U === undefined
          ? undefined
          : {
              min: U + d,
              max: U + d,
              sure: false,
              atHeal: true,
              why: `held data and closes released at the heal (+${d})`,
            };
      return {
        ...sides,
        client: [...sides.client, up ? writeStall('client') : undefined, heal(dd)].filter(isSome),
        server: [...sides.server, down ? writeStall('server') : undefined, heal(0)].filter(isSome),
      };
    }
    case 'reset_peer': {
      // Nothing until the first chunk reaches the toxic after f (the next ping upstream, or its pong
      // downstream: both reach the proxy at t_k + d_u), then `timeout`, then the proxy closes both
      // sockets (RST when accepted while a reset_peer toxic existed, else FIN). The chunk is dropped
      // and the stage stops reading, so meanwhile the pong timeout runs as for a black hole.
      const t = f.attributes.timeout ?? 0;
      const up = f.stream !== 'downstream';
      const down = f.stream !== 'upstream';
      const closeAt: Mechanism = {
        min: t,
        max: t + m.I - 1,
        sure: m.I > 0,
        why: `reset_peer: the first chunk after f within [0, I), then timeout ${t}`,
      };
      const sides = m.cut({ up, down, rhoClient: du, rhoServer: 0, readShift: 0 });
      return {
        client: [...sides.client, shift(closeAt, dd, 'the proxy closes, it reaches the client') as Mechanism],
        server: [...sides.server, closeAt],
        // A stalled stage reads no EOF: a close crosses only the direction without the toxic.
        ...(up ? {} : { clientToServer: du }),
        ...(down ? {} : { serverToClient: dd }),
      };
    }
    case 'limit_data': {
      if ((f.attributes.bytes ?? 0) !== 0) return undefined;
      // bytes 0: the first chunk after f in that direction closes the connection (both sockets).
      const closeAt: Mechanism = {
        min: 0,
        max: m.I - 1,
        sure: m.I > 0,
        why: 'limit_data 0: the first chunk after f, within [0, I)',
      };
      return {
        client: [shift(closeAt, dd, 'proxy closes, reaches the client') as Mechanism],
        server: [closeAt],
        clientToServer: du,
        serverToClient: dd,
      };
    }
    case 'proxy-down':
      // The proxy closes every connection at once: the close reaches each side after its leg's delay
      // (the server shares the proxy's rack: 0).
      return {
        client: [exact(dd, 'proxy disabled, its close reaches the client after d_d')],
        server: [exact(0, 'proxy disabled, its close reaches the server at once')],
      };
    case 'partition':
    case 'loss': {
      // (A loss gets here only with probability 1: a partition drawn at send time, C2.)
      const up = f.direction !== 'server->client';
      const down = f.direction !== 'client->server';
      const c1 = f.type === 'partition' && f.convention === 'C1';
      // Client pinger: a ping is lost from t_k + d_u ≥ f (C1) or t_k ≥ f (C2) when up is cut; its
      // pong from t_k + r ≥ f (C1) or t_k + d_u ≥ f (C2) when down is cut.
      const rhoClient = Math.max(up ? (c1 ? du : 0) : 0, down ? (c1 ? r : du) : 0);
      // Server pinger, mirrored.
      const rhoServer = Math.max(down ? (c1 ? dd : 0) : 0, up ? (c1 ? r : dd) : 0);
      return m.cut({ up, down, rhoClient, rhoServer, readShift: c1 ? 0 : du });
    }
    case 'crash': {
      if (f.close !== 'none') {
        // The OS closes the dead process's sockets: a FIN or RST reaches the peer one way later.
        const d = f.host === 'server' ? dd : du;
        const m1 = exact(
          d,
          `${f.host} process died, its ${f.close.toUpperCase()} arrives after the one-way delay`,
        );
        return f.host === 'server' ? { client: [m1], server: [] } : { client: [], server: [m1] };
      }
      // Silent: what reaches the dead host from f on is lost; what it sent before f still arrives.
      if (f.host === 'server') return { client: [m.clientPings(du)].filter(isSome), server: [] };
      return { client: [], server: [m.readDeadline(du), m.serverPings(dd)].filter(isSome) };
    }
    case 'pause': {
      const U = (entry.until ?? entry.at + m.c.remaining) - entry.at;
      // The paused process sends nothing and runs nothing until f + U; its kernel keeps receiving,
      // and at resume everything that fell due runs in order. The other side sees a black hole that
      // lifts when the resumed side's answer arrives: its mechanism counts only if due by then (the
      // tie rule: a deadline due at the arrival instant fires first).
      const lifted = (mech: Mechanism | undefined, answeredBy: number): Mechanism | undefined => {
        if (!mech || mech.min > answeredBy) return undefined;
        return {
          min: mech.min,
          max: Math.min(mech.max, answeredBy),
          sure: mech.sure && mech.max <= answeredBy,
          why: `${mech.why}; the answer after the pause arrives at ${answeredBy}`,
        };
      };
      if (f.host === 'server') {
        // Pings reaching the server from f on are answered at f + U: the pongs are back at U + d_d.
        const own = lifted(m.clientPings(du), U + dd);
        return {
          client: [own].filter(isSome),
          server: [],
          clientToServer: du,
          resume: { side: 'server', at: U },
        };
      }
      // The client's last ping left before f and arrived d_u later; at resume it pings at once.
      const own = [lifted(m.readDeadline(du), U + du), lifted(m.serverPings(dd), U + du)].filter(isSome);
      return { client: [], server: own, serverToClient: dd, resume: { side: 'client', at: U } };
    }
    case 'nat': {
      // A NAT next to the client forgets a mapping idle longer than τ. Heartbeats refresh it; with
      // I > τ + r the gap between pings is enough, and the first ping after such a gap (the first or
      // second after f: the NAT maps open connections as of f) is dropped or answered with an RST.
      const tau = f.idleTimeout;
      if (m.I <= 0 || m.I - r <= tau) return undefined;
      const firstLost: Mechanism = {
        min: 0,
        max: 2 * m.I - 1,
        sure: true,
        why: `nat τ = ${tau} < I − r: the first ping after an idle gap leaves within [0, 2I)`,
      };
      const readDeadline = m.readDeadline(du);
      // The last ping that got through left up to I after f.
      const server = readDeadline && {
        ...readDeadline,
        max: readDeadline.max + m.I,
        why: `${readDeadline.why}, + I`,
      };
      if (f.action === 'rst') {
        return {
          client: [{ ...firstLost, why: `${firstLost.why}; the NAT answers it with an RST at once` }],
          server: [server].filter(isSome),
        };
      }
      // Every ping from the first lost one on is lost: the black-hole bound with ρ = 0, its first
      // lost ping up to one period later than the bound assumes.
      const pongs = m.clientPings(0);
      const client = pongs && { ...pongs, max: pongs.max + m.I, why: `${pongs.why}, + I` };
      return { client: [client].filter(isSome), server: [server].filter(isSome) };
    }
    default:
      return undefined;
  }
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

/** The detection bound for one side, or undefined when that side is not expected to detect it. */
export function detectionBound(entry: FaultEntry, side: Side, c: BoundContext): Bound | undefined {
  if (faultClass(entry) !== 'dead') return undefined;
  const m = new Model(c);
  try {
    const s = sidesOf(entry, m);
    if (!s) return looseBound(entry, c);
    const healed = (ms: Mechanism[]): Mechanism[] => (s.resume ? ms : untilHeal(ms, entry, m));
    const ownClient = earliest(healed(s.client));
    const ownServer = earliest(healed(s.server));
    const found =
      side === 'client'
        ? earliest([
            ownClient,
            s.serverToClient === undefined ? undefined : shift(ownServer, s.serverToClient, "server's close"),
          ])
        : earliest([
            ownServer,
            s.clientToServer === undefined ? undefined : shift(ownClient, s.clientToServer, "client's close"),
          ]);
    if (found && s.resume?.side === side) {
      const U = s.resume.at;
      return toBound({
        ...found,
        min: Math.max(U, found.min),
        max: Math.max(U, found.max),
        why: `paused for ${U}: it acts at resume at the earliest; ${found.why}`,
      });
    }
    return toBound(found);
  } catch (e) {
    // A configuration the closed form does not cover (e.g. unhealthy before the fault): say so
    // rather than invent a number.
    return { min: 0, max: c.remaining, why: `no closed form: ${(e as Error).message}` };
  }
}

/** Faults whose timing depends on the traffic: limit_data > 0, a timeout toxic that closes on its own. */
function looseBound(entry: FaultEntry, c: BoundContext): Bound | undefined {
  const f = entry.fault;
  const why =
    f.type === 'limit_data'
      ? 'limit_data > 0 closes when the byte budget is spent, which depends on the traffic'
      : f.type === 'timeout'
        ? 'a timeout toxic > 0 closes only after that long without data in its direction'
        : undefined;
  if (why === undefined) return undefined;
  return { min: 0, max: c.remaining, why: `${why}: [0, end of run] = [0, ${c.remaining}]` };
}

/**
 * Reconnect convergence after the heal (BOUNDS.md): A_max = the connect timeout, H = 2r (the
 * handshake's round trip, then the server's first frame: the reference client is ready on the
 * server's hello, which leaves when the server accepts, d_u after the client's connect).
 */
export function reconnectBound(c: BoundContext): Bound {
  const r = c.topology.link.up.latency + c.topology.link.down.latency;
  return reconnectConvergence({
    backoff: c.config.backoff,
    attemptMax: c.config.connectTimeout,
    handshake: 2 * r,
  });
}
