/**
 * A simulated `net.Socket`: a real `stream.Duplex` with the net.Socket surface, driven by a kernel
 * Endpoint instead of a libuv handle. It follows Node 20's net.js where behaviour is observable:
 * writes before 'connect' wait for it, `_write` completes when the kernel takes the chunk (so a full
 * send buffer stops write callbacks and `write()` returns false at the high-water mark), reading stops
 * when push() says the readable buffer is full (and the kernel's receive window then fills), 'close'
 * follows 'error', errors carry Node's codes and messages.
 *
 * Everything that reaches the application passes through the host's process, so a paused process
 * sees it at resume and a crashed one never does.
 */
import { Duplex, type DuplexOptions } from 'node:stream';
import type { SimContext } from './context.ts';
import {
  badPortError,
  closedBeforeConnectionError,
  endedByOtherPartyError,
  invalidArgTypeError,
  missingArgsError,
  notFoundError,
  outOfRangeError,
  SimError,
  type SystemError,
  socketClosedError,
} from './errors.ts';
import type { SimHost } from './host.ts';
import { type HostProcess, type ProcessResource, SimTimer } from './process.ts';
import { type Endpoint, type EndpointOwner, WRITE_ACCEPTED, WRITE_BLOCKED } from './tcp.ts';

export interface SimSocketOptions {
  allowHalfOpen?: boolean;
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
}

export interface SimConnectOptions {
  port?: number | string;
  host?: string;
  path?: string;
  timeout?: number;
  family?: number;
  localAddress?: string;
  localPort?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  [option: string]: unknown;
}

/** Node's validatePort: integer 0..65535 given as a number or a numeric string. */
export function validatePort(port: unknown, name = 'Port', allowZero = true): number {
  if (
    (typeof port !== 'number' && typeof port !== 'string') ||
    (typeof port === 'string' && port.trim().length === 0) ||
    +port !== +port >>> 0 ||
    +port > 0xffff ||
    (+port === 0 && !allowZero)
  ) {
    throw badPortError(name, port);
  }
  return +port | 0;
}

/** Where a name or address leads from a given host. */
export type Resolution =
  | { kind: 'host'; host: SimHost; address: string }
  | { kind: 'void'; address: string }
  | { kind: 'notfound' };

export function resolve(ctx: SimContext, from: SimHost, name: string): Resolution {
  if (name === 'localhost' || name === '127.0.0.1') return { kind: 'host', host: from, address: '127.0.0.1' };
  const byAddress = ctx.hosts.byAddress(name);
  if (byAddress) return { kind: 'host', host: byAddress, address: name };
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name) && name.split('.').every((o) => Number(o) <= 255)) {
    // A routable address nobody has: packets to it vanish (a black hole, not a refusal).
    return { kind: 'void', address: name };
  }
  const byName = ctx.hosts.byName(name);
  if (byName) return { kind: 'host', host: byName, address: byName.address };
  return { kind: 'notfound' };
}

function emitCloseNT(socket: SimSocket, hadError: boolean | undefined): void {
  if (hadError === undefined) socket.emit('close');
  else socket.emit('close', hadError);
}

function deferCloseNT(socket: SimSocket, hadError: boolean): void {
  process.nextTick(emitCloseNT, socket, hadError);
}

/** net.js: once the peer's FIN is read on a socket without allowHalfOpen, writing is an error. */
function onReadableStreamEnd(this: SimSocket): void {
  if (!this.allowHalfOpen) this.write = writeAfterFIN as SimSocket['write'];
}

function writeAfterFIN(
  this: SimSocket,
  chunk: unknown,
  encoding?: BufferEncoding | ((err?: Error | null) => void),
  cb?: (err?: Error | null) => void,
): boolean {
  if (!this.writableEnded) {
    return Duplex.prototype.write.call(this, chunk, encoding as BufferEncoding, cb);
  }
  let callback = cb;
  if (typeof encoding === 'function') callback = encoding;
  const er = endedByOtherPartyError();
  if (typeof callback === 'function') process.nextTick(callback, er);
  this.destroy(er);
  return false;
}

type WriteCallback = (err?: Error | null) => void;

export class SimSocket extends Duplex implements EndpointOwner, ProcessResource {
  connecting = false;
  /** The idle timeout set with setTimeout (Node exposes it as `socket.timeout`). */
  timeout: number | undefined = undefined;
  /**
   * `socket.server` as Node has it: the server that accepted the socket. Code on top may overwrite it
   * (Node's http server sets it to itself), so the accepting server's own bookkeeping uses `acceptedBy`.
   */
  server: unknown = null;
  /** The SimServer that accepted this socket, told when it closes (never overwritten by user code). */
  acceptedBy: { onSocketClosed(s: SimSocket): void } | null = null;

  private ep: Endpoint | null = null;
  /** Node's `_handle` exists: from connect() (or accept) until destroy. */
  private handleOpen = false;
  private reading = false;
  private eofRead = false;
  private blocked: { data: Buffer; cb: WriteCallback } | null = null;
  private pendingConnectBytes = 0;
  private idle: SimTimer | null = null;
  private lastAckProgress = -1;
  private dispatched = 0;
  private received = 0;
  private resetAndClosing = false;
  private keepAliveOn = false;
  private keepAliveDelaySec = 0;
  private noDelayOn = false;
  private local: { address: string; port: number } | null = null;
  private remote: { address: string; port: number } | null = null;
  private dead = false;
  private wakeQueued = false;
  private readonly wake = (): void => {
    this.wakeQueued = false;
    this.pump();
  };

  constructor(
    private readonly ctx: SimContext,
    private readonly host: SimHost,
    private readonly proc: HostProcess,
    options: SimSocketOptions = {},
  ) {
    const duplexOptions: DuplexOptions = {
      allowHalfOpen: Boolean(options.allowHalfOpen),
      emitClose: false,
      autoDestroy: true,
      decodeStrings: false,
    };
    if (options.highWaterMark !== undefined) duplexOptions.highWaterMark = options.highWaterMark;
    if (options.readableHighWaterMark !== undefined)
      duplexOptions.readableHighWaterMark = options.readableHighWaterMark;
    if (options.writableHighWaterMark !== undefined)
      duplexOptions.writableHighWaterMark = options.writableHighWaterMark;
    super(duplexOptions);
    // Node's WritableState stores its write callback in a field it adds on the first write: adding it
    // now gives every socket its final shape from the start, so stream code optimized on earlier
    // sockets does not deoptimize on each new run's first writes. (Same value as Node's initial one.)
    (this as unknown as { _writableState: { writecb: unknown } })._writableState.writecb = null;
    if (options.noDelay) this.noDelayOn = true;
    if (options.keepAlive) {
      this.keepAliveOn = true;
      this.keepAliveDelaySec = ~~((options.keepAliveInitialDelay ?? 0) / 1000);
    }
    this.on('end', onReadableStreamEnd);
    if (proc.alive) {
      proc.resources.add(this);
      host.openSockets.add(this);
    } else {
      this.dead = true;
    }
  }

  // ---- Connecting ---------------------------------------------------------------------------

  /** socket.connect(options[, listener]) / socket.connect(port[, host][, listener]). */
  connect(...args: unknown[]): this {
    const { options, listener } = normalizeConnectArgs(args);
    if (options.path != null) {
      throw new SimError('SIM_UNSUPPORTED', 'IPC (path) connections are not simulated; use host and port');
    }
    if (options.port === undefined) throw missingArgsError();
    if (typeof options.port !== 'number' && typeof options.port !== 'string') {
      throw invalidArgTypeError('options.port', 'number or string', options.port);
    }
    const port = validatePort(options.port);
    const hostName = options.host ?? 'localhost';
    if (typeof hostName !== 'string') throw invalidArgTypeError('hostname', 'string', hostName);
    if (options.localPort !== undefined || options.localAddress !== undefined) {
      throw new SimError(
        'SIM_UNSUPPORTED',
        'localAddress/localPort are not simulated (the kernel picks the local end)',
      );
    }
    if (options.family === 6) throw new SimError('SIM_UNSUPPORTED', 'IPv6 (family: 6) is not simulated');
    if (options.signal !== undefined)
      throw new SimError('SIM_UNSUPPORTED', 'connect({ signal }) is not simulated');
    if (hostName.includes(':')) {
      throw new SimError(
        'SIM_UNSUPPORTED',
        `IPv6 is not simulated (host '${hostName}'); use a host name or an IPv4 address`,
      );
    }
    if (this.destroyed || this.handleOpen) {
      throw new SimError(
        'SIM_UNSUPPORTED',
        'reconnecting a simulated socket is not supported; create a new one',
      );
    }
    if (typeof listener === 'function') this.once('connect', listener as () => void);
    if (options.noDelay !== undefined) this.setNoDelay(Boolean(options.noDelay));
    if (options.keepAlive) this.setKeepAlive(true, options.keepAliveInitialDelay ?? 0);
    this.connecting = true;
    this.handleOpen = true;
    // Node starts the connect on the next tick (after lookup for a name): a destroy() right after
    // connect() sends nothing.
    process.nextTick(() => this.startConnect(hostName, port));
    return this;
  }

  private startConnect(hostName: string, port: number): void {
    if (!this.connecting || this.destroyed || this.dead) return;
    const target = resolve(this.ctx, this.host, hostName);
    if (target.kind === 'notfound') {
      this.destroy(notFoundError(hostName));
      return;
    }
    const loopback = target.kind === 'host' && target.host === this.host && target.address === '127.0.0.1';
    const localAddress = loopback ? '127.0.0.1' : this.host.address;
    const ep = this.host.kernel.connect(
      localAddress,
      target.kind === 'host' ? target.host : null,
      target.address,
      port,
    );
    this.ep = ep;
    ep.owner = this;
    if (this.keepAliveOn) ep.setKeepalive(true, this.keepAliveIdleMs());
    ep.startConnect();
  }

  /** Server side: the socket for an accepted connection. */
  attachAccepted(ep: Endpoint, pauseOnCreate: boolean): void {
    this.ep = ep;
    ep.owner = this;
    this.handleOpen = true;
    this.local = { address: ep.localAddress, port: ep.localPort };
    this.remote = { address: ep.remoteAddress, port: ep.remotePort };
    if (this.keepAliveOn) ep.setKeepalive(true, this.keepAliveIdleMs());
    if (pauseOnCreate) {
      this.reading = false;
      this.pause();
    } else {
      this.read(0);
    }
  }

  onConnected(): void {
    this.ctx.sched.touched = true;
    if (this.dead) return;
    this.proc.run(() => this.afterConnect());
  }

  private afterConnect(): void {
    const ep = this.ep;
    if (this.destroyed || !ep || !this.connecting) return;
    this.connecting = false;
    this.local = { address: ep.localAddress, port: ep.localPort };
    this.remote = { address: ep.remoteAddress, port: ep.remotePort };
    this.refreshIdle();
    this.emit('connect');
    this.emit('ready');
    if (this.readable && !this.isPaused()) this.read(0);
  }

  onConnectFailed(err: SystemError): void {
    this.ctx.sched.touched = true;
    if (this.dead) return;
    this.proc.run(() => {
      if (this.destroyed) return;
      this.connecting = false;
      this.destroy(err);
    });
  }

  // ---- Reading ------------------------------------------------------------------------------

  override _read(_size: number): void {
    if (this.connecting || !this.ep) {
      if (this.connecting) this.once('connect', () => this._read(_size));
      return;
    }
    if (this.eofRead || this.reading) return;
    this.reading = true;
    this.pump();
  }

  onInbox(): void {
    this.ctx.sched.touched = true;
    if (this.dead) return;
    // A virtual process reads inside its host's context (harness/sim/virtual); others need none.
    if (this.proc.scope) this.proc.run(this.pumpNow);
    else this.pump();
  }

  private readonly pumpNow = (): void => this.pump();

  /** Moves what the kernel received into the stream while the stream wants more (Node's onStreamRead). */
  private pump(): void {
    const ep = this.ep;
    if (!ep || this.destroyed || !this.reading) return;
    if (this.proc.paused) {
      if (!this.wakeQueued) {
        this.wakeQueued = true;
        this.proc.run(this.wake);
      }
      return;
    }
    const inbox = ep.inbox;
    while (this.reading && inbox.length > 0) {
      const entry = inbox.shift() as Buffer | null | SystemError;
      this.refreshIdle();
      if (entry === null) {
        this.reading = false;
        this.eofRead = true;
        this.push(null);
        this.read(0);
        return;
      }
      if (entry instanceof Error) {
        this.destroy(entry);
        return;
      }
      this.received += entry.length;
      ep.consumed(entry.length);
      if (!this.push(entry)) this.reading = false;
      if (this.destroyed) return;
    }
  }

  // ---- Writing ------------------------------------------------------------------------------

  override _write(chunk: Buffer | string, encoding: BufferEncoding, cb: WriteCallback): void {
    if (this.connecting) {
      const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
      this.pendingConnectBytes = data.length;
      const onClose = (): void => cb(closedBeforeConnectionError());
      this.once('connect', () => {
        this.off('close', onClose);
        this.pendingConnectBytes = 0;
        this._write(data, encoding, cb);
      });
      this.once('close', onClose);
      return;
    }
    const ep = this.ep;
    if (!ep) {
      cb(socketClosedError());
      return;
    }
    this.refreshIdle();
    const data = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    const r = ep.write(data);
    if (r === WRITE_ACCEPTED) {
      this.dispatched += data.length;
      cb();
    } else if (r === WRITE_BLOCKED) {
      this.dispatched += data.length;
      this.blocked = { data, cb };
    } else {
      cb(r);
    }
  }

  onWritable(): void {
    this.ctx.sched.touched = true;
    if (this.dead) return;
    this.proc.run(() => this.retryBlocked());
  }

  private retryBlocked(): void {
    const b = this.blocked;
    const ep = this.ep;
    if (!b || !ep) return;
    this.blocked = null;
    const r = ep.write(b.data);
    if (r === WRITE_ACCEPTED) {
      this.refreshIdle();
      b.cb();
    } else if (r === WRITE_BLOCKED) {
      this.blocked = b;
    } else {
      b.cb(r);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.connecting || !this.handleOpen) {
      this.once('connect', () => this._final(cb));
      return;
    }
    const ep = this.ep;
    if (!ep || ep.freed) {
      cb();
      return;
    }
    ep.shutdown();
    process.nextTick(cb);
  }

  // ---- Closing ------------------------------------------------------------------------------

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.connecting = false;
    this.idle?.cancel();
    this.idle = null;
    this.blocked = null;
    const hadHandle = this.handleOpen;
    this.handleOpen = false;
    const ep = this.ep;
    this.ep = null;
    if (ep && !this.dead) ep.closeFromProcess(this.resetAndClosing);
    this.resetAndClosing = false;
    this.host.openSockets.delete(this);
    this.proc.resources.delete(this);
    cb(err);
    // With a handle, Node emits 'close' from the handle's close callback, after the ticks queued
    // around the destroy (an 'error', a write callback); without one, on the next tick.
    if (hadHandle) process.nextTick(deferCloseNT, this, Boolean(err));
    else process.nextTick(emitCloseNT, this, undefined);
    this.acceptedBy?.onSocketClosed(this);
  }

  /** Closes with an RST (SO_LINGER 0), as Node's resetAndDestroy(). */
  resetAndDestroy(): this {
    if (this.handleOpen) {
      if (this.connecting) this.once('connect', () => this.reset());
      else this.reset();
    } else {
      this.destroy(socketClosedError());
    }
    return this;
  }

  private reset(): this {
    this.resetAndClosing = true;
    return this.destroy();
  }

  /** Node's destroySoon(): end, then destroy once the writable side has finished. */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  /** The host crashed: this socket's process is gone; it never emits again. */
  kill(): void {
    this.dead = true;
    this.idle?.cancel();
    this.idle = null;
    this.ep = null;
    this.host.openSockets.delete(this);
  }

  // ---- Options ------------------------------------------------------------------------------

  setTimeout(msecs: number, callback?: () => void): this {
    if (typeof msecs !== 'number') throw invalidArgTypeError('msecs', 'number', msecs);
    if (msecs < 0 || !Number.isFinite(msecs))
      throw outOfRangeError('msecs', 'a non-negative finite number', msecs);
    this.timeout = msecs;
    this.idle?.cancel();
    this.idle = null;
    if (msecs === 0) {
      if (callback !== undefined) this.removeListener('timeout', callback);
    } else {
      if (!this.destroyed && !this.dead)
        this.idle = new SimTimer(this.proc, () => this.onIdle(), msecs, false).start();
      if (callback !== undefined) {
        if (typeof callback !== 'function') throw invalidArgTypeError('callback', 'function', callback);
        this.once('timeout', callback);
      }
    }
    return this;
  }

  private onIdle(): void {
    // Node's _onTimeout: a write still making progress suppresses the timeout.
    const ep = this.ep;
    if (this.blocked && ep && ep.ackProgress !== this.lastAckProgress) {
      this.lastAckProgress = ep.ackProgress;
      this.refreshIdle();
      return;
    }
    this.emit('timeout');
  }

  private refreshIdle(): void {
    this.idle?.refresh();
  }

  setKeepAlive(enable = false, initialDelay = 0): this {
    const on = Boolean(enable);
    const delaySec = ~~(initialDelay / 1000);
    const ep = this.ep;
    if (!ep) {
      this.keepAliveOn = on;
      this.keepAliveDelaySec = delaySec;
      return this;
    }
    if (on !== this.keepAliveOn || (on && delaySec !== this.keepAliveDelaySec)) {
      this.keepAliveOn = on;
      this.keepAliveDelaySec = delaySec;
      ep.setKeepalive(on, this.keepAliveIdleMs());
    }
    return this;
  }

  private keepAliveIdleMs(): number {
    return this.keepAliveDelaySec > 0 ? this.keepAliveDelaySec * 1000 : this.ctx.tcp.keepaliveDefaultIdle;
  }

  /** No Nagle in the simulator: every write goes out at once, so this only records the setting. */
  setNoDelay(noDelay = true): this {
    this.noDelayOn = Boolean(noDelay);
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  // ---- Introspection ------------------------------------------------------------------------

  address(): { address: string; family: string; port: number } | Record<string, never> {
    return this.local ? { address: this.local.address, family: 'IPv4', port: this.local.port } : {};
  }

  get remoteAddress(): string | undefined {
    return this.remote?.address;
  }
  get remotePort(): number | undefined {
    return this.remote?.port;
  }
  get remoteFamily(): string | undefined {
    return this.remote ? 'IPv4' : undefined;
  }
  get localAddress(): string | undefined {
    return this.local?.address;
  }
  get localPort(): number | undefined {
    return this.local?.port;
  }
  get localFamily(): string | undefined {
    return this.local ? 'IPv4' : undefined;
  }

  get bytesRead(): number {
    return this.received;
  }

  /** As Node counts it: bytes handed to the kernel plus bytes still queued in the stream. */
  get bytesWritten(): number {
    let bytes = this.dispatched + this.pendingConnectBytes;
    for (const el of (this as unknown as { writableBuffer: unknown[] }).writableBuffer as Array<{
      chunk: Buffer | string;
      encoding: BufferEncoding;
    }>) {
      bytes += typeof el.chunk === 'string' ? Buffer.byteLength(el.chunk, el.encoding) : el.chunk.length;
    }
    return bytes;
  }

  get pending(): boolean {
    return !this.handleOpen || this.connecting;
  }

  get readyState(): 'opening' | 'open' | 'readOnly' | 'writeOnly' | 'closed' {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable && !this.writable) return 'readOnly';
    if (!this.readable && this.writable) return 'writeOnly';
    return 'closed';
  }

  /** Deprecated in Node, still read by some libraries. */
  get bufferSize(): number {
    return this.writableLength;
  }

  /** Whether this socket has noDelay set (informational: the simulator never delays small writes). */
  get noDelay(): boolean {
    return this.noDelayOn;
  }
}

function normalizeConnectArgs(args: unknown[]): { options: SimConnectOptions; listener: unknown } {
  if (args.length === 0) return { options: {}, listener: undefined };
  const [first, second, third] = args;
  if (first !== null && typeof first === 'object') {
    return { options: { ...(first as SimConnectOptions) }, listener: second };
  }
  if (typeof first === 'string' && Number.isNaN(Number(first)) && first.length > 0) {
    return { options: { path: first }, listener: second };
  }
  const options: SimConnectOptions = { port: first as number };
  if (typeof second === 'string') {
    options.host = second;
    return { options, listener: third };
  }
  return { options, listener: second };
}

export { normalizeConnectArgs };
