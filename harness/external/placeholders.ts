/**
 * `{name}` in a subject file's args and env: where a process listens or connects, and the heartbeat
 * settings of the run. Durations are milliseconds as a plain decimal number (12.5 at a fine time
 * scale); with `time: scaled` they are already multiplied by the time scale, so the program simply
 * uses them. Only `{identifier}` is a placeholder: JSON or shell braces pass through untouched.
 */
import type { ReferenceConfig } from '../subjects/reference-config.ts';

const COMMON = [
  'host',
  'side',
  'timeScale',
  'config',
  'interval',
  'pongTimeout',
  'writeDeadline',
  'readDeadline',
  'keepalive',
  'missThreshold',
  'suspectThreshold',
  'connectTimeout',
  'backoffPolicy',
  'backoffBase',
  'backoffCap',
  'backoffMultiplier',
  'backoffJitter',
  'serverInterval',
  'serverPongTimeout',
] as const;

/** The placeholders each side's process may use. */
export const PLACEHOLDERS: Readonly<Record<'server' | 'client', ReadonlySet<string>>> = {
  server: new Set([...COMMON, 'listen', 'listenHost', 'listenPort']),
  client: new Set([...COMMON, 'upstream', 'upstreamHost', 'upstreamPort']),
};

const PATTERN = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

/** The placeholder names a text uses. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PATTERN)].map((m) => m[1]!);
}

/** Fills in every placeholder (the schema has refused unknown ones). */
export function fill(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PATTERN, (whole, name: string) => values[name] ?? whole);
}

/** A number as the shortest plain decimal (no exponent), to 3 decimals. */
function decimal(n: number): string {
  const rounded = Math.round(n * 1000) / 1000;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(3).replace(/0+$/, '');
}

export interface PlaceholderContext {
  side: 'server' | 'client';
  host: string;
  /** Multiplier of every duration: the time scale for `time: scaled`, 1 for `time: real`. */
  scale: number;
  timeScale: number;
  config: ReferenceConfig;
  listen?: { host: string; port: number };
  upstream?: { host: string; port: number };
}

/** The value of every placeholder for one process. */
export function placeholderValues(c: PlaceholderContext): Record<string, string> {
  const ms = (v: number): string => decimal(v * c.scale);
  const cfg = c.config;
  const b = cfg.backoff;
  const values: Record<string, string> = {
    host: c.host,
    side: c.side,
    timeScale: decimal(c.timeScale),
    config: JSON.stringify(cfg),
    interval: ms(cfg.interval),
    pongTimeout: ms(cfg.pongTimeout),
    writeDeadline: ms(cfg.writeDeadline),
    readDeadline: ms(cfg.readDeadline),
    keepalive: cfg.keepalive === false ? '0' : ms(cfg.keepalive),
    missThreshold: String(cfg.missThreshold),
    suspectThreshold: String(cfg.suspectThreshold),
    connectTimeout: ms(cfg.connectTimeout),
    backoffPolicy: b.policy,
    backoffBase: ms(b.base),
    backoffCap: ms(b.cap),
    backoffMultiplier: decimal(b.multiplier),
    // gRPC's jitter is a fraction of the wait; every other policy's is milliseconds.
    backoffJitter: b.policy === 'grpc' ? decimal(b.jitter ?? 0) : ms(b.jitter ?? 0),
    serverInterval: cfg.serverHeartbeat === false ? '0' : ms(cfg.serverHeartbeat.interval),
    serverPongTimeout: ms(cfg.serverHeartbeat === false ? cfg.pongTimeout : cfg.serverHeartbeat.pongTimeout),
  };
  if (c.listen) {
    values.listen = `${c.listen.host}:${c.listen.port}`;
    values.listenHost = c.listen.host;
    values.listenPort = String(c.listen.port);
  }
  if (c.upstream) {
    values.upstream = `${c.upstream.host}:${c.upstream.port}`;
    values.upstreamHost = c.upstream.host;
    values.upstreamPort = String(c.upstream.port);
  }
  return values;
}
