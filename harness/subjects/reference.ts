/**
 * The reference implementation (impl/) as a Subject: translates the scenario's normalized
 * ReferenceConfig (harness/scenario/schema.ts) into impl's client and server configs, starts them on
 * the Runtime it is given, and reports their typed events as SubjectEvents.
 *
 * Business traffic (F6, `config.business`): the client sends a business message of exactly `bytes`
 * bytes on the wire every `every` ms from its start, whenever it has a connection whose hello has
 * arrived (otherwise that tick is skipped); the server's handler takes `handlerDelay` ms,
 * asynchronously, then replies with a small acknowledgement. The heartbeat never waits for either.
 *
 * Event types reported (all carry `side`, `at` = the subject's runtime.now(), and `conn` when they
 * concern one connection):
 *   client: connecting, connected, ready, state, pong, miss, death, attempt-failed, reconnect,
 *           giveup, interval, business-timeout, business-error, sent, stopped
 *   server: listening, connection, ready, state, miss, death, closed, rejected, connection-level,
 *           business-timeout, sent, stopped
 * `sent` is F20's counter, one per message handed to the socket: `class` heartbeat (ping, pong),
 * control (hello, bye) or business, and its `bytes`; the metrics count heartbeat overhead from it.
 * `death.reason` is impl's DeathReason (fin, reset, heartbeat-timeout, read-deadline, write-deadline,
 * write-error, keepalive, protocol-error, …); `attempt-failed.reason` an AttemptFailure (refused,
 * connect-timeout, …); `reconnect` is a scheduled attempt (attempt, delay), `ready` with
 * `reconnected: true` is a completed one.
 */
import type { LoadSignal } from '../../impl/adaptive.ts';
import { HeartbeatClient } from '../../impl/client.ts';
import type { ClientConfigInput, ServerConfigInput } from '../../impl/config.ts';
import { encodeFrame } from '../../impl/protocol.ts';
import type { Runtime, TimerHandle } from '../../impl/runtime.ts';
import { HeartbeatServer } from '../../impl/server.ts';
import type { Address, ServerHandle, Subject, SubjectEvent, SubjectHandle } from '../backend.ts';
import type { ReferenceConfig } from './reference-config.ts';

export type { ReferenceConfig };

/** Optional programmatic extras a caller may put next to the scenario config. */
export interface ReferenceExtras {
  /** F14: the load signal driving an adaptive interval; without it the client stays idle (load 0). */
  loadSignal?: LoadSignal;
}

/** The scenario config's client half, in impl's vocabulary (unset fields keep impl's defaults). */
export function clientConfigFrom(c: Partial<ReferenceConfig>): ClientConfigInput {
  const out: ClientConfigInput = { readDeadline: 0 };
  if (c.interval !== undefined) out.interval = c.interval;
  if (c.pongTimeout !== undefined) out.pongTimeout = c.pongTimeout;
  if (c.writeDeadline !== undefined) out.writeDeadline = c.writeDeadline;
  if (c.keepalive !== undefined) out.keepAlive = c.keepalive === false ? 0 : c.keepalive;
  copyThresholds(c, out);
  if (c.connectTimeout !== undefined) out.connectTimeout = c.connectTimeout;
  if (c.businessTimeout !== undefined) out.businessTimeout = c.businessTimeout;
  if (c.backoff !== undefined) {
    const b = c.backoff;
    out.backoff = {
      policy: b.policy,
      base: Math.round(b.base),
      cap: Math.round(b.cap),
      multiplier: b.multiplier,
      // The scenario's `jitter` is J ms for seed and the fraction j for grpc.
      ...(b.policy === 'grpc' ? { jitterFraction: b.jitter } : { jitter: Math.round(b.jitter ?? 0) }),
      // The scenario schema's default is "never give up".
      maxAttempts: b.maxAttempts ?? Number.POSITIVE_INFINITY,
    };
  }
  if (c.adaptive) {
    out.adaptive = {
      enabled: true,
      busyInterval: c.adaptive.busyInterval,
      idleInterval: c.adaptive.idleInterval,
    };
  }
  return out;
}

/** The scenario config's server half. `serverHeartbeat: false` means the server only answers (F10 off). */
export function serverConfigFrom(c: Partial<ReferenceConfig>): ServerConfigInput {
  const out: ServerConfigInput = {};
  if (c.serverHeartbeat !== undefined) {
    out.interval = c.serverHeartbeat === false ? 0 : c.serverHeartbeat.interval;
    const pongTimeout = c.serverHeartbeat === false ? c.pongTimeout : c.serverHeartbeat.pongTimeout;
    if (pongTimeout !== undefined) out.pongTimeout = pongTimeout;
  } else if (c.pongTimeout !== undefined) {
    out.pongTimeout = c.pongTimeout;
  }
  if (c.writeDeadline !== undefined) out.writeDeadline = c.writeDeadline;
  if (c.readDeadline !== undefined) out.readDeadline = c.readDeadline;
  if (c.keepalive !== undefined) out.keepAlive = c.keepalive === false ? 0 : c.keepalive;
  copyThresholds(c, out);
  if (c.businessTimeout !== undefined) out.businessTimeout = c.businessTimeout;
  // The scenario schema's default is "unlimited".
  out.maxConnections = c.maxConnections ?? Number.POSITIVE_INFINITY;
  if (c.connectionThresholds !== undefined) {
    out.warnConnections = c.connectionThresholds.warn;
    out.dangerConnections = c.connectionThresholds.danger;
  }
  return out;
}

function copyThresholds(c: Partial<ReferenceConfig>, out: ClientConfigInput | ServerConfigInput): void {
  if (c.missThreshold !== undefined) out.missThreshold = c.missThreshold;
  if (c.suspectThreshold !== undefined) {
    out.suspectAfter = Math.min(c.suspectThreshold, c.missThreshold ?? Number.POSITIVE_INFINITY);
  }
}

/** Fans events out to listeners; events emitted before the first listener are kept and replayed. */
class EventRelay {
  private readonly listeners: ((event: SubjectEvent) => void)[] = [];
  private backlog: SubjectEvent[] | undefined = [];

  push(event: SubjectEvent): void {
    if (this.backlog) {
      this.backlog.push(event);
      return;
    }
    for (const l of this.listeners) {
      try {
        l(event);
      } catch {
        // An observer's bug must not break the subject it observes.
      }
    }
  }

  subscribe(listener: (event: SubjectEvent) => void): void {
    this.listeners.push(listener);
    const pending = this.backlog;
    this.backlog = undefined;
    for (const e of pending ?? []) this.push(e);
  }
}

/** A business payload whose frame (`{"type":"data","payload":"xx…"}` and a newline) is exactly `bytes` long. */
export function businessPayload(bytes: number): string {
  const overhead = encodeFrame({ type: 'data', payload: '' }).length;
  if (!Number.isInteger(bytes) || bytes < overhead) {
    throw new RangeError(`business.bytes must be an integer ≥ ${overhead} (an empty payload), got ${bytes}`);
  }
  return 'x'.repeat(bytes - overhead);
}

function clean(event: SubjectEvent): SubjectEvent {
  for (const k of Object.keys(event)) if (event[k] === undefined) delete event[k];
  return event;
}

export const referenceSubject: Subject<ReferenceConfig> = {
  name: 'reference',

  async startServer(runtime: Runtime, address: Address, config: ReferenceConfig): Promise<ServerHandle> {
    const relay = new EventRelay();
    const handlerDelay = config?.business?.handlerDelay ?? 0;
    const handlerTimers = new Set<TimerHandle>();
    const server = new HeartbeatServer({
      runtime,
      config: serverConfigFrom(config ?? {}),
      onMessage: async (_payload, ctx) => {
        if (handlerDelay > 0) {
          // F6: slow business work, async: the heartbeat of this connection goes on meanwhile.
          await new Promise<void>((resolve) => {
            const t = runtime.setTimeout(() => {
              handlerTimers.delete(t);
              resolve();
            }, handlerDelay);
            handlerTimers.add(t);
          });
        }
        ctx.reply({ ack: true });
      },
    });
    const side = 'server' as const;
    const emit = (e: { type: string; [field: string]: unknown }) =>
      relay.push(clean({ ...e, side, at: runtime.now() }));
    server.on('sent', ({ conn, kind, type, bytes }) =>
      emit({ type: 'sent', conn, class: kind, message: type, bytes }),
    );
    server.on('listening', ({ address: a }) => emit({ type: 'listening', host: a.host, port: a.port }));
    server.on('connection', ({ conn, remote }) => emit({ type: 'connection', conn, remote }));
    server.on('ready', ({ conn, peer }) => emit({ type: 'ready', conn, peer: peer.id }));
    server.on('state', (s) =>
      emit({ type: 'state', conn: s.conn, state: s.state, previous: s.previous, reason: s.reason }),
    );
    server.on('miss', ({ conn, seq, misses }) => emit({ type: 'miss', conn, seq, misses }));
    server.on('death', (d) =>
      emit({ type: 'death', conn: d.conn, reason: d.reason, detail: d.detail, code: d.err?.code }),
    );
    server.on('connection-closed', ({ conn, reason }) => emit({ type: 'closed', conn, reason }));
    server.on('rejected', ({ conn, reason }) => emit({ type: 'rejected', conn, reason }));
    server.on('connection-level', ({ level, previous, count }) =>
      emit({ type: 'connection-level', state: level, previous, count }),
    );
    server.on('business-timeout', ({ conn, after }) => emit({ type: 'business-timeout', conn, after }));
    const bound = await server.listen(address.port, address.host);
    let closing: Promise<void> | undefined;
    return {
      address: { host: bound.host, port: bound.port },
      onEvent: (listener) => relay.subscribe(listener),
      close: () => {
        // A handler still waiting would reply on a closed connection: it is dropped with it.
        for (const t of handlerTimers) runtime.clearTimeout(t);
        handlerTimers.clear();
        closing ??= server.close().then(() => emit({ type: 'stopped' }));
        return closing;
      },
    };
  },

  async startClient(runtime: Runtime, target: Address, config: ReferenceConfig): Promise<SubjectHandle> {
    const relay = new EventRelay();
    const extras = (config ?? {}) as ReferenceExtras;
    const clientConfig = clientConfigFrom(config ?? {});
    const client = new HeartbeatClient({
      host: target.host,
      port: target.port,
      runtime,
      config: clientConfig,
      loadSignal: clientConfig.adaptive?.enabled ? (extras.loadSignal ?? (() => 0)) : undefined,
    });
    const side = 'client' as const;
    const emit = (e: { type: string; [field: string]: unknown }) =>
      relay.push(clean({ ...e, side, at: runtime.now() }));
    client.on('connecting', ({ conn, attempt }) => emit({ type: 'connecting', conn, attempt }));
    client.on('connected', ({ conn }) => emit({ type: 'connected', conn }));
    client.on('ready', ({ conn, reconnected }) => emit({ type: 'ready', conn, reconnected }));
    client.on('state', (s) =>
      emit({ type: 'state', conn: s.conn, state: s.state, previous: s.previous, reason: s.reason }),
    );
    client.on('pong', ({ conn, seq, rtt }) => emit({ type: 'pong', conn, seq, rtt }));
    client.on('miss', ({ conn, seq, misses }) => emit({ type: 'miss', conn, seq, misses }));
    client.on('death', (d) =>
      emit({ type: 'death', conn: d.conn, reason: d.reason, detail: d.detail, code: d.err?.code }),
    );
    client.on('attempt-failed', ({ conn, attempt, reason, err }) =>
      emit({ type: 'attempt-failed', conn, attempt, reason, code: err?.code }),
    );
    client.on('reconnect', ({ attempt, delay, after }) =>
      emit({ type: 'reconnect', attempt, delay, reason: after }),
    );
    client.on('giveup', ({ attempts, lastReason }) => emit({ type: 'giveup', attempts, reason: lastReason }));
    client.on('interval-change', ({ conn, from, to }) => emit({ type: 'interval', conn, from, to }));
    client.on('business-timeout', ({ conn, after }) => emit({ type: 'business-timeout', conn, after }));
    client.on('sent', ({ conn, kind, type, bytes }) =>
      emit({ type: 'sent', conn, class: kind, message: type, bytes }),
    );
    client.on('business-error', ({ conn, err }) =>
      emit({ type: 'business-error', conn, reason: err.message }),
    );
    client.on('stopped', () => emit({ type: 'stopped' }));
    client.start();
    const business = config?.business;
    let businessTimer: TimerHandle | undefined;
    if (business !== undefined) {
      const payload = businessPayload(business.bytes);
      businessTimer = runtime.setInterval(() => {
        try {
          // False (nothing sent) while there is no connection with the server's hello: a skipped tick.
          client.send(payload);
        } catch (err) {
          emit({ type: 'business-error', conn: client.conn, reason: (err as Error).message });
        }
      }, business.every);
    }
    return {
      onEvent: (listener) => relay.subscribe(listener),
      close: () => {
        runtime.clearInterval(businessTimer);
        businessTimer = undefined;
        return client.stop();
      },
    };
  },
};
