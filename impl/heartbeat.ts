/**
 * F8: the reusable heartbeat manager — one object per connection, around any `net.Socket`-shaped
 * stream. It speaks the protocol of impl/PROTOCOL.md: sends a hello, pings at a fixed rate (ping k
 * leaves at t0 + k·I, never pong-driven), answers the peer's pings at once, watches pong timeouts,
 * the miss threshold, the write and read deadlines, classifies every death (F15), dispatches business
 * frames without ever holding up a heartbeat (F6) and meters the traffic (F20).
 *
 * `onDead` (or the `death` event) lets the owner choose: reconnect, alert, or nothing. The manager
 * destroys a dead socket itself unless `closeOnDead: false`.
 *
 * With `limits` (the server passes its own) it also guards against abusive peers: it stops reading
 * from a peer whose unsent bytes (written, not yet taken by the kernel) pass a high-water mark
 * (maxQueuedBytes / 4) until they drain to a low-water mark (maxQueuedBytes / 16); it drops a peer
 * whose unsent bytes plus unhandled business messages pass maxQueuedBytes, or that leaves the bytes
 * queued at the pause unread for the write deadline (`backpressure`), and one that takes longer than
 * `helloTimeout` to finish its hello or `frameTimeout` any other frame (`read-deadline`).
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { type CloseReason, type DeathReason, deathReasonFor, type ErrorInfo, errorInfo } from './classify.ts';
import {
  type HeartbeatSettings,
  type HeartbeatSettingsInput,
  NO_PEER_LIMITS,
  PEER_LIMIT_KEYS,
  type PeerLimits,
  resolveHeartbeatSettings,
} from './config.ts';
import { ConfigError, FrameTooLargeError, ProtocolError, StateError } from './errors.ts';
import { type HealthState, HealthTracker } from './health.ts';
import { createLog, type Log } from './log.ts';
import {
  type Bye,
  encodeFrame,
  FrameDecoder,
  type Hello,
  type Message,
  type Ping,
  type Pong,
  PROTOCOL_VERSION,
  type Role,
} from './protocol.ts';
import { type Runtime, realRuntime, type TimerHandle } from './runtime.ts';
import { ConnectionMeter, type ConnectionStats, type TrafficClass } from './traffic.ts';

export interface Death {
  side: Role;
  conn: string;
  reason: DeathReason;
  detail: string;
  err?: ErrorInfo;
  /** runtime.now() at detection. */
  at: number;
  stats: ConnectionStats;
}

export interface StateChange {
  side: Role;
  conn: string;
  state: HealthState;
  previous: HealthState | undefined;
  misses: number;
  /** What caused the change: a death reason, 'misses', 'pong', 'start', or a close reason. */
  reason: string;
  at: number;
}

export interface BusinessContext {
  conn: string;
  side: Role;
  /** Sends a business message back on the same connection; false if it is gone. */
  reply(payload: unknown): boolean;
}

/** F6: may be slow or async; it never delays a heartbeat. Messages of one connection run in order. */
export type BusinessHandler = (payload: unknown, ctx: BusinessContext) => unknown;

export interface ManagerEvents {
  state: [StateChange];
  hello: [{ conn: string; peer: Hello; at: number }];
  ping: [{ conn: string; seq: number; interval: number; probe: boolean; at: number }];
  pong: [{ conn: string; seq: number; rtt: number; at: number }];
  'late-pong': [{ conn: string; seq: number; at: number }];
  miss: [{ conn: string; seq: number; misses: number; at: number }];
  'peer-ping': [{ conn: string; seq: number; at: number }];
  message: [{ conn: string; payload: unknown; at: number }];
  'business-timeout': [{ conn: string; after: number; at: number }];
  'business-error': [{ conn: string; err: ErrorInfo; at: number }];
  /** F20: a message was handed to the socket — its traffic class and size on the wire. */
  sent: [{ conn: string; kind: TrafficClass; type?: 'ping' | 'pong'; bytes: number; at: number }];
  /** Reading from the peer was paused (its unsent bytes passed the high-water mark) or resumed. */
  backpressure: [{ conn: string; paused: boolean; unsent: number; at: number }];
  death: [Death];
  closed: [{ conn: string; reason: CloseReason; at: number }];
}

export interface HeartbeatManagerOptions {
  socket: Socket;
  role: Role;
  /** Connection id used in logs, events and the hello. */
  conn: string;
  runtime?: Runtime;
  settings?: HeartbeatSettingsInput;
  service?: string;
  onDead?: (death: Death) => void;
  onMessage?: BusinessHandler;
  /** Destroy the socket when the connection is declared dead (default true). */
  closeOnDead?: boolean;
  /** Guards against abusive peers (server); each 0 = off, the default. */
  limits?: Partial<PeerLimits>;
}

type Phase = 'new' | 'running' | 'ended';

interface Outstanding {
  timer: TimerHandle;
  sentAt: number;
  probe: boolean;
}

export class HeartbeatManager extends EventEmitter<ManagerEvents> {
  readonly conn: string;
  readonly role: Role;
  readonly settings: HeartbeatSettings;
  readonly socket: Socket;
  private readonly rt: Runtime;
  private readonly log: Log;
  private readonly onDead: ((death: Death) => void) | undefined;
  private readonly onMessage: BusinessHandler | undefined;
  private readonly closeOnDead: boolean;
  private readonly decoder: FrameDecoder;
  private readonly health: HealthTracker;
  private meter: ConnectionMeter;
  private phase: Phase = 'new';
  private lastState: HealthState | undefined;
  private pingEvery: number;
  private pinger: TimerHandle | undefined;
  private seq = 0;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly timers = new Set<TimerHandle>();
  private readTimer: TimerHandle | undefined;
  private peerTimer: TimerHandle | undefined;
  private peerOverdue = false;
  /** Bytes handed to socket.write so far; with writableLength it tells which bytes are still queued. */
  private enqueued = 0;
  private peerHello: Hello | undefined;
  private sendLimit: number;
  private byeReason: string | undefined;
  private businessChain: Promise<void> = Promise.resolve();
  private readonly limits: PeerLimits;
  /** Reading is paused because the peer's queue passed the high-water mark. */
  private readPaused = false;
  /** Bytes of business frames received and not yet handled (the app-level part of the queue). */
  private businessQueued = 0;
  private stallTimer: TimerHandle | undefined;
  private frameTimer: TimerHandle | undefined;
  /** Frames decoded so far, and which one (by that count) the incomplete frame is, since when. */
  private framesDecoded = 0;
  private partialOf = -1;
  private partialSince = 0;
  private frameDue = 0;
  private readonly handlers: {
    [K in 'data' | 'end' | 'error' | 'close' | 'drain']: (...args: never[]) => void;
  };
  private readonly afterWrite: (() => void) | undefined;

  constructor(options: HeartbeatManagerOptions) {
    super();
    if (typeof options.conn !== 'string' || options.conn.length === 0 || options.conn.length > 128) {
      throw new ConfigError(
        'conn',
        'must be a connection id of 1–128 characters (it is sent in the hello)',
        options.conn,
        'heartbeat manager',
      );
    }
    if (options.role !== 'client' && options.role !== 'server') {
      throw new ConfigError('role', 'must be "client" or "server"', options.role, 'heartbeat manager');
    }
    this.socket = options.socket;
    this.role = options.role;
    this.conn = options.conn;
    this.rt = options.runtime ?? realRuntime();
    this.settings = resolveHeartbeatSettings(options.settings ?? {}, `heartbeat manager ${options.conn}`);
    this.log = createLog(this.rt, options.service ?? `heartbeat-${options.role}`, options.conn);
    this.onDead = options.onDead;
    this.onMessage = options.onMessage;
    this.closeOnDead = options.closeOnDead ?? true;
    this.decoder = new FrameDecoder(this.settings.maxFrameBytes);
    this.health = new HealthTracker(this.settings.suspectAfter, this.settings.missThreshold);
    this.meter = new ConnectionMeter(this.conn, this.rt.now());
    this.pingEvery = this.settings.interval;
    this.sendLimit = this.settings.maxFrameBytes;
    this.limits = resolveLimits(options.limits, options.conn);
    this.afterWrite = this.limits.maxQueuedBytes > 0 ? () => this.readPaused && this.checkQueue() : undefined;
    this.handlers = {
      data: (chunk: Buffer | string) => this.onData(chunk),
      end: () =>
        this.die(
          'fin',
          this.byeReason ? `peer said bye (${this.byeReason}) and closed` : 'peer closed (FIN)',
        ),
      error: (err: Error) => this.die(deathReasonFor(err), err.message, err),
      close: () => this.die('closed', 'socket closed without FIN, RST or error'),
      drain: () => this.checkQueue(),
    };
  }

  /** Attaches to the socket, sends the hello, starts the pinger and the read deadline. */
  start(): this {
    if (this.phase !== 'new') throw new StateError(`heartbeat manager ${this.conn}: start() called twice`);
    this.phase = 'running';
    this.meter = new ConnectionMeter(this.conn, this.rt.now());
    const s = this.socket;
    for (const [event, fn] of Object.entries(this.handlers)) s.on(event, fn as (...args: unknown[]) => void);
    if (s.destroyed) {
      this.die('closed', 'socket was already destroyed at start');
      return this;
    }
    try {
      s.setNoDelay(true);
      // F7: a backstop only — it probes the next hop (a proxy answers for a dead server).
      if (this.settings.keepAlive > 0) s.setKeepAlive(true, this.settings.keepAlive);
    } catch (err) {
      this.log.warn('could not set socket options', {}, err);
    }
    this.syncState('start');
    const hello: Hello = {
      type: 'hello',
      v: PROTOCOL_VERSION,
      role: this.role,
      id: this.conn,
      interval: this.pingEvery,
      pongTimeout: this.settings.pongTimeout,
      readDeadline: this.settings.readDeadline,
      missThreshold: this.settings.missThreshold,
      maxFrame: this.settings.maxFrameBytes,
    };
    if (!this.writeControl(hello, 'hello')) return this;
    this.armReadDeadline();
    this.startPinger();
    this.log.debug('heartbeat started', { interval: this.pingEvery, pongTimeout: this.settings.pongTimeout });
    return this;
  }

  /**
   * Stops heartbeating and detaches, leaving the socket to the owner (paused, if backpressure had
   * paused it). Idempotent; not a death.
   */
  stop(): void {
    this.finish('local');
  }

  /** Stops, says bye and destroys the socket. Idempotent; not a death. */
  close(reason: CloseReason = 'local'): void {
    const wasOpen = this.phase !== 'ended';
    this.finish(reason);
    if (wasOpen) {
      this.destroySocket({ type: 'bye', reason });
      this.safeEmit('closed', { conn: this.conn, reason, at: this.rt.now() });
    }
  }

  /**
   * Sends a business message. False until the peer's hello has arrived (its maxFrame bounds the
   * frame) and after the connection ends; throws on a payload that is not JSON or too large.
   */
  send(payload: unknown): boolean {
    if (payload === undefined)
      throw new TypeError(`send on ${this.conn}: payload must be a JSON value, got undefined`);
    if (!this.writable() || this.peerHello === undefined) return false;
    const frame = encodeFrame({ type: 'data', payload }, this.sendLimit);
    const cap = this.limits.maxQueuedBytes;
    if (cap > 0 && this.queued() + frame.length > cap) {
      this.die('backpressure', `${this.overCap(frame.length)}: a ${frame.length}-byte message would not fit`);
      return false;
    }
    this.enqueued += frame.length;
    this.meter.sent('business', frame.length);
    try {
      this.socket.write(frame, this.afterWrite);
    } catch (err) {
      this.die(deathReasonFor(err, true), 'business write failed', err);
      return false;
    }
    this.safeEmit('sent', { conn: this.conn, kind: 'business', bytes: frame.length, at: this.rt.now() });
    this.checkQueue();
    return this.phase === 'running';
  }

  /** Bytes waiting for the peer: not yet taken by the kernel, plus business messages not yet handled. */
  get queuedBytes(): number {
    return this.queued();
  }

  /** True while reading from the peer is paused by backpressure. */
  get readingPaused(): boolean {
    return this.readPaused;
  }

  /** F14: changes the ping period; the next ping leaves `ms` from now (the schedule re-phases). */
  setPingInterval(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new RangeError(`setPingInterval on ${this.conn}: need a non-negative integer of ms, got ${ms}`);
    }
    if (ms === this.pingEvery) return;
    this.pingEvery = ms;
    if (this.phase === 'running') this.startPinger();
  }

  get pingInterval(): number {
    return this.pingEvery;
  }

  get state(): HealthState | undefined {
    return this.lastState;
  }

  get running(): boolean {
    return this.phase === 'running';
  }

  /** The peer's hello, once received. */
  get peer(): Hello | undefined {
    return this.peerHello;
  }

  /** Consecutive pongs missed so far (F12). */
  get misses(): number {
    return this.health.misses;
  }

  /** Timers this manager holds right now (for leak checks). */
  get pendingTimers(): number {
    return this.timers.size + this.outstanding.size + (this.pinger === undefined ? 0 : 1);
  }

  stats(): ConnectionStats {
    return this.meter.snapshot(this.rt.now());
  }

  // ——— sending ———

  private startPinger(): void {
    if (this.pinger !== undefined) this.rt.clearInterval(this.pinger);
    this.pinger = undefined;
    if (this.pingEvery > 0) this.pinger = this.rt.setInterval(() => this.sendPing(false), this.pingEvery);
  }

  private sendPing(probe: boolean): void {
    if (this.phase !== 'running') return;
    const seq = ++this.seq;
    const sentAt = this.rt.now();
    const ping: Ping = { type: 'ping', seq, timestamp: sentAt, interval: this.pingEvery };
    if (probe) ping.probe = true;
    // Armed before the write: on a shared clock the pong's arrival is scheduled later, so a pong due
    // exactly at the deadline loses (BOUNDS.md tie rule: equality counts as a timeout).
    const timer = this.rt.setTimeout(() => this.pongTimedOut(seq), this.settings.pongTimeout);
    this.outstanding.set(seq, { timer, sentAt, probe });
    if (!this.writeHeartbeat(ping, 'ping', seq)) return;
    this.log.debug(probe ? 'probe ping sent' : 'ping sent', { seq });
    this.safeEmit('ping', { conn: this.conn, seq, interval: this.pingEvery, probe, at: sentAt });
  }

  private writeControl(message: Hello | Bye, what: string): boolean {
    return this.guardedWrite(message, what, 'control');
  }

  private writeHeartbeat(message: Ping | Pong, type: 'ping' | 'pong', seq: number): boolean {
    return this.guardedWrite(message, `${type} #${seq}`, 'heartbeat', type);
  }

  /**
   * F2, done honestly for Node: a heartbeat write is dead if, at its deadline, its callback has not
   * fired or any of its bytes are still queued in the stream. The queue is FIFO, so this write's bytes
   * are still queued iff writableLength exceeds the bytes enqueued after it.
   */
  private guardedWrite(message: Message, what: string, kind: TrafficClass, type?: 'ping' | 'pong'): boolean {
    if (!this.writable()) return false;
    let frame: Buffer;
    try {
      frame = encodeFrame(message, this.sendLimit);
    } catch (err) {
      this.log.error(`cannot encode ${what}`, {}, err);
      return false;
    }
    this.enqueued += frame.length;
    const endPosition = this.enqueued;
    this.meter.sent(kind, frame.length, type);
    let flushed = false;
    try {
      this.socket.write(frame, (err) => {
        flushed = true;
        if (err) this.die(deathReasonFor(err, true), `${what} write failed: ${err.message}`, err);
        else this.afterWrite?.();
      });
    } catch (err) {
      this.die(deathReasonFor(err, true), `${what} write threw`, err);
      return false;
    }
    const sent: ManagerEvents['sent'][0] = { conn: this.conn, kind, bytes: frame.length, at: this.rt.now() };
    if (type !== undefined) sent.type = type;
    this.safeEmit('sent', sent);
    const deadline = this.settings.writeDeadline;
    if (deadline > 0 && this.phase === 'running') {
      this.after(deadline, () => {
        const queuedAfter = this.enqueued - endPosition;
        const queued = this.socket.writableLength;
        if (!flushed || queued > queuedAfter) {
          this.die(
            'write-deadline',
            `${what} not flushed within ${deadline} ms (callback ${flushed ? 'fired' : 'pending'}, ${queued} bytes queued)`,
          );
        }
      });
    }
    this.checkQueue();
    return this.phase === 'running';
  }

  // ——— backpressure (abuse guard) ———

  private queued(): number {
    return this.socket.writableLength + this.businessQueued;
  }

  private overCap(adding = 0): string {
    const w = this.socket.writableLength;
    return (
      `${w + this.businessQueued + adding} bytes would be queued for a peer that does not read ` +
      `(${w} unsent, ${this.businessQueued} of business not yet handled; cap maxQueuedBytes ${this.limits.maxQueuedBytes})`
    );
  }

  /**
   * Drops the peer over the cap; pauses reading while the unsent bytes are above the high-water mark,
   * resumes at the low-water mark. Only unsent bytes pause: a business backlog is our handler being
   * slow, and pausing for it would hold up the peer's pings (F6); it counts toward the cap only.
   * Called after every write, every chunk read, and on 'drain' and write callbacks while paused.
   */
  private checkQueue(): void {
    const cap = this.limits.maxQueuedBytes;
    if (cap <= 0 || this.phase !== 'running') return;
    const unsent = this.socket.writableLength;
    const queued = unsent + this.businessQueued;
    if (queued > cap) {
      this.die('backpressure', this.overCap());
    } else if (!this.readPaused && unsent > Math.floor(cap / 4)) {
      this.readPaused = true;
      this.socket.pause();
      this.log.debug('peer not keeping up: reading paused', { unsent, highWater: Math.floor(cap / 4) });
      this.safeEmit('backpressure', { conn: this.conn, paused: true, unsent, at: this.rt.now() });
      this.armStallCheck();
    } else if (this.readPaused && unsent <= Math.floor(cap / 16)) {
      this.readPaused = false;
      this.cancel(this.stallTimer);
      this.stallTimer = undefined;
      this.socket.resume();
      this.log.debug('peer caught up: reading resumed', { unsent, lowWater: Math.floor(cap / 16) });
      this.safeEmit('backpressure', { conn: this.conn, paused: false, unsent, at: this.rt.now() });
    }
  }

  /**
   * F2 applied to the queue: while reading is paused, the bytes queued for the peer when the check
   * was armed must be taken by the kernel within the write deadline, or the peer is not reading.
   */
  private armStallCheck(): void {
    const deadline = this.settings.writeDeadline;
    if (deadline <= 0) return;
    const mark = this.enqueued;
    this.stallTimer = this.after(deadline, () => {
      this.stallTimer = undefined;
      if (!this.readPaused) return;
      const queued = this.socket.writableLength;
      if (queued > this.enqueued - mark) {
        this.die(
          'backpressure',
          `peer has not read for ${deadline} ms: ${queued} bytes still queued for it, reading paused since it passed ${Math.floor(this.limits.maxQueuedBytes / 4)}`,
        );
      } else {
        this.armStallCheck();
      }
    });
  }

  // ——— slowloris guards ———

  /**
   * The frame being received must be finished (its newline) within helloTimeout of its first byte
   * while it is the hello, frameTimeout afterwards. One timer at a time, armed only while a frame is
   * unfinished. A silent peer is not this guard's: the read deadline (F4) finds it.
   */
  private watchPartialFrame(): void {
    if (this.phase !== 'running' || this.decoder.buffered === 0) return;
    if (this.partialOf !== this.framesDecoded) {
      this.partialOf = this.framesDecoded;
      this.partialSince = this.rt.now();
    }
    const limit = this.frameLimit();
    if (limit <= 0) return;
    const due = this.partialSince + limit;
    // A timer already due no later is enough: it re-arms for whatever frame is unfinished then.
    if (this.frameTimer !== undefined && this.frameDue <= due) return;
    this.cancel(this.frameTimer);
    this.armFrameTimer(due - this.rt.now());
  }

  private frameLimit(): number {
    const { helloTimeout, frameTimeout } = this.limits;
    return this.peerHello === undefined && helloTimeout > 0 ? helloTimeout : frameTimeout;
  }

  private armFrameTimer(ms: number): void {
    this.frameDue = this.rt.now() + ms;
    this.frameTimer = this.after(ms, () => {
      this.frameTimer = undefined;
      if (this.decoder.buffered === 0) return;
      const limit = this.frameLimit();
      if (limit <= 0) return;
      const age = this.rt.now() - this.partialSince;
      if (age < limit) {
        this.armFrameTimer(Math.min(limit, limit - age)); // (a clock stepped back: wait a whole limit)
        return;
      }
      const what =
        this.peerHello === undefined
          ? `the hello is unfinished ${age} ms after its first byte (helloTimeout ${limit} ms)`
          : `a frame is unfinished ${age} ms after its first byte (frameTimeout ${limit} ms)`;
      this.die('read-deadline', `${what}: ${this.decoder.buffered} bytes without a newline`);
    });
  }

  // ——— receiving ———

  private onData(chunk: Buffer | string): void {
    if (this.phase !== 'running') return;
    this.armReadDeadline();
    try {
      for (const frame of this.decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)) {
        if (this.phase !== 'running') return;
        this.framesDecoded += 1;
        this.handle(frame.message, frame.bytes);
      }
      this.watchPartialFrame();
      this.checkQueue();
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.die('protocol-error', err.message, err, { type: 'bye', reason: `protocol-error: ${err.kind}` });
      } else {
        this.log.error('internal error while handling a frame', { stack: (err as Error)?.stack }, err);
        this.die('internal-error', (err as Error)?.message ?? String(err), err);
      }
    }
  }

  private handle(message: Message, bytes: number): void {
    if (this.peerHello === undefined) {
      // A server turning us away (connection limit, shutdown) says bye instead of hello.
      if (message.type === 'bye') {
        this.meter.received('control', bytes);
        this.byeReason = message.reason;
        this.log.info('peer said bye before hello', { reason: message.reason });
        return;
      }
      if (message.type !== 'hello')
        throw new ProtocolError('unexpected', `expected hello first, got ${message.type}`);
      this.meter.received('control', bytes);
      this.onHello(message);
      return;
    }
    switch (message.type) {
      case 'hello':
        throw new ProtocolError('unexpected', 'second hello on one connection');
      case 'ping':
        this.meter.received('heartbeat', bytes, 'ping');
        this.onPeerPing(message);
        return;
      case 'pong':
        this.meter.received('heartbeat', bytes, 'pong');
        this.onPong(message);
        return;
      case 'data':
        this.meter.received('business', bytes);
        this.onBusiness(message.payload, bytes);
        return;
      case 'bye':
        this.meter.received('control', bytes);
        this.byeReason = message.reason;
        this.log.info('peer said bye', { reason: message.reason });
        return;
    }
  }

  private onHello(peer: Hello): void {
    const expected: Role = this.role === 'client' ? 'server' : 'client';
    if (peer.role !== expected) {
      throw new ProtocolError(
        'unexpected',
        `peer says it is a ${peer.role}; a ${this.role} talks to a ${expected}`,
      );
    }
    this.peerHello = peer;
    this.sendLimit = Math.min(this.settings.maxFrameBytes, peer.maxFrame);
    const own = this.settings.readDeadline;
    if (own > 0 && peer.interval > 0 && peer.interval >= own) {
      this.log.warn('peer pings less often than our read deadline allows: expect read-deadline deaths', {
        peerInterval: peer.interval,
        readDeadline: own,
      });
    }
    if (peer.readDeadline > 0 && this.pingEvery > 0 && this.pingEvery >= peer.readDeadline) {
      this.log.warn('we ping less often than the peer’s read deadline allows', {
        interval: this.pingEvery,
        peerReadDeadline: peer.readDeadline,
      });
    }
    this.log.info('hello received', { peer: peer.id, peerInterval: peer.interval, v: peer.v });
    this.armReverseCheck(peer.interval);
    this.safeEmit('hello', { conn: this.conn, peer, at: this.rt.now() });
  }

  private onPeerPing(ping: Ping): void {
    // F4: answered at once, before anything else this frame could trigger.
    const pong: Pong = {
      type: 'pong',
      seq: ping.seq,
      timestamp: this.rt.now(),
      echo: ping.timestamp,
      interval: this.pingEvery,
    };
    if (!this.writeHeartbeat(pong, 'pong', ping.seq)) return;
    this.armReverseCheck(ping.interval);
    this.safeEmit('peer-ping', { conn: this.conn, seq: ping.seq, at: this.rt.now() });
  }

  private onPong(pong: Pong): void {
    const o = this.outstanding.get(pong.seq);
    const at = this.rt.now();
    if (o === undefined) {
      // Its ping already counted as a miss (or was never sent): a late pong proves nothing in time.
      this.meter.latePongs += 1;
      this.log.debug('late pong ignored', { seq: pong.seq });
      this.safeEmit('late-pong', { conn: this.conn, seq: pong.seq, at });
      return;
    }
    this.rt.clearTimeout(o.timer);
    this.outstanding.delete(pong.seq);
    const rtt = Math.max(0, at - o.sentAt);
    this.meter.recordRtt(rtt);
    this.health.answered();
    this.syncState('pong');
    this.log.debug('pong received', { seq: pong.seq, rtt });
    this.safeEmit('pong', { conn: this.conn, seq: pong.seq, rtt, at });
  }

  private pongTimedOut(seq: number): void {
    const o = this.outstanding.get(seq);
    if (o === undefined || this.phase !== 'running') return;
    this.outstanding.delete(seq);
    if (o.probe) {
      this.log.debug('probe ping unanswered', { seq });
      return;
    }
    this.meter.misses += 1;
    const outcome = this.health.miss();
    this.log.info('pong missed', { seq, misses: outcome.misses, pongTimeout: this.settings.pongTimeout });
    this.safeEmit('miss', { conn: this.conn, seq, misses: outcome.misses, at: this.rt.now() });
    if (outcome.dead) {
      this.die(
        'heartbeat-timeout',
        `${outcome.misses} consecutive pings unanswered within ${this.settings.pongTimeout} ms`,
      );
      return;
    }
    this.syncState('misses');
    if (outcome.state !== 'SUSPECT') return;
    if (this.reverseHeartbeatMissing()) return;
    if (outcome.becameSuspect && this.settings.probeOnSuspect) this.sendPing(true);
  }

  /** F11: while SUSPECT, a missing reverse heartbeat too means DISCONNECTED (when enabled). */
  private reverseHeartbeatMissing(): boolean {
    if (!this.settings.reverseCheck || !this.peerOverdue || this.health.state !== 'SUSPECT') return false;
    this.die('heartbeat-timeout', 'pings unanswered and the peer’s own heartbeat is missing too');
    return true;
  }

  private armReverseCheck(peerInterval: number): void {
    if (!this.settings.reverseCheck || peerInterval <= 0) return;
    this.peerOverdue = false;
    this.cancel(this.peerTimer);
    this.peerTimer = this.after(peerInterval + this.settings.pongTimeout, () => {
      this.peerTimer = undefined;
      this.peerOverdue = true;
      this.reverseHeartbeatMissing();
    });
  }

  private armReadDeadline(): void {
    const deadline = this.settings.readDeadline;
    if (deadline <= 0 || this.phase !== 'running') return;
    this.cancel(this.readTimer);
    this.readTimer = this.after(deadline, () => {
      this.readTimer = undefined;
      this.die('read-deadline', `nothing received for ${deadline} ms`);
    });
  }

  private onBusiness(payload: unknown, bytes: number): void {
    this.safeEmit('message', { conn: this.conn, payload, at: this.rt.now() });
    const handler = this.onMessage;
    if (handler === undefined) return;
    // F6: the handler runs after the rest of this chunk (pings included) has been answered, and one
    // message at a time per connection; its duration is watched by a timeout of its own. Messages
    // waiting their turn count toward maxQueuedBytes.
    this.businessQueued += bytes;
    this.businessChain = this.businessChain.then(() => this.runBusiness(handler, payload, bytes));
  }

  private async runBusiness(handler: BusinessHandler, payload: unknown, bytes: number): Promise<void> {
    if (this.phase !== 'running') {
      this.businessQueued -= bytes;
      return;
    }
    const limit = this.settings.businessTimeout;
    const timer =
      limit > 0
        ? this.after(limit, () => {
            this.log.warn('business handler still running past its timeout (heartbeat unaffected)', {
              limit,
            });
            this.safeEmit('business-timeout', { conn: this.conn, after: limit, at: this.rt.now() });
          })
        : undefined;
    try {
      await handler(payload, {
        conn: this.conn,
        side: this.role,
        reply: (p) => this.send(p),
      });
    } catch (err) {
      if (err instanceof FrameTooLargeError || err instanceof TypeError) {
        this.log.error('business handler could not reply', {}, err);
      } else {
        this.log.error('business handler failed', {}, err);
      }
      this.safeEmit('business-error', { conn: this.conn, err: errorInfo(err), at: this.rt.now() });
    } finally {
      this.cancel(timer);
      this.businessQueued -= bytes;
    }
  }

  // ——— endings ———

  private die(reason: DeathReason, detail: string, err?: unknown, bye?: Bye): void {
    if (this.phase !== 'running') return;
    this.phase = 'ended';
    this.clearTimers();
    this.detach();
    const at = this.rt.now();
    this.meter.close(at);
    this.health.disconnect();
    this.syncState(reason);
    const death: Death = {
      side: this.role,
      conn: this.conn,
      reason,
      detail,
      at,
      stats: this.meter.snapshot(at),
    };
    if (err !== undefined) death.err = errorInfo(err);
    const fields = { reason, detail, misses: this.health.misses };
    if (reason === 'fin') this.log.info('connection dead', fields);
    else this.log.warn('connection dead', fields, err);
    if (this.closeOnDead) this.destroySocket(bye);
    this.safeEmit('death', death);
    if (this.onDead) {
      try {
        this.onDead(death);
      } catch (e) {
        this.log.error('onDead callback threw', {}, e);
      }
    }
  }

  private finish(reason: CloseReason): void {
    if (this.phase === 'ended') return;
    const wasRunning = this.phase === 'running';
    this.phase = 'ended';
    this.clearTimers();
    this.detach();
    this.meter.close(this.rt.now());
    if (wasRunning) {
      this.health.disconnect();
      this.syncState(reason);
      this.log.info('heartbeat stopped', { reason });
    }
  }

  private destroySocket(bye?: Bye): void {
    const s = this.socket;
    try {
      // Best effort: Node hands a write to the kernel at once when nothing is queued before it.
      if (bye && s.writable && !s.destroyed) s.end(encodeFrame(bye, this.sendLimit));
    } catch {
      // The socket is going away regardless.
    }
    s.destroy();
  }

  private detach(): void {
    const s = this.socket;
    for (const [event, fn] of Object.entries(this.handlers)) s.off(event, fn as (...args: unknown[]) => void);
    // Late errors (EPIPE after destroy, a reset racing our close) must not become uncaught.
    s.on('error', swallow);
  }

  private clearTimers(): void {
    if (this.pinger !== undefined) this.rt.clearInterval(this.pinger);
    this.pinger = undefined;
    for (const o of this.outstanding.values()) this.rt.clearTimeout(o.timer);
    this.outstanding.clear();
    for (const t of this.timers) this.rt.clearTimeout(t);
    this.timers.clear();
    this.readTimer = undefined;
    this.peerTimer = undefined;
    this.stallTimer = undefined;
    this.frameTimer = undefined;
  }

  private writable(): boolean {
    return this.phase === 'running' && !this.socket.destroyed && this.socket.writable;
  }

  /** A one-shot timer tracked for cleanup. */
  private after(ms: number, fn: () => void): TimerHandle {
    const handle: TimerHandle = this.rt.setTimeout(() => {
      this.timers.delete(handle);
      fn();
    }, ms);
    this.timers.add(handle);
    return handle;
  }

  private cancel(handle: TimerHandle | undefined): void {
    if (handle === undefined) return;
    this.rt.clearTimeout(handle);
    this.timers.delete(handle);
  }

  private syncState(reason: string): void {
    const state = this.health.state;
    if (state === this.lastState) return;
    const previous = this.lastState;
    this.lastState = state;
    const change: StateChange = {
      side: this.role,
      conn: this.conn,
      state,
      previous,
      misses: this.health.misses,
      reason,
      at: this.rt.now(),
    };
    if (previous !== undefined) this.log.info('health state changed', { state, previous, reason });
    this.safeEmit('state', change);
  }

  /** Listener bugs are logged, never thrown into a timer or socket callback. */
  private safeEmit<K extends keyof ManagerEvents>(event: K, ...args: ManagerEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: ManagerEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      this.log.error(`a '${String(event)}' listener threw`, {}, err);
    }
  }
}

function swallow(): void {}

function resolveLimits(input: Partial<PeerLimits> | undefined, conn: string): PeerLimits {
  const limits: PeerLimits = { ...NO_PEER_LIMITS };
  for (const key of PEER_LIMIT_KEYS) {
    const v = input?.[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw new ConfigError(
        `limits.${key}`,
        'must be a non-negative integer (0 = off)',
        v,
        `heartbeat manager ${conn}`,
      );
    }
    limits[key] = v;
  }
  return limits;
}
