/**
 * A template for testing YOUR heartbeat with flatline: a minimal line-based ping/pong client and
 * server, written straight against the Runtime's `net` (no impl/, no harness code). Run it with
 *
 *   npx flatline run examples/my-subject.yaml --subject examples/my-subject.ts
 *
 * The protocol: the client sends `PING <n>\n` every `interval` ms; the server answers `PONG <n>\n`.
 * A client that hears no pong for `timeout` ms after a ping destroys the connection and dials again
 * after `retryDelay` ms; a server that hears no ping for `serverTimeout` ms drops the client.
 *
 * Three rules make a subject testable on both backends:
 * 1. Every timer goes through `runtime.setTimeout` / `setInterval` (never the globals), and sockets
 *    through `runtime.net`: on the simulator they run on virtual time, so an hour takes milliseconds
 *    and the same seed replays the same run.
 * 2. `close()` leaves nothing behind: no timer, no socket, no listener. The simulator checks.
 * 3. Nothing needs to be reported: flatline watches the sockets, so a connection this code destroys
 *    is seen as a detection (reason `closed`; the peer sees `fin`). Implementing `onEvent` (see
 *    harness/backend.ts SubjectEvent) and emitting `{ type: 'death', reason: 'heartbeat-timeout' }`
 *    would only sharpen the reason.
 */
import type { Socket } from 'node:net';
import type { Address, ServerHandle, Subject, SubjectHandle } from '../harness/backend.ts';
import type { Runtime, TimerHandle } from '../impl/runtime.ts';

/** The scenario's `config:` block, handed over as written (so plain numbers, in ms). */
export interface PingPongConfig {
  interval: number;
  timeout: number;
  serverTimeout: number;
  retryDelay: number;
}

const DEFAULTS: PingPongConfig = { interval: 1000, timeout: 3000, serverTimeout: 10_000, retryDelay: 500 };

/** Fills in defaults and rejects what would make a silent mess (a string "5s", a negative wait). */
function configFrom(raw: Record<string, unknown> | undefined): PingPongConfig {
  const config = { ...DEFAULTS, ...raw } as Record<string, unknown>;
  for (const key of Object.keys(DEFAULTS)) {
    const value = config[key];
    if (typeof value !== 'number' || !(value > 0)) {
      throw new Error(
        `my-subject: config.${key} must be a positive number of ms, got ${JSON.stringify(value)}`,
      );
    }
  }
  return config as unknown as PingPongConfig;
}

/** Calls `onLine` for every complete `\n`-terminated line: TCP may split or merge writes. */
function onLines(socket: Socket, onLine: (line: string) => void): void {
  let buffered = '';
  socket.on('data', (chunk: Buffer | string) => {
    buffered += chunk.toString();
    for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
      onLine(buffered.slice(0, i));
      buffered = buffered.slice(i + 1);
    }
  });
}

async function startServer(
  runtime: Runtime,
  address: Address,
  raw: Record<string, unknown>,
): Promise<ServerHandle> {
  const config = configFrom(raw);
  const sockets = new Set<Socket>();
  const server = runtime.net.createServer((socket) => {
    sockets.add(socket);
    let silence: TimerHandle | undefined;
    const expectPing = () => {
      runtime.clearTimeout(silence);
      silence = runtime.setTimeout(() => socket.destroy(), config.serverTimeout);
    };
    expectPing();
    onLines(socket, (line) => {
      if (!line.startsWith('PING ')) return;
      expectPing();
      socket.write(`PONG ${line.slice(5)}\n`);
    });
    // An error is always followed by 'close', which cleans up.
    socket.on('error', () => {});
    socket.on('close', () => {
      runtime.clearTimeout(silence);
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => resolve());
  });
  const { port } = server.address() as { port: number };
  return {
    address: { host: address.host, port },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

async function startClient(
  runtime: Runtime,
  target: Address,
  raw: Record<string, unknown>,
): Promise<SubjectHandle> {
  const config = configFrom(raw);
  let stopped = false;
  let current: Socket | undefined;
  let redial: TimerHandle | undefined;

  const dial = () => {
    const socket = runtime.net.createConnection({ host: target.host, port: target.port });
    current = socket;
    let seq = 0;
    let ticker: TimerHandle | undefined;
    // Armed by a ping while none is pending, disarmed by any pong: silence for `timeout` is death.
    let deadline: TimerHandle | undefined;
    socket.on('connect', () => {
      ticker = runtime.setInterval(() => {
        socket.write(`PING ${++seq}\n`);
        deadline ??= runtime.setTimeout(() => socket.destroy(), config.timeout);
      }, config.interval);
    });
    onLines(socket, (line) => {
      if (!line.startsWith('PONG ')) return;
      runtime.clearTimeout(deadline);
      deadline = undefined;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      runtime.clearInterval(ticker);
      runtime.clearTimeout(deadline);
      if (current === socket) current = undefined;
      if (!stopped) redial = runtime.setTimeout(dial, config.retryDelay);
    });
  };
  dial();

  return {
    close: () => {
      stopped = true;
      runtime.clearTimeout(redial);
      const socket = current;
      if (!socket || socket.destroyed) return Promise.resolve();
      // destroy, not end: behind a black hole a FIN handshake would never finish.
      return new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      });
    },
  };
}

export const subject: Subject<Record<string, unknown>> = { name: 'my-subject', startServer, startClient };
export default subject;
