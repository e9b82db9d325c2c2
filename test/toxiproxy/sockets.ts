/** Plain node:net echo servers and clients for real-network tests, made through a Runtime. */
import type { Server, Socket } from 'node:net';
import type { Runtime } from '../../impl/runtime.ts';

export interface EchoServer {
  readonly port: number;
  /** Bytes received so far, over all connections. */
  received(): number;
  readonly sockets: Socket[];
  close(): Promise<void>;
}

/** An echo server on the runtime's host; `echo: false` only counts what arrives. */
export async function echoServer(runtime: Runtime, options: { echo?: boolean } = {}): Promise<EchoServer> {
  const sockets: Socket[] = [];
  let received = 0;
  const server: Server = runtime.net.createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (options.echo !== false) socket.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, 'server', resolve);
  });
  return {
    port: (server.address() as { port: number }).port,
    received: () => received,
    sockets,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Connects and resolves once connected; rejects with the socket error (ECONNREFUSED, …). */
export function connect(runtime: Runtime, port: number, host = 'server'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = runtime.net.createConnection({ host, port });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** Resolves with the event's arguments, or rejects after `timeoutMs` real ms naming the event. */
export function nextEvent<T extends unknown[] = unknown[]>(
  emitter: NodeJS.EventEmitter,
  event: string,
  timeoutMs: number,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, onEvent);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    function onEvent(...args: unknown[]) {
      clearTimeout(timer);
      resolve(args as T);
    }
    emitter.once(event, onEvent);
  });
}

/** Whether `event` happens within `ms` real ms (it stays unhandled-safe either way). */
export async function happensWithin(
  emitter: NodeJS.EventEmitter,
  event: string,
  ms: number,
): Promise<boolean> {
  return nextEvent(emitter, event, ms).then(
    () => true,
    () => false,
  );
}

/** Writes `payload` and resolves with the real ms until as many bytes came back. */
export function roundTrip(socket: Socket, payload = 'ping'): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    let got = 0;
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got >= Buffer.byteLength(payload)) {
        socket.off('data', onData);
        resolve(performance.now() - start);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(payload);
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
