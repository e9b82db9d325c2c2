/**
 * A simulated `net.Server`: listen/close/address/getConnections/maxConnections and the
 * 'listening'/'connection'/'close'/'error'/'drop' events, following Node 20's net.js.
 */
import { EventEmitter } from 'node:events';
import type { SimContext } from './context.ts';
import {
  invalidArgTypeError,
  listenError,
  SimError,
  type SystemError,
  serverAlreadyListenError,
  serverNotRunningError,
} from './errors.ts';
import type { SimHost } from './host.ts';
import type { Listener, ListenerOwner } from './kernel.ts';
import type { HostProcess, ProcessResource } from './process.ts';
import { SimSocket, type SimSocketOptions, validatePort } from './socket.ts';

export interface SimServerOptions extends SimSocketOptions {
  pauseOnConnect?: boolean;
}

export interface ListenOptions {
  port?: number | string;
  host?: string;
  backlog?: number;
  path?: string;
  exclusive?: boolean;
  ipv6Only?: boolean;
}

export class SimServer extends EventEmitter implements ListenerOwner, ProcessResource {
  maxConnections: number | undefined = undefined;
  private listener: Listener | null = null;
  private connections = 0;
  private dead = false;
  private closing = false;
  private readonly sockets = new Set<SimSocket>();

  constructor(
    private readonly ctx: SimContext,
    private readonly host: SimHost,
    private readonly proc: HostProcess,
    private readonly options: SimServerOptions = {},
  ) {
    super();
    if (proc.alive) proc.resources.add(this);
    else this.dead = true;
  }

  get listening(): boolean {
    return this.listener !== null;
  }

  /** listen([port[, host[, backlog]]][, callback]) or listen(options[, callback]). */
  listen(...args: unknown[]): this {
    let cb: unknown;
    let opts: ListenOptions = {};
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      cb = last;
      args = args.slice(0, -1);
    }
    const [first, second, third] = args;
    if (first !== null && typeof first === 'object') {
      opts = { ...(first as ListenOptions) };
    } else if (first !== undefined && first !== null) {
      opts.port = first as number;
      if (typeof second === 'string') {
        opts.host = second;
        if (typeof third === 'number') opts.backlog = third;
      } else if (typeof second === 'number') {
        opts.backlog = second;
      }
    }
    if (opts.path != null)
      throw new SimError('SIM_UNSUPPORTED', 'listening on a path (IPC) is not simulated');
    if (this.listener) throw serverAlreadyListenError();
    const port = opts.port === undefined || opts.port === null ? 0 : validatePort(opts.port, 'options.port');
    if (opts.host !== undefined && typeof opts.host !== 'string')
      throw invalidArgTypeError('options.host', 'string', opts.host);
    const backlog =
      typeof opts.backlog === 'number' && opts.backlog > 0 ? opts.backlog : this.ctx.tcp.backlog;
    if (typeof cb === 'function') this.once('listening', cb as () => void);
    const address = this.bindAddress(opts.host);
    if (address === null) {
      const err = listenError('EADDRNOTAVAIL', String(opts.host), port);
      process.nextTick(() => this.emitError(err));
      return this;
    }
    if (this.dead) return this;
    const result = this.host.kernel.listen(address, port, backlog, this);
    if (result instanceof Error) {
      const err = result as SystemError;
      process.nextTick(() => this.emitError(err));
      return this;
    }
    this.listener = result;
    this.closing = false;
    this.ctx.trace.record({ kind: 'listen', host: this.host.name, address, port: result.port });
    process.nextTick(() => {
      if (this.listener === result) this.emit('listening');
    });
    return this;
  }

  private emitError(err: Error): void {
    this.emit('error', err);
  }

  private bindAddress(host: string | undefined): string | null {
    if (host === undefined || host === '' || host === '0.0.0.0' || host === '::') return '0.0.0.0';
    if (host === 'localhost' || host === '127.0.0.1') return '127.0.0.1';
    if (host === this.host.address || host === this.host.name) return this.host.address;
    return null;
  }

  address(): { address: string; family: string; port: number } | null {
    const l = this.listener;
    return l ? { address: l.address, family: 'IPv4', port: l.port } : null;
  }

  onAcceptable(): void {
    this.ctx.sched.touched = true;
    if (this.dead) return;
    this.proc.run(() => this.acceptAll());
  }

  private acceptAll(): void {
    const l = this.listener;
    if (!l) return;
    while (l.acceptQueue.length > 0) {
      const ep = l.acceptQueue.shift();
      if (!ep) break;
      if (this.maxConnections !== undefined && this.connections >= this.maxConnections) {
        // Node closes the handle at once (a FIN, or an RST if the client already sent data).
        ep.closeFromProcess(false);
        this.emit('drop', {
          localAddress: ep.localAddress,
          localPort: ep.localPort,
          localFamily: 'IPv4',
          remoteAddress: ep.remoteAddress,
          remotePort: ep.remotePort,
          remoteFamily: 'IPv4',
        });
        continue;
      }
      const socket = new SimSocket(this.ctx, this.host, this.proc, {
        allowHalfOpen: Boolean(this.options.allowHalfOpen),
        ...(this.options.highWaterMark !== undefined ? { highWaterMark: this.options.highWaterMark } : {}),
        ...(this.options.noDelay !== undefined ? { noDelay: this.options.noDelay } : {}),
        ...(this.options.keepAlive !== undefined ? { keepAlive: this.options.keepAlive } : {}),
        ...(this.options.keepAliveInitialDelay !== undefined
          ? { keepAliveInitialDelay: this.options.keepAliveInitialDelay }
          : {}),
      });
      socket.server = this;
      socket.acceptedBy = this;
      this.connections++;
      this.sockets.add(socket);
      socket.attachAccepted(ep, Boolean(this.options.pauseOnConnect));
      this.emit('connection', socket);
    }
  }

  onSocketClosed(s: SimSocket): void {
    if (!this.sockets.delete(s)) return;
    this.connections--;
    this.emitCloseIfDrained();
  }

  /** Stops accepting; 'close' follows once every connection has ended. */
  close(cb?: (err?: Error) => void): this {
    if (typeof cb === 'function') {
      if (!this.listener) this.once('close', () => cb(serverNotRunningError()));
      else this.once('close', cb);
    }
    if (this.listener) {
      this.host.kernel.unlisten(this.listener);
      this.listener = null;
    }
    this.closing = true;
    this.emitCloseIfDrained();
    return this;
  }

  private emitCloseIfDrained(): void {
    if (this.listener || this.connections > 0 || !this.closing) return;
    this.closing = false;
    process.nextTick(() => this.emit('close'));
  }

  getConnections(cb: (err: Error | null, count: number) => void): this {
    const n = this.connections;
    process.nextTick(cb, null, n);
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** The host crashed: the listener is gone with the kernel; no events ever again. */
  kill(): void {
    this.dead = true;
    this.listener = null;
    this.sockets.clear();
    this.connections = 0;
  }

  /** Destroys every accepted socket (used by Simulation.close). */
  destroyAll(): void {
    for (const s of [...this.sockets]) s.destroy();
  }
}
