/**
 * The reference subject's settings as a scenario writes them (F18): the zod schema, the normalized
 * ReferenceConfig, and its defaults. The defaults are impl/config.ts's (the seed's values): one place,
 * read from there, so the scenario format and the implementation cannot disagree.
 */
import { z } from 'zod';
import {
  CLIENT_DEFAULTS,
  DEFAULT_BACKOFF,
  GRPC_BACKOFF,
  SEED_DEFAULTS,
  SERVER_DEFAULTS,
} from '../../impl/config.ts';
import { DEFAULT_MAX_FRAME_BYTES, encodeFrame } from '../../impl/protocol.ts';
import type { BackoffPolicy } from '../observe/bounds.ts';
import { parseDuration } from '../scenario/duration.ts';
import { duration, positiveInt, showValue } from '../scenario/fields.ts';

export const BACKOFF_POLICIES = ['seed', 'full', 'equal', 'decorrelated', 'grpc'] as const;
export type BackoffPolicyName = (typeof BACKOFF_POLICIES)[number];

/** Per-policy defaults: F13's formula for `seed`, gRPC's connection backoff for `grpc`. */
const B = DEFAULT_BACKOFF;
const nominal = { base: B.base, cap: B.cap, multiplier: B.multiplier };
export const BACKOFF_DEFAULTS: Record<BackoffPolicyName, Omit<BackoffPolicy, 'policy'>> = {
  seed: { ...nominal, jitter: B.jitter },
  grpc: {
    base: GRPC_BACKOFF.base ?? B.base,
    cap: GRPC_BACKOFF.cap ?? B.cap,
    multiplier: GRPC_BACKOFF.multiplier ?? B.multiplier,
    jitter: GRPC_BACKOFF.jitterFraction ?? B.jitterFraction,
  },
  full: { ...nominal, jitter: 0 },
  equal: { ...nominal, jitter: 0 },
  // impl's decorrelated jitter draws up to 3× the previous wait (impl/config.ts).
  decorrelated: { ...nominal, multiplier: 3, jitter: 0 },
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
  interval: SEED_DEFAULTS.interval,
  pongTimeout: SEED_DEFAULTS.pongTimeout,
  writeDeadline: SEED_DEFAULTS.writeDeadline,
  readDeadline: SEED_DEFAULTS.readDeadline,
  keepalive: SEED_DEFAULTS.keepAlive,
  missThreshold: SEED_DEFAULTS.missThreshold,
  suspectThreshold: SEED_DEFAULTS.suspectAfter,
  backoff: { policy: 'seed', ...BACKOFF_DEFAULTS.seed },
  connectTimeout: CLIENT_DEFAULTS.connectTimeout,
  serverHeartbeat: false,
  adaptive: false,
  connectionThresholds: { warn: SERVER_DEFAULTS.warnConnections, danger: SERVER_DEFAULTS.dangerConnections },
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
      .default(D.keepalive)
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
