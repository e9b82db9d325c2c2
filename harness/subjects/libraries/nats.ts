/**
 * NATS: the nats.js 2 client, unmodified, against a small NATS server written here (INFO, CONNECT,
 * PING/PONG, SUB/PUB/UNSUB, MSG: the part of the protocol a client's heartbeat touches) that also
 * pings like nats-server does. Their heartbeats, read from nats.js's heartbeats.js and nats-server's
 * documented ping_interval / ping_max:
 * - the client runs a fixed-rate timer of pingInterval P: at each tick with fewer than maxPingOut
 *   PINGs outstanding it sends one, and a tick that finds maxPingOut outstanding declares the
 *   connection stale and disconnects; any PONG clears them all. It reconnects every
 *   reconnectTimeWait (± jitter).
 * - the server sends a PING every serverPingInterval and closes a client with serverMaxPingOut
 *   outstanding ("Stale Connection").
 * BOUNDS.md ("Library subjects") gives the detection bounds this implies.
 */
import type { Server as NetServer, Socket } from 'node:net';
import { z } from 'zod';
import type { Address, ServerHandle, Subject, SubjectHandle } from '../../backend.ts';
import { duration } from '../../scenario/fields.ts';
import { EventRelay, listenOn, loadLibrary } from './common.ts';

export const natsConfigSchema = z.strictObject({
  pingInterval: duration('nats.js pingInterval P (default 2m)').default(120_000),
  maxPingOut: z.number().int().min(1).default(2).meta({ description: 'nats.js maxPingOut (default 2)' }),
  reconnectTimeWait: duration('nats.js reconnectTimeWait (default 2s)').default(2000),
  serverPingInterval: duration('server ping_interval (nats-server default 2m)').default(120_000),
  serverMaxPingOut: z.number().int().min(1).default(2).meta({ description: 'server ping_max (default 2)' }),
});
export type NatsConfig = z.output<typeof natsConfigSchema>;

type Nats = typeof import('nats');

const INFO = JSON.stringify({
  server_id: 'FLATLINE',
  server_name: 'flatline',
  version: '2.10.0',
  proto: 1,
  headers: true,
  max_payload: 1_048_576,
});

/** One client connection of the small server: the protocol lines a heartbeat needs. */
function serve(socket: Socket, config: NatsConfig, died: (reason: string) => void): void {
  let buffer = '';
  let outstanding = 0;
  const subs = new Map<string, string>();
  const send = (line: string) => {
    if (!socket.destroyed) socket.write(`${line}\r\n`);
  };
  const pinger = setInterval(() => {
    if (outstanding >= config.serverMaxPingOut) {
      clearInterval(pinger);
      died('heartbeat-timeout');
      send("-ERR 'Stale Connection'");
      socket.destroy();
      return;
    }
    outstanding++;
    send('PING');
  }, config.serverPingInterval);
  socket.on('close', () => clearInterval(pinger));
  socket.on('error', () => {});
  send(`INFO ${INFO}`);
  socket.on('data', (chunk) => {
    buffer += chunk.toString('latin1');
    for (let i = buffer.indexOf('\r\n'); i >= 0; i = buffer.indexOf('\r\n')) {
      const line = buffer.slice(0, i);
      const [op = '', ...args] = line.split(' ');
      if (op.toUpperCase() === 'PUB') {
        const size = Number(args.at(-1));
        if (buffer.length < i + 2 + size + 2) return;
        const payload = buffer.slice(i + 2, i + 2 + size);
        buffer = buffer.slice(i + 2 + size + 2);
        const sid = subs.get(args[0]!);
        if (sid !== undefined) send(`MSG ${args[0]} ${sid} ${size}\r\n${payload}`);
        continue;
      }
      buffer = buffer.slice(i + 2);
      switch (op.toUpperCase()) {
        case 'PING':
          send('PONG');
          break;
        case 'PONG':
          outstanding = 0;
          break;
        case 'SUB':
          subs.set(args[0]!, args.at(-1)!);
          break;
        default:
          break;
      }
    }
  });
}

export const natsSubject: Subject<NatsConfig> = {
  name: 'nats',
  usesNode: true,
  async startServer(_runtime, address, config): Promise<ServerHandle> {
    const net = await import('node:net');
    const relay = new EventRelay();
    const server: NetServer = net.createServer((socket) => {
      relay.emit({ type: 'connection', side: 'server' });
      serve(socket, config, (reason) => relay.emit({ type: 'death', side: 'server', reason, socket }));
    });
    const bound = await listenOn(server, address);
    return {
      address: bound,
      onEvent: relay.onEvent,
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  },
  async startClient(_runtime, target: Address, config): Promise<SubjectHandle> {
    const nats = await loadLibrary<Nats>('nats', 'nats');
    const relay = new EventRelay();
    let closing = false;
    // Connecting takes (virtual) time: the handle is back at once, the connection follows.
    const connected = nats.connect({
      servers: `${target.host}:${target.port}`,
      pingInterval: config.pingInterval,
      maxPingOut: config.maxPingOut,
      reconnectTimeWait: config.reconnectTimeWait,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: true,
    });
    void connected.then(
      async (nc) => {
        relay.emit({ type: 'ready', side: 'client' });
        for await (const s of nc.status()) {
          if (closing) return;
          if (s.type === 'pingTimer' && Number(s.data) > config.maxPingOut) {
            // The status arrives a tick after the socket closed: name the socket (nats.js keeps it on
            // its transport) so the death is tied to it, not guessed.
            const socket = (nc as unknown as { protocol?: { transport?: { socket?: unknown } } }).protocol
              ?.transport?.socket;
            relay.emit({ type: 'death', side: 'client', reason: 'heartbeat-timeout', socket });
          } else if (s.type === 'reconnect') relay.emit({ type: 'ready', side: 'client' });
          else if (s.type === 'reconnecting') relay.emit({ type: 'reconnect', side: 'client' });
        }
      },
      () => {},
    );
    return {
      onEvent: relay.onEvent,
      close: async () => {
        closing = true;
        const nc = await Promise.race([connected, Promise.resolve(undefined)]).catch(() => undefined);
        await nc?.close();
      },
    };
  },
};
