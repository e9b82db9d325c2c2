/**
 * Observation at the Runtime boundary. Wraps a Runtime's `net` so every socket a subject creates or
 * accepts is watched — open, bytes each way, FIN, RST, close, error, and the subject's own
 * end()/destroy() calls — without changing what the subject sees: listeners are never added (that
 * would switch a paused stream to flowing), `emit` and the closing methods are wrapped instead. This
 * works for code that was never written for flatline, on either backend.
 *
 * Subject events (deaths, states, pongs…) name connections in the subject's own words (`c#1`). The
 * recorder ties such an id to the socket it watched, so metrics can pair a death with its socket
 * without guessing by time: an id is learned the first time the subject reports it while one of that
 * host's sockets is dispatching an event (the reference client reports `connected` inside the
 * socket's 'connect', the server reports `connection` inside its listener's 'connection'), and every
 * later event with that id resolves to the same socket.
 */
import type { Socket } from 'node:net';
import type { NetModule, Runtime } from '../../impl/runtime.ts';
import type { SubjectEvent } from '../backend.ts';
import type { Side } from '../result.ts';

export type ObservedKind =
  | 'dial'
  | 'accept'
  | 'connect'
  | 'data-in'
  | 'data-out'
  | 'end'
  | 'error'
  | 'timeout'
  | 'close'
  | 'local-end'
  | 'local-destroy'
  | 'local-reset'
  | 'subject';

export interface ObservedEvent {
  /** Position in the recording (events are in the order they happened). */
  seq: number;
  t: number;
  side: Side;
  host: string;
  /** `<host>#<n>`: the socket this event is about; for a subject event, the socket it resolved to, if any. */
  conn: string | undefined;
  kind: ObservedKind;
  bytes?: number;
  code?: string;
  event?: SubjectEvent;
}

export interface ObservedConnection {
  conn: string;
  side: Side;
  host: string;
  how: 'dial' | 'accept';
  /** Dial or accept instant. */
  opened: number;
  /** Established: 'connect' for a dial, the accept itself for an accepted socket. */
  connected?: number;
  /** First instant this side learned the connection was over (close, error, its own end/destroy). */
  ended?: number;
  closed?: number;
  localAddress?: string;
  localPort?: number;
  remoteAddress?: string;
  remotePort?: number;
  bytesIn: number;
  bytesOut: number;
  writesOut: number;
}

/** The addresses of a mirrored connection, as its own process sees them. */
export interface MirrorAddresses {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

/** A mirrored connection: its id, and how its observer records what the process did or met. */
export interface MirroredConnection {
  readonly conn: string;
  record(kind: Exclude<ObservedKind, 'dial' | 'accept' | 'subject'>, extra?: Partial<ObservedEvent>): void;
}

/** `127.0.0.1:5000` or `[::1]:5000` → its port, or undefined. */
function portOf(address: unknown): number | undefined {
  if (typeof address !== 'string') return undefined;
  const m = /:(\d{1,5})$/.exec(address);
  return m ? Number(m[1]) : undefined;
}

export class Recorder {
  readonly events: ObservedEvent[] = [];
  readonly connections = new Map<string, ObservedConnection>();
  /** Index in `events` from which everything belongs to teardown (undefined while the run goes on). */
  teardownFrom: number | undefined;
  private readonly counters = new Map<string, number>();
  private readonly sockets = new Map<string, Socket>();
  private readonly socketIds = new WeakMap<Socket, string>();
  /** `<host>|<subject conn id>` → socket id. */
  private readonly subjectIds = new Map<string, string>();
  /** Sockets of processes that died: whatever they still do is not the subject's doing. */
  private readonly silenced = new Set<string>();
  /**
   * Subject events naming a connection by address (`local`/`peer`) that no connection had yet: the
   * program's own report can overtake the relay's, and the connection claims them when it appears.
   */
  private readonly pendingByAddress: {
    host: string;
    port: number;
    which: 'local' | 'peer';
    events: ObservedEvent[];
    key?: string;
  }[] = [];
  /** Sockets whose event is being dispatched right now (innermost last). */
  private readonly dispatching: { host: string; conn: string }[] = [];

  constructor(private readonly now: () => number) {}

  /** A Runtime identical to `runtime` except that its sockets are observed. */
  observe(runtime: Runtime, side: Side, host: string): Runtime {
    return { ...runtime, net: this.observeNet(runtime.net, side, host) };
  }

  /**
   * Records an event a subject chose to report (state change, death with reason…). A subject that
   * cannot name its connections in the recorder's terms (a library's ids mean nothing here) may hand
   * the socket itself as `event.socket`; a death with neither, on a host with exactly one open socket,
   * is that socket's (one connection per client host is the common case, and nothing else fits).
   */
  subjectEvent(side: Side, host: string, event: SubjectEvent): void {
    const { socket, ...rest } = event as SubjectEvent & { socket?: unknown };
    const bySocket = socket === undefined ? undefined : this.socketIds.get(socket as Socket);
    const byAddress = this.byAddress(host, event);
    const conn =
      bySocket ??
      byAddress?.conn ??
      this.resolve(host, event.conn) ??
      (event.type === 'death' && !byAddress ? this.onlyOpen(host) : undefined);
    this.push({ t: this.now(), side, host, conn, kind: 'subject', event: rest as SubjectEvent });
    if (byAddress && conn === undefined) {
      const pending = this.pendingByAddress.find(
        (p) => p.host === host && p.port === byAddress.port && p.which === byAddress.which,
      );
      const e = this.events[this.events.length - 1]!;
      const key = event.conn === undefined ? undefined : `${host}|${event.conn}`;
      if (pending) pending.events.push(e);
      else
        this.pendingByAddress.push({
          host,
          port: byAddress.port,
          which: byAddress.which,
          events: [e],
          ...(key ? { key } : {}),
        });
    }
  }

  /**
   * The connection an event names by address: `local` is the address of the program's own end,
   * `peer` the other end's, as the program sees them (what a program that cannot name our sockets can
   * always tell). Undefined when the event names none; `conn` undefined when none matches yet.
   */
  private byAddress(
    host: string,
    event: SubjectEvent,
  ): { conn: string | undefined; port: number; which: 'local' | 'peer' } | undefined {
    const local = portOf(event.local);
    const peer = portOf(event.peer);
    if (local === undefined && peer === undefined) return undefined;
    const which = local !== undefined ? 'local' : 'peer';
    const port = (local ?? peer)!;
    let found: ObservedConnection | undefined;
    for (const c of this.connections.values()) {
      if (c.host !== host) continue;
      if ((which === 'local' ? c.localPort : c.remotePort) === port) found = c;
    }
    if (found && event.conn !== undefined) this.subjectIds.set(`${host}|${event.conn}`, found.conn);
    return { conn: found?.conn, port, which };
  }

  /** A new mirrored connection takes the events that named it before it was seen. */
  private claimPending(host: string, record: ObservedConnection): void {
    for (let i = this.pendingByAddress.length - 1; i >= 0; i--) {
      const p = this.pendingByAddress[i]!;
      const port = p.which === 'local' ? record.localPort : record.remotePort;
      if (p.host !== host || p.port !== port) continue;
      for (const e of p.events) e.conn = record.conn;
      if (p.key) this.subjectIds.set(p.key, record.conn);
      this.pendingByAddress.splice(i, 1);
    }
  }

  private onlyOpen(host: string): string | undefined {
    const open = [...this.connections.values()].filter(
      (c) => c.host === host && c.closed === undefined && !this.silenced.has(c.conn),
    );
    return open.length === 1 ? open[0]!.conn : undefined;
  }

  /**
   * Moves the origin `ms` later: what happened before the new origin happened at 0 (external
   * programs' start-up, before the scenario begins).
   */
  shift(ms: number): void {
    const at = (t: number): number => Math.max(0, t - ms);
    for (const e of this.events) e.t = at(e.t);
    for (const c of this.connections.values()) {
      c.opened = at(c.opened);
      if (c.connected !== undefined) c.connected = at(c.connected);
      if (c.ended !== undefined) c.ended = at(c.ended);
      if (c.closed !== undefined) c.closed = at(c.closed);
    }
  }

  /** Marks the start of teardown: what follows is the harness closing things, not the run. */
  markTeardown(): void {
    this.teardownFrom ??= this.events.length;
  }

  /** Events of the run proper (before teardown). */
  runEvents(): ObservedEvent[] {
    return this.teardownFrom === undefined ? this.events : this.events.slice(0, this.teardownFrom);
  }

  /** The socket id a subject's connection id resolved to, if known. */
  socketOf(host: string, subjectConn: string): string | undefined {
    return this.subjectIds.get(`${host}|${subjectConn}`);
  }

  /** Sockets of `host` not yet closed (for a crash that closes them the way an OS would). */
  openSockets(host: string): Socket[] {
    const out: Socket[] = [];
    for (const [id, socket] of this.sockets) {
      const c = this.connections.get(id);
      if (c?.host === host && c.closed === undefined && !socket.destroyed) out.push(socket);
    }
    return out;
  }

  /**
   * The process on `host` died: its sockets are no longer observed (the harness may still close them
   * the way the OS would) and their open ones are returned.
   */
  processDied(host: string): Socket[] {
    const open = this.openSockets(host);
    for (const c of this.connections.values()) if (c.host === host) this.silenced.add(c.conn);
    for (const [id] of this.sockets) if (this.silenced.has(id)) this.sockets.delete(id);
    return open;
  }

  private resolve(host: string, subjectConn: string | undefined): string | undefined {
    const key = subjectConn === undefined ? undefined : `${host}|${subjectConn}`;
    const known = key === undefined ? undefined : this.subjectIds.get(key);
    if (known) return known;
    for (let i = this.dispatching.length - 1; i >= 0; i--) {
      const d = this.dispatching[i]!;
      if (d.host !== host) continue;
      if (key !== undefined) this.subjectIds.set(key, d.conn);
      return d.conn;
    }
    return undefined;
  }

  private push(e: Omit<ObservedEvent, 'seq'>): void {
    this.events.push({ seq: this.events.length, ...e });
  }

  private dispatch<T>(host: string, conn: string, fn: () => T): T {
    this.dispatching.push({ host, conn });
    try {
      return fn();
    } finally {
      this.dispatching.pop();
    }
  }

  private observeNet(net: NetModule, side: Side, host: string): NetModule {
    const createConnection = ((...args: unknown[]) => {
      const socket = (net.createConnection as (...a: unknown[]) => Socket)(...args);
      this.watch(socket, side, host, 'dial');
      return socket;
    }) as NetModule['createConnection'];
    const createServer = ((...args: unknown[]) => {
      const server = (net.createServer as (...a: unknown[]) => ReturnType<NetModule['createServer']>)(
        ...args,
      );
      const emit = server.emit;
      const recorder = this;
      // The socket is watched before any listener of the subject sees it, and the subject's reaction
      // to the accept runs with that socket as the one being dispatched.
      server.emit = function observedServerEmit(
        this: unknown,
        event: string | symbol,
        ...rest: unknown[]
      ): boolean {
        if (event !== 'connection') return (emit as (...a: unknown[]) => boolean).call(this, event, ...rest);
        const socket = rest[0] as Socket;
        const conn = recorder.watch(socket, side, host, 'accept');
        return recorder.dispatch(host, conn, () =>
          (emit as (...a: unknown[]) => boolean).call(this, event, ...rest),
        );
      } as typeof server.emit;
      return server;
    }) as NetModule['createServer'];
    return { ...net, createConnection, connect: createConnection, createServer };
  }

  private nextId(host: string): string {
    const n = (this.counters.get(host) ?? 0) + 1;
    this.counters.set(host, n);
    return `${host}#${n}`;
  }

  /** A new connection record and the function that records its events. */
  private track(
    side: Side,
    host: string,
    how: 'dial' | 'accept',
  ): {
    conn: string;
    record: ObservedConnection;
    push: (kind: ObservedKind, extra?: Partial<ObservedEvent>) => void;
  } {
    const conn = this.nextId(host);
    const now = this.now();
    const record: ObservedConnection = {
      conn,
      side,
      host,
      how,
      opened: now,
      bytesIn: 0,
      bytesOut: 0,
      writesOut: 0,
    };
    if (how === 'accept') record.connected = now;
    this.connections.set(conn, record);
    const push = (kind: ObservedKind, extra: Partial<ObservedEvent> = {}): void => {
      if (this.silenced.has(conn)) return;
      const t = this.now();
      this.push({ t, side, host, conn, kind, ...extra });
      if (kind === 'close') {
        record.closed ??= t;
        this.sockets.delete(conn);
      }
      if (kind === 'close' || kind === 'error' || kind.startsWith('local-')) record.ended ??= t;
      if (kind === 'connect') record.connected ??= t;
      if (kind === 'data-in') record.bytesIn += extra.bytes ?? 0;
    };
    return { conn, record, push };
  }

  /**
   * A connection of a process flatline cannot reach inside (an external program), observed from the
   * outside by a relay next to it (harness/external/tap.ts). The relay reports what it sees in the
   * subject's terms — the program dialled, sent n bytes, sent a FIN — and the connection is then
   * recorded exactly like a watched socket, so the metrics need not know the difference.
   */
  mirror(side: Side, host: string, how: 'dial' | 'accept', addresses: MirrorAddresses): MirroredConnection {
    const { conn, record, push } = this.track(side, host, how);
    Object.assign(record, addresses);
    push(how);
    this.claimPending(host, record);
    return {
      conn,
      record(kind, extra = {}) {
        if (kind === 'data-out') {
          record.bytesOut += extra.bytes ?? 0;
          record.writesOut += 1;
        }
        push(kind, extra);
      },
    };
  }

  private watch(socket: Socket, side: Side, host: string, how: 'dial' | 'accept'): string {
    const seen = this.socketIds.get(socket);
    if (seen) return seen;
    const { conn, record, push } = this.track(side, host, how);
    this.socketIds.set(socket, conn);
    this.sockets.set(conn, socket);
    const recorder = this;
    const addresses = (): void => {
      record.localAddress ??= socket.localAddress;
      record.localPort ??= socket.localPort;
      record.remoteAddress ??= socket.remoteAddress;
      record.remotePort ??= socket.remotePort;
    };
    push(how);
    if (how === 'accept') addresses();

    const emit = socket.emit;
    socket.emit = function observedEmit(this: Socket, event: string | symbol, ...args: unknown[]): boolean {
      switch (event) {
        case 'connect':
          addresses();
          push('connect');
          break;
        case 'data':
          push('data-in', { bytes: (args[0] as { length: number }).length });
          break;
        case 'end':
          push('end');
          break;
        case 'timeout':
          push('timeout');
          break;
        case 'error':
          push('error', { code: (args[0] as NodeJS.ErrnoException | undefined)?.code ?? 'ERR' });
          break;
        case 'close':
          push('close');
          break;
      }
      return recorder.dispatch(host, conn, () =>
        (emit as (...a: unknown[]) => boolean).call(this, event, ...args),
      );
    } as Socket['emit'];

    /** Bytes of a chunk as write() and end() take it; undefined when the argument is not one. */
    const sizeOf = (chunk: unknown, encoding: unknown): number | undefined => {
      if (typeof chunk === 'string') {
        return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      }
      return chunk instanceof Uint8Array ? chunk.byteLength : undefined;
    };
    const wrote = (bytes: number): void => {
      record.bytesOut += bytes;
      record.writesOut += 1;
      push('data-out', { bytes });
    };
    const write = socket.write;
    socket.write = function observedWrite(this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
      wrote(sizeOf(chunk, rest[0]) ?? 0);
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Socket['write'];

    const wrapClose = (method: 'end' | 'destroy' | 'resetAndDestroy', kind: ObservedKind): void => {
      const original = socket[method] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof original !== 'function') return;
      let seenClose = false;
      (socket as unknown as Record<string, unknown>)[method] = function observedClose(
        this: Socket,
        ...args: unknown[]
      ) {
        // The stream destroys itself with the error it met (an RST, a refused connect): that is
        // the 'error' that follows, not this side closing.
        const internal = method === 'destroy' && args[0] instanceof Error;
        // end(chunk) writes its last chunk without going through write().
        const last =
          method === 'end' && !socket.destroyed && socket.writable ? sizeOf(args[0], args[1]) : undefined;
        if (last !== undefined) wrote(last);
        if (!seenClose && !socket.destroyed && !internal) {
          seenClose = true;
          push(kind);
        }
        return original.apply(this, args);
      };
    };
    wrapClose('end', 'local-end');
    wrapClose('destroy', 'local-destroy');
    wrapClose('resetAndDestroy', 'local-reset');
    return conn;
  }
}
