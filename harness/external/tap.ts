/**
 * Observation without cooperation: a transparent TCP relay right next to an external program, on
 * loopback, that sees every connection of that program from the outside — when it opened, each byte
 * each way, and how each end closed it (FIN or RST) — and records it in the program's own terms as
 * a mirrored connection (Recorder.mirror). A client's tap sits between the client and the proxy, a
 * server's between the proxy and the server, so "who closed first" is never ambiguous.
 *
 * The relay is faithful in what a heartbeat can notice: bytes are passed on as they come (no
 * buffering beyond Node's), a FIN is passed on as a FIN (half-close kept) and an RST as an RST
 * (resetAndDestroy). What it cannot mirror: the kernel completes a client's handshake with the tap
 * before the tap can ask upstream, so a connection upstream refuses reaches the client as an RST just
 * after connect, not as a refusal. `setListening(false)` closes the listener, so a disabled proxy
 * behind a tap is refused as it would be without one.
 */
import type * as net from 'node:net';
import type { Address } from '../backend.ts';
import type { Recorder } from '../observe/recorder.ts';
import { harnessServers, realNet } from '../process/originals.ts';
import type { Side } from '../result.ts';

export interface TapOptions {
  recorder: Recorder;
  side: Side;
  /** The flatline host of the program (client-2, server). */
  host: string;
  /** Which end of the relay the program is on: it dials the tap (client) or the tap dials it (server). */
  program: 'dials' | 'accepts';
  /** Where the tap forwards to. */
  upstream: Address;
  /** Port to listen on (0: any free one). */
  port?: number;
}

export interface Tap {
  /** Where the tap listens. */
  readonly listen: Address;
  /** Opens or closes the listener; a closed one refuses new connections (existing ones go on). */
  setListening(on: boolean): Promise<void>;
  /** Ends every relayed connection with an RST on both sides (a proxy that was removed). */
  resetAll(): void;
  /** Closes the listener and destroys every relayed connection. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

/** One relayed connection: `near` is the tap's end of the program's connection, `far` the other leg. */
function relay(o: TapOptions, near: net.Socket, live: Set<net.Socket>): void {
  const far = realNet.createConnection({ host: o.upstream.host, port: o.upstream.port, allowHalfOpen: true });
  live.add(near);
  live.add(far);
  near.pause();
  let mirror: ReturnType<Recorder['mirror']> | undefined;
  const program = o.program === 'dials' ? near : far;
  const other = o.program === 'dials' ? far : near;

  const open = (): void => {
    // The program's addresses as it sees them: a dialling program's local end is the tap's peer; an
    // accepting program's peer is the tap's local end.
    mirror =
      o.program === 'dials'
        ? o.recorder.mirror(o.side, o.host, 'dial', {
            localAddress: near.remoteAddress ?? HOST,
            localPort: near.remotePort ?? 0,
            remoteAddress: near.localAddress ?? HOST,
            remotePort: near.localPort ?? 0,
          })
        : o.recorder.mirror(o.side, o.host, 'accept', {
            localAddress: far.remoteAddress ?? HOST,
            localPort: far.remotePort ?? 0,
            remoteAddress: far.localAddress ?? HOST,
            remotePort: far.localPort ?? 0,
          });
    if (o.program === 'dials') mirror.record('connect');
  };
  if (o.program === 'dials') open();

  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    live.delete(near);
    live.delete(far);
    mirror?.record('close');
  };

  far.once('connect', () => {
    if (o.program === 'accepts') open();
    near.resume();
  });
  near.on('data', (chunk: Buffer) => {
    if (o.program === 'dials') mirror?.record('data-out', { bytes: chunk.length });
    else mirror?.record('data-in', { bytes: chunk.length });
    if (!far.write(chunk)) near.pause();
  });
  far.on('data', (chunk: Buffer) => {
    if (o.program === 'dials') mirror?.record('data-in', { bytes: chunk.length });
    else mirror?.record('data-out', { bytes: chunk.length });
    if (!near.write(chunk)) far.pause();
  });
  near.on('drain', () => far.resume());
  far.on('drain', () => near.resume());

  // A FIN from one end goes on as a FIN: the program sent it (local-end) or is about to receive it.
  program.on('end', () => {
    mirror?.record('local-end');
    other.end();
  });
  other.on('end', () => {
    mirror?.record('end');
    program.end();
  });
  // An RST goes on as an RST. A connect refused upstream becomes an RST to the dialling program.
  program.on('error', (err: NodeJS.ErrnoException) => {
    mirror?.record('local-reset', { code: err.code ?? 'ERR' });
    other.resetAndDestroy();
  });
  other.on('error', (err: NodeJS.ErrnoException) => {
    if (mirror)
      mirror.record('error', { code: err.code === 'ECONNREFUSED' ? 'ECONNRESET' : (err.code ?? 'ERR') });
    if (!program.destroyed) program.resetAndDestroy();
  });
  // Both halves closed: the connection is over for the program.
  let halves = 0;
  const half = (): void => {
    halves += 1;
    if (halves === 2) finish();
  };
  near.once('close', half);
  far.once('close', half);
}

export async function openTap(o: TapOptions): Promise<Tap> {
  const live = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = o.port ?? 0;
  const listen = async (): Promise<void> => {
    const s = realNet.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (near) =>
      relay(o, near, live),
    );
    harnessServers.add(s);
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen({ host: HOST, port, exclusive: true }, () => {
        s.off('error', reject);
        resolve();
      });
    });
    port = (s.address() as net.AddressInfo).port;
    server = s;
  };
  /** Stops listening at once; resolves when the relayed connections are over too. */
  const unlisten = (): Promise<void> => {
    const s = server;
    server = undefined;
    return s ? new Promise<void>((resolve) => s.close(() => resolve())) : Promise.resolve();
  };
  await listen();
  return {
    get listen() {
      return { host: HOST, port };
    },
    async setListening(on) {
      if (on && !server) await listen();
      // The listener closes at once; connections already relayed go on (the proxy decides their fate).
      if (!on) void unlisten();
    },
    resetAll() {
      for (const socket of [...live]) if (!socket.destroyed) socket.resetAndDestroy();
    },
    async close() {
      const closing = unlisten();
      for (const socket of [...live]) socket.destroy();
      live.clear();
      await closing;
    },
  };
}
