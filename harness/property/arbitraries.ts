/**
 * fast-check arbitraries for heartbeat property tests, composed from small ones so that shrinking
 * works on every part: a config shrinks toward short intervals, small slacks and the seed backoff; a
 * timeline shrinks by removing faults, shortening them and moving them earlier.
 *
 * Configurations are healthy by construction (BOUNDS.md): the pong timeout exceeds the worst round
 * trip (r + J_u + J_d < T) and the read deadline exceeds the worst gap between the bytes the server
 * receives — pings (I + d_u + 2·J_u < R) or, with business traffic, business messages too — so a
 * detection without a fault is always a mistake.
 */
import fc from 'fast-check';
import type { FaultKind } from '../faults/kind.ts';
import { FAULT_ARBITRARIES, FAULT_KINDS, type Fault } from '../faults/registry.ts';
import type { FaultEntry } from '../scenario/schema.ts';
import type { BackoffPolicyName, BusinessTraffic, ReferenceConfig } from '../subjects/reference-config.ts';
import { BACKOFF_POLICIES, BUSINESS_FRAME_MIN, REFERENCE_DEFAULTS } from '../subjects/reference-config.ts';
import type { Link, PropertyCase, Setup } from './case.ts';

export interface Range {
  min: number;
  max: number;
}

function checkRange(what: string, r: Range, floor = 0): Range {
  if (!Number.isSafeInteger(r.min) || !Number.isSafeInteger(r.max) || r.min < floor || r.max < r.min) {
    throw new RangeError(
      `arbitraries: ${what} must be integers with ${floor} ≤ min ≤ max, got ${JSON.stringify(r)}`,
    );
  }
  return r;
}

const int = (r: Range) => fc.integer({ min: r.min, max: r.max });

// ---------------------------------------------------------------------------------------------
// the wire

export interface LinkOptions {
  /** One-way base latency of each leg, ms (default 0–100). */
  latency?: Range;
  /** ± jitter of each leg, ms, never above that leg's latency (default 0–20). */
  jitter?: Range;
}

/** Two legs (up = client→server, down = server→client), each latency ± jitter, jitter ≤ latency. */
export function link(options: LinkOptions = {}): fc.Arbitrary<Link> {
  const latency = checkRange('link.latency', options.latency ?? { min: 0, max: 100 });
  const jitter = checkRange('link.jitter', options.jitter ?? { min: 0, max: 20 });
  return fc
    .record({ upL: int(latency), upJ: int(jitter), downL: int(latency), downJ: int(jitter) })
    .map(({ upL, upJ, downL, downJ }) => ({
      up: { latency: upL, jitter: Math.min(upJ, upL) },
      down: { latency: downL, jitter: Math.min(downJ, downL) },
    }));
}

// ---------------------------------------------------------------------------------------------
// configuration

export interface BusinessOptions {
  /** The client sends one business message every E ms (default 100–3000). */
  every?: Range;
  /** Size of each business frame on the wire, bytes (default the smallest frame … 256). */
  bytes?: Range;
  /** How long the server's handler takes per message, ms (default 0–20 000: slower than T, than I, than E). */
  handlerDelay?: Range;
}

export interface ConfigOptions {
  link?: LinkOptions;
  /** Ping interval I, ms (default 1 s–30 s). */
  interval?: Range;
  /**
   * Instead of `interval`: I as a percentage of the shortest round trip r − J_u − J_d (e.g. 20–85:
   * every pong arrives after the next ping has left, several pings in flight), at least 50 ms.
   */
  intervalPercentOfRtt?: Range;
  /**
   * Business traffic (F6) on the heartbeat's connection: the reference config's `business` (the
   * client sends, the server's handler answers after `handlerDelay`). The read deadline may then
   * rely on it: R = min(I + d_u + 2·J_u, E + r + 3·J_u + J_d) + readSlack (see config()).
   */
  business?: BusinessOptions;
  /** Pong timeout T minus the worst round trip r + J_u + J_d, ms (default 1–10 000). */
  pongSlack?: Range;
  /** Read deadline R minus the worst gap I + d_u + 2·J_u, ms (default 1–30 000). */
  readSlack?: Range;
  /** Miss threshold N (F12) (default 1–3). */
  missThreshold?: Range;
  /** Connect timeout, ms (default 1 s–10 s); r + J_u + J_d more when it would not cover the handshake. */
  connectTimeout?: Range;
  /** Backoff policies to draw from (default all five; the first is where shrinking goes). */
  backoffPolicies?: readonly BackoffPolicyName[];
  /** First nominal backoff wait b, ms (default 100–5000). */
  backoffBase?: Range;
  /** Cap c minus base b, ms (default 0–30 000). */
  backoffCapExtra?: Range;
}

function backoff(options: ConfigOptions): fc.Arbitrary<ReferenceConfig['backoff']> {
  const policies = options.backoffPolicies ?? BACKOFF_POLICIES;
  if (policies.length === 0 || policies.some((p) => !BACKOFF_POLICIES.includes(p))) {
    throw new RangeError(
      `arbitraries: backoffPolicies must be a non-empty list of ${BACKOFF_POLICIES.join(', ')}, got ${JSON.stringify(policies)}`,
    );
  }
  const base = checkRange('backoffBase', options.backoffBase ?? { min: 100, max: 5000 }, 1);
  const capExtra = checkRange('backoffCapExtra', options.backoffCapExtra ?? { min: 0, max: 30_000 });
  return fc
    .record({
      policy: fc.constantFrom(...policies),
      base: int(base),
      capExtra: int(capExtra),
      multiplier: fc.constantFrom(2, 1.6, 3, 1.5),
      jitterMs: fc.integer({ min: 0, max: 2000 }),
      jitterFraction: fc.constantFrom(0.2, 0, 0.1, 0.5),
    })
    .map(({ policy, base: b, capExtra: extra, multiplier, jitterMs, jitterFraction }) => ({
      policy,
      base: b,
      cap: b + extra,
      multiplier,
      // seed: J ms added uniformly; grpc: the fraction j; the other policies have no jitter knob.
      jitter: policy === 'seed' ? jitterMs : policy === 'grpc' ? jitterFraction : 0,
    }));
}

function business(options: BusinessOptions): fc.Arbitrary<BusinessTraffic> {
  const every = checkRange('business.every', options.every ?? { min: 100, max: 3000 }, 1);
  const bytes = checkRange(
    'business.bytes',
    options.bytes ?? { min: BUSINESS_FRAME_MIN, max: 256 },
    BUSINESS_FRAME_MIN,
  );
  const delay = checkRange('business.handlerDelay', options.handlerDelay ?? { min: 0, max: 20_000 });
  return fc
    .record({ every: int(every), bytes: int(bytes), handlerDelay: int(delay) })
    .map((b): BusinessTraffic => ({ every: b.every, bytes: b.bytes, handlerDelay: b.handlerDelay }));
}

/**
 * The longest the server can go without receiving a byte while business traffic flows (F4: any byte
 * re-arms the read deadline), from its accept on. The client's hello reaches the server with the
 * handshake's ACK (no earlier than c + d_u − J_u, c the client's connect); the server's hello reaches
 * the client by c + r + J_u + J_d; the client's next business tick is at most E later (ticks before
 * the hello are skipped), and arrives d_u + J_u after it: a first gap of at most E + r + 3·J_u + J_d.
 * Later messages leave every E and arrive within ±J_u of d_u (FIFO): gaps of at most E + 2·J_u.
 */
export function businessGap(b: BusinessTraffic, link: Link): number {
  const { up, down } = link;
  return b.every + up.latency + down.latency + 3 * up.jitter + down.jitter;
}

/** The longest gap between pings reaching the server, from its accept on (BOUNDS.md: I + d_u, ± J_u each). */
export function pingGap(interval: number, link: Link): number {
  return interval + link.up.latency + 2 * link.up.jitter;
}

/**
 * A healthy reference configuration (F18 vocabulary) together with the wire it is healthy on:
 * T = r + J_u + J_d + pongSlack; R = G + readSlack with G the longest the server can go without a
 * byte — pingGap (I + d_u + 2·J_u), or with business traffic the smaller of that and businessGap
 * (E + r + 3·J_u + J_d); a connect timeout longer than the worst handshake. Keepalive, the server's own
 * heartbeat and the adaptive interval are off, so the heartbeat alone is under test.
 */
export function config(options: ConfigOptions = {}): fc.Arbitrary<Setup> {
  const interval = checkRange('interval', options.interval ?? { min: 1000, max: 30_000 }, 1);
  const percent =
    options.intervalPercentOfRtt && checkRange('intervalPercentOfRtt', options.intervalPercentOfRtt, 1);
  const pongSlack = checkRange('pongSlack', options.pongSlack ?? { min: 1, max: 10_000 }, 1);
  const readSlack = checkRange('readSlack', options.readSlack ?? { min: 1, max: 30_000 }, 1);
  const misses = checkRange('missThreshold', options.missThreshold ?? { min: 1, max: 3 }, 1);
  const connect = checkRange('connectTimeout', options.connectTimeout ?? { min: 1000, max: 10_000 }, 1);
  const heartbeat = fc.record({
    link: link(options.link),
    interval: percent ? int(percent) : int(interval),
    pongSlack: int(pongSlack),
    readSlack: int(readSlack),
    missThreshold: int(misses),
    suspect: fc.integer({ min: 1, max: 3 }),
    connectTimeout: int(connect),
    backoff: backoff(options),
  });
  type Heartbeat = typeof heartbeat extends fc.Arbitrary<infer H> ? H : never;
  const drawn: fc.Arbitrary<Heartbeat & { business?: BusinessTraffic }> = options.business
    ? fc.tuple(heartbeat, business(options.business)).map(([h, b]) => ({ ...h, business: b }))
    : heartbeat;
  return drawn.map((g): Setup => {
    const { up, down } = g.link;
    const worstRtt = up.latency + down.latency + up.jitter + down.jitter;
    const shortestRtt = up.latency + down.latency - up.jitter - down.jitter;
    const I = percent ? Math.max(50, Math.floor((shortestRtt * g.interval) / 100)) : g.interval;
    const pongTimeout = worstRtt + g.pongSlack;
    const gap = g.business
      ? Math.min(pingGap(I, g.link), businessGap(g.business, g.link))
      : pingGap(I, g.link);
    const readDeadline = gap + g.readSlack;
    const config: ReferenceConfig = {
      ...REFERENCE_DEFAULTS,
      interval: I,
      pongTimeout,
      readDeadline,
      keepalive: false,
      missThreshold: g.missThreshold,
      suspectThreshold: Math.min(g.suspect, g.missThreshold),
      backoff: g.backoff,
      // A connect must be able to succeed: on a slow wire the handshake's round trip comes on top.
      connectTimeout: g.connectTimeout > worstRtt ? g.connectTimeout : worstRtt + g.connectTimeout,
      serverHeartbeat: false,
      adaptive: false,
      connectionThresholds: { ...REFERENCE_DEFAULTS.connectionThresholds },
    };
    if (g.business) config.business = g.business;
    return { config, link: g.link };
  });
}

// ---------------------------------------------------------------------------------------------
// fault timelines

/**
 * Faults a timeline may contain: the arbitraries the fault kinds offer (harness/faults; sim-only
 * faults, direct topology):
 * - partition: both ways, C1 cut or C2 send-time, dropped packets;
 * - partition-one-way: client→server or server→client only;
 * - crash-server / crash-client: the host vanishes silently and restarts at the heal;
 * - crash-server-closing / crash-client-closing: the process dies on a live OS, whose kernel resets
 *   (RST) or closes (FIN) its connections and refuses new ones until the service restarts at the heal.
 * The silent ones make the peer unreachable without a FIN or RST, so the heartbeat is what must find
 * them; the closing ones are found from the RST or FIN, and the client must reconnect after either.
 */
/** The name of a timeline fault (a fault kind's arbitrary: `partition-one-way`, `crash-server`…). */
export type TimelineFault = string;

/** The timeline faults of kinds placed in a topology (proxy: Toxiproxy's faults, on either backend). */
export function timelineFaults(topology: 'direct' | 'proxy'): TimelineFault[] {
  return FAULT_KINDS.filter((k) => k.placement === topology).flatMap((k) =>
    Object.keys((k as FaultKind).arbitraries ?? {}),
  );
}

/** The default timeline faults: the direct topology's, on the simulator. */
export const TIMELINE_FAULTS: readonly TimelineFault[] = timelineFaults('direct');
/** Timeline faults through the proxy: black holes, reset_peer, the proxy down (what real Toxiproxy runs). */
export const PROXY_TIMELINE_FAULTS: readonly TimelineFault[] = timelineFaults('proxy');

export interface TimelineOptions {
  /** Length of the run the timeline must fit in, ms. */
  duration: number;
  /** Where the faults act (default direct): its kinds are the default, and the only ones allowed. */
  topology?: 'direct' | 'proxy';
  /** Default: every kind. The first kind is where shrinking goes. */
  kinds?: readonly TimelineFault[];
  /** Most faults on the timeline (default 3). */
  maxFaults?: number;
  /** Fewest faults drawn (default 0); those that would start after the run ends are dropped. */
  minFaults?: number;
  /** Length of one fault, ms (default 1 s–150 s). */
  length?: Range;
  /** Quiet time before each fault, ms (default 0–120 s). */
  gap?: Range;
  /** Earliest onset, ms from the start (default 5 s): the client has connected by then. */
  warmup?: number;
}

function faultOf(kind: TimelineFault): fc.Arbitrary<Fault> {
  return FAULT_ARBITRARIES[kind]!;
}

/**
 * Non-overlapping faults laid out one after another: each waits `gap` after the previous heal (or
 * the warmup) and lasts `length`; one that would outlast the run lasts to its end (no `until`), and
 * the rest are dropped. Shrinking removes faults, shortens them and moves them earlier.
 */
export function timeline(options: TimelineOptions): fc.Arbitrary<FaultEntry[]> {
  const { duration } = options;
  if (!Number.isSafeInteger(duration) || duration <= 0) {
    throw new RangeError(`arbitraries.timeline: duration must be a positive integer of ms, got ${duration}`);
  }
  const allowed = options.topology === 'proxy' ? PROXY_TIMELINE_FAULTS : TIMELINE_FAULTS;
  const kinds = options.kinds ?? allowed;
  if (kinds.length === 0 || kinds.some((k) => !allowed.includes(k))) {
    throw new RangeError(
      `arbitraries.timeline: kinds must be a non-empty list of ${allowed.join(', ')}${options.topology === 'proxy' ? ' (proxy topology)' : ''}, got ${JSON.stringify(kinds)}`,
    );
  }
  const length = checkRange('timeline.length', options.length ?? { min: 1000, max: 150_000 }, 1);
  const gap = checkRange('timeline.gap', options.gap ?? { min: 0, max: 120_000 });
  const warmup = options.warmup ?? 5000;
  const maxFaults = options.maxFaults ?? 3;
  const minFaults = options.minFaults ?? 0;
  if (!Number.isSafeInteger(minFaults) || minFaults < 0 || minFaults > maxFaults) {
    throw new RangeError(
      `arbitraries.timeline: minFaults must be an integer in [0, maxFaults], got ${minFaults}`,
    );
  }
  if (!Number.isSafeInteger(warmup) || warmup < 0 || warmup >= duration) {
    throw new RangeError(`arbitraries.timeline: warmup must be an integer in [0, duration), got ${warmup}`);
  }
  // Cross-shrink: a failing fault of any kind also tries the first kind (the simplest one).
  const fault = fc.oneof({ withCrossShrink: true }, ...kinds.map(faultOf));
  return fc
    .array(fc.record({ gap: int(gap), length: int(length), fault }), {
      ...(minFaults > 0 ? { minLength: minFaults } : {}),
      maxLength: maxFaults,
    })
    .map((specs) => {
      const out: FaultEntry[] = [];
      let t = warmup;
      for (const spec of specs) {
        const at = t + spec.gap;
        if (at >= duration) break;
        const entry: FaultEntry = { id: `${spec.fault.type}-${out.length + 1}`, at, fault: spec.fault };
        const until = at + spec.length;
        if (until < duration) entry.until = until;
        out.push(entry);
        if (entry.until === undefined) break;
        t = until;
      }
      return out;
    });
}

/** A simulator seed (the scenario format allows 0 … 2³²−1). */
export function seed(range: Range = { min: 0, max: 0xffff_ffff }): fc.Arbitrary<number> {
  const r = checkRange('seed', range);
  if (r.max > 0xffff_ffff) throw new RangeError(`arbitraries: seed must be at most 2³²−1, got ${r.max}`);
  return int(r);
}

// ---------------------------------------------------------------------------------------------
// whole cases

export interface FaultCaseOptions extends ConfigOptions, Partial<Omit<TimelineOptions, 'duration'>> {
  /** Length of each run, ms (default 300 s). */
  duration?: number;
  /** Simulator seeds to draw from (default 0 … 2³²−1). */
  seed?: Range;
  /**
   * Clients, each on its own host with its own seeded randomness, all facing the same faults (a
   * herd: partitions cut every path, a server crash is everyone's outage) (default 1).
   */
  clients?: Range;
}

/**
 * The server drops a client whose unhandled business messages pass its maxQueuedBytes (1 MiB by
 * default): a handler slower than the message rate may back up at most half of that over the run,
 * or it is made as fast as the rate (the backlog then stays at a message or two).
 */
const BUSINESS_BACKLOG_MAX = 512 * 1024;

function boundedBacklog(setup: Setup, duration: number): Setup {
  const b = setup.config.business;
  if (!b || b.handlerDelay <= b.every) return setup;
  if (Math.ceil(duration / b.every) * b.bytes <= BUSINESS_BACKLOG_MAX) return setup;
  return { ...setup, config: { ...setup.config, business: { ...b, handlerDelay: b.every } } };
}

/**
 * A healthy configuration, a fault timeline over the run and a seed. The timeline comes first, so
 * shrinking makes the timeline minimal before it simplifies the configuration.
 */
export function faultCase(options: FaultCaseOptions = {}): fc.Arbitrary<PropertyCase> {
  const duration = options.duration ?? 300_000;
  const topology = options.topology ?? 'direct';
  const clients = checkRange('clients', options.clients ?? { min: 1, max: 1 }, 1);
  const parts = {
    faults: timeline({ ...options, duration }),
    setup: config(options),
    seed: seed(options.seed),
  };
  // Only a herd draws its size, so that one-client cases stay what they were for every seed.
  const drawn =
    clients.max > 1
      ? fc.record({ ...parts, clients: int(clients) })
      : fc.record(parts).map((p) => ({ ...p, clients: clients.min }));
  return drawn.map(({ setup, faults, seed: s, clients: n }) => ({
    ...boundedBacklog(setup, duration),
    faults,
    duration,
    seed: s,
    ...(topology === 'proxy' ? { topology } : {}),
    ...(n > 1 ? { clients: n } : {}),
  }));
}

/**
 * The shapes of a fault-free case (quietCase), each healthy by construction:
 * - `plain`: the heartbeat alone on a jittery wire (latency 0–100 ms a leg);
 * - `business`: business traffic (F6) on the heartbeat's connection, with handlers up to 20 s slow
 *   (slower than the pong timeout, the interval and the message rate), and a read deadline that may
 *   rely on the business messages rather than the pings (F4: any byte re-arms it);
 * - `high-rtt`: a slow wire (0.5–3 s a leg) with the interval 20–85 % of the shortest round trip, so
 *   several pings are in flight and every pong answers an older ping, still inside the pong timeout.
 */
export const QUIET_FLAVOURS = ['plain', 'business', 'high-rtt'] as const;
export type QuietFlavour = (typeof QUIET_FLAVOURS)[number];

const FLAVOUR_OPTIONS: Record<QuietFlavour, ConfigOptions> = {
  plain: {},
  business: { business: {}, readSlack: { min: 1, max: 5000 } },
  'high-rtt': {
    link: { latency: { min: 500, max: 3000 }, jitter: { min: 0, max: 200 } },
    intervalPercentOfRtt: { min: 20, max: 85 },
  },
};

export interface QuietCaseOptions extends ConfigOptions {
  /** Length of each run, ms (default 180 s). */
  duration?: number;
  /** Simulator seeds to draw from (default 0 … 2³²−1). */
  seed?: Range;
  /** The shapes to draw from (default all; the first is where shrinking goes); options given here apply to each. */
  flavours?: readonly QuietFlavour[];
}

/** A healthy configuration on a jittery wire with no fault at all: any detection is a mistake. */
export function quietCase(options: QuietCaseOptions = {}): fc.Arbitrary<PropertyCase> {
  const duration = options.duration ?? 180_000;
  const flavours = options.flavours ?? QUIET_FLAVOURS;
  if (flavours.length === 0 || flavours.some((f) => !QUIET_FLAVOURS.includes(f))) {
    throw new RangeError(
      `arbitraries.quietCase: flavours must be a non-empty list of ${QUIET_FLAVOURS.join(', ')}, got ${JSON.stringify(flavours)}`,
    );
  }
  const { flavours: _, duration: __, seed: ___, ...given } = options;
  const setups = flavours.map((f) => config({ ...FLAVOUR_OPTIONS[f], ...given }));
  const setup = setups.length === 1 ? setups[0]! : fc.oneof(...setups);
  return fc
    .record({ setup, seed: seed(options.seed) })
    .map(({ setup: s, seed: n }) => ({ ...boundedBacklog(s, duration), faults: [], duration, seed: n }));
}
