/**
 * The socket-independent part of a proxy (Toxiproxy `proxy.go` minus the listener): the accept
 * loop that dials upstream for each client, the connection list, the toxic collection, and the API
 * operations.
 *
 * An API call settles at the instant it is made: it fails only for invalid input, and the toxic list
 * and new connections reflect it at once. Open connections get the change as soon as the stage it
 * must interrupt is free — normally the same instant; later if that stage is busy (a reset_peer
 * asleep, a toxic blocked on a full downstream). Toxiproxy blocks the HTTP call until then (503
 * after 25 s); the sim returns at once, since a caller awaiting it could not advance virtual time.
 */
import type { Stream, Toxic, ToxicPatch } from '../../toxics/vocabulary.ts';
import { type Change, ToxicCollection } from './collection.ts';
import { type CloseHow, Conn, type Transport } from './conn.ts';
import { Chan, type Gen, recv, Scheduler, type TimerApi } from './csp.ts';
import { ToxicLink } from './link.ts';
import type { PipeEnv } from './stub.ts';

export type TraceFields = Record<string, string | number | boolean | null | undefined>;

export interface CoreEnv {
  timers: TimerApi;
  random(): number;
  trace(kind: string, fields?: TraceFields): void;
}

/** A client waiting in the accept loop, and how to reach the upstream for it. */
interface Pending {
  id: string;
  client: Conn;
  clientAddress: string;
  /** Dials the upstream; resolves to the connected Conn, or null if the dial failed. */
  dial: () => Gen<Conn | null>;
}

export interface ProxyConnection {
  id: string;
  client: Conn;
  upstream: Conn;
}

export class ProxyCore {
  readonly sched: Scheduler;
  readonly collection: ToxicCollection;
  /** Open connections by id (Toxiproxy keys them by the client's address). */
  readonly connections = new Map<string, ProxyConnection>();
  private acceptQueue: Chan<Pending> | null = null;
  private seq = 0;
  private opSeq = 0;

  constructor(
    readonly name: string,
    private readonly env: CoreEnv,
  ) {
    this.sched = new Scheduler(env.timers, (err, g) =>
      env.trace('proxy.error', { proxy: name, goroutine: g.label, error: String(err) }),
    );
    this.collection = new ToxicCollection({
      sched: this.sched,
      proxyName: name,
      trace: (kind, fields) => env.trace(kind, { proxy: name, ...flatten(fields) }),
    });
  }

  now(): number {
    return this.env.timers.now();
  }

  trace(kind: string, fields: TraceFields = {}): void {
    this.env.trace(kind, { proxy: this.name, ...fields });
  }

  /** Wraps one socket end for the pipeline. */
  conn(transport: Transport, label: string): Conn {
    return new Conn(this.sched, transport, label, (c, how, why) => this.onConnClosed(c, how, why));
  }

  /** Starts accepting: one accept loop at a time, as Toxiproxy's server goroutine. */
  startAccepting(): void {
    if (this.acceptQueue) return;
    const queue = new Chan<Pending>(Number.POSITIVE_INFINITY, `${this.name}:accept`);
    this.acceptQueue = queue;
    this.sched.go(this.acceptLoop(queue), `${this.name}:accept`);
  }

  /** Stops accepting; clients accepted but not yet dialled for are closed. */
  stopAccepting(): void {
    const queue = this.acceptQueue;
    if (!queue) return;
    this.acceptQueue = null;
    for (const p of queue.buffer) p.client.close();
    queue.discard();
    this.sched.close(queue);
  }

  /** A client connected to the listener. */
  accept(id: string, client: Conn, clientAddress: string, dial: () => Gen<Conn | null>): void {
    if (!this.acceptQueue) {
      client.close();
      return;
    }
    this.trace('proxy.accept', { conn: id, client: clientAddress });
    this.sched.offer(this.acceptQueue, { id, client, clientAddress, dial });
  }

  private *acceptLoop(queue: Chan<Pending>): Gen<void> {
    for (;;) {
      const p = yield* recv(queue);
      if (p === null) return;
      const upstream = yield* p.dial();
      if (this.acceptQueue !== queue) {
        // Disabled while dialling: nothing may stay open behind a stopped proxy.
        p.client.close();
        upstream?.close();
        return;
      }
      if (!upstream) {
        p.client.close();
        continue;
      }
      this.startLinks(p.id, p.client, upstream);
    }
  }

  private startLinks(id: string, client: Conn, upstream: Conn): void {
    this.connections.set(id, { id, client, upstream });
    for (const direction of ['upstream', 'downstream'] as Stream[]) {
      const name = `${id}:${direction}`;
      const link = new ToxicLink(name, direction, this.collection, this.linkEnv(id, direction), id);
      if (direction === 'upstream') this.collection.startLink(link, client, upstream);
      else this.collection.startLink(link, upstream, client);
    }
  }

  private linkEnv(conn: string, stream: Stream): PipeEnv {
    return {
      now: () => this.now(),
      random: () => this.env.random(),
      trace: (kind, fields) => this.trace(kind, { conn, stream, ...flatten(fields) }),
    };
  }

  /** A fresh id for a connection's client socket. */
  nextConnId(): string {
    this.seq += 1;
    return `${this.name}#${this.seq}`;
  }

  private onConnClosed(conn: Conn, how: CloseHow, why?: string): void {
    this.trace('proxy.close', { conn: conn.label, how, why });
    for (const pair of this.connections.values()) {
      if ((pair.client === conn || pair.upstream === conn) && pair.client.closed && pair.upstream.closed) {
        this.connections.delete(pair.id);
        // Both sockets are closed: nothing the remaining stages do can be seen, so stop them
        // (Toxiproxy leaves such goroutines to finish or leak; their timers would outlive the run).
        this.sched.whenIdle(() => this.retire(pair));
      }
    }
  }

  private retire(pair: ProxyConnection): void {
    for (const direction of ['upstream', 'downstream']) {
      const name = `${pair.id}:${direction}`;
      const link = this.collection.links.get(name);
      this.collection.removeLink(name);
      link?.abandon();
    }
    this.sched.kill(pair.id);
  }

  /** Closes every open connection (disable / delete). */
  closeAll(): void {
    for (const pair of [...this.connections.values()]) {
      pair.upstream.close();
      pair.client.close();
    }
  }

  /** Stops everything, leaving no timers behind. */
  dispose(): void {
    this.stopAccepting();
    this.closeAll();
    this.sched.killAll();
  }

  // --- API operations ---

  addToxic(input: unknown): Promise<Toxic> {
    return this.op('add', () => this.collection.add(input));
  }

  updateToxic(name: string, patch: ToxicPatch): Promise<Toxic> {
    return this.op('update', () => this.collection.update(name, patch));
  }

  removeToxic(name: string): Promise<void> {
    return this.op('remove', () => this.collection.remove(name));
  }

  resetToxics(): Promise<void> {
    return this.op('reset', () => this.collection.reset());
  }

  listToxics(): Toxic[] {
    return this.collection.list();
  }

  /** Commits a change to the chains, then brings the open links in line under the collection lock. */
  private op<R>(what: string, commit: () => Change<R>): Promise<R> {
    let change: Change<R>;
    try {
      change = commit();
    } catch (err) {
      return Promise.reject(err);
    }
    const id = ++this.opSeq;
    const collection = this.collection;
    const self = this;
    let pending = false;
    const g = this.sched.go(
      (function* (): Gen<void> {
        yield* collection.locked(change.work);
        if (pending) self.trace('proxy.op.done', { op: what, id });
      })(),
      `${this.name}:op:${what}#${id}`,
    );
    this.sched.whenIdle(() => {
      if (g.finished) return;
      pending = true;
      this.trace('proxy.op.pending', { op: what, id });
    });
    return Promise.resolve(change.value);
  }
}

function flatten(fields: Record<string, unknown> | undefined): TraceFields {
  const out: TraceFields = {};
  if (!fields) return out;
  for (const [k, v] of Object.entries(fields)) {
    out[k] =
      v === null ||
      v === undefined ||
      typeof v === 'string' ||
      typeof v === 'number' ||
      typeof v === 'boolean'
        ? v
        : JSON.stringify(v);
  }
  return out;
}
