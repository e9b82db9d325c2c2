/**
 * F18: every setting, with the seed's defaults, and validation that names the bad field.
 * All durations are integer milliseconds. A duration documented as "0 = off" disables its mechanism.
 */
import { ConfigError } from './errors.ts';
import { MIN_MAX_FRAME_BYTES } from './protocol.ts';

/** Settings of one heartbeat endpoint (either side), used by the HeartbeatManager (F8). */
export interface HeartbeatSettings {
  /** F1: period of this side's pings. 0 = this side never pings (it still answers pings). */
  interval: number;
  /** F5: a ping without its pong after this long is a miss. */
  pongTimeout: number;
  /** F2: a heartbeat write still unflushed after this long means the connection is dead. 0 = off. */
  writeDeadline: number;
  /** F4: no byte received for this long means the peer is dead. 0 = off. */
  readDeadline: number;
  /** F7: OS keepalive idle period passed to `setKeepAlive(true, keepAlive)`. 0 = off. */
  keepAlive: number;
  /** F12: this many consecutive misses disconnect. */
  missThreshold: number;
  /** F11: this many consecutive misses make the connection SUSPECT (≤ missThreshold). */
  suspectAfter: number;
  /** F11: on entering SUSPECT, send one extra probe ping at once (its loss is not counted as a miss). */
  probeOnSuspect: boolean;
  /**
   * F11: while SUSPECT, disconnect at once if the peer's own heartbeat is overdue too (nothing heard
   * from its pinger for its interval + pongTimeout). Off by default: in a two-way black hole it
   * cuts detection to `suspectAfter` misses, so the miss threshold no longer applies.
   */
  reverseCheck: boolean;
  /** Largest frame accepted or sent, in bytes, newline excluded. */
  maxFrameBytes: number;
  /** F6: a business handler running longer than this is reported (never a death). 0 = off. */
  businessTimeout: number;
}

export type BackoffPolicyName = 'seed' | 'full' | 'equal' | 'decorrelated' | 'grpc';

/** F13: reconnect waits. See impl/backoff.ts for each policy's formula. */
export interface BackoffSettings {
  policy: BackoffPolicyName;
  /** b: the first nominal wait. */
  base: number;
  /** c: the cap on the nominal wait. */
  cap: number;
  /** m: growth factor per attempt (2 for the seed formula, 1.6 for gRPC; decorrelated: m·w_{n−1}, 3). */
  multiplier: number;
  /** J: the seed formula's additive jitter, uniform in [0, J] ms. */
  jitter: number;
  /** j: gRPC's symmetric jitter fraction, wait × (1 ± j). */
  jitterFraction: number;
  /** Consecutive failed reconnect attempts before giving up and raising the alert. Infinity = never. */
  maxAttempts: number;
}

/** F14: interval chosen from the owner's load signal (0 = idle … 1 = saturated). */
export interface AdaptiveSettings {
  enabled: boolean;
  /** Interval while busy (load ≥ busyAbove). */
  busyInterval: number;
  /** Interval while idle (load ≤ idleBelow), and the starting one. */
  idleInterval: number;
  busyAbove: number;
  idleBelow: number;
}

export interface ClientConfig extends HeartbeatSettings {
  service: string;
  /** A connect attempt that has not completed after this long is abandoned (black-holed SYN). */
  connectTimeout: number;
  backoff: BackoffSettings;
  adaptive: AdaptiveSettings;
}

export interface ServerConfig extends HeartbeatSettings {
  service: string;
  /** F16: connections beyond this are accepted, told `bye: connection-limit` and closed. Infinity = no limit. */
  maxConnections: number;
  /** F16: live count at which a `warning` level event is raised. */
  warnConnections: number;
  /** F16: live count at which a `danger` level event is raised. */
  dangerConnections: number;
  /**
   * Backpressure (abuse guard): the most bytes one client may hold in this process — what was written
   * to it and not yet taken by the kernel, plus its business messages not yet handled. When the
   * unsent bytes pass a quarter of it (high-water mark) the server stops reading from that client
   * until they drain to a sixteenth (low-water mark); a client over the cap, or one that leaves the
   * bytes queued at the pause unread for `writeDeadline`, is dropped (death `backpressure`). Business
   * messages waiting for a slow handler count toward the cap but never pause reading (F6: that would
   * hold up the client's pings). 0 = off; otherwise ≥ maxFrameBytes.
   */
  maxQueuedBytes: number;
  /**
   * Slowloris guard: a hello still unfinished (no newline) this long after its first byte drops the
   * client (`read-deadline`). 0 = the hello gets frameTimeout like any frame. A client that sends
   * nothing at all is the read deadline's (F4).
   */
  helloTimeout: number;
  /**
   * Slowloris guard: any other frame still unfinished this long after its first byte drops the
   * client (`read-deadline`). Default: the read deadline, which then bounds a whole frame the way
   * Go's SetReadDeadline does, besides silence (every byte re-arms the silence timer). 0 = off.
   */
  frameTimeout: number;
}

/**
 * The server's guards against abusive peers (a flood that never reads, a slowloris), handed to each
 * connection's HeartbeatManager. Every one is 0 = off, which is what a manager gets by default.
 */
export type PeerLimits = Pick<ServerConfig, 'maxQueuedBytes' | 'helloTimeout' | 'frameTimeout'>;

export const PEER_LIMIT_KEYS = [
  'maxQueuedBytes',
  'helloTimeout',
  'frameTimeout',
] as const satisfies readonly (keyof PeerLimits)[];

export const NO_PEER_LIMITS: Readonly<PeerLimits> = Object.freeze({
  maxQueuedBytes: 0,
  helloTimeout: 0,
  frameTimeout: 0,
});

/** The PeerLimits part of a resolved server config. */
export function pickPeerLimits(config: PeerLimits): PeerLimits {
  return {
    maxQueuedBytes: config.maxQueuedBytes,
    helloTimeout: config.helloTimeout,
    frameTimeout: config.frameTimeout,
  };
}

export type HeartbeatSettingsInput = Partial<HeartbeatSettings>;
export type ClientConfigInput = Partial<Omit<ClientConfig, 'backoff' | 'adaptive'>> & {
  backoff?: Partial<BackoffSettings>;
  adaptive?: Partial<AdaptiveSettings>;
};
export type ServerConfigInput = Partial<ServerConfig>;

/** The seed's values (SEED-SPEC.md, BOUNDS.md "seed defaults"). */
export const SEED_DEFAULTS: Readonly<HeartbeatSettings> = Object.freeze({
  interval: 30_000,
  pongTimeout: 5_000,
  writeDeadline: 5_000,
  readDeadline: 45_000,
  keepAlive: 60_000,
  missThreshold: 3,
  suspectAfter: 2,
  probeOnSuspect: true,
  reverseCheck: false,
  maxFrameBytes: 65_536,
  businessTimeout: 30_000,
});

export const DEFAULT_BACKOFF: Readonly<BackoffSettings> = Object.freeze({
  policy: 'seed',
  base: 1_000,
  cap: 60_000,
  multiplier: 2,
  jitter: 1_000,
  jitterFraction: 0.2,
  maxAttempts: 10,
});

/** gRPC connection backoff (BOUNDS.md presets): 1 s × 1.6, cap 120 s, jitter ±0.2. */
export const GRPC_BACKOFF: Readonly<Partial<BackoffSettings>> = Object.freeze({
  base: 1_000,
  cap: 120_000,
  multiplier: 1.6,
  jitterFraction: 0.2,
});

export const DEFAULT_ADAPTIVE: Readonly<AdaptiveSettings> = Object.freeze({
  enabled: false,
  busyInterval: 1_000,
  idleInterval: 5_000,
  busyAbove: 0.7,
  idleBelow: 0.3,
});

export const CLIENT_DEFAULTS = Object.freeze({
  service: 'heartbeat-client',
  // F3: the client finds a dead peer with its pings; a read deadline on top would fire before the
  // miss threshold and break the BOUNDS.md client bound, so it is off unless asked for.
  readDeadline: 0,
  connectTimeout: 10_000,
});

export const SERVER_DEFAULTS = Object.freeze({
  service: 'heartbeat-server',
  maxConnections: 10_000,
  warnConnections: 1_000,
  dangerConnections: 2_000,
  maxQueuedBytes: 1_048_576,
  helloTimeout: 10_000,
  // frameTimeout defaults to the resolved readDeadline.
});

const HEARTBEAT_KEYS = Object.keys(SEED_DEFAULTS) as (keyof HeartbeatSettings)[];

/** The HeartbeatSettings part of a resolved client or server config. */
export function pickHeartbeatSettings(config: HeartbeatSettings): HeartbeatSettings {
  const out = {} as Record<keyof HeartbeatSettings, unknown>;
  for (const key of HEARTBEAT_KEYS) out[key] = config[key];
  return out as unknown as HeartbeatSettings;
}

export function isHeartbeatKey(key: string): key is keyof HeartbeatSettings {
  return (HEARTBEAT_KEYS as string[]).includes(key);
}

/** Validates the fields shared by both sides; `where` names the config in error messages. */
export function resolveHeartbeatSettings(
  input: unknown,
  where = 'heartbeat',
  base: Partial<HeartbeatSettings> = {},
): HeartbeatSettings {
  const obj = asObject(input, '(root)', where);
  rejectUnknown(obj, HEARTBEAT_KEYS, '', where);
  return heartbeatFrom(obj, { ...SEED_DEFAULTS, ...base }, where);
}

export function resolveClientConfig(input: unknown = {}): ClientConfig {
  const where = 'client';
  const obj = asObject(input, '(root)', where);
  rejectUnknown(obj, [...HEARTBEAT_KEYS, 'service', 'connectTimeout', 'backoff', 'adaptive'], '', where);
  const hb = heartbeatFrom(obj, { ...SEED_DEFAULTS, readDeadline: CLIENT_DEFAULTS.readDeadline }, where);
  const config: ClientConfig = {
    ...hb,
    service: str(obj, 'service', CLIENT_DEFAULTS.service, where),
    connectTimeout: duration(obj, 'connectTimeout', CLIENT_DEFAULTS.connectTimeout, where, { min: 1 }),
    backoff: resolveBackoff(obj.backoff, where),
    adaptive: resolveAdaptive(obj.adaptive, where),
  };
  return config;
}

export function resolveServerConfig(input: unknown = {}): ServerConfig {
  const where = 'server';
  const obj = asObject(input, '(root)', where);
  rejectUnknown(
    obj,
    [
      ...HEARTBEAT_KEYS,
      'service',
      'maxConnections',
      'warnConnections',
      'dangerConnections',
      ...PEER_LIMIT_KEYS,
    ],
    '',
    where,
  );
  const hb = heartbeatFrom(obj, SEED_DEFAULTS, where);
  const config: ServerConfig = {
    ...hb,
    service: str(obj, 'service', SERVER_DEFAULTS.service, where),
    maxConnections:
      obj.maxConnections === Number.POSITIVE_INFINITY
        ? Number.POSITIVE_INFINITY
        : count(obj, 'maxConnections', SERVER_DEFAULTS.maxConnections, where, 1),
    warnConnections: count(obj, 'warnConnections', SERVER_DEFAULTS.warnConnections, where, 1),
    dangerConnections: count(obj, 'dangerConnections', SERVER_DEFAULTS.dangerConnections, where, 1),
    maxQueuedBytes: count(obj, 'maxQueuedBytes', SERVER_DEFAULTS.maxQueuedBytes, where, 0),
    helloTimeout: duration(obj, 'helloTimeout', SERVER_DEFAULTS.helloTimeout, where, { min: 0 }),
    frameTimeout: duration(obj, 'frameTimeout', hb.readDeadline, where, { min: 0 }),
  };
  if (config.maxQueuedBytes > 0 && config.maxQueuedBytes < config.maxFrameBytes) {
    throw new ConfigError(
      'maxQueuedBytes',
      `must be 0 (off) or ≥ maxFrameBytes (${config.maxFrameBytes}): a whole frame must fit`,
      config.maxQueuedBytes,
      where,
    );
  }
  if (config.dangerConnections < config.warnConnections) {
    throw new ConfigError(
      'dangerConnections',
      `must be ≥ warnConnections (${config.warnConnections})`,
      config.dangerConnections,
      where,
    );
  }
  return config;
}

export function resolveBackoff(input: unknown, where = 'client'): BackoffSettings {
  const obj = input === undefined ? {} : asObject(input, 'backoff', where);
  rejectUnknown(obj, Object.keys(DEFAULT_BACKOFF), 'backoff.', where);
  const policy = obj.policy ?? DEFAULT_BACKOFF.policy;
  const policies: BackoffPolicyName[] = ['seed', 'full', 'equal', 'decorrelated', 'grpc'];
  if (typeof policy !== 'string' || !policies.includes(policy as BackoffPolicyName)) {
    throw new ConfigError('backoff.policy', `must be one of ${policies.join(', ')}`, policy, where);
  }
  const d =
    policy === 'grpc'
      ? { ...DEFAULT_BACKOFF, ...GRPC_BACKOFF }
      : policy === 'decorrelated'
        ? { ...DEFAULT_BACKOFF, multiplier: 3 }
        : DEFAULT_BACKOFF;
  const b: BackoffSettings = {
    policy: policy as BackoffPolicyName,
    base: duration(obj, 'base', d.base, where, { min: 1, prefix: 'backoff.' }),
    cap: duration(obj, 'cap', d.cap, where, { min: 1, prefix: 'backoff.' }),
    multiplier: real(obj, 'multiplier', d.multiplier, where, 1, 100, 'backoff.'),
    jitter: duration(obj, 'jitter', d.jitter, where, { min: 0, prefix: 'backoff.' }),
    jitterFraction: real(obj, 'jitterFraction', d.jitterFraction, where, 0, 1, 'backoff.'),
    maxAttempts: attempts(obj, d.maxAttempts, where),
  };
  if (b.cap < b.base) {
    throw new ConfigError('backoff.cap', `must be ≥ backoff.base (${b.base})`, b.cap, where);
  }
  return b;
}

export function resolveAdaptive(input: unknown, where = 'client'): AdaptiveSettings {
  const obj = input === undefined ? {} : asObject(input, 'adaptive', where);
  rejectUnknown(obj, Object.keys(DEFAULT_ADAPTIVE), 'adaptive.', where);
  const d = DEFAULT_ADAPTIVE;
  const a: AdaptiveSettings = {
    enabled: bool(obj, 'enabled', d.enabled, where, 'adaptive.'),
    busyInterval: duration(obj, 'busyInterval', d.busyInterval, where, { min: 1, prefix: 'adaptive.' }),
    idleInterval: duration(obj, 'idleInterval', d.idleInterval, where, { min: 1, prefix: 'adaptive.' }),
    busyAbove: real(obj, 'busyAbove', d.busyAbove, where, 0, 1, 'adaptive.'),
    idleBelow: real(obj, 'idleBelow', d.idleBelow, where, 0, 1, 'adaptive.'),
  };
  if (a.idleBelow > a.busyAbove) {
    throw new ConfigError(
      'adaptive.idleBelow',
      `must be ≤ adaptive.busyAbove (${a.busyAbove})`,
      a.idleBelow,
      where,
    );
  }
  return a;
}

function heartbeatFrom(
  obj: Record<string, unknown>,
  d: Readonly<HeartbeatSettings>,
  where: string,
): HeartbeatSettings {
  const s: HeartbeatSettings = {
    interval: duration(obj, 'interval', d.interval, where, { min: 0 }),
    pongTimeout: duration(obj, 'pongTimeout', d.pongTimeout, where, { min: 1 }),
    writeDeadline: duration(obj, 'writeDeadline', d.writeDeadline, where, { min: 0 }),
    readDeadline: duration(obj, 'readDeadline', d.readDeadline, where, { min: 0 }),
    keepAlive: duration(obj, 'keepAlive', d.keepAlive, where, { min: 0 }),
    missThreshold: count(obj, 'missThreshold', d.missThreshold, where, 1),
    suspectAfter: count(obj, 'suspectAfter', d.suspectAfter, where, 1),
    probeOnSuspect: bool(obj, 'probeOnSuspect', d.probeOnSuspect, where),
    reverseCheck: bool(obj, 'reverseCheck', d.reverseCheck, where),
    maxFrameBytes: count(obj, 'maxFrameBytes', d.maxFrameBytes, where, MIN_MAX_FRAME_BYTES),
    businessTimeout: duration(obj, 'businessTimeout', d.businessTimeout, where, { min: 0 }),
  };
  // A lowered missThreshold drags the default suspectAfter with it; an explicit one must fit.
  if (obj.suspectAfter === undefined) s.suspectAfter = Math.min(s.suspectAfter, s.missThreshold);
  if (s.suspectAfter > s.missThreshold) {
    throw new ConfigError(
      'suspectAfter',
      `must be ≤ missThreshold (${s.missThreshold})`,
      s.suspectAfter,
      where,
    );
  }
  return s;
}

function asObject(value: unknown, field: string, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigError(field, 'must be an object', value, where);
  }
  return value as Record<string, unknown>;
}

function rejectUnknown(
  obj: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  where: string,
) {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        `${prefix}${key}`,
        `is not a known setting (known: ${known.join(', ')})`,
        obj[key],
        where,
      );
    }
  }
}

function duration(
  obj: Record<string, unknown>,
  key: string,
  fallback: number,
  where: string,
  opts: { min: number; prefix?: string },
): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < opts.min) {
    const what =
      opts.min === 0
        ? 'a non-negative integer of milliseconds (0 = off)'
        : 'a positive integer of milliseconds';
    throw new ConfigError(`${opts.prefix ?? ''}${key}`, `must be ${what}`, v, where);
  }
  return v;
}

function count(
  obj: Record<string, unknown>,
  key: string,
  fallback: number,
  where: string,
  min: number,
): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new ConfigError(key, `must be an integer ≥ ${min}`, v, where);
  }
  return v;
}

function attempts(obj: Record<string, unknown>, fallback: number, where: string): number {
  const v = obj.maxAttempts;
  if (v === undefined) return fallback;
  if (v === Number.POSITIVE_INFINITY) return v;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) {
    throw new ConfigError('backoff.maxAttempts', 'must be an integer ≥ 1 or Infinity', v, where);
  }
  return v;
}

function real(
  obj: Record<string, unknown>,
  key: string,
  fallback: number,
  where: string,
  min: number,
  max: number,
  prefix: string,
): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError(`${prefix}${key}`, `must be a number in [${min}, ${max}]`, v, where);
  }
  return v;
}

function bool(
  obj: Record<string, unknown>,
  key: string,
  fallback: boolean,
  where: string,
  prefix = '',
): boolean {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new ConfigError(`${prefix}${key}`, 'must be a boolean', v, where);
  return v;
}

function str(obj: Record<string, unknown>, key: string, fallback: string, where: string): string {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'string' || v.length === 0)
    throw new ConfigError(key, 'must be a non-empty string', v, where);
  return v;
}
