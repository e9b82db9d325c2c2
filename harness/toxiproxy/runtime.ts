/**
 * The Runtime a subject gets on the toxiproxy backend: real `node:net` on loopback, with timers and
 * now() on the SCENARIO clock. setTimeout(cb, ms) waits ms × timeScale real ms and now() advances
 * 1/timeScale ms per real ms, so a subject configured for a 30 s interval runs it every 300 ms at
 * timeScale 0.01 without a config change. socket.setTimeout (and createConnection's `timeout`) are
 * scaled the same way.
 *
 * Not scaled: TCP keepalive (setKeepAlive / keepAliveInitialDelay) is run by the kernel in real
 * seconds, and Node cannot set its probe interval or count; and kernel timeouts (connect SYN
 * retries, retransmission). Through Toxiproxy keepalive never sees a fault anyway: the proxy
 * answers the probes (BOUNDS.md).
 *
 * Every host name maps to loopback: clients dial 127.0.0.1 whatever host they name, and servers
 * listen on `bindHost` (127.0.0.1 unless configured). Every timer, socket and server made through a
 * runtime is tracked, so the backend's close() can leave nothing behind.
 */
import * as nodeNet from 'node:net';
import type { Logger, NetModule, Runtime, TimerHandle } from '../../impl/runtime.ts';
import { harnessServers, realClocks, realNet, realTimers } from '../process/originals.ts';

/** The scenario clock: `origin` at creation, advancing 1/timeScale ms per real ms. */
export class ScenarioClock {
  private readonly startReal = realClocks.performanceNow();
  constructor(
    readonly timeScale: number,
    readonly origin: number,
  ) {}

  now(): number {
    return this.origin + (realClocks.performanceNow() - this.startReal) / this.timeScale;
  }

  /** Real ms for a scenario duration; negative and NaN become 0 (Node then waits ≥ 1 ms). */
  toReal(ms: number): number {
    return Number.isFinite(ms) && ms > 0 ? ms * this.timeScale : 0;
  }
}

/** What a backend must be able to tear down. */
export class Resources {
  readonly timers = new Set<NodeJS.Timeout>();
  readonly sockets = new Set<nodeNet.Socket>();
  readonly servers = new Set<nodeNet.Server>();
  closed = false;

  async closeAll(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await Promise.all(
      [...this.servers].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
    this.servers.clear();
  }
}

export interface ScaledRuntimeOptions {
  clock: ScenarioClock;
  resources: Resources;
  /** Where servers listen. */
  bindHost: string;
  logger: Logger;
  random: () => number;
}

const CONNECT_HOST = '127.0.0.1';

type Callback = (...args: unknown[]) => void;

function ensureOpen(resources: Resources): void {
  if (resources.closed)
    throw new Error('this toxiproxy backend is closed; its runtimes can no longer be used');
}

function scaleSocketTimeout(socket: nodeNet.Socket, clock: ScenarioClock): void {
  const original = socket.setTimeout;
  socket.setTimeout = function setScaledTimeout(this: nodeNet.Socket, ms: number, callback?: () => void) {
    const real = ms === 0 ? 0 : Math.max(1, clock.toReal(ms));
    return callback ? original.call(this, real, callback) : original.call(this, real);
  };
}

/** createConnection/connect arguments as one options object, host mapped to loopback. */
function connectArgs(args: unknown[], clock: ScenarioClock): [nodeNet.NetConnectOpts | string, Callback?] {
  const [first, second, third] = args;
  if (typeof first === 'object' && first !== null) {
    const options = { ...(first as Record<string, unknown>) };
    if (!('path' in options) || options.path === undefined) options.host = CONNECT_HOST;
    if (typeof options.timeout === 'number' && options.timeout > 0) {
      options.timeout = Math.max(1, clock.toReal(options.timeout));
    }
    return [options as unknown as nodeNet.NetConnectOpts, second as Callback | undefined];
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return [first, second as Callback | undefined];
  const callback = (typeof second === 'function' ? second : third) as Callback | undefined;
  return [{ port: Number(first), host: CONNECT_HOST }, callback];
}

function adoptSocket(socket: nodeNet.Socket, options: ScaledRuntimeOptions): nodeNet.Socket {
  const { resources, clock } = options;
  scaleSocketTimeout(socket, clock);
  const connect = socket.connect;
  // A reconnect on the same socket object must land on loopback too.
  socket.connect = function reconnect(this: nodeNet.Socket, ...args: unknown[]) {
    const [target, callback] = connectArgs(args, clock);
    return callback
      ? (connect as Callback).call(this, target, callback)
      : (connect as Callback).call(this, target);
  } as typeof socket.connect;
  resources.sockets.add(socket);
  socket.once('close', () => resources.sockets.delete(socket));
  return socket;
}

function listenArgs(args: unknown[], bindHost: string): unknown[] {
  const [first] = args;
  if (typeof first === 'object' && first !== null) {
    const options = first as Record<string, unknown>;
    // A path (IPC) or an inherited handle is not a TCP address to remap.
    if (options.path !== undefined || options.fd !== undefined || '_handle' in options) return args;
    return [{ ...options, host: bindHost }, ...args.slice(1)];
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return args;
  let port = 0;
  let rest = args;
  if (typeof first === 'number' || typeof first === 'string') {
    port = Number(first);
    rest = args.slice(1);
  }
  const options: { port: number; host: string; backlog?: number } = { port, host: bindHost };
  let callback: unknown;
  for (const arg of rest) {
    if (typeof arg === 'function') callback = arg;
    else if (typeof arg === 'number') options.backlog = arg;
  }
  return callback ? [options, callback] : [options];
}

function scaledNet(options: ScaledRuntimeOptions): NetModule {
  const { resources, bindHost } = options;
  const createConnection = ((...args: unknown[]) => {
    ensureOpen(resources);
    const [target, callback] = connectArgs(args, options.clock);
    const socket = callback
      ? realNet.createConnection(target as nodeNet.NetConnectOpts, callback)
      : realNet.createConnection(target as nodeNet.NetConnectOpts);
    return adoptSocket(socket, options);
  }) as typeof nodeNet.createConnection;

  const createServer = ((...args: Parameters<typeof nodeNet.createServer>) => {
    ensureOpen(resources);
    const server = realNet.createServer(...args);
    harnessServers.add(server);
    // Ahead of the subject's own listener, so it only ever sees adopted sockets.
    server.prependListener('connection', (socket: nodeNet.Socket) => adoptSocket(socket, options));
    const listen = server.listen;
    server.listen = function listenOnLoopback(this: nodeNet.Server, ...listenArguments: unknown[]) {
      return (listen as Callback).apply(this, listenArgs(listenArguments, bindHost));
    } as typeof server.listen;
    resources.servers.add(server);
    server.once('close', () => resources.servers.delete(server));
    return server;
  }) as typeof nodeNet.createServer;

  return { createConnection, connect: createConnection, createServer, isIP: nodeNet.isIP };
}

export function scaledRuntime(options: ScaledRuntimeOptions): Runtime {
  const { clock, resources } = options;
  const arm = (
    make: (cb: () => void, ms: number) => NodeJS.Timeout,
    callback: () => void,
    ms: number,
    once: boolean,
  ) => {
    ensureOpen(resources);
    const handle = make(() => {
      if (once) resources.timers.delete(handle);
      callback();
    }, clock.toReal(ms));
    resources.timers.add(handle);
    return handle;
  };
  const disarm = (handle: TimerHandle | undefined) => {
    if (handle === undefined) return;
    realTimers.clearTimeout(handle as NodeJS.Timeout);
    resources.timers.delete(handle as NodeJS.Timeout);
  };
  return {
    net: scaledNet(options),
    setTimeout: (callback, ms) => arm(realTimers.setTimeout, callback, ms, true),
    clearTimeout: disarm,
    setInterval: (callback, ms) => arm(realTimers.setInterval, callback, ms, false),
    clearInterval: disarm,
    now: () => clock.now(),
    random: options.random,
    logger: options.logger,
  };
}
