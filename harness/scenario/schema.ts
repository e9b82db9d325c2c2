/**
 * The scenario format: what a scenario file (YAML) or the builder (TypeScript) may say, validated by
 * zod, and the normalized form the runner consumes (every duration in whole ms, every default filled
 * in, toxic attributes grouped as Toxiproxy's API wants them).
 *
 * Validation happens in three layers, all reported together with paths (the loader turns paths into
 * file:line:column):
 *  1. `scenarioInputSchema`: shape, types, units, enumerations, strict keys.
 *  2. the subject's config: for the reference subject, `referenceConfigSchema` (F18); other subjects'
 *     config is free-form and handed to them as written.
 *  3. cross-field checks (`checkScenario`): until after at, faults inside the duration, a fault's
 *     topology, toxic name clashes, expectations that refer to faults, contradictions.
 * `parseScenario` runs all three; use it (or the loader/builder) rather than the schemas directly.
 */
import { z } from 'zod';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame } from '../../impl/protocol.ts';
import type { BackoffPolicy, Convention } from '../observe/bounds.ts';
import type { Stream, ToxicAttributes, ToxicType } from '../toxics/spec.ts';
import {
  DURATION_PATTERN,
  type DurationOptions,
  parseDuration,
  SIGNED_DURATION_PATTERN,
} from './duration.ts';

// ---------------------------------------------------------------------------------------------
// building blocks

/** How a value is shown in an error: strings quoted, everything else by kind. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface TimeOptions extends DurationOptions {
  /** Words accepted instead of a duration (e.g. 'bound'). */
  keywords?: readonly string[];
  description: string;
}

/**
 * A duration field: a string such as "30s" or a plain number (ms, or µs with unit 'us'), normalized
 * to a whole number. Keywords (like 'bound') pass through unchanged.
 */
function time<const K extends string = never>(options: TimeOptions & { keywords?: readonly K[] }) {
  const keywords = options.keywords ?? [];
  const base = options.allowNegative ? SIGNED_DURATION_PATTERN : DURATION_PATTERN;
  const pattern = keywords.length ? `^(${keywords.map(escapeRegex).join('|')})$|${base}` : base;
  const unitWord = options.unit === 'us' ? 'µs' : 'ms';
  const expected = `${keywords.length ? `${keywords.map((k) => `"${k}"`).join(' or ')} or ` : ''}a duration like 30s, 500ms, 1m30s or a number of ${unitWord}`;
  return z
    .union(
      [
        z.string().regex(new RegExp(pattern), {
          error: (issue) => {
            // Words near a keyword ("bnd") read better as "expected bound or a duration".
            if (keywords.length && !/\d/.test(String(issue.input))) {
              return `expected ${expected}, got ${showValue(issue.input)}`;
            }
            try {
              parseDuration(issue.input, options);
            } catch (e) {
              return (e as Error).message;
            }
            return `expected ${expected}, got ${showValue(issue.input)}`;
          },
        }),
        options.allowNegative ? z.number() : z.number().min(0),
      ],
      { error: (issue) => `expected ${expected}, got ${showValue(issue.input)}` },
    )
    .transform((value, ctx): number | K => {
      if (typeof value === 'string' && (keywords as readonly string[]).includes(value.trim())) {
        return value.trim() as K;
      }
      try {
        return parseDuration(value, options);
      } catch (e) {
        ctx.issues.push({ code: 'custom', message: (e as Error).message, input: value });
        return z.NEVER;
      }
    })
    .meta({ description: options.description });
}

const duration = (description: string) => time({ description });
const positiveInt = (description: string) => z.number().int().min(1).meta({ description });
const nonNegativeInt = (description: string) => z.number().int().min(0).meta({ description });

const sides = ['client', 'server'] as const;
export type Host = (typeof sides)[number];
const hostSchema = z.enum(sides);
const directionSchema = z.enum(['both', 'client->server', 'server->client']);
export type Direction = z.output<typeof directionSchema>;
const conventionSchema = z
  .enum(['C1', 'C2'])
  .meta({ description: 'BOUNDS.md drop convention: C1 cut (in-flight bytes lost too) or C2 send-time' });

// ---------------------------------------------------------------------------------------------
// the reference subject's config (F18)

export const BACKOFF_POLICIES = ['seed', 'full', 'equal', 'decorrelated', 'grpc'] as const;
export type BackoffPolicyName = (typeof BACKOFF_POLICIES)[number];

/** Per-policy defaults: F13's formula for `seed`, gRPC's connection backoff for `grpc`. */
export const BACKOFF_DEFAULTS: Record<BackoffPolicyName, Omit<BackoffPolicy, 'policy'>> = {
  seed: { base: 1000, cap: 60_000, multiplier: 2, jitter: 1000 },
  grpc: { base: 1000, cap: 120_000, multiplier: 1.6, jitter: 0.2 },
  full: { base: 1000, cap: 60_000, multiplier: 2, jitter: 0 },
  equal: { base: 1000, cap: 60_000, multiplier: 2, jitter: 0 },
  decorrelated: { base: 1000, cap: 60_000, multiplier: 3, jitter: 0 },
};

/** Normalized backoff: BackoffPolicy (what harness/observe/bounds.ts takes) plus the attempt cap. */
export interface BackoffConfig extends BackoffPolicy {
  /** F13: give up and raise an alert after this many failed attempts; undefined = never. */
  maxAttempts?: number;
}

const backoffInputSchema = z
  .strictObject({
    policy: z.enum(BACKOFF_POLICIES).default('seed').meta({
      description:
        'seed: min(b·2ⁿ, c) + uniform(0, J) (F13); grpc: β(1±j); full: uniform(0, β); equal: uniform(β/2, β); decorrelated: uniform(b, min(c, 3·w))',
    }),
    base: duration('b: first nominal wait (default 1s)').optional(),
    cap: duration('c: largest nominal wait (default 60s; grpc 120s)').optional(),
    multiplier: z.number().min(1).optional().meta({ description: 'm (default 2; grpc 1.6; decorrelated 3)' }),
    jitter: z.union([z.string(), z.number()]).optional().meta({
      description:
        'seed: J, a duration added uniformly (default 1s); grpc: the fraction j, e.g. 0.2 or "20%" (default 0.2); not used by full, equal, decorrelated',
    }),
    maxAttempts: positiveInt(
      'F13: stop and alert after this many failed attempts (default: never)',
    ).optional(),
  })
  .transform((raw, ctx): BackoffConfig => {
    const d = BACKOFF_DEFAULTS[raw.policy];
    let jitter = d.jitter;
    if (raw.jitter !== undefined) {
      if (raw.policy === 'seed') {
        try {
          jitter = parseDuration(raw.jitter);
        } catch (e) {
          ctx.issues.push({
            code: 'custom',
            path: ['jitter'],
            message: (e as Error).message,
            input: raw.jitter,
          });
        }
      } else if (raw.policy === 'grpc') {
        const text = typeof raw.jitter === 'string' ? raw.jitter.trim() : undefined;
        const value = text?.endsWith('%') ? Number(text.slice(0, -1)) / 100 : Number(raw.jitter);
        if (!Number.isFinite(value) || value < 0 || value > 1 || text === '') {
          ctx.issues.push({
            code: 'custom',
            path: ['jitter'],
            message: `with policy grpc, jitter is a fraction in [0, 1] (the wait is β(1±j)), e.g. 0.2 or "20%"; got ${showValue(raw.jitter)}`,
            input: raw.jitter,
          });
        } else jitter = value;
      } else {
        ctx.issues.push({
          code: 'custom',
          path: ['jitter'],
          message: `policy ${raw.policy} has no jitter setting (its randomness is built in); remove it or use policy seed or grpc`,
          input: raw.jitter,
        });
      }
    }
    const out: BackoffConfig = {
      policy: raw.policy,
      base: raw.base ?? d.base,
      cap: raw.cap ?? d.cap,
      multiplier: raw.multiplier ?? d.multiplier,
      jitter,
    };
    if (out.base <= 0) {
      ctx.issues.push({
        code: 'custom',
        path: ['base'],
        message: 'base must be more than 0 ms',
        input: raw.base,
      });
    }
    if (out.cap < out.base) {
      ctx.issues.push({
        code: 'custom',
        path: [raw.cap === undefined ? 'base' : 'cap'],
        message: `cap (${out.cap} ms) must not be below base (${out.base} ms)`,
        input: raw.cap,
      });
    }
    if (raw.maxAttempts !== undefined) out.maxAttempts = raw.maxAttempts;
    return out;
  });

export interface ServerHeartbeatConfig {
  interval: number;
  pongTimeout: number;
}

export interface AdaptiveConfig {
  busyInterval: number;
  idleInterval: number;
}

/** Business traffic of the reference subject (F6): the client sends, the server's handler answers. */
export interface BusinessTraffic {
  /** The client sends one business message every this many ms, from its start (while connected). */
  every: number;
  /** Size of each business frame on the wire (JSON line, newline included), bytes. */
  bytes: number;
  /** How long the server's handler takes per message, asynchronously (F6), before it replies; ms. */
  handlerDelay: number;
}

/** The smallest business frame the reference protocol can send: `{"type":"data","payload":""}` and a newline. */
export const BUSINESS_FRAME_MIN = encodeFrame({ type: 'data', payload: '' }).length;
/** The largest: the reference implementation's frame limit, newline excluded. */
export const BUSINESS_FRAME_MAX = DEFAULT_MAX_FRAME_BYTES + 1;

/** Normalized settings of the reference client and server (F18), every default filled in. */
export interface ReferenceConfig {
  /** F1: ping period I. */
  interval: number;
  /** F5: pong timeout T. */
  pongTimeout: number;
  /** F2: deadline for each heartbeat write. */
  writeDeadline: number;
  /** F4: server read deadline R, re-armed by any byte. */
  readDeadline: number;
  /** F7: TCP keepalive initial delay, or false for off. */
  keepalive: number | false;
  /** F12: consecutive misses that disconnect (N). */
  missThreshold: number;
  /** F11: consecutive misses that make the state SUSPECT. */
  suspectThreshold: number;
  /** F13 */
  backoff: BackoffConfig;
  /** Longest a single connect attempt may take. */
  connectTimeout: number;
  /** F10: the server pings too (two-way heartbeat), or false. */
  serverHeartbeat: ServerHeartbeatConfig | false;
  /** F14: adaptive interval, or false. */
  adaptive: AdaptiveConfig | false;
  /** F6: business-message timeout, separate from the heartbeat's; undefined = none. */
  businessTimeout?: number;
  /** F6: business messages sharing the connection with the heartbeat; undefined = none. */
  business?: BusinessTraffic;
  /** F16: connection limit of the server; undefined = unlimited. */
  maxConnections?: number;
  /** F16: live-connection thresholds that log a warning / danger. */
  connectionThresholds: { warn: number; danger: number };
}

/** Defaults from the seed articles (SEED-SPEC.md, BOUNDS.md "seed defaults"). */
export const REFERENCE_DEFAULTS: ReferenceConfig = {
  interval: 30_000,
  pongTimeout: 5000,
  writeDeadline: 5000,
  readDeadline: 45_000,
  keepalive: 60_000,
  missThreshold: 3,
  suspectThreshold: 2,
  backoff: { policy: 'seed', ...BACKOFF_DEFAULTS.seed },
  connectTimeout: 10_000,
  serverHeartbeat: false,
  adaptive: false,
  connectionThresholds: { warn: 1000, danger: 2000 },
};

const D = REFERENCE_DEFAULTS;

export const referenceConfigSchema = z
  .strictObject({
    interval: duration('F1: ping period I (default 30s)').default(D.interval),
    pongTimeout: duration('F5: pong timeout T (default 5s, as in the seed)').default(D.pongTimeout),
    writeDeadline: duration('F2: deadline of each heartbeat write (default 5s)').default(D.writeDeadline),
    readDeadline: duration('F4: server read deadline R, re-armed by any byte (default 45s)').default(
      D.readDeadline,
    ),
    keepalive: z
      .union([z.literal(false), duration('F7: TCP keepalive initial delay')])
      .default(60_000)
      .meta({ description: 'F7: TCP keepalive initial delay, or false (default 60s)' }),
    missThreshold: positiveInt('F12: consecutive misses that disconnect, N (default 3)').default(
      D.missThreshold,
    ),
    suspectThreshold: positiveInt('F11: consecutive misses that make the state SUSPECT (default 2)').default(
      D.suspectThreshold,
    ),
    backoff: backoffInputSchema.prefault({}).meta({ description: 'F13: reconnect backoff' }),
    connectTimeout: duration('longest a connect attempt may take (default 10s)').default(D.connectTimeout),
    serverHeartbeat: z
      .union([
        z.boolean(),
        z.strictObject({
          interval: duration('server ping period (default: the client interval)').optional(),
          pongTimeout: duration('server pong timeout (default: the client pongTimeout)').optional(),
        }),
      ])
      .default(false)
      .meta({ description: 'F10: two-way heartbeat; true copies the client interval and pong timeout' }),
    adaptive: z
      .union([
        z.literal(false),
        z.strictObject({
          busyInterval: duration('interval when busy (default 1s)').default(1000),
          idleInterval: duration('interval when idle (default 5s)').default(5000),
        }),
      ])
      .default(false)
      .meta({ description: 'F14: adaptive interval, or false' }),
    businessTimeout: duration('F6: business-message timeout, separate from the heartbeat').optional(),
    business: z
      .strictObject({
        every: duration('the client sends one business message this often (from its start, while connected)'),
        bytes: positiveInt(
          `size of each business frame on the wire, JSON line and newline included (${BUSINESS_FRAME_MIN}…${BUSINESS_FRAME_MAX} bytes)`,
        ),
        handlerDelay: duration(
          'time the server’s handler takes per message, asynchronously, before it replies (F6; default 0)',
        ).default(0),
      })
      .optional()
      .meta({ description: 'F6: business traffic on the heartbeat’s connection (default none)' }),
    maxConnections: positiveInt('F16: server connection limit (default unlimited)').optional(),
    connectionThresholds: z
      .strictObject({
        warn: positiveInt('live connections that log a warning (default 1000)').default(1000),
        danger: positiveInt('live connections that log danger (default 2000)').default(2000),
      })
      .prefault({}),
  })
  .transform((c, ctx): ReferenceConfig => {
    const out: ReferenceConfig = {
      interval: c.interval,
      pongTimeout: c.pongTimeout,
      writeDeadline: c.writeDeadline,
      readDeadline: c.readDeadline,
      keepalive: c.keepalive,
      missThreshold: c.missThreshold,
      suspectThreshold: c.suspectThreshold,
      backoff: c.backoff,
      connectTimeout: c.connectTimeout,
      serverHeartbeat:
        c.serverHeartbeat === false
          ? false
          : c.serverHeartbeat === true
            ? { interval: c.interval, pongTimeout: c.pongTimeout }
            : {
                interval: c.serverHeartbeat.interval ?? c.interval,
                pongTimeout: c.serverHeartbeat.pongTimeout ?? c.pongTimeout,
              },
      adaptive: c.adaptive,
      connectionThresholds: c.connectionThresholds,
    };
    if (c.businessTimeout !== undefined) out.businessTimeout = c.businessTimeout;
    if (c.business !== undefined) {
      out.business = {
        every: c.business.every,
        bytes: c.business.bytes,
        handlerDelay: c.business.handlerDelay,
      };
      if (c.business.every === 0) {
        ctx.issues.push({
          code: 'custom',
          path: ['business', 'every'],
          message: 'business.every must be more than 0 ms',
          input: 0,
        });
      }
      if (c.business.bytes < BUSINESS_FRAME_MIN || c.business.bytes > BUSINESS_FRAME_MAX) {
        ctx.issues.push({
          code: 'custom',
          path: ['business', 'bytes'],
          message: `business.bytes is the whole frame on the wire: between ${BUSINESS_FRAME_MIN} (an empty payload) and ${BUSINESS_FRAME_MAX} (the frame limit), got ${c.business.bytes}`,
          input: c.business.bytes,
        });
      }
    }
    if (c.maxConnections !== undefined) out.maxConnections = c.maxConnections;
    for (const key of ['interval', 'pongTimeout'] as const) {
      if (out[key] === 0)
        ctx.issues.push({ code: 'custom', path: [key], message: `${key} must be more than 0 ms`, input: 0 });
    }
    if (out.connectionThresholds.danger < out.connectionThresholds.warn) {
      ctx.issues.push({
        code: 'custom',
        path: ['connectionThresholds', 'danger'],
        message: `danger (${out.connectionThresholds.danger}) must not be below warn (${out.connectionThresholds.warn})`,
        input: out.connectionThresholds.danger,
      });
    }
    return out;
  });

export type ReferenceConfigInput = z.input<typeof referenceConfigSchema>;

// ---------------------------------------------------------------------------------------------
// topology

export interface LinkLeg {
  /** One-way base delay of the path, ms (before any fault). */
  latency: number;
  /** ± jitter on that delay, ms. */
  jitter: number;
}

export interface Topology {
  /** proxy: client ↔ proxy ↔ server, Toxiproxy's toxics; direct: end-to-end TCP over a faulty wire. */
  kind: 'proxy' | 'direct';
  /** The wire between client and server: up = client→server, down = server→client. */
  link: { up: LinkLeg; down: LinkLeg };
}

const legSchema = z.strictObject({
  latency: duration('one-way base delay (default 0)').default(0),
  jitter: duration('± jitter on it (default 0)').default(0),
});

const topologySchema = z
  .union([
    z.enum(['proxy', 'direct']),
    z.strictObject({
      kind: z.enum(['proxy', 'direct']),
      latency: duration('one-way base delay of the wire, both directions (default 0)').optional(),
      jitter: duration('± jitter of the wire, both directions (default 0)').optional(),
      up: legSchema.optional().meta({ description: 'client→server leg, overriding latency/jitter' }),
      down: legSchema.optional().meta({ description: 'server→client leg, overriding latency/jitter' }),
    }),
  ])
  .default('proxy')
  .transform((t): Topology => {
    if (typeof t === 'string')
      return { kind: t, link: { up: { latency: 0, jitter: 0 }, down: { latency: 0, jitter: 0 } } };
    const leg = (own: LinkLeg | undefined): LinkLeg =>
      own ?? { latency: t.latency ?? 0, jitter: t.jitter ?? 0 };
    return { kind: t.kind, link: { up: leg(t.up), down: leg(t.down) } };
  })
  .meta({
    description:
      'proxy (default): client ↔ Toxiproxy ↔ server, faults are toxics; direct: end-to-end TCP over a simulated wire, for sim-only faults',
  });

// ---------------------------------------------------------------------------------------------
// faults

const toxicCommon = {
  stream: z.enum(['upstream', 'downstream', 'both']).default('downstream').meta({
    description:
      'upstream = client→server, downstream = server→client (Toxiproxy default), both = one toxic each way',
  }),
  toxicity: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .meta({ description: 'probability the toxic applies to a connection (default 1)' }),
  name: z.string().min(1).optional().meta({ description: 'toxic name (default <type>_<stream>)' }),
};

const latencyToxic = z.strictObject({
  type: z.literal('latency'),
  ...toxicCommon,
  latency: duration('added delay per chunk').default(0),
  jitter: duration('± jitter: each chunk waits latency−jitter … latency+jitter−1').default(0),
});
const bandwidthToxic = z.strictObject({
  type: z.literal('bandwidth'),
  ...toxicCommon,
  rate: nonNegativeInt('KB/s (1 KB = 1000 B); 0 holds data until removed').default(0),
});
const slowCloseToxic = z.strictObject({
  type: z.literal('slow_close'),
  ...toxicCommon,
  delay: duration('delay before the close is forwarded').default(0),
});
const timeoutToxic = z.strictObject({
  type: z.literal('timeout'),
  ...toxicCommon,
  timeout: duration('drop everything; close after this long with no data (0: never close)').default(0),
});
const resetPeerToxic = z.strictObject({
  type: z.literal('reset_peer'),
  ...toxicCommon,
  timeout: duration(
    'wait after the first chunk, then close (RST if accepted while the toxic existed)',
  ).default(0),
});
const slicerToxic = z.strictObject({
  type: z.literal('slicer'),
  ...toxicCommon,
  average_size: nonNegativeInt('average piece size, bytes').default(0),
  size_variation: nonNegativeInt('± variation of the piece size, bytes').default(0),
  delay: time({
    unit: 'us',
    description: 'pause after each piece: µs as a number (Toxiproxy’s unit) or a duration string',
  }).default(0),
});
const limitDataToxic = z.strictObject({
  type: z.literal('limit_data'),
  ...toxicCommon,
  bytes: nonNegativeInt('bytes allowed per connection before it is closed').default(0),
});
const noopToxic = z.strictObject({ type: z.literal('noop'), ...toxicCommon });

const proxyDownFault = z.strictObject({ type: z.literal('proxy-down') }).meta({
  description: 'disable the proxy (Toxiproxy enabled: false): connections close, new ones are refused',
});

const partitionFault = z.strictObject({
  type: z.literal('partition'),
  direction: directionSchema.default('both'),
  mode: z
    .enum(['drop', 'hold'])
    .default('drop')
    .meta({ description: 'drop bytes, or hold them and release at the heal' }),
  convention: conventionSchema.default('C1'),
});
const crashFault = z.strictObject({
  type: z.literal('crash'),
  host: hostSchema,
  close: z.enum(['none', 'fin', 'rst']).default('none').meta({
    description: 'what the peer sees: none (host vanished silently), fin or rst (process died, OS alive)',
  }),
  // A dead host cannot take delivery of what was sent to it before it died, so C2 has no meaning
  // here; the field stays (C1 only) so files that spell the convention out keep loading.
  convention: z.literal('C1').default('C1').meta({
    description:
      'C1 only: what reaches the crashed host from the onset on is lost; what it sent before still arrives',
  }),
});
const pauseFault = z.strictObject({
  type: z.literal('pause'),
  host: hostSchema,
  for: duration('how long the process is paused (or give until on the entry)').optional(),
});
const clockSkewFault = z.strictObject({
  type: z.literal('clock-skew'),
  host: hostSchema,
  offset: time({ allowNegative: true, description: 'added to the host’s wall clock, may be negative' }),
});
const natFault = z.strictObject({
  type: z.literal('nat'),
  idleTimeout: duration('mappings idle this long are forgotten'),
  action: z
    .enum(['drop', 'rst'])
    .default('drop')
    .meta({ description: 'what happens to packets of a forgotten mapping' }),
});
const lossFault = z.strictObject({
  type: z.literal('loss'),
  direction: directionSchema.default('both'),
  probability: z.number().min(0).max(1).meta({
    description:
      'probability that each packet sent in the direction (data, ACK, SYN, FIN…) is lost, drawn from the run’s seed; TCP resends what is lost',
  }),
  retransmitAfter: duration(
    'RTO floor of the lossy path while the loss lasts (Linux route rto_min): a lost segment is resent srtt + max(this, 4·rttvar) after its retransmission timer started, doubling while it keeps being lost; from the next RTT sample on (default 200ms, the kernel’s own floor)',
  ).default(200),
});

export const TOXIC_FAULT_TYPES = [
  'latency',
  'bandwidth',
  'slow_close',
  'timeout',
  'reset_peer',
  'slicer',
  'limit_data',
  'noop',
] as const satisfies readonly ToxicType[];
export const PROXY_FAULT_TYPES = [...TOXIC_FAULT_TYPES, 'proxy-down'] as const;
export const SIM_FAULT_TYPES = ['partition', 'crash', 'pause', 'clock-skew', 'nat', 'loss'] as const;
export type SimFaultType = (typeof SIM_FAULT_TYPES)[number];
export const FAULT_TYPES = [...PROXY_FAULT_TYPES, ...SIM_FAULT_TYPES] as const;
export type FaultType = (typeof FAULT_TYPES)[number];

export type ToxicFault = {
  [T in ToxicType]: {
    type: T;
    stream: Stream | 'both';
    toxicity: number;
    name?: string;
    /** Ready for FaultProxy.addToxic (Toxiproxy's units: ms, except slicer.delay in µs). */
    attributes: ToxicAttributes<T>;
  };
}[ToxicType];

export interface ProxyDownFault {
  type: 'proxy-down';
}
export interface PartitionFault {
  type: 'partition';
  direction: Direction;
  mode: 'drop' | 'hold';
  convention: Convention;
}
export interface CrashFault {
  type: 'crash';
  host: Host;
  close: 'none' | 'fin' | 'rst';
  /** C1 only: what reaches the dead host from the onset on is lost; what it sent before still arrives. */
  convention: 'C1';
}
/** The pause's length is the entry's until − at. */
export interface PauseFault {
  type: 'pause';
  host: Host;
}
export interface ClockSkewFault {
  type: 'clock-skew';
  host: Host;
  offset: number;
}
export interface NatFault {
  type: 'nat';
  idleTimeout: number;
  action: 'drop' | 'rst';
}
/** Random loss, drawn per packet at send time (C2) from the run's seed; TCP retransmits. */
export interface LossFault {
  type: 'loss';
  direction: Direction;
  probability: number;
  /** The path's RTO floor while the loss lasts (Linux route rto_min), ms; 200 = the kernel's own. */
  retransmitAfter: number;
}
export type SimFault = PartitionFault | CrashFault | PauseFault | ClockSkewFault | NatFault | LossFault;
export type Fault = ToxicFault | ProxyDownFault | SimFault;

export function isToxicFault(fault: Fault): fault is ToxicFault {
  return (TOXIC_FAULT_TYPES as readonly string[]).includes(fault.type);
}
export function isSimFault(fault: Fault): fault is SimFault {
  return (SIM_FAULT_TYPES as readonly string[]).includes(fault.type);
}

const faultInputSchema = z.discriminatedUnion('type', [
  latencyToxic,
  bandwidthToxic,
  slowCloseToxic,
  timeoutToxic,
  resetPeerToxic,
  slicerToxic,
  limitDataToxic,
  noopToxic,
  proxyDownFault,
  partitionFault,
  crashFault,
  pauseFault,
  clockSkewFault,
  natFault,
  lossFault,
]);

export type FaultInput = z.input<typeof faultInputSchema>;
type FaultParsed = z.output<typeof faultInputSchema>;

function normalizeFault(f: FaultParsed): Fault {
  if ((TOXIC_FAULT_TYPES as readonly string[]).includes(f.type)) {
    const { type, stream, toxicity, name, ...attributes } = f as FaultParsed & {
      stream: Stream | 'both';
      toxicity: number;
      name?: string;
    };
    const out = { type, stream, toxicity, attributes } as ToxicFault;
    if (name !== undefined) out.name = name;
    return out;
  }
  if (f.type === 'pause') return { type: 'pause', host: f.host };
  return f as Fault;
}

/** One fault on the timeline, normalized: `until` undefined means it lasts to the end of the run. */
export interface FaultEntry {
  id: string;
  at: number;
  until?: number;
  fault: Fault;
}

const faultEntryInputSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'name used by expectations and reports (default <type>-<n>)' }),
  at: duration('onset, from the start of the run'),
  until: duration('heal time, from the start of the run (default: lasts to the end)').optional(),
  for: duration('length of the fault (instead of until)').optional(),
  fault: faultInputSchema,
});

export type FaultEntryInput = z.input<typeof faultEntryInputSchema>;

// ---------------------------------------------------------------------------------------------
// expectations

const within = (description: string) => time({ keywords: ['bound'] as const, description });

const reasonSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .optional()
  .meta({
    description:
      'F15 reason(s) that count: fin, reset, heartbeat-timeout, read-deadline, write-deadline, write-error, keepalive, …',
  });
const faultRef = z
  .string()
  .min(1)
  .optional()
  .meta({ description: 'id of the fault this is about (default: every fault)' });

const expectationInputSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('detect'),
    side: z.enum(['client', 'server', 'both', 'either']).default('either'),
    within: within('"bound" (the BOUNDS.md bound for this fault) or a duration from the onset').default(
      'bound',
    ),
    reason: reasonSchema,
    fault: faultRef,
    tolerance: duration('slack added to the bound or duration (real networks)').default(0),
  }),
  z.strictObject({
    type: z.literal('noFalseDetection'),
    side: z.enum(['client', 'server', 'both']).default('both'),
  }),
  z.strictObject({
    type: z.literal('falseDetection'),
    side: z.enum(['client', 'server', 'either']).default('either'),
    within: duration('from the onset of the fault').optional(),
    fault: faultRef,
  }),
  z.strictObject({
    type: z.literal('reconnect'),
    within: within('"bound" (BOUNDS.md convergence) or a duration from the heal').default('bound'),
    fault: faultRef,
    tolerance: duration('slack added to the bound or duration (real networks)').default(0),
  }),
  z.strictObject({
    type: z.literal('maxAttempts'),
    n: z.union([z.number().int().min(0), z.literal('bound')]).meta({
      description: 'most reconnect attempts during the outage, or "bound" (BOUNDS.md no-hammering)',
    }),
    fault: faultRef,
  }),
  z.strictObject({
    type: z.literal('gaveUp'),
    within: duration('from the onset of the fault').optional(),
    fault: faultRef,
  }),
  z.strictObject({
    type: z.literal('state'),
    side: hostSchema.default('client'),
    state: z
      .enum(['HEALTHY', 'SUSPECT', 'DISCONNECTED'])
      .meta({ description: 'F11 state the side must reach' }),
    within: duration('from the onset of the fault').optional(),
    fault: faultRef,
  }),
  z.strictObject({
    type: z.literal('overhead'),
    side: hostSchema.default('client'),
    messagesPerHour: z
      .number()
      .min(0)
      .optional()
      .meta({ description: 'F20: at most this many heartbeat messages per hour' }),
    bytesPerHour: z
      .number()
      .min(0)
      .optional()
      .meta({ description: 'F20: at most this many heartbeat bytes per hour' }),
  }),
]);

export type ExpectationInput = z.input<typeof expectationInputSchema>;
type ExpectationParsed = z.output<typeof expectationInputSchema>;

export type Within = number | 'bound';
export interface DetectExpectation {
  type: 'detect';
  side: 'client' | 'server' | 'both' | 'either';
  within: Within;
  reason?: string[];
  fault?: string;
  tolerance: number;
}
export interface NoFalseDetectionExpectation {
  type: 'noFalseDetection';
  side: 'client' | 'server' | 'both';
}
export interface FalseDetectionExpectation {
  type: 'falseDetection';
  side: 'client' | 'server' | 'either';
  within?: number;
  fault?: string;
}
export interface ReconnectExpectation {
  type: 'reconnect';
  within: Within;
  fault?: string;
  tolerance: number;
}
export interface MaxAttemptsExpectation {
  type: 'maxAttempts';
  n: number | 'bound';
  fault?: string;
}
export interface GaveUpExpectation {
  type: 'gaveUp';
  within?: number;
  fault?: string;
}
export interface StateExpectation {
  type: 'state';
  side: Host;
  state: 'HEALTHY' | 'SUSPECT' | 'DISCONNECTED';
  within?: number;
  fault?: string;
}
export interface OverheadExpectation {
  type: 'overhead';
  side: Host;
  messagesPerHour?: number;
  bytesPerHour?: number;
}
export type Expectation =
  | DetectExpectation
  | NoFalseDetectionExpectation
  | FalseDetectionExpectation
  | ReconnectExpectation
  | MaxAttemptsExpectation
  | GaveUpExpectation
  | StateExpectation
  | OverheadExpectation;
export type ExpectationType = Expectation['type'];

function normalizeExpectation(e: ExpectationParsed): Expectation {
  const out = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Record<
    string,
    unknown
  >;
  if (e.type === 'detect' && e.reason !== undefined)
    out.reason = typeof e.reason === 'string' ? [e.reason] : e.reason;
  return out as unknown as Expectation;
}

// ---------------------------------------------------------------------------------------------
// the scenario

export const scenarioInputSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'path of this JSON Schema, for editors' }),
    name: z.string().min(1).meta({ description: 'short unique name, used in reports and replay commands' }),
    description: z.string().default('').meta({ description: 'what the scenario shows and why it matters' }),
    subject: z
      .string()
      .min(1)
      .default('reference')
      .meta({ description: 'implementation under test (default reference: the client and server in impl/)' }),
    config: z
      .record(z.string(), z.unknown())
      .default({})
      .meta({ description: 'the subject’s settings; for the reference subject, F18’s settings' }),
    topology: topologySchema,
    duration: duration('length of the run'),
    clients: positiveInt('number of clients (default 1)').default(1),
    seed: z.number().int().min(0).max(0xffff_ffff).optional().meta({
      description: 'seed of the run’s random generator (default: chosen and printed by the runner)',
    }),
    faults: z.array(faultEntryInputSchema).default([]).meta({ description: 'the fault timeline' }),
    expect: z
      .array(expectationInputSchema)
      .default([])
      .meta({ description: 'what must hold for the run to pass' }),
  })
  .meta({ title: 'flatline scenario', description: 'A heartbeat scenario for flatline (see docs).' });

export type ScenarioInput = z.input<typeof scenarioInputSchema>;
type ScenarioParsed = z.output<typeof scenarioInputSchema>;

export type SubjectConfig = ReferenceConfig | Record<string, unknown>;

/** The normalized scenario: whole-ms durations, defaults filled in, faults and expectations typed. */
export interface Scenario {
  name: string;
  description: string;
  subject: string;
  /** ReferenceConfig when subject is 'reference' (see referenceConfigOf), else as written. */
  config: SubjectConfig;
  topology: Topology;
  duration: number;
  clients: number;
  seed?: number;
  faults: FaultEntry[];
  expect: Expectation[];
}

/** The reference subject's typed config, or undefined for another subject. */
export function referenceConfigOf(s: Scenario): ReferenceConfig | undefined {
  return s.subject === 'reference' ? (s.config as ReferenceConfig) : undefined;
}

// ---------------------------------------------------------------------------------------------
// parsing and cross-field checks

/** One problem, located by its path in the input (the loader maps paths to line:column). */
export interface RawIssue {
  path: (string | number)[];
  message: string;
  /** zod's issue when the problem came from zod, for richer messages (see issues.ts). */
  zod?: z.core.$ZodIssue;
}

export type ParseResult = { ok: true; scenario: Scenario } | { ok: false; issues: RawIssue[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates and normalizes a scenario (layers 1–3), collecting every issue rather than the first. */
export function parseScenario(raw: unknown): ParseResult {
  const issues: RawIssue[] = [];
  const base = scenarioInputSchema.safeParse(raw, { reportInput: true });
  if (!base.success) {
    for (const zi of base.error.issues)
      issues.push({ path: zi.path as (string | number)[], message: zi.message, zod: zi });
  }
  const rawObj = isRecord(raw) ? raw : {};
  const subject = rawObj.subject ?? 'reference';
  let config: SubjectConfig | undefined = base.success ? base.data.config : undefined;
  if (subject === 'reference' && (rawObj.config === undefined || isRecord(rawObj.config))) {
    const parsed = referenceConfigSchema.safeParse(rawObj.config ?? {}, { reportInput: true });
    if (parsed.success) config = parsed.data;
    else {
      for (const zi of parsed.error.issues) {
        issues.push({ path: ['config', ...(zi.path as (string | number)[])], message: zi.message, zod: zi });
      }
    }
  }
  if (!base.success || config === undefined) return { ok: false, issues };
  const scenario = normalizeScenario(base.data, config);
  issues.push(...checkScenario(scenario, rawObj));
  return issues.length ? { ok: false, issues } : { ok: true, scenario };
}

function normalizeScenario(s: ScenarioParsed, config: SubjectConfig): Scenario {
  const faults: FaultEntry[] = s.faults.map((e, i) => {
    const fault = normalizeFault(e.fault);
    const until =
      e.until ??
      (e.for !== undefined
        ? e.at + e.for
        : e.fault.type === 'pause' && e.fault.for !== undefined
          ? e.at + e.fault.for
          : undefined);
    const entry: FaultEntry = { id: e.id ?? `${e.fault.type}-${i + 1}`, at: e.at, fault };
    if (until !== undefined) entry.until = until;
    return entry;
  });
  const out: Scenario = {
    name: s.name,
    description: s.description,
    subject: s.subject,
    config,
    topology: s.topology,
    duration: s.duration,
    clients: s.clients,
    faults,
    expect: s.expect.map(normalizeExpectation),
  };
  if (s.seed !== undefined) out.seed = s.seed;
  return out;
}

/** Toxiproxy names of the toxic(s) a fault creates: <name or type>_<stream>, or <name> for one stream. */
export function toxicNames(fault: ToxicFault): string[] {
  const streams: Stream[] = fault.stream === 'both' ? ['upstream', 'downstream'] : [fault.stream];
  if (fault.name !== undefined) {
    return fault.stream === 'both' ? streams.map((s) => `${fault.name}_${s}`) : [fault.name];
  }
  return streams.map((s) => `${fault.type}_${s}`);
}

function overlaps(a: FaultEntry, b: FaultEntry, end: number): boolean {
  return a.at < (b.until ?? end) && b.at < (a.until ?? end);
}

/**
 * Layer 3: checks across fields of a normalized scenario. `raw` (the input as written) only picks
 * the path an error points at (e.g. `for` rather than `until` when that is what the author wrote).
 */
export function checkScenario(s: Scenario, raw: Record<string, unknown> = {}): RawIssue[] {
  const issues: RawIssue[] = [];
  const rawFaults = Array.isArray(raw.faults) ? raw.faults : [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });

  if (s.duration <= 0) add(['duration'], 'duration must be more than 0 ms');

  const ids = new Map<string, number>();
  s.faults.forEach((entry, i) => {
    const r = isRecord(rawFaults[i]) ? (rawFaults[i] as Record<string, unknown>) : {};
    const rf = isRecord(r.fault) ? r.fault : {};
    const untilKey: (string | number)[] =
      r.until !== undefined
        ? ['until']
        : r.for !== undefined
          ? ['for']
          : rf.for !== undefined
            ? ['fault', 'for']
            : ['at'];
    const at = ['faults', i, 'at'];
    const until = ['faults', i, ...untilKey];
    const given = [
      r.until !== undefined && 'until',
      r.for !== undefined && 'for',
      rf.for !== undefined && 'fault.for',
    ].filter((g): g is string => typeof g === 'string');
    if (given.length > 1) {
      const second = rf.for !== undefined ? ['fault', 'for'] : ['for'];
      add(
        ['faults', i, ...second],
        `give only one of ${given.join(', ')} (they all set when the fault heals)`,
      );
    }
    if (entry.until !== undefined && entry.until <= entry.at) {
      add(until, `the fault must heal after it starts: until (${entry.until} ms) ≤ at (${entry.at} ms)`);
    }
    if (entry.at >= s.duration) {
      add(
        at,
        `the fault starts at ${entry.at} ms, at or after the end of the run (duration ${s.duration} ms)`,
      );
    } else if (entry.until !== undefined && entry.until > s.duration) {
      add(
        until,
        `the fault heals at ${entry.until} ms, after the end of the run (duration ${s.duration} ms)`,
      );
    }
    const type = entry.fault.type;
    const simOnly = (SIM_FAULT_TYPES as readonly string[]).includes(type);
    if (simOnly && s.topology.kind !== 'direct') {
      add(
        ['faults', i, 'fault', 'type'],
        `${type} is a sim-only fault: it needs topology direct (this scenario uses ${s.topology.kind}); Toxiproxy cannot make it`,
      );
    }
    if (!simOnly && s.topology.kind !== 'proxy') {
      add(
        ['faults', i, 'fault', 'type'],
        `${type} is a Toxiproxy fault: it needs topology proxy (this scenario uses ${s.topology.kind}); use a sim-only fault (${SIM_FAULT_TYPES.join(', ')}) on a direct topology`,
      );
    }
    const seen = ids.get(entry.id);
    if (seen !== undefined)
      add(
        ['faults', i, r.id !== undefined ? 'id' : 'fault'],
        `fault id "${entry.id}" is already used by faults[${seen}]`,
      );
    else ids.set(entry.id, i);
  });

  // Toxiproxy rejects a second toxic with the same name while the first exists (409).
  s.faults.forEach((a, i) => {
    for (let j = 0; j < i; j++) {
      const b = s.faults[j]!;
      if (!overlaps(a, b, s.duration)) continue;
      if (isToxicFault(a.fault) && isToxicFault(b.fault)) {
        const clash = toxicNames(a.fault).filter((n) => toxicNames(b.fault as ToxicFault).includes(n));
        if (clash.length) {
          const rawFault =
            isRecord(rawFaults[i]) && isRecord((rawFaults[i] as Record<string, unknown>).fault);
          const named =
            rawFault && (rawFaults[i] as { fault: Record<string, unknown> }).fault.name !== undefined;
          add(
            ['faults', i, 'fault', named ? 'name' : 'type'],
            `toxic ${clash.map((n) => `"${n}"`).join(', ')} is already active from faults[${j}] at this time (Toxiproxy answers 409); give one a different name or stream, or make them not overlap`,
          );
        }
      } else if (a.fault.type === 'proxy-down' && b.fault.type === 'proxy-down') {
        add(['faults', i, 'at'], `the proxy is already down from faults[${j}] at this time`);
      }
    }
  });

  const config = referenceConfigOf(s);
  const noFalse = new Map<string, number>();
  s.expect.forEach((e, i) => {
    if ('fault' in e && e.fault !== undefined && !ids.has(e.fault)) {
      const known = [...ids.keys()];
      add(
        ['expect', i, 'fault'],
        `no fault has id "${e.fault}" (${known.length ? `known: ${known.join(', ')}` : 'the scenario has no faults'})`,
      );
    }
    const needsFault: ExpectationType[] = ['detect', 'falseDetection', 'reconnect', 'maxAttempts', 'gaveUp'];
    if (needsFault.includes(e.type) && s.faults.length === 0) {
      add(['expect', i, 'type'], `${e.type} is about a fault, but the scenario has no faults`);
    }
    if (e.type === 'gaveUp' && config && config.backoff.maxAttempts === undefined) {
      add(
        ['expect', i, 'type'],
        'gaveUp needs config.backoff.maxAttempts: without it the client never gives up (F13)',
      );
    }
    if (e.type === 'overhead' && e.messagesPerHour === undefined && e.bytesPerHour === undefined) {
      add(['expect', i], 'overhead needs messagesPerHour or bytesPerHour');
    }
    if (e.type === 'noFalseDetection') noFalse.set(e.side, i);
  });
  s.expect.forEach((e, i) => {
    if (e.type !== 'falseDetection') return;
    const clash = [...noFalse.entries()].find(
      ([side]) => side === 'both' || e.side === 'either' || side === e.side,
    );
    if (clash) {
      add(
        ['expect', i, 'type'],
        `falseDetection (side ${e.side}) contradicts noFalseDetection (side ${clash[0]}) at expect[${clash[1]}]`,
      );
    }
  });
  return issues;
}

// ---------------------------------------------------------------------------------------------
// small helpers the runner needs

/** The addToxic request(s) for a toxic fault: one per stream. */
export function toxicInputs(fault: ToxicFault): {
  type: ToxicType;
  name: string;
  stream: Stream;
  toxicity: number;
  attributes: Record<string, number>;
}[] {
  const streams: Stream[] = fault.stream === 'both' ? ['upstream', 'downstream'] : [fault.stream];
  const names = toxicNames(fault);
  return streams.map((stream, i) => ({
    type: fault.type,
    name: names[i]!,
    stream,
    toxicity: fault.toxicity,
    attributes: { ...(fault.attributes as Record<string, number>) },
  }));
}

/** The schema of each toxic fault (flattened attributes), for tests and tooling. */
export const toxicFaultSchemas = {
  latency: latencyToxic,
  bandwidth: bandwidthToxic,
  slow_close: slowCloseToxic,
  timeout: timeoutToxic,
  reset_peer: resetPeerToxic,
  slicer: slicerToxic,
  limit_data: limitDataToxic,
  noop: noopToxic,
} as const satisfies Record<ToxicType, z.ZodObject>;

/** Keys every toxic fault has besides its attributes. */
export const TOXIC_COMMON_KEYS = ['type', ...Object.keys(toxicCommon)] as const;
