/**
 * Observation at the Runtime boundary. Wraps a Runtime's `net` so every socket a subject creates or
 * accepts is watched — open, bytes each way, FIN, RST, close, error, and the subject's own
 * end()/destroy() calls — without changing what the subject sees: listeners are never added (that
 * would switch a paused stream to flowing), `emit` and the closing methods are wrapped instead. This
 * works for code that was never written for flatline, on either backend.
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
  t: number;
  side: Side;
  host: string;
  /** `<host>#<n>`: one id per socket this side holds. */
  conn: string;
  kind: ObservedKind;
  bytes?: number;
  code?: string;
  event?: SubjectEvent;
}

export interface ObservedConnection {
  conn: string;
  side: Side;
  host: string;
  opened: number;
  /** First instant this side learned the connection was over (close, error, its own end/destroy). */
  ended?: number;
  closed?: number;
  localPort?: number;
  remotePort?: number;
  bytesIn: number;
  bytesOut: number;
  writesOut: number;
}

export class Recorder {
  readonly events: ObservedEvent[] = [];
  readonly connections = new Map<string, ObservedConnection>();
  private readonly counters = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** A Runtime identical to `runtime` except that its sockets are observed. */
  observe(runtime: Runtime, side: Side, host: string): Runtime {
    return { ...runtime, net: this.observeNet(runtime.net, side, host) };
  }

  /** Records an event a subject chose to report (state change, death with reason…). */
  subjectEvent(side: Side, host: string, event: SubjectEvent): void {
    this.events.push({ t: this.now(), side, host, conn: event.conn ?? `${host}#?`, kind: 'subject', event });
  }

  private observeNet(net: NetModule, side: Side, host: string): NetModule {
    const watch = (socket: Socket, how: 'dial' | 'accept'): void => this.watch(socket, side, host, how);
    const createConnection = ((...args: unknown[]) => {
      const socket = (net.createConnection as (...a: unknown[]) => Socket)(...args);
      watch(socket, 'dial');
      return socket;
    }) as NetModule['createConnection'];
    const createServer = ((...args: unknown[]) => {
      const server = (net.createServer as (...a: unknown[]) => ReturnType<NetModule['createServer']>)(
        ...args,
      );
      // Prepended so the socket is watched before the subject's own 'connection' listener runs.
      server.prependListener('connection', (socket: Socket) => watch(socket, 'accept'));
      return server;
    }) as NetModule['createServer'];
    return { ...net, createConnection, connect: createConnection, createServer };
  }

  private nextId(host: string): string {
    const n = (this.counters.get(host) ?? 0) + 1;
    this.counters.set(host, n);
    return `${host}#${n}`;
  }

  private watch(socket: Socket, side: Side, host: string, how: 'dial' | 'accept'): void {
    const conn = this.nextId(host);
    const record: ObservedConnection = {
      conn,
      side,
      host,
      opened: this.now(),
      bytesIn: 0,
      bytesOut: 0,
      writesOut: 0,
    };
    this.connections.set(conn, record);
    const push = (kind: ObservedKind, extra: Partial<ObservedEvent> = {}): void => {
      const t = this.now();
      this.events.push({ t, side, host, conn, kind, ...extra });
      if (kind === 'close') record.closed ??= t;
      if (kind === 'close' || kind === 'error' || kind.startsWith('local-')) record.ended ??= t;
    };
    const ports = (): void => {
      record.localPort ??= socket.localPort;
      record.remotePort ??= socket.remotePort;
    };
    push(how);
    if (how === 'accept') ports();

    const emit = socket.emit;
    socket.emit = function observedEmit(this: Socket, event: string | symbol, ...args: unknown[]): boolean {
      switch (event) {
        case 'connect':
          ports();
          push('connect');
          break;
        case 'data': {
          const bytes = (args[0] as { length: number }).length;
          record.bytesIn += bytes;
          push('data-in', { bytes });
          break;
        }
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
      return (emit as (...a: unknown[]) => boolean).call(this, event, ...args);
    } as Socket['emit'];

    const write = socket.write;
    socket.write = function observedWrite(this: Socket, chunk: unknown, ...rest: unknown[]): boolean {
      const bytes =
        typeof chunk === 'string'
          ? Buffer.byteLength(chunk, typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8')
          : (chunk as Uint8Array).byteLength;
      record.bytesOut += bytes;
      record.writesOut += 1;
      push('data-out', { bytes });
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
    } as Socket['write'];

    const wrapClose = (method: 'end' | 'destroy' | 'resetAndDestroy', kind: ObservedKind): void => {
      const original = socket[method] as ((...a: unknown[]) => unknown) | undefined;
      if (typeof original !== 'function') return;
      let seen = false;
      (socket as unknown as Record<string, unknown>)[method] = function observedClose(
        this: Socket,
        ...args: unknown[]
      ) {
        if (!seen && !socket.destroyed) {
          seen = true;
          push(kind);
        }
        return original.apply(this, args);
      };
    };
    wrapClose('end', 'local-end');
    wrapClose('destroy', 'local-destroy');
    wrapClose('resetAndDestroy', 'local-reset');
  }
}
