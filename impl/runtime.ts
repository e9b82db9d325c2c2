/**
 * The Runtime seam: everything a heartbeat implementation may touch. impl/ takes one of these and
 * defaults to the real one; the harness hands out simulated ones (harness/sim) whose sockets are
 * faithful `stream.Duplex` objects with the `net.Socket` surface, so code written against `node:net`
 * runs unchanged on virtual time.
 *
 * This file lives in impl/ (not harness/) because impl/ must never import harness/: the harness
 * depends on this contract, not the other way round.
 */
import * as nodeNet from 'node:net';

/** The part of `node:net` a subject may use. The simulator provides the same shape. */
export interface NetModule {
  createServer: typeof nodeNet.createServer;
  createConnection: typeof nodeNet.createConnection;
  connect: typeof nodeNet.connect;
  isIP: typeof nodeNet.isIP;
}

/** Opaque timer handle: a Node Timeout on the real runtime, a fake-timers id on the simulator. */
export type TimerHandle = { readonly __timer?: never } | number | NodeJS.Timeout;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One structured log record (F17). Serialised as one JSON object per line by JSON loggers. */
export interface LogRecord {
  /** Milliseconds since the epoch on the runtime's clock (virtual on the simulator). */
  ts: number;
  level: LogLevel;
  service: string;
  msg: string;
  /** Connection or trace id, when the record concerns one connection. */
  conn?: string;
  err?: { code?: string; message: string };
  [field: string]: unknown;
}

export interface Logger {
  log(record: LogRecord): void;
}

export interface Runtime {
  readonly net: NetModule;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  setInterval(callback: () => void, ms: number): TimerHandle;
  clearInterval(handle: TimerHandle | undefined): void;
  /** Wall-clock milliseconds on this host (the simulator may skew it per host). */
  now(): number;
  /** Uniform in [0, 1). Seeded on the simulator; never call Math.random in impl/. */
  random(): number;
  readonly logger: Logger;
}

/** Writes each record as one JSON line. */
export function jsonLineLogger(write: (line: string) => void, minLevel: LogLevel = 'info'): Logger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    log(record) {
      if (order[record.level] >= order[minLevel]) write(`${JSON.stringify(record)}\n`);
    },
  };
}

export const silentLogger: Logger = { log() {} };

export interface RealRuntimeOptions {
  logger?: Logger;
  random?: () => number;
}

/** The real runtime: `node:net`, global timers, `Date.now`. */
export function realRuntime(options: RealRuntimeOptions = {}): Runtime {
  return {
    net: nodeNet,
    setTimeout: (cb, ms) => setTimeout(cb, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout | undefined),
    setInterval: (cb, ms) => setInterval(cb, ms),
    clearInterval: (h) => clearInterval(h as NodeJS.Timeout | undefined),
    now: () => Date.now(),
    random: options.random ?? Math.random,
    logger: options.logger ?? jsonLineLogger((line) => process.stderr.write(line)),
  };
}
