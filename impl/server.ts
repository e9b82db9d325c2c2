/**
 * The reference heartbeat server (F4, F10, F16): one HeartbeatManager per connection — it answers
 * every ping at once, keeps a read deadline re-armed by every received byte, and pings the client
 * itself. Business messages go to a handler that can never hold up a heartbeat (F6). A connection
 * limit, warning/danger thresholds on the live count, and a graceful shutdown that stops accepting,
 * closes every connection and clears every timer. Abusive clients are bounded per connection: one
 * that does not read is paused, then dropped (`maxQueuedBytes`, death `backpressure`); one that is
 * slow to say hello or to finish a frame is dropped (`helloTimeout`, `frameTimeout`: `read-deadline`).
 */
import { EventEmitter } from 'node:events';
import type { Server, Socket } from 'node:net';
import { type ErrorInfo, errorInfo } from './classify.ts';
import {
  pickHeartbeatSettings,
  pickPeerLimits,
  resolveServerConfig,
  type ServerConfig,
  type ServerConfigInput,
} from './config.ts';
import { checkIdPrefix, swallow, waitClosed } from './endpoint.ts';
import { StateError } from './errors.ts';
import {
  type BusinessHandler,
  type Death,
  HeartbeatManager,
  type ManagerEvents,
  type StateChange,
} from './heartbeat.ts';
import { createLog, type Log } from './log.ts';
import { encodeFrame, type Hello } from './protocol.ts';
import { type Runtime, realRuntime } from './runtime.ts';
import { type ConnectionStats, emptyTraffic, sumTraffic, type Traffic } from './traffic.ts';

export type ConnectionLevel = 'normal' | 'warning' | 'danger';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ServerEvents {
  listening: [{ address: ListenAddress; at: number }];
  /** A connection was accepted and its heartbeat started. */
  connection: [{ conn: string; remote: string; at: number }];
  /** The client's hello arrived. */
  ready: [{ conn: string; peer: Hello; at: number }];
  state: [StateChange];
  ping: ManagerEvents['ping'];
  pong: ManagerEvents['pong'];
  'peer-ping': ManagerEvents['peer-ping'];
  'late-pong': ManagerEvents['late-pong'];
  miss: ManagerEvents['miss'];
  message: ManagerEvents['message'];
  'business-timeout': ManagerEvents['business-timeout'];
  'business-error': ManagerEvents['business-error'];
  /** F20: a message was handed to the socket (heartbeat, control or business, with its size). */
  sent: ManagerEvents['sent'];
  /** Reading from a client was paused (its unsent bytes passed maxQueuedBytes / 4) or resumed. */
  backpressure: ManagerEvents['backpressure'];
  death: [Death];
  /** A connection was closed on purpose by this side (shutdown): not a death. */
  'connection-closed': ManagerEvents['closed'];
  /** A connection was turned away: over the limit, or arriving during shutdown. */
  rejected: [{ conn: string; remote: string; reason: 'connection-limit' | 'shutting-down'; at: number }];
  /** F16: the live count crossed the warning or danger threshold (either way). */
  'connection-level': [{ level: ConnectionLevel; previous: ConnectionLevel; count: number; at: number }];
  'server-error': [{ err: ErrorInfo; at: number }];
  closed: [{ at: number }];
}

export interface HeartbeatServerOptions {
  runtime?: Runtime;
  config?: ServerConfigInput;
  onMessage?: BusinessHandler;
  /** Prefix of connection ids (`<id>#<n>`); default 's'. */
  id?: string;
}

export interface ServerStats {
  live: number;
  accepted: number;
  rejected: number;
  level: ConnectionLevel;
  connections: ConnectionStats[];
  totals: { heartbeat: Traffic; control: Traffic; business: Traffic; misses: number };
}

export class HeartbeatServer extends EventEmitter<ServerEvents> {
  readonly config: ServerConfig;
  private readonly rt: Runtime;
  private readonly log: Log;
  private readonly options: HeartbeatServerOptions;
  private server: Server | undefined;
  private _address: ListenAddress | undefined;
  private readonly managers = new Map<string, HeartbeatManager>();
  private readonly sockets = new Set<Socket>();
  private accepted = 0;
  private rejectedCount = 0;
  private connSeq = 0;
  private _level: ConnectionLevel = 'normal';
  private closing: Promise<void> | undefined;
  private readonly closedTotals = {
    heartbeat: emptyTraffic(),
    control: emptyTraffic(),
    business: emptyTraffic(),
    misses: 0,
  };

  constructor(options: HeartbeatServerOptions = {}) {
    super();
    checkIdPrefix(options.id, 'server');
    this.options = options;
    this.config = resolveServerConfig(options.config ?? {});
    this.rt = options.runtime ?? realRuntime();
    this.log = createLog(this.rt, this.config.service);
  }

  /** Resolves with the bound address (port 0 picks a free port). */
  listen(port = 0, host = '127.0.0.1'): Promise<ListenAddress> {
    if (this.server) return Promise.reject(new StateError('heartbeat server: listen() called twice'));
    if (this.closing) return Promise.reject(new StateError('heartbeat server: listen() after close()'));
    const server = this.rt.net.createServer();
    this.server = server;
    server.on('connection', (socket: Socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        server.off('listening', onListening);
        this.server = undefined;
        reject(
          new Error(`heartbeat server: cannot listen on ${host}:${port}: ${err.message}`, { cause: err }),
        );
      };
      const onListening = () => {
        server.off('error', onError);
        server.on('error', (err: Error) => {
          this.log.error('listener error', {}, err);
          this.fire('server-error', { err: errorInfo(err), at: this.rt.now() });
        });
        const a = server.address();
        const address = typeof a === 'object' && a !== null ? { host, port: a.port } : { host, port };
        this._address = address;
        this.log.info('listening', {
          ...address,
          interval: this.config.interval,
          readDeadline: this.config.readDeadline,
        });
        this.fire('listening', { address, at: this.rt.now() });
        resolve(address);
      };
      server.once('error', onError);
      server.once('listening', onListening);
      server.listen(port, host);
    });
  }

  get address(): ListenAddress | undefined {
    return this._address;
  }

  /** F16: live connections. */
  get connectionCount(): number {
    return this.managers.size;
  }

  get level(): ConnectionLevel {
    return this._level;
  }

  connection(conn: string): HeartbeatManager | undefined {
    return this.managers.get(conn);
  }

  connectionIds(): string[] {
    return [...this.managers.keys()];
  }

  /** Sends a business message to one client; false if that connection is gone. */
  send(conn: string, payload: unknown): boolean {
    return this.managers.get(conn)?.send(payload) ?? false;
  }

  /**
   * Graceful shutdown: stop accepting, tell every client `bye: shutdown` and close it, clear every
   * timer. Resolves when the listener and every socket are closed. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  stats(): ServerStats {
    const live = [...this.managers.values()].map((m) => m.stats());
    const t = this.closedTotals;
    return {
      live: live.length,
      accepted: this.accepted,
      rejected: this.rejectedCount,
      level: this._level,
      connections: live,
      totals: {
        heartbeat: sumTraffic([t.heartbeat, ...live.map((s) => s.heartbeat)]),
        control: sumTraffic([t.control, ...live.map((s) => s.control)]),
        business: sumTraffic([t.business, ...live.map((s) => s.business)]),
        misses: t.misses + live.reduce((n, s) => n + s.misses, 0),
      },
    };
  }

  private async shutdown(): Promise<void> {
    const server = this.server;
    this.log.info('shutting down', { live: this.managers.size });
    const listenerClosed = new Promise<void>((resolve) => {
      if (!server?.listening) return resolve();
      server.close(() => resolve());
    });
    for (const manager of [...this.managers.values()]) {
      this.retire(manager);
      manager.close('shutdown');
    }
    this.updateLevel();
    await Promise.all([listenerClosed, ...[...this.sockets].map(waitClosed)]);
    this.log.info('shut down');
    this.fire('closed', { at: this.rt.now() });
  }

  private accept(socket: Socket): void {
    const conn = `${this.options.id ?? 's'}#${++this.connSeq}`;
    const remote = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.track(socket);
    if (this.closing || this.managers.size >= this.config.maxConnections) {
      const reason = this.closing ? 'shutting-down' : 'connection-limit';
      this.rejectedCount += 1;
      this.log.warn('connection rejected', { conn, remote, reason, live: this.managers.size });
      socket.on('error', swallow);
      try {
        socket.end(encodeFrame({ type: 'bye', reason }));
      } catch {
        // It is being closed anyway.
      }
      socket.destroy();
      this.fire('rejected', { conn, remote, reason, at: this.rt.now() });
      return;
    }
    this.accepted += 1;
    const manager = new HeartbeatManager({
      socket,
      role: 'server',
      conn,
      runtime: this.rt,
      settings: pickHeartbeatSettings(this.config),
      service: this.config.service,
      onMessage: this.options.onMessage,
      limits: pickPeerLimits(this.config),
    });
    this.managers.set(conn, manager);
    for (const event of FORWARDED) {
      const relay = (payload: unknown) => (this.emit as (e: string, p: unknown) => boolean)(event, payload);
      (manager.on as (e: string, listener: (p: unknown) => void) => unknown).call(manager, event, relay);
    }
    manager.on('hello', ({ peer, at }) => this.fire('ready', { conn, peer, at }));
    manager.on('closed', (event) => this.fire('connection-closed', event));
    manager.on('death', (death) => {
      this.retire(manager);
      this.updateLevel();
      this.fire('death', death);
    });
    this.log.info('connection accepted', { conn, remote, live: this.managers.size });
    this.fire('connection', { conn, remote, at: this.rt.now() });
    this.updateLevel();
    manager.start();
  }

  private updateLevel(): void {
    const count = this.managers.size;
    const { warnConnections: warn, dangerConnections: danger } = this.config;
    const level: ConnectionLevel = count >= danger ? 'danger' : count >= warn ? 'warning' : 'normal';
    if (level === this._level) return;
    const previous = this._level;
    this._level = level;
    const fields = { level, previous, count, warnConnections: warn, dangerConnections: danger };
    if (level === 'danger') this.log.error('live connections at danger level', fields);
    else if (level === 'warning') this.log.warn('live connections at warning level', fields);
    else this.log.info('live connections back to normal', fields);
    this.fire('connection-level', { level, previous, count, at: this.rt.now() });
  }

  private retire(manager: HeartbeatManager): void {
    if (this.managers.get(manager.conn) !== manager) return;
    this.managers.delete(manager.conn);
    const s = manager.stats();
    const t = this.closedTotals;
    t.heartbeat = sumTraffic([t.heartbeat, s.heartbeat]);
    t.control = sumTraffic([t.control, s.control]);
    t.business = sumTraffic([t.business, s.business]);
    t.misses += s.misses;
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private fire<K extends keyof ServerEvents>(event: K, ...args: ServerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ServerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error(`a '${String(event)}' listener threw`, {}, err);
    }
  }
}

const FORWARDED = [
  'state',
  'ping',
  'pong',
  'peer-ping',
  'late-pong',
  'miss',
  'message',
  'business-timeout',
  'business-error',
  'sent',
  'backpressure',
] as const satisfies readonly (keyof ManagerEvents & keyof ServerEvents)[];
