/**
 * Shared setup for the reference implementation's simulator tests: a server host and a client host,
 * the reference server and client on them, and a recorder of their events on virtual time.
 */
import type { Socket } from 'node:net';
import { Simulation } from '../../harness/sim/index.ts';
import { HeartbeatClient, type HeartbeatClientOptions } from '../../impl/client.ts';
import type { ClientConfigInput, ServerConfigInput } from '../../impl/config.ts';
import type { Death } from '../../impl/heartbeat.ts';
import { encodeFrame, type Hello, PROTOCOL_VERSION, type Role } from '../../impl/protocol.ts';
import type { Runtime } from '../../impl/runtime.ts';
import { HeartbeatServer, type HeartbeatServerOptions } from '../../impl/server.ts';

export const PORT = 7000;
/** One-way latency between the two hosts in most tests: r = 10 ms. */
export const LATENCY = 5;

export interface Recorded {
  t: number;
  side: Role;
  type: string;
  [k: string]: unknown;
}

export class Recorder {
  readonly events: Recorded[] = [];
  constructor(private readonly sim: Simulation) {}

  watch(
    side: Role,
    emitter: { on(event: string, l: (p: never) => void): unknown },
    types: readonly string[],
  ): void {
    for (const type of types) {
      emitter.on(type, (payload: never) => {
        const p = (payload ?? {}) as Record<string, unknown>;
        const { stats: _stats, peer: _peer, ...rest } = p;
        this.events.push({ ...rest, t: this.sim.now(), side, type });
      });
    }
  }

  of(side: Role, type: string): Recorded[] {
    return this.events.filter((e) => e.side === side && e.type === type);
  }

  times(side: Role, type: string): number[] {
    return this.of(side, type).map((e) => e.t);
  }

  deaths(side: Role): (Recorded & Pick<Death, 'reason' | 'detail'>)[] {
    return this.of(side, 'death') as (Recorded & Pick<Death, 'reason' | 'detail'>)[];
  }

  states(side: Role): [number, string][] {
    return this.of(side, 'state').map((e) => [e.t, e.state as string]);
  }
}

export const CLIENT_EVENTS = [
  'connecting',
  'connected',
  'ready',
  'state',
  'ping',
  'pong',
  'late-pong',
  'miss',
  'message',
  'death',
  'attempt-failed',
  'reconnect',
  'giveup',
  'interval-change',
  'session-restored',
  'business-timeout',
  'stopped',
] as const;

export const SERVER_EVENTS = [
  'connection',
  'ready',
  'state',
  'ping',
  'pong',
  'peer-ping',
  'miss',
  'message',
  'death',
  'rejected',
  'connection-level',
  'connection-closed',
  'business-timeout',
  'closed',
] as const;

export interface World {
  sim: Simulation;
  rec: Recorder;
  srt: Runtime;
  crt: Runtime;
  /** The reference server, unless the world was made with a `raw` server. */
  server: HeartbeatServer;
  client: HeartbeatClient;
}

export interface WorldOptions {
  seed?: number;
  latency?: number;
  server?: ServerConfigInput;
  client?: ClientConfigInput;
  serverOptions?: Omit<HeartbeatServerOptions, 'runtime' | 'config'>;
  clientOptions?: Omit<HeartbeatClientOptions, 'runtime' | 'config' | 'host' | 'port'>;
  tcp?: ConstructorParameters<typeof Simulation>[0]['tcp'];
  /** Start the client right away (default true). */
  start?: boolean;
  /** Instead of the reference server, a hand-written one on server:7000. */
  raw?: (s: Socket) => void;
}

const worlds: World[] = [];

/** Server listening on server:7000, client created (and started) on host 'client'. Time is 0. */
export async function world(options: WorldOptions = {}): Promise<World> {
  const sim = new Simulation({
    seed: options.seed ?? 1,
    latency: options.latency ?? LATENCY,
    tcp: options.tcp,
  });
  const srt = sim.runtime('server');
  const crt = sim.runtime('client');
  const rec = new Recorder(sim);
  let server: HeartbeatServer | undefined;
  if (options.raw) await rawServer(sim, srt, options.raw);
  else server = await startServer(sim, srt, rec, options.server ?? {}, options.serverOptions);
  const client = new HeartbeatClient({
    host: 'server',
    port: PORT,
    runtime: crt,
    config: options.client ?? {},
    ...options.clientOptions,
  });
  rec.watch('client', client, CLIENT_EVENTS);
  const w = { sim, rec, srt, crt, server: server as HeartbeatServer, client };
  worlds.push(w);
  if (options.start ?? true) client.start();
  return w;
}

export async function startServer(
  sim: Simulation,
  runtime: Runtime,
  rec: Recorder,
  config: ServerConfigInput,
  options: Omit<HeartbeatServerOptions, 'runtime' | 'config'> = {},
): Promise<HeartbeatServer> {
  const server = new HeartbeatServer({ runtime, config, ...options });
  rec.watch('server', server, SERVER_EVENTS);
  const listening = server.listen(PORT, '0.0.0.0');
  await sim.settle();
  await listening;
  return server;
}

/** Stops every world's subjects and closes its simulation (afterEach). */
export async function closeWorlds(): Promise<void> {
  for (const w of worlds.splice(0)) {
    await w.client.stop();
    await w.server?.close();
    await w.sim.close();
  }
}

/** A hello as a hand-written peer would send it. */
export function helloFrame(role: Role, overrides: Partial<Hello> = {}): Buffer {
  return encodeFrame({
    type: 'hello',
    v: PROTOCOL_VERSION,
    role,
    id: `raw-${role}`,
    interval: 0,
    pongTimeout: 1000,
    readDeadline: 0,
    missThreshold: 3,
    maxFrame: 65_536,
    ...overrides,
  });
}

/** A hand-written server on the simulator (for faults a correct server never commits). */
export async function rawServer(
  sim: Simulation,
  runtime: Runtime,
  onSocket: (s: Socket) => void,
): Promise<void> {
  const server = runtime.net.createServer((s: Socket) => {
    s.on('error', () => {});
    onSocket(s);
  });
  server.listen(PORT, '0.0.0.0');
  await sim.settle();
}
