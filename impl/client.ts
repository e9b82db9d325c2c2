/**
 * The reference heartbeat client: connects (with a connect timeout), runs a HeartbeatManager (F8) on
 * each connection, reconnects with a pluggable backoff policy after every death (F13), gives up with
 * an alert after `maxAttempts`, restores session state after a reconnect, and adapts its ping
 * interval to a load signal (F14).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { AdaptiveInterval, type LoadSignal } from './adaptive.ts';
import { type BackoffPolicy, createBackoff } from './backoff.ts';
import {
  type AttemptFailure,
  attemptFailureFor,
  type DeathReason,
  type ErrorInfo,
  errorInfo,
} from './classify.ts';
import {
  type ClientConfig,
  type ClientConfigInput,
  pickHeartbeatSettings,
  resolveClientConfig,
} from './config.ts';
import { checkIdPrefix, swallow, waitClosed } from './endpoint.ts';
import { ConfigError, StateError } from './errors.ts';
import type { HealthState } from './health.ts';
import {
  type BusinessHandler,
  type Death,
  HeartbeatManager,
  type ManagerEvents,
  type StateChange,
} from './heartbeat.ts';
import { createLog, type Log } from './log.ts';
import type { Hello } from './protocol.ts';
import { type Runtime, realRuntime, type TimerHandle } from './runtime.ts';
import { type ConnectionStats, emptyTraffic, sumTraffic, type Traffic } from './traffic.ts';

export type ClientStatus = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped' | 'gave-up';

export interface SessionContext {
  conn: string;
  /** The peer's hello on the new connection. */
  peer: Hello;
  /** Sends a business message on the new connection. */
  send(payload: unknown): boolean;
}

export interface ClientEvents {
  /** A connect attempt starts; `attempt` is 0 for the first connect, n for the n-th reconnect. */
  connecting: [{ conn: string; attempt: number; at: number }];
  /** TCP is up; the heartbeat starts. */
  connected: [{ conn: string; at: number }];
  /**
   * The server's hello arrived: the connection is established. The backoff resets later, at the first
   * pong (F13: only a connection that proved healthy ends the outage; a path that lets the hello
   * through and then fails would otherwise be retried every b + J).
   */
  ready: [{ conn: string; peer: Hello; reconnected: boolean; at: number }];
  state: [StateChange];
  ping: ManagerEvents['ping'];
  pong: ManagerEvents['pong'];
  'late-pong': ManagerEvents['late-pong'];
  miss: ManagerEvents['miss'];
  message: ManagerEvents['message'];
  'business-timeout': ManagerEvents['business-timeout'];
  'business-error': ManagerEvents['business-error'];
  /** F20: a message was handed to the socket (heartbeat, control or business, with its size). */
  sent: ManagerEvents['sent'];
  /** An established connection died; `reason` per F15. A reconnect is scheduled next. */
  death: [Death];
  /** A connect attempt failed before the connection was established. */
  'attempt-failed': [{ conn: string; attempt: number; reason: AttemptFailure; err?: ErrorInfo; at: number }];
  /** A reconnect attempt is scheduled `delay` ms from now. */
  reconnect: [{ attempt: number; delay: number; after: DeathReason | AttemptFailure; at: number }];
  /** The alert: `maxAttempts` reconnects failed; the client stops trying. */
  giveup: [{ attempts: number; lastReason: DeathReason | AttemptFailure; at: number }];
  'interval-change': [{ conn: string; from: number; to: number; load: number; level: string; at: number }];
  'session-restored': [{ conn: string; at: number }];
  'session-restore-failed': [{ conn: string; err: ErrorInfo; at: number }];
  stopped: [{ at: number }];
}

export interface HeartbeatClientOptions {
  host: string;
  port: number;
  runtime?: Runtime;
  config?: ClientConfigInput;
  /** Overrides `config.backoff.policy` with any policy object (F13: pluggable). */
  backoffPolicy?: BackoffPolicy;
  /** F14: required when `config.adaptive.enabled`; sampled at every ping. */
  loadSignal?: LoadSignal;
  onMessage?: BusinessHandler;
  /** Runs after every reconnect (not the first connect), once the server's hello has arrived. */
  restoreSession?: (ctx: SessionContext) => unknown;
  /** Prefix of connection ids (`<id>#<n>`); default 'c'. */
  id?: string;
}

export interface ClientStats {
  status: ClientStatus;
  connections: number;
  current: ConnectionStats | undefined;
  totals: { heartbeat: Traffic; control: Traffic; business: Traffic; misses: number };
}

export class HeartbeatClient extends EventEmitter<ClientEvents> {
  readonly config: ClientConfig;
  readonly host: string;
  readonly port: number;
  private readonly rt: Runtime;
  private readonly log: Log;
  private readonly policy: BackoffPolicy;
  private readonly adaptive: AdaptiveInterval | undefined;
  private readonly options: HeartbeatClientOptions;
  private _status: ClientStatus = 'idle';
  private manager: HeartbeatManager | undefined;
  private pending: { socket: Socket; timer: TimerHandle; cleanup: () => void } | undefined;
  private retryTimer: TimerHandle | undefined;
  private retries = 0;
  private connCount = 0;
  private everReady = false;
  private lastReason: DeathReason | AttemptFailure | undefined;
  private readonly closedTotals = {
    heartbeat: emptyTraffic(),
    control: emptyTraffic(),
    business: emptyTraffic(),
    misses: 0,
  };
  private readonly sockets = new Set<Socket>();
  private lastLoad = 0;

  constructor(options: HeartbeatClientOptions) {
    super();
    if (typeof options?.host !== 'string' || options.host.length === 0) {
      throw new ConfigError('host', 'must be a non-empty string', options?.host, 'client');
    }
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535) {
      throw new ConfigError('port', 'must be an integer in [1, 65535]', options.port, 'client');
    }
    checkIdPrefix(options.id, 'client');
    this.options = options;
    this.host = options.host;
    this.port = options.port;
    this.config = resolveClientConfig(options.config ?? {});
    this.rt = options.runtime ?? realRuntime();
    this.log = createLog(this.rt, this.config.service);
    this.policy = options.backoffPolicy ?? createBackoff(this.config.backoff);
    if (this.config.adaptive.enabled) {
      if (typeof options.loadSignal !== 'function') {
        throw new ConfigError(
          'adaptive.enabled',
          'needs a loadSignal option (a function returning 0…1)',
          true,
          'client',
        );
      }
      this.adaptive = new AdaptiveInterval(this.config.adaptive);
    }
  }

  get status(): ClientStatus {
    return this._status;
  }

  /** Health of the current connection, if any. */
  get state(): HealthState | undefined {
    return this.manager?.state;
  }

  /** The reason of the last death or failed attempt, if any (F15). */
  get lastFailure(): DeathReason | AttemptFailure | undefined {
    return this.lastReason;
  }

  /** Id of the current connection, if any. */
  get conn(): string | undefined {
    return this.manager?.conn;
  }

  /** The current connection's manager (read its stats or peer; don't stop it). */
  get connection(): HeartbeatManager | undefined {
    return this.manager;
  }

  /** Starts connecting. Also restarts a client that was stopped or gave up. */
  start(): void {
    if (this._status !== 'idle' && this._status !== 'stopped' && this._status !== 'gave-up') {
      throw new StateError(
        `heartbeat client: start() needs a client that is idle, stopped or gave up; it is ${this._status}`,
      );
    }
    this.retries = 0;
    this.everReady = false;
    this.policy.reset();
    this._status = 'connecting';
    this.log.info('client starting', { host: this.host, port: this.port });
    this.connect();
  }

  /** Stops everything: no timer and no socket is left once the promise resolves. Idempotent. */
  async stop(): Promise<void> {
    if (this._status !== 'stopped') {
      this._status = 'stopped';
      this.rt.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      if (this.pending) {
        const { socket, cleanup } = this.pending;
        cleanup();
        socket.destroy();
      }
      const m = this.manager;
      if (m) {
        this.retire(m);
        m.close('local');
      }
      this.log.info('client stopped');
      this.fire('stopped', { at: this.rt.now() });
    }
    await Promise.all([...this.sockets].map(waitClosed));
  }

  /** Sends a business message on the current connection; false if there is none. */
  send(payload: unknown): boolean {
    return this.manager?.send(payload) ?? false;
  }

  stats(): ClientStats {
    const current = this.manager?.stats();
    const t = this.closedTotals;
    return {
      status: this._status,
      connections: this.connCount,
      current,
      totals: {
        heartbeat: sumTraffic(current ? [t.heartbeat, current.heartbeat] : [t.heartbeat]),
        control: sumTraffic(current ? [t.control, current.control] : [t.control]),
        business: sumTraffic(current ? [t.business, current.business] : [t.business]),
        misses: t.misses + (current?.misses ?? 0),
      },
    };
  }

  private connect(): void {
    if (this._status === 'stopped' || this._status === 'gave-up') return;
    const conn = `${this.options.id ?? 'c'}#${++this.connCount}`;
    const attempt = this.retries;
    this._status = 'connecting';
    this.fire('connecting', { conn, attempt, at: this.rt.now() });
    this.log.debug('connecting', { conn, attempt, host: this.host, port: this.port });
    let socket: Socket;
    try {
      socket = this.rt.net.createConnection({ host: this.host, port: this.port });
    } catch (err) {
      this.attemptFailed(conn, attempt, attemptFailureFor(err), err);
      return;
    }
    this.track(socket);
    const onConnect = () => {
      cleanup();
      this.onConnected(conn, socket);
    };
    const onError = (err: Error) => {
      cleanup();
      socket.destroy();
      this.attemptFailed(conn, attempt, attemptFailureFor(err), err);
    };
    const onClose = () => {
      cleanup();
      this.attemptFailed(conn, attempt, 'closed');
    };
    const timer = this.rt.setTimeout(() => {
      cleanup();
      socket.destroy();
      this.attemptFailed(conn, attempt, 'connect-timeout');
    }, this.config.connectTimeout);
    const cleanup = () => {
      this.rt.clearTimeout(timer);
      socket.off('connect', onConnect);
      socket.off('error', onError);
      socket.off('close', onClose);
      socket.on('error', swallow);
      this.pending = undefined;
    };
    this.pending = { socket, timer, cleanup };
    socket.once('connect', onConnect);
    socket.once('error', onError);
    socket.once('close', onClose);
  }

  private onConnected(conn: string, socket: Socket): void {
    if (this._status === 'stopped') {
      socket.destroy();
      return;
    }
    this._status = 'connected';
    let interval = this.config.interval;
    if (this.adaptive) interval = this.sampleLoad(conn) ?? this.adaptive.interval;
    const manager = new HeartbeatManager({
      socket,
      role: 'client',
      conn,
      runtime: this.rt,
      settings: { ...pickHeartbeatSettings(this.config), interval },
      service: this.config.service,
      onMessage: this.options.onMessage,
    });
    this.manager = manager;
    for (const event of FORWARDED) {
      const relay = (payload: unknown) => (this.emit as (e: string, p: unknown) => boolean)(event, payload);
      (manager.on as (e: string, listener: (p: unknown) => void) => unknown).call(manager, event, relay);
    }
    manager.on('hello', ({ peer, at }) => this.onReady(manager, peer, at));
    let proven = false;
    manager.on('pong', () => {
      if (proven) return;
      proven = true;
      this.resetBackoff('first pong');
    });
    manager.on('ping', ({ probe }) => {
      if (!probe) this.adapt(manager);
    });
    manager.on('death', (death) => this.onDeath(manager, death));
    this.fire('connected', { conn, at: this.rt.now() });
    this.log.info('connected', { conn, interval });
    manager.start();
  }

  private onReady(manager: HeartbeatManager, peer: Hello, at: number): void {
    const reconnected = this.everReady;
    this.everReady = true;
    // Without pings nothing later can prove the connection healthy: the hello has to.
    if (manager.pingInterval <= 0) this.resetBackoff('hello (no pings)');
    this.fire('ready', { conn: manager.conn, peer, reconnected, at });
    const restore = this.options.restoreSession;
    if (!reconnected || restore === undefined) return;
    const conn = manager.conn;
    // The hook may be async; its failure is reported, the connection stays.
    Promise.resolve()
      .then(() => restore({ conn, peer, send: (p) => manager.send(p) }))
      .then(
        () => {
          this.log.info('session restored', { conn });
          this.fire('session-restored', { conn, at: this.rt.now() });
        },
        (err) => {
          this.log.error('session restore failed', { conn }, err);
          this.fire('session-restore-failed', { conn, err: errorInfo(err), at: this.rt.now() });
        },
      );
  }

  /** F13: the outage is over — the next failure starts the backoff from the base again. */
  private resetBackoff(why: string): void {
    if (this.retries > 0) this.log.debug('backoff reset', { after: this.retries, why });
    this.retries = 0;
    this.policy.reset();
  }

  private onDeath(manager: HeartbeatManager, death: Death): void {
    this.retire(manager);
    this.lastReason = death.reason;
    this.fire('death', death);
    this.scheduleRetry(death.reason);
  }

  private attemptFailed(conn: string, attempt: number, reason: AttemptFailure, err?: unknown): void {
    this.lastReason = reason;
    const event: ClientEvents['attempt-failed'][0] = { conn, attempt, reason, at: this.rt.now() };
    if (err !== undefined) event.err = errorInfo(err);
    this.log.warn('connect attempt failed', { conn, attempt, reason }, err);
    this.fire('attempt-failed', event);
    this.scheduleRetry(reason);
  }

  private scheduleRetry(after: DeathReason | AttemptFailure): void {
    if (this._status === 'stopped' || this._status === 'gave-up') return;
    const max = this.config.backoff.maxAttempts;
    if (this.retries >= max) {
      this._status = 'gave-up';
      this.log.error('ALERT: giving up reconnecting; a human is needed', {
        attempts: this.retries,
        lastReason: after,
      });
      this.fire('giveup', { attempts: this.retries, lastReason: after, at: this.rt.now() });
      return;
    }
    let delay: number;
    try {
      delay = this.policy.next(this.retries, () => this.rt.random());
    } catch (err) {
      this.log.error('backoff policy threw; using its base wait', { policy: this.policy.name }, err);
      delay = this.config.backoff.base;
    }
    if (!Number.isFinite(delay) || delay < 0) {
      this.log.error('backoff policy returned an invalid wait; using its base wait', { delay });
      delay = this.config.backoff.base;
    }
    delay = Math.round(delay);
    this.retries += 1;
    this._status = 'waiting';
    this.log.info('reconnect scheduled', { attempt: this.retries, delay, after, policy: this.policy.name });
    this.fire('reconnect', { attempt: this.retries, delay, after, at: this.rt.now() });
    this.retryTimer = this.rt.setTimeout(() => {
      this.retryTimer = undefined;
      this.connect();
    }, delay);
  }

  /** F14: one load sample per ping; the interval changes from this ping on. */
  private adapt(manager: HeartbeatManager): void {
    if (!this.adaptive || !manager.running) return;
    const from = manager.pingInterval;
    const to = this.sampleLoad(manager.conn);
    if (to === undefined || to === from) return;
    manager.setPingInterval(to);
    this.log.info('ping interval adapted', { conn: manager.conn, from, to, level: this.adaptive.level });
    this.fire('interval-change', {
      conn: manager.conn,
      from,
      to,
      load: this.lastLoad,
      level: this.adaptive.level,
      at: this.rt.now(),
    });
  }

  private sampleLoad(conn: string): number | undefined {
    if (!this.adaptive || !this.options.loadSignal) return undefined;
    try {
      const load = this.options.loadSignal();
      const interval = this.adaptive.update(load);
      this.lastLoad = load;
      return interval;
    } catch (err) {
      this.log.warn('load signal failed; interval unchanged', { conn }, err);
      return undefined;
    }
  }

  /** Listener bugs are logged, never thrown into a timer or socket callback. */
  private fire<K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ClientEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error(`a '${String(event)}' listener threw`, {}, err);
    }
  }

  /** Folds a finished connection's counters into the totals. */
  private retire(manager: HeartbeatManager): void {
    if (this.manager !== manager) return;
    this.manager = undefined;
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
}

const FORWARDED = [
  'state',
  'ping',
  'pong',
  'late-pong',
  'miss',
  'message',
  'business-timeout',
  'business-error',
  'sent',
] as const satisfies readonly (keyof ManagerEvents & keyof ClientEvents)[];
