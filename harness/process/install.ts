/**
 * Puts Node's own modules and globals under the virtual processes (context.ts). Each patched entry
 * point asks which simulated host the running code belongs to: none (the harness, the test runner,
 * anything outside a simulation) gets Node's original, untouched; a host gets its virtual process.
 *
 * It is installed once, when the simulator is first loaded, before the subjects' libraries are: a
 * library that captures `setTimeout` or `net.connect` at import time captures the dispatcher, so it
 * follows its host too. Built-in modules' ESM named exports are re-synced after patching
 * (module.syncBuiltinESMExports), so `import { setTimeout } from 'node:timers'` is covered as well
 * as `require('timers').setTimeout` and the global.
 *
 * What is virtualised: timers (global, node:timers, node:timers/promises), setImmediate, Date,
 * performance.now, process.hrtime, Math.random, crypto's randomBytes/randomFill(Sync)/randomInt/
 * randomUUID/getRandomValues, node:net's connect/createConnection/createServer, every net.Server's
 * listen/close/address (so node:http, node:tls, node:https, node:http2 and anything built on them
 * serve on the simulated host), the http Agent's connections, tls.connect (TLS over a simulated
 * socket), HTTP/2 PING payloads, and dns.lookup of simulated host names. What cannot be (UDP, child
 * processes, worker threads, fetch, a real host name) throws a
 * VirtualEscapeError naming the call and the host. process.nextTick and queueMicrotask are never
 * touched: the simulator's driver relies on them draining as Node drains them.
 */
import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import type * as Dgram from 'node:dgram';
import type * as Dns from 'node:dns';
import type * as Http from 'node:http';
import type * as Http2 from 'node:http2';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type * as Net from 'node:net';
import type * as Timers from 'node:timers';
import type * as TimersPromises from 'node:timers/promises';
import type * as Tls from 'node:tls';
import { promisify } from 'node:util';
import type * as WorkerThreads from 'node:worker_threads';
import { SimTimer } from '../sim/process.ts';
import type { SimServer } from '../sim/server.ts';
import { currentProcess, runIn, type HostProcessView as VirtualProcess } from './context.ts';
import { VirtualEscapeError } from './errors.ts';
import { harnessServers, realClocks, realTimers } from './originals.ts';

// The modules' own (mutable) export objects: an ESM namespace cannot be patched, and Node re-syncs
// the namespaces from these (syncBuiltinESMExports).
const require = createRequire(import.meta.url);
const childProcess = require('node:child_process') as typeof ChildProcess;
const crypto = require('node:crypto') as typeof Crypto;
const dgram = require('node:dgram') as typeof Dgram;
const dns = require('node:dns') as typeof Dns;
const http = require('node:http') as typeof Http;
const http2 = require('node:http2') as typeof Http2;
const net = require('node:net') as typeof Net;
const timers = require('node:timers') as typeof Timers;
const timersPromises = require('node:timers/promises') as typeof TimersPromises;
const tls = require('node:tls') as typeof Tls;
const workerThreads = require('node:worker_threads') as typeof WorkerThreads;
const { performance } = require('node:perf_hooks') as typeof import('node:perf_hooks');

const real = { ...realTimers, ...realClocks };

type Mutable = Record<string, unknown>;
const INSTALLED = Symbol.for('flatline.virtual.installed');

/** Replaces a property; one Node made read-only (crypto.getRandomValues) is left as it is. */
function define(target: object, key: string, value: unknown): void {
  const d = Object.getOwnPropertyDescriptor(target, key);
  if (d && !d.configurable && !d.writable) return;
  if (d && !d.configurable) (target as Mutable)[key] = value;
  else Object.defineProperty(target, key, { value, writable: true, configurable: true, enumerable: true });
}

// ---------------------------------------------------------------------------------------------
// timers

function virtualTimer(vp: VirtualProcess, repeat: boolean, cb: unknown, ms: unknown, args: unknown[]) {
  if (typeof cb !== 'function') {
    const e = new TypeError(`The "callback" argument must be of type function. Received ${typeof cb}`);
    Object.defineProperty(e, 'code', { value: 'ERR_INVALID_ARG_TYPE' });
    throw e;
  }
  const fn = args.length ? () => (cb as (...a: unknown[]) => void)(...args) : (cb as () => void);
  return repeat ? vp.runtime.setInterval(fn, ms as number) : vp.runtime.setTimeout(fn, ms as number);
}

function clearAny(handle: unknown, clearReal: (h: never) => void): void {
  if (handle instanceof SimTimer) handle.cancel();
  else clearReal(handle as never);
}

const vSetTimeout = function setTimeout(cb: unknown, ms?: unknown, ...args: unknown[]) {
  const vp = currentProcess();
  if (!vp) return (real.setTimeout as (...a: unknown[]) => NodeJS.Timeout)(cb, ms, ...args);
  return virtualTimer(vp, false, cb, ms, args);
};
const vSetInterval = function setInterval(cb: unknown, ms?: unknown, ...args: unknown[]) {
  const vp = currentProcess();
  if (!vp) return (real.setInterval as (...a: unknown[]) => NodeJS.Timeout)(cb, ms, ...args);
  return virtualTimer(vp, true, cb, ms, args);
};
const vClearTimeout = function clearTimeout(handle: unknown) {
  clearAny(handle, real.clearTimeout);
};
const vClearInterval = function clearInterval(handle: unknown) {
  clearAny(handle, real.clearInterval);
};
/**
 * setImmediate on a host runs at the same virtual instant, after what is queued now (the driver
 * waits for the immediates of an instant before it moves time); a paused process runs it at resume,
 * a dead one never.
 */
const vSetImmediate = function setImmediate(cb: unknown, ...args: unknown[]) {
  const vp = currentProcess();
  if (!vp) return (real.setImmediate as (...a: unknown[]) => NodeJS.Immediate)(cb, ...args);
  return real.setImmediate(() => vp.run(() => (cb as (...a: unknown[]) => void)(...args)));
};

function virtualSleep<T>(ms: number | undefined, value: T, options?: { signal?: AbortSignal }): Promise<T> {
  const vp = currentProcess();
  if (!vp) return timersPromisesReal.setTimeout(ms, value, options);
  return new Promise<T>((resolve, reject) => {
    const signal = options?.signal;
    if (signal?.aborted) return reject(abortError(signal));
    const timer = vp.runtime.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(value);
    }, ms ?? 1);
    const onAbort = () => {
      vp.runtime.clearTimeout(timer);
      reject(abortError(signal!));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal: AbortSignal): Error {
  const e = new Error('The operation was aborted', { cause: signal.reason });
  e.name = 'AbortError';
  Object.defineProperty(e, 'code', { value: 'ABORT_ERR' });
  return e;
}

const timersPromisesReal = {
  setTimeout: timersPromises.setTimeout,
  setImmediate: timersPromises.setImmediate,
  setInterval: timersPromises.setInterval,
};

async function* virtualEvery<T>(ms: number | undefined, value: T, options?: { signal?: AbortSignal }) {
  for (;;) {
    await virtualSleep(ms, undefined, options);
    yield value;
  }
}

function installTimers(): void {
  Object.defineProperty(vSetTimeout, promisify.custom, {
    value: (ms?: number, value?: unknown, options?: { signal?: AbortSignal }) =>
      virtualSleep(ms, value, options),
  });
  Object.defineProperty(vSetImmediate, promisify.custom, {
    value: <T>(value?: T) => {
      const vp = currentProcess();
      if (!vp) return timersPromisesReal.setImmediate(value);
      return new Promise<T | undefined>((resolve) => vSetImmediate(() => resolve(value)));
    },
  });
  const patch = {
    setTimeout: vSetTimeout,
    clearTimeout: vClearTimeout,
    setInterval: vSetInterval,
    clearInterval: vClearInterval,
    setImmediate: vSetImmediate,
    // An immediate is always a real Immediate (see vSetImmediate).
    clearImmediate: real.clearImmediate,
  };
  for (const [k, v] of Object.entries(patch)) {
    define(globalThis, k, v);
    define(timers, k, v);
  }
  const tp = timersPromises as unknown as Mutable;
  define(tp, 'setTimeout', virtualSleep);
  define(tp, 'setImmediate', (vSetImmediate as unknown as Mutable)[promisify.custom as unknown as string]);
  define(tp, 'setInterval', (ms?: number, value?: unknown, options?: { signal?: AbortSignal }) =>
    currentProcess() ? virtualEvery(ms, value, options) : timersPromisesReal.setInterval(ms, value, options),
  );
  const scheduler = (timersPromises as unknown as { scheduler?: Mutable }).scheduler;
  if (scheduler) {
    const wait = scheduler.wait as (ms: number, o?: unknown) => Promise<void>;
    define(scheduler, 'wait', (ms: number, options?: { signal?: AbortSignal }) =>
      currentProcess() ? virtualSleep(ms, undefined, options) : wait.call(scheduler, ms, options),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// clocks

function installClocks(): void {
  const RealDate = real.Date;
  // A function, not a class: Date() without `new` returns a string, as Node's does.
  function VirtualDate(this: unknown, ...args: unknown[]): unknown {
    const vp = currentProcess();
    if (!new.target) return vp ? new RealDate(vp.runtime.now()).toString() : RealDate();
    const values = args.length === 0 && vp ? [vp.runtime.now()] : args;
    return Reflect.construct(RealDate, values, new.target);
  }
  Object.setPrototypeOf(VirtualDate, RealDate);
  VirtualDate.prototype = RealDate.prototype;
  define(VirtualDate, 'now', function now() {
    const vp = currentProcess();
    return vp ? vp.runtime.now() : RealDate.now();
  });
  define(VirtualDate, 'UTC', RealDate.UTC);
  define(VirtualDate, 'parse', RealDate.parse);
  define(globalThis, 'Date', VirtualDate);

  define(performance, 'now', function now() {
    const vp = currentProcess();
    return vp ? vp.monotonic() : real.performanceNow();
  });

  const hrtime = function hrtime(prev?: [number, number]): [number, number] {
    const vp = currentProcess();
    if (!vp) return real.hrtime(prev);
    const ns = BigInt(vp.monotonic()) * 1_000_000n;
    let s = Number(ns / 1_000_000_000n);
    let n = Number(ns % 1_000_000_000n);
    if (prev) {
      s -= prev[0];
      n -= prev[1];
      if (n < 0) {
        s--;
        n += 1e9;
      }
    }
    return [s, n];
  };
  define(hrtime, 'bigint', function bigint() {
    const vp = currentProcess();
    return vp ? BigInt(vp.monotonic()) * 1_000_000n : real.hrtime.bigint();
  });
  define(process, 'hrtime', hrtime);
}

// ---------------------------------------------------------------------------------------------
// randomness

function fill(vp: VirtualProcess, buf: ArrayBufferView, offset = 0, size?: number): void {
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = size === undefined ? bytes.length : offset + size;
  for (let i = offset; i < end; i++) bytes[i] = Math.floor(vp.runtime.random() * 256);
}

function installRandom(): void {
  define(Math, 'random', function random() {
    const vp = currentProcess();
    return vp ? vp.runtime.random() : real.random();
  });
  const c = crypto as unknown as Mutable;
  const orig = {
    randomBytes: crypto.randomBytes,
    randomFillSync: crypto.randomFillSync,
    randomFill: crypto.randomFill,
    randomUUID: crypto.randomUUID,
    randomInt: crypto.randomInt,
    getRandomValues: crypto.getRandomValues,
  };
  define(c, 'randomBytes', (size: number, cb?: (err: Error | null, buf: Buffer) => void) => {
    const vp = currentProcess();
    if (!vp) return cb ? orig.randomBytes(size, cb) : orig.randomBytes(size);
    const buf = Buffer.alloc(size);
    fill(vp, buf);
    if (cb) process.nextTick(cb, null, buf);
    return cb ? undefined : buf;
  });
  define(c, 'randomFillSync', <T extends ArrayBufferView>(buf: T, offset?: number, size?: number): T => {
    const vp = currentProcess();
    if (!vp) return (orig.randomFillSync as (...a: unknown[]) => T)(buf, offset, size);
    fill(vp, buf, offset, size);
    return buf;
  });
  define(c, 'randomFill', (buf: ArrayBufferView, ...rest: unknown[]) => {
    const vp = currentProcess();
    if (!vp) return (orig.randomFill as (...a: unknown[]) => void)(buf, ...rest);
    const cb = rest.pop() as (err: Error | null, b: ArrayBufferView) => void;
    fill(vp, buf, rest[0] as number | undefined, rest[1] as number | undefined);
    process.nextTick(cb, null, buf);
  });
  define(c, 'randomInt', (...args: unknown[]) => {
    const vp = currentProcess();
    if (!vp) return (orig.randomInt as (...a: unknown[]) => unknown)(...args);
    const cb = typeof args.at(-1) === 'function' ? (args.pop() as (e: null, n: number) => void) : undefined;
    const [a, b] = args as number[];
    const [min, max] = b === undefined ? [0, a!] : [a!, b];
    const n = min + Math.floor(vp.runtime.random() * (max - min));
    if (cb) process.nextTick(cb, null, n);
    return cb ? undefined : n;
  });
  const uuid = () => {
    const vp = currentProcess();
    if (!vp) return orig.randomUUID();
    const b = Buffer.alloc(16);
    fill(vp, b);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  define(c, 'randomUUID', uuid);
  const getRandomValues = <T extends ArrayBufferView | null>(buf: T): T => {
    const vp = currentProcess();
    if (!vp || !buf) return orig.getRandomValues(buf as never) as T;
    fill(vp, buf);
    return buf;
  };
  define(c, 'getRandomValues', getRandomValues);
  const web = globalThis.crypto as unknown as Mutable | undefined;
  if (web) {
    const webGet = (web.getRandomValues as (b: unknown) => unknown).bind(web);
    const webUuid = (web.randomUUID as () => string).bind(web);
    define(web, 'getRandomValues', (buf: ArrayBufferView) =>
      currentProcess() ? getRandomValues(buf) : webGet(buf),
    );
    define(web, 'randomUUID', () => (currentProcess() ? uuid() : webUuid()));
  }
}

// ---------------------------------------------------------------------------------------------
// network

/** A Net.Server (or http.Server…) listening on a simulated host: the simulated server behind it. */
const virtualServers = new WeakMap<Net.Server, SimServer>();

function installNet(): void {
  const n = net as unknown as Mutable;
  const orig = {
    createConnection: net.createConnection,
    connect: net.connect,
    createServer: net.createServer,
    socketConnect: net.Socket.prototype.connect,
    listen: net.Server.prototype.listen,
    close: net.Server.prototype.close,
    address: net.Server.prototype.address,
    getConnections: net.Server.prototype.getConnections,
    ref: net.Server.prototype.ref,
    unref: net.Server.prototype.unref,
    listening: Object.getOwnPropertyDescriptor(net.Server.prototype, 'listening'),
  };
  const connect = function createConnection(this: unknown, ...args: unknown[]) {
    const vp = currentProcess();
    if (!vp) return (orig.createConnection as (...a: unknown[]) => Net.Socket)(...args);
    const target = args[0] as { host?: string; path?: string } | number | string;
    if (!vp.simulated)
      return bindEmitter(vp, (vp.runtime.net.createConnection as (...a: unknown[]) => Net.Socket)(...args));
    if (typeof target === 'string' && !/^\d+$/.test(target)) {
      throw new VirtualEscapeError(
        `net.connect(${JSON.stringify(target)})`,
        vp.host,
        'IPC paths are not simulated',
      );
    }
    if (typeof target === 'object' && target?.host !== undefined) resolveName(vp, 'net.connect', target.host);
    if (typeof args[1] === 'string') resolveName(vp, 'net.connect', args[1] as string);
    return (vp.runtime.net.createConnection as (...a: unknown[]) => Net.Socket)(...args);
  };
  define(n, 'createConnection', connect);
  define(n, 'connect', connect);
  define(n, 'createServer', function createServer(...args: unknown[]) {
    const vp = currentProcess();
    if (!vp) return (orig.createServer as (...a: unknown[]) => Net.Server)(...args);
    return (vp.runtime.net.createServer as (...a: unknown[]) => Net.Server)(...args);
  });
  define(net.Socket.prototype, 'connect', function connect(this: Net.Socket, ...args: unknown[]) {
    const vp = currentProcess();
    if (vp?.simulated) {
      throw new VirtualEscapeError(
        'new net.Socket().connect()',
        vp.host,
        'a socket made with `new net.Socket()` is a real one; use net.connect/createConnection, which the simulator provides',
      );
    }
    return (orig.socketConnect as (...a: unknown[]) => Net.Socket).apply(this, args);
  });

  const S = net.Server.prototype as unknown as Mutable;
  define(S, 'listen', function listen(this: Net.Server, ...args: unknown[]) {
    const vp = currentProcess();
    if (!vp || harnessServers.has(this))
      return (orig.listen as (...a: unknown[]) => Net.Server).apply(this, args);
    const self = this as Net.Server & { allowHalfOpen?: boolean; pauseOnConnect?: boolean };
    const sim = (vp.runtime.net.createServer as (o: object) => unknown)({
      allowHalfOpen: Boolean(self.allowHalfOpen),
      pauseOnConnect: Boolean(self.pauseOnConnect),
    }) as unknown as SimServer;
    virtualServers.set(this, sim);
    if (this.maxConnections !== undefined) sim.maxConnections = this.maxConnections;
    if (!vp.simulated) {
      // A real server's events, and its sockets', reach their listeners from Node's internals (the
      // http parser among them) without the host's async context: bind them to the host.
      bindEmitter(vp, this);
      (sim as unknown as Net.Server).on('connection', (socket: Net.Socket) => bindEmitter(vp, socket));
    }
    for (const event of ['connection', 'listening', 'error', 'close', 'drop']) {
      sim.on(event, (...a: unknown[]) => this.emit(event, ...a));
    }
    const cb = typeof args.at(-1) === 'function' ? (args.pop() as () => void) : undefined;
    if (cb) this.once('listening', cb);
    sim.listen(...args);
    return this;
  });
  define(S, 'close', function close(this: Net.Server, cb?: (err?: Error) => void) {
    const sim = virtualServers.get(this);
    if (!sim) return (orig.close as (cb?: unknown) => Net.Server).call(this, cb);
    if (cb) {
      if (!sim.listening) this.once('close', () => cb(notRunning()));
      else this.once('close', cb);
    }
    sim.close();
    return this;
  });
  define(S, 'address', function address(this: Net.Server) {
    const sim = virtualServers.get(this);
    return sim ? sim.address() : orig.address.call(this);
  });
  define(
    S,
    'getConnections',
    function getConnections(this: Net.Server, cb: (e: Error | null, n: number) => void) {
      const sim = virtualServers.get(this);
      if (!sim) return orig.getConnections.call(this, cb);
      sim.getConnections(cb);
      return this;
    },
  );
  define(S, 'ref', function ref(this: Net.Server) {
    return virtualServers.has(this) ? this : orig.ref.call(this);
  });
  define(S, 'unref', function unref(this: Net.Server) {
    return virtualServers.has(this) ? this : orig.unref.call(this);
  });
  Object.defineProperty(S, 'listening', {
    configurable: true,
    get(this: Net.Server) {
      const sim = virtualServers.get(this);
      return sim ? sim.listening : orig.listening?.get?.call(this);
    },
  });

  // The http Agent took net.createConnection when node:http loaded: give it the dispatcher.
  const agentConnect = http.Agent.prototype.createConnection;
  define(
    http.Agent.prototype,
    'createConnection',
    function createConnection(this: Http.Agent, ...args: unknown[]) {
      return currentProcess()
        ? connect(...args)
        : (agentConnect as (...a: unknown[]) => unknown).apply(this, args);
    },
  );

  const dnsLookup = dns.lookup;
  define(dns, 'lookup', function lookup(hostname: string, ...rest: unknown[]) {
    const vp = currentProcess();
    if (!vp) return (dnsLookup as (...a: unknown[]) => void)(hostname, ...rest);
    const cb = rest.pop() as (err: Error | null, address?: unknown, family?: number) => void;
    const options = (typeof rest[0] === 'object' && rest[0]) || {};
    if (!vp.simulated) return (dnsLookup as (...a: unknown[]) => void)(hostname, ...rest, cb);
    const address = resolveName(vp, 'dns.lookup', hostname);
    if ((options as { all?: boolean }).all) process.nextTick(cb, null, [{ address, family: 4 }]);
    else process.nextTick(cb, null, address, 4);
  });
  // A/AAAA queries for simulated names (nats.js resolves servers this way): every host has one IPv4
  // address and no IPv6 one.
  const answer = (vp: VirtualProcess, call: string, name: string, family: 4 | 6): string[] => {
    const address = resolveName(vp, call, name);
    if (family === 6)
      throw Object.assign(new Error(`${call} ENODATA ${name}`), { code: 'ENODATA', hostname: name });
    return [address];
  };
  for (const family of [4, 6] as const) {
    const key = `resolve${family}`;
    const original = (dns as unknown as Mutable)[key] as (...a: unknown[]) => void;
    define(dns, key, function resolve(hostname: string, ...rest: unknown[]) {
      const vp = currentProcess();
      if (!vp?.simulated) return original(hostname, ...rest);
      const cb = rest.pop() as (err: Error | null, addresses?: string[]) => void;
      try {
        const out = answer(vp, `dns.${key}`, hostname, family);
        process.nextTick(cb, null, out);
      } catch (e) {
        if (e instanceof VirtualEscapeError) throw e;
        process.nextTick(cb, e as Error);
      }
    });
    const originalPromise = (dns.promises as unknown as Mutable)[key] as (
      ...a: unknown[]
    ) => Promise<string[]>;
    define(dns.promises, key, async function resolve(hostname: string, ...rest: unknown[]) {
      const vp = currentProcess();
      if (!vp?.simulated) return originalPromise(hostname, ...rest);
      return answer(vp, `dns.promises.${key}`, hostname, family);
    });
  }
  const promisesLookup = dns.promises.lookup;
  define(dns.promises, 'lookup', async function lookup(hostname: string, options?: { all?: boolean }) {
    const vp = currentProcess();
    if (!vp?.simulated) return promisesLookup(hostname, options as never);
    const address = resolveName(vp, 'dns.promises.lookup', hostname);
    return options?.all ? [{ address, family: 4 }] : { address, family: 4 };
  });
}

/** Every event of `emitter` runs as code of `vp` (real sockets and servers on a real backend's host). */
function bindEmitter<T extends { emit: (...a: never[]) => boolean }>(vp: VirtualProcess, emitter: T): T {
  const emit = emitter.emit as (...a: unknown[]) => boolean;
  emitter.emit = function boundEmit(this: unknown, ...args: unknown[]) {
    return currentProcess() === vp ? emit.apply(this, args) : runIn(vp, () => emit.apply(this, args));
  } as T['emit'];
  return emitter;
}

function notRunning(): Error {
  const e = new Error('Server is not running.');
  Object.defineProperty(e, 'code', { value: 'ERR_SERVER_NOT_RUNNING' });
  return e;
}

function resolveName(vp: VirtualProcess, call: string, name: string): string {
  if (name === 'localhost') return '127.0.0.1';
  if (net.isIPv4(name)) return name;
  const address = vp.lookup(name);
  if (address === undefined) {
    throw new VirtualEscapeError(
      `${call}(${JSON.stringify(name)})`,
      vp.host,
      `"${name}" is not a simulated host`,
    );
  }
  return address;
}

// ---------------------------------------------------------------------------------------------
// what cannot be virtualised

function guard(target: object, key: string, call: string, why?: string): void {
  const t = target as Mutable;
  const original = t[key] as (...a: unknown[]) => unknown;
  if (typeof original !== 'function') return;
  const guarded = function (this: unknown, ...args: unknown[]) {
    const vp = currentProcess();
    if (vp?.simulated) throw new VirtualEscapeError(call, vp.host, why);
    return new.target ? Reflect.construct(original, args, new.target) : original.apply(this, args);
  };
  if (original.prototype) guarded.prototype = original.prototype;
  define(t, key, guarded);
}

/**
 * An HTTP/2 PING without a payload carries Node's own monotonic clock (a native one the host process
 * cannot reach): on a simulated host the payload is drawn from the host's seeded randomness instead,
 * so the bytes on the wire, and the trace, replay.
 */
function installHttp2(): void {
  const connect = http2.connect as (...a: unknown[]) => Http2.ClientHttp2Session;
  define(http2, 'connect', function connectHttp2(...args: unknown[]) {
    const session = connect(...args);
    const vp = currentProcess();
    if (!vp?.simulated) return session;
    const ping = session.ping as (...a: unknown[]) => boolean;
    session.ping = function seededPing(this: Http2.ClientHttp2Session, ...a: unknown[]) {
      if (typeof a[0] === 'function' || a.length === 0) {
        const payload = Buffer.alloc(8);
        fill(vp, payload);
        return ping.call(this, payload, ...a);
      }
      return ping.apply(this, a);
    } as typeof session.ping;
    return session;
  });
}

/**
 * TLS on a simulated host: tls.connect without a socket of its own dials through the simulated net
 * and runs TLS over that socket (Node wraps any stream); a TLS server is a net.Server, whose listen
 * is already the host's. https (its Agent calls tls.connect) follows.
 */
function installTls(): void {
  const connect = tls.connect as (...a: unknown[]) => Tls.TLSSocket;
  define(tls, 'connect', function connectTls(...args: unknown[]) {
    const vp = currentProcess();
    if (!vp?.simulated) return connect(...args);
    const options: Record<string, unknown> =
      typeof args[0] === 'object' && args[0] !== null
        ? { ...(args[0] as object) }
        : { port: args[0], ...(typeof args[1] === 'string' ? { host: args[1] } : {}) };
    const last = args.at(-1);
    const callback = typeof last === 'function' ? last : undefined;
    if (typeof args[1] === 'object' && args[1] !== null) Object.assign(options, args[1]);
    if (!options.socket) {
      const host = (options.host as string | undefined) ?? 'localhost';
      resolveName(vp, 'tls.connect', host);
      options.socket = (vp.runtime.net.createConnection as (o: object) => Net.Socket)({
        host,
        port: options.port,
      });
      options.servername ??= net.isIP(host) ? undefined : host;
    }
    return callback ? connect(options, callback) : connect(options);
  });
}

function installGuards(): void {
  guard(dgram, 'createSocket', 'dgram.createSocket()', 'UDP is not simulated');
  for (const k of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
    guard(childProcess, k, `child_process.${k}()`, 'a child process runs outside the simulation');
  }
  guard(
    workerThreads,
    'Worker',
    'new worker_threads.Worker()',
    'a worker thread runs outside the simulation',
  );
  for (const k of ['resolve', 'resolveAny', 'resolveSrv', 'resolveTxt', 'reverse']) {
    guard(
      dns,
      k,
      `dns.${k}()`,
      'these DNS queries are not simulated (lookup, resolve4 and resolve6 of simulated names are)',
    );
  }
  if (typeof globalThis.fetch === 'function')
    guard(globalThis, 'fetch', 'fetch()', 'fetch (undici) is not simulated yet');
}

/** Installs every patch, once per process. */
export function installVirtualProcesses(): void {
  const g = globalThis as unknown as Record<symbol, boolean>;
  if (g[INSTALLED]) return;
  g[INSTALLED] = true;
  installTimers();
  installClocks();
  installRandom();
  installNet();
  installHttp2();
  installTls();
  installGuards();
  syncBuiltinESMExports();
}

installVirtualProcesses();
