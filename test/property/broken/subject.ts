/**
 * Deliberately broken variants of the reference implementation, as Subjects, to show that each
 * property has teeth. This module is the common part: a Subject like harness/subjects/reference.ts
 * (same config translation, same events) that builds its client and server through hooks, so a
 * variant only states its one bug — a subclass of HeartbeatClient/HeartbeatServer, a modified copy
 * of one method on the connection's HeartbeatManager, or a replacement backoff policy.
 *
 * Every variant module exports `subject`, so `flatline run <counterexample> --subject <module>`
 * replays a counterexample against it.
 */
import type {
  Address,
  ServerHandle,
  Subject,
  SubjectEvent,
  SubjectHandle,
} from '../../../harness/backend.ts';
import { businessPayload, clientConfigFrom, serverConfigFrom } from '../../../harness/subjects/reference.ts';
import type { ReferenceConfig } from '../../../harness/subjects/reference-config.ts';
import type { BackoffPolicy } from '../../../impl/backoff.ts';
import { HeartbeatClient, type HeartbeatClientOptions } from '../../../impl/client.ts';
import type { HeartbeatManager } from '../../../impl/heartbeat.ts';
import type { Ping, Pong } from '../../../impl/protocol.ts';
import type { Runtime, TimerHandle } from '../../../impl/runtime.ts';
import { HeartbeatServer, type HeartbeatServerOptions } from '../../../impl/server.ts';

export interface BrokenParts {
  name: string;
  /** Builds the client (default: the reference HeartbeatClient). */
  client?: (options: HeartbeatClientOptions) => HeartbeatClient;
  /** Builds the server (default: the reference HeartbeatServer). */
  server?: (options: HeartbeatServerOptions) => HeartbeatServer;
  /** Replaces the client's backoff policy, built from the scenario's backoff settings. */
  backoff?: (settings: ReferenceConfig['backoff']) => BackoffPolicy;
}

/**
 * The private parts of HeartbeatManager a variant modifies. impl/ keeps them private (nothing
 * outside should touch them); a deliberately broken copy is the one exception.
 */
export interface ManagerInternals {
  armReadDeadline(): void;
  finish(reason: string): void;
  onPeerPing(ping: Ping): void;
  onPong(pong: Pong): void;
  readTimer: unknown;
  pinger: unknown;
  /** The sequence number of the last ping sent. */
  seq: number;
  /** Business handlers, one after the other (F6). */
  businessChain: Promise<void>;
}

export function internals(manager: HeartbeatManager): ManagerInternals {
  return manager as unknown as ManagerInternals;
}

/** Runs `patch` on every connection's manager before it starts (the 'connected' event comes first). */
export function onEachClientManager(client: HeartbeatClient, patch: (m: HeartbeatManager) => void): void {
  client.on('connected', () => {
    const m = client.connection;
    if (m) patch(m);
  });
}

/** Same for the server: 'connection' is emitted before the connection's manager starts. */
export function onEachServerManager(server: HeartbeatServer, patch: (m: HeartbeatManager) => void): void {
  server.on('connection', ({ conn }) => {
    const m = server.connection(conn);
    if (m) patch(m);
  });
}

type Emit = (e: { type: string; [field: string]: unknown }) => void;

function relay(): { emit: Emit; onEvent: (l: (e: SubjectEvent) => void) => void } {
  const backlog: SubjectEvent[] = [];
  const listeners: ((e: SubjectEvent) => void)[] = [];
  return {
    emit: (e) => {
      const event = e as SubjectEvent;
      backlog.push(event);
      for (const l of listeners) l(event);
    },
    onEvent: (l) => {
      listeners.push(l);
      for (const e of backlog) l(e);
    },
  };
}

export function brokenSubject(parts: BrokenParts): Subject<ReferenceConfig> {
  return {
    name: parts.name,

    async startServer(runtime: Runtime, address: Address, config: ReferenceConfig): Promise<ServerHandle> {
      const { emit, onEvent } = relay();
      // Business traffic as the reference subject has it (harness/subjects/reference.ts): the
      // handler takes `handlerDelay` ms, asynchronously, then acknowledges.
      const handlerDelay = config.business?.handlerDelay ?? 0;
      const handlerTimers = new Set<TimerHandle>();
      const options: HeartbeatServerOptions = {
        runtime,
        config: serverConfigFrom(config),
        onMessage: async (_payload, ctx) => {
          if (handlerDelay > 0) {
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
      };
      const server = parts.server ? parts.server(options) : new HeartbeatServer(options);
      const at = () => runtime.now();
      server.on('connection', ({ conn }) => emit({ type: 'connection', side: 'server', conn, at: at() }));
      server.on('state', (s) =>
        emit({ type: 'state', side: 'server', conn: s.conn, state: s.state, at: at() }),
      );
      server.on('death', (d) =>
        emit({ type: 'death', side: 'server', conn: d.conn, reason: d.reason, at: at() }),
      );
      const bound = await server.listen(address.port, address.host);
      return {
        address: { host: bound.host, port: bound.port },
        onEvent,
        close: () => {
          for (const t of handlerTimers) runtime.clearTimeout(t);
          handlerTimers.clear();
          return server.close();
        },
      };
    },

    async startClient(runtime: Runtime, target: Address, config: ReferenceConfig): Promise<SubjectHandle> {
      const { emit, onEvent } = relay();
      const options: HeartbeatClientOptions = {
        host: target.host,
        port: target.port,
        runtime,
        config: clientConfigFrom(config),
      };
      if (parts.backoff) options.backoffPolicy = parts.backoff(config.backoff);
      const client = parts.client ? parts.client(options) : new HeartbeatClient(options);
      const at = () => runtime.now();
      client.on('connected', ({ conn }) => emit({ type: 'connected', side: 'client', conn, at: at() }));
      client.on('ready', ({ conn }) => emit({ type: 'ready', side: 'client', conn, at: at() }));
      client.on('state', (s) =>
        emit({ type: 'state', side: 'client', conn: s.conn, state: s.state, at: at() }),
      );
      client.on('pong', ({ conn, seq }) => emit({ type: 'pong', side: 'client', conn, seq, at: at() }));
      client.on('death', (d) =>
        emit({ type: 'death', side: 'client', conn: d.conn, reason: d.reason, at: at() }),
      );
      client.on('reconnect', ({ attempt, delay, after }) =>
        emit({ type: 'reconnect', side: 'client', attempt, delay, reason: after, at: at() }),
      );
      client.start();
      // The reference subject's business traffic: one message of `bytes` every `every` ms.
      const business = config.business;
      let businessTimer: TimerHandle | undefined;
      if (business !== undefined) {
        const payload = businessPayload(business.bytes);
        businessTimer = runtime.setInterval(() => client.send(payload), business.every);
      }
      return {
        onEvent,
        close: () => {
          runtime.clearInterval(businessTimer);
          businessTimer = undefined;
          return client.stop();
        },
      };
    },
  };
}

/** β_n = b·mⁿ with the scenario's numbers, for the backoff variants. */
export function nominal(settings: ReferenceConfig['backoff'], attempt: number): number {
  return settings.base * settings.multiplier ** attempt;
}
