/**
 * Which BOUNDS.md bound applies to which side for which fault. The closed forms live in bounds.ts;
 * this module only knows the faults: what kind of failure each one is (the peer is gone, or merely
 * slow), which side's mechanism should notice it, and with which numbers.
 */
import type { Bound, Side } from '../result.ts';
import type { FaultEntry, ReferenceConfig, Topology } from '../scenario/schema.ts';
import {
  type Convention,
  clientBlackHole,
  clientReset,
  reconnectConvergence,
  serverBlackHole,
} from './bounds.ts';

/**
 * dead: the path or peer is gone, a detection is the point (true detection).
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

const hull = (a: Bound, b: Bound, why: string): Bound => ({
  min: Math.min(a.min, b.min),
  max: Math.max(a.max, b.max),
  why: `${why}: hull of ${a.why} and ${b.why}`,
});

function clientBH(c: BoundContext, convention: Convention): Bound {
  const { up, down } = c.topology.link;
  return clientBlackHole({
    interval: c.config.interval,
    pongTimeout: c.config.pongTimeout,
    missThreshold: c.config.missThreshold,
    convention,
    path: { up: up.latency, down: down.latency },
  });
}

function serverBH(c: BoundContext, convention: Convention): Bound {
  return serverBlackHole({
    interval: c.config.interval,
    readDeadline: c.config.readDeadline,
    convention,
    up: c.topology.link.up.latency,
  });
}

/**
 * The server either times out on its own or hears the client's close once the client has detected
 * (a FIN on a path that still carries client→server bytes): the bound is the hull of the two.
 */
function serverAfterClient(c: BoundContext, convention: Convention, serverTimesOut: boolean): Bound {
  const fromClient = clientBH(c, convention);
  const shifted: Bound = {
    min: fromClient.min,
    max: fromClient.max + c.topology.link.up.latency,
    why: `client's close reaches the server: ${fromClient.why} + d_u`,
  };
  return serverTimesOut
    ? hull(serverBH(c, convention), shifted, 'server read deadline or client close')
    : shifted;
}

function loose(c: BoundContext, why: string): Bound {
  return { min: 0, max: c.remaining, why: `${why}: [0, end of run] = [0, ${c.remaining}]` };
}

/** The detection bound for one side, or undefined when that side is not expected to detect it. */
export function detectionBound(entry: FaultEntry, side: Side, c: BoundContext): Bound | undefined {
  const f = entry.fault;
  const r = c.topology.link.up.latency + c.topology.link.down.latency;
  try {
    switch (f.type) {
      case 'timeout':
      case 'bandwidth': {
        if (f.type === 'bandwidth' && f.attributes.rate !== 0) return undefined;
        // Toxiproxy drops (or holds) at the proxy: a cut for everything that reaches it after f.
        const stream = f.stream;
        if (side === 'client') return clientBH(c, 'C1');
        if (stream === 'downstream') return serverAfterClient(c, 'C1', false);
        return serverAfterClient(c, 'C1', true);
      }
      case 'partition': {
        if (side === 'client') return clientBH(c, f.convention);
        return serverAfterClient(c, f.convention, f.direction !== 'server->client');
      }
      case 'crash':
        if (f.host === side) return undefined;
        return side === 'client' ? clientBH(c, f.convention) : serverBH(c, f.convention);
      case 'pause': {
        const until = entry.until === undefined ? c.remaining : entry.until - entry.at;
        if (f.host === side) {
          return {
            min: 0,
            max: until + c.config.readDeadline + c.config.interval,
            why: 'paused side: its overdue timers fire at resume',
          };
        }
        return side === 'client' ? clientBH(c, 'C1') : serverBH(c, 'C1');
      }
      case 'reset_peer': {
        // Nothing until the first chunk in that direction (the next ping, or its pong), then
        // `timeout`, then the RST.
        const first =
          f.stream === 'upstream' ? c.config.interval + c.topology.link.up.latency : c.config.interval + r;
        const b = clientReset({ delivery: f.attributes.timeout, epsilon: first + r });
        return {
          ...b,
          why: `reset_peer: first chunk within ${first}, then timeout ${f.attributes.timeout}, RST within r: ${b.why}`,
        };
      }
      case 'proxy-down': {
        const d = side === 'client' ? c.topology.link.down.latency : c.topology.link.up.latency;
        return { min: 0, max: d, why: `proxy disabled: its close reaches the ${side} within d = ${d}` };
      }
      case 'limit_data':
        return loose(c, 'limit_data closes when the byte budget is spent, which depends on traffic');
      case 'nat': {
        const idle = f.idleTimeout;
        if (c.config.interval < idle) return undefined; // heartbeats keep the mapping alive
        return loose(c, `nat forgets mappings idle ${idle} ms ≤ interval ${c.config.interval}`);
      }
      default:
        return undefined;
    }
  } catch (e) {
    // A configuration the closed form does not cover (e.g. unhealthy before the fault): say so
    // rather than invent a number.
    return { min: 0, max: c.remaining, why: `no closed form: ${(e as Error).message}` };
  }
}

export function reconnectBound(c: BoundContext): Bound {
  const r = c.topology.link.up.latency + c.topology.link.down.latency;
  return reconnectConvergence({
    backoff: c.config.backoff,
    attemptMax: c.config.connectTimeout,
    handshake: r,
  });
}
