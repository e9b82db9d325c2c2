/**
 * socket.io 4 (engine.io protocol 4), server and client, unmodified. Its heartbeat, read from
 * engine.io 6's socket.js and engine.io-client 6's socket.js:
 * - the server pings: the first ping I = pingInterval after the handshake; each pong restarts that
 *   interval, so the next ping leaves I after the pong arrives. A ping whose pong has not arrived
 *   within T = pingTimeout closes the connection ("ping timeout"); any other packet from the client
 *   while it waits extends the wait once.
 * - the client answers every ping at once and re-arms its own timer to I + T on each one: no ping for
 *   I + T closes it ("ping timeout"). Then it reconnects with its backoff (reconnectionDelay ×2ⁿ,
 *   capped at reconnectionDelayMax, ± randomizationFactor).
 * BOUNDS.md ("Library subjects") gives the detection bounds this implies.
 */
import { z } from 'zod';
import type { Address, ServerHandle, Subject, SubjectHandle } from '../../backend.ts';
import { duration } from '../../scenario/fields.ts';
import { EventRelay, listenOn, loadLibrary } from './common.ts';

export const socketIoConfigSchema = z.strictObject({
  pingInterval: duration('engine.io pingInterval: the server pings this often (default 25s)').default(25_000),
  pingTimeout: duration('engine.io pingTimeout: how long the server waits for a pong (default 20s)').default(
    20_000,
  ),
  reconnectionDelay: duration('client: first reconnect delay (default 1s)').default(1000),
  reconnectionDelayMax: duration('client: largest reconnect delay (default 5s)').default(5000),
  randomizationFactor: z
    .number()
    .min(0)
    .max(1)
    .default(0.5)
    .meta({ description: 'client: ± jitter of each reconnect delay, a fraction (default 0.5)' }),
  transport: z
    .enum(['websocket', 'polling'])
    .default('websocket')
    .meta({ description: 'engine.io transport: websocket (default) or HTTP long-polling' }),
});
export type SocketIoConfig = z.output<typeof socketIoConfigSchema>;

/** socket.io's disconnect reasons in the harness's words (F15), where one fits. */
const REASONS: Record<string, string> = {
  'ping timeout': 'heartbeat-timeout',
  'transport close': 'fin',
  'transport error': 'reset',
  'io server disconnect': 'server-disconnect',
  'parse error': 'protocol-error',
};

type SocketIoServerModule = typeof import('socket.io');
type SocketIoClientModule = typeof import('socket.io-client');

export const socketIoSubject: Subject<SocketIoConfig> = {
  name: 'socket.io',
  usesNode: true,
  // engine.io 4's server pings and the client answers.
  pinger: 'server',
  async startServer(_runtime, address, config): Promise<ServerHandle> {
    const { Server } = await loadLibrary<SocketIoServerModule>('socket.io', 'socket.io');
    const { createServer } = await import('node:http');
    const relay = new EventRelay();
    const http = createServer();
    const io = new Server(http, {
      pingInterval: config.pingInterval,
      pingTimeout: config.pingTimeout,
      transports: [config.transport],
      serveClient: false,
    });
    io.on('connection', (socket) => {
      relay.emit({ type: 'connection', side: 'server', conn: socket.id });
      socket.on('disconnect', (reason: string) => {
        if (reason === 'server shutting down') return;
        relay.emit({
          type: 'death',
          side: 'server',
          conn: socket.id,
          reason: REASONS[reason] ?? reason,
          library: reason,
        });
      });
    });
    const bound = await listenOn(http, address);
    return {
      address: bound,
      onEvent: relay.onEvent,
      close: () =>
        new Promise<void>((resolve) => {
          io.close(() => resolve());
        }),
    };
  },
  async startClient(_runtime, target: Address, config): Promise<SubjectHandle> {
    const { io } = await loadLibrary<SocketIoClientModule>('socket.io', 'socket.io-client');
    const relay = new EventRelay();
    const socket = io(`http://${target.host}:${target.port}`, {
      // A Manager of its own: socket.io-client caches one per URL, which would carry one run's state
      // (its backoff, its engine) into the next run in the same process.
      forceNew: true,
      transports: [config.transport],
      reconnectionDelay: config.reconnectionDelay,
      reconnectionDelayMax: config.reconnectionDelayMax,
      randomizationFactor: config.randomizationFactor,
    });
    let closing = false;
    socket.on('connect', () => relay.emit({ type: 'ready', side: 'client' }));
    socket.on('disconnect', (reason: string) => {
      if (closing) return;
      relay.emit({ type: 'death', side: 'client', reason: REASONS[reason] ?? reason, library: reason });
    });
    socket.io.on('reconnect_attempt', (attempt: number) =>
      relay.emit({ type: 'reconnect', side: 'client', attempt }),
    );
    return {
      onEvent: relay.onEvent,
      close: async () => {
        closing = true;
        socket.io.reconnection(false);
        socket.disconnect();
        socket.io.engine?.close();
      },
    };
  },
};
