/**
 * What BOUNDS.md promises for one generated fault, in the numbers of one case: which side must
 * detect it and within which bound, how fast the client must be back, and how many reconnect
 * attempts an outage allows. The closed forms come from harness/observe/bounds.ts; this module only
 * picks ρ (how much of the last round trip the fault swallows) for each fault, adds what one side
 * learns from the other (a FIN crossing the direction that still works), and widens bounds by the
 * wire's jitter, which the closed forms leave out.
 */
import {
  clientBlackHole,
  noHammering,
  reconnectConvergence,
  serverBlackHole,
  worstWait,
} from '../observe/bounds.ts';
import type { Bound, Side } from '../result.ts';
import type { FaultEntry } from '../scenario/schema.ts';
import type { PropertyCase } from './case.ts';

/** A bound with the inputs it needs from the other side, if any. */
export interface ExpectedDetection {
  side: Side;
  bound: Bound;
  /** The other side whose detection this one follows (its close crosses the working direction). */
  follows?: Side;
}

interface Wire {
  du: number;
  dd: number;
  ju: number;
  jd: number;
  r: number;
}

function wire(c: PropertyCase): Wire {
  const du = c.link.up.latency;
  const dd = c.link.down.latency;
  return { du, dd, ju: c.link.up.jitter, jd: c.link.down.jitter, r: du + dd };
}

/** ρ of the client's black-hole bound for a fault, nominal and its spread under jitter. */
interface Rho {
  rho: number;
  spread: number;
  why: string;
}

function clientRho(entry: FaultEntry, w: Wire): Rho | undefined {
  const f = entry.fault;
  const roundTrip: Rho = { rho: w.r, spread: w.ju + w.jd, why: 'the pong must arrive by f: ρ = r' };
  const upOnly: Rho = { rho: w.du, spread: w.ju, why: 'the ping must reach the server by f: ρ = d_u' };
  if (f.type === 'partition') {
    if (f.direction === 'client->server') {
      return f.convention === 'C1'
        ? upOnly
        : { rho: 0, spread: 0, why: 'pings sent before f get through and are answered: ρ = 0' };
    }
    if (f.convention === 'C2') {
      return { rho: w.du, spread: w.ju, why: 'the pong must leave the server by f: ρ = d_u' };
    }
    return roundTrip;
  }
  // A crashed server loses what arrives from f on; what it sent before still arrives.
  if (f.type === 'crash' && f.host === 'server') return upOnly;
  return undefined;
}

/** [T − ρ, T − ρ + I) + (N−1)·I from bounds.ts, widened by the jitter on ρ. */
function clientBound(c: PropertyCase, rho: Rho, w: Wire): Bound {
  // clientBlackHole's C2 form has ρ = path.up: feed it our ρ, keeping r for the health check.
  const b = clientBlackHole({
    interval: c.config.interval,
    pongTimeout: c.config.pongTimeout,
    missThreshold: c.config.missThreshold,
    convention: 'C2',
    path: { up: rho.rho, down: w.r - rho.rho },
  });
  const lo = Math.min(rho.spread, rho.rho);
  return {
    min: b.min - rho.spread,
    max: b.max + lo,
    why: `client heartbeat: ${b.why.replace(/^client black-hole C2 /, '')}; ${rho.why}${rho.spread ? `, jitter widens by −${rho.spread}/+${lo}` : ''}`,
  };
}

/** Read deadline: R after the last byte that got through, gaps up to G = I + d_u + 2·J_u. */
function serverBound(c: PropertyCase, w: Wire, sendTime: boolean): Bound {
  const gap = c.config.interval + w.du + 2 * w.ju;
  const b = serverBlackHole({
    interval: c.config.interval,
    readDeadline: c.config.readDeadline,
    convention: sendTime ? 'C2' : 'C1',
    up: w.du,
    gap,
  });
  if (!sendTime) return { ...b, why: `server read deadline: ${b.why} (G = I + d_u + 2·J_u)` };
  return {
    min: b.min - w.ju,
    max: b.max + w.ju,
    why: `server read deadline: ${b.why} (G = I + d_u + 2·J_u)${w.ju ? `, jitter ±${w.ju}` : ''}`,
  };
}

/** `first`'s close reaches the other side one leg later. */
function follow(first: Bound, leg: number, jitter: number, from: Side): Bound {
  return {
    min: first.min + leg - jitter,
    max: first.max + leg + jitter,
    why: `the ${from}'s close crosses the working direction: (${first.why}) + ${leg}${jitter ? ` ± ${jitter}` : ''}`,
  };
}

/** The earlier of two ways to find out. */
function earlier(a: Bound, b: Bound): Bound {
  return {
    min: Math.min(a.min, b.min),
    max: Math.min(a.max, b.max),
    why: `earlier of {${a.why}} and {${b.why}}`,
  };
}

/** The detections a fault must produce, side by side (empty: nobody is expected to notice). */
export function expectedDetections(c: PropertyCase, entry: FaultEntry): ExpectedDetection[] {
  const w = wire(c);
  const f = entry.fault;
  if (f.type === 'crash') {
    if (f.host === 'client') {
      // The client's last pings were sent before f and still arrive: a send-time cut for the server.
      return [{ side: 'server', bound: serverBound(c, w, true) }];
    }
    return [{ side: 'client', bound: clientBound(c, clientRho(entry, w)!, w) }];
  }
  if (f.type !== 'partition') return [];
  const client = clientBound(c, clientRho(entry, w)!, w);
  const sendTime = f.convention === 'C2';
  switch (f.direction) {
    case 'both':
      return [
        { side: 'client', bound: client },
        { side: 'server', bound: serverBound(c, w, sendTime) },
      ];
    case 'client->server': {
      // The server's read deadline fires; its FIN still reaches the client.
      const server = serverBound(c, w, sendTime);
      return [
        { side: 'server', bound: server },
        { side: 'client', bound: earlier(client, follow(server, w.dd, w.jd, 'server')), follows: 'server' },
      ];
    }
    case 'server->client':
      // Pings still reach the server; the client's FIN tells it when the client gives up.
      return [
        { side: 'client', bound: client },
        { side: 'server', bound: follow(client, w.du, w.ju, 'client'), follows: 'client' },
      ];
  }
}

/**
 * BOUNDS.md reconnect convergence: from the heal (or the detection, if later) to the next connection,
 * at most A_max + W_cap + H, with A_max the connect timeout (a black-holed attempt runs that long)
 * and H the handshake, one round trip at its slowest.
 */
export function convergenceBound(c: PropertyCase): Bound {
  const w = wire(c);
  const b = reconnectConvergence({
    backoff: c.config.backoff,
    attemptMax: c.config.connectTimeout,
    handshake: w.r + w.ju + w.jd,
  });
  // An attempt already under way at the heal can finish its handshake at once: only the max binds.
  return { ...b, min: 0, why: `${b.why}; min 0: an attempt in flight at the heal completes early` };
}

/**
 * BOUNDS.md no hammering over an outage of `outage` ms counted from the client's detection. Every
 * attempt during these outages is black-holed, so each lasts the connect timeout: A_min = that.
 * Counts attempts started (the last one may still be in flight at the heal).
 */
export function hammeringBound(c: PropertyCase, outage: number): Bound {
  return noHammering({
    backoff: c.config.backoff,
    outage,
    attemptMin: c.config.connectTimeout,
    count: 'started',
  });
}

/** The longest single reconnect wait of the case's backoff (W_cap). */
export function worstBackoffWait(c: PropertyCase): number {
  return worstWait(c.config.backoff);
}
