/** Shared helpers for the simulator tests: event recorders and a two-host setup. */
import { Simulation, type SimulationOptions } from '../../harness/sim/index.ts';
import type { SimRuntime } from '../../harness/sim/runtime.ts';
import type { SimSocket } from '../../harness/sim/socket.ts';

export const SOCKET_EVENTS = [
  'connect',
  'ready',
  'data',
  'end',
  'finish',
  'close',
  'error',
  'timeout',
  'drain',
] as const;

/** Records `name` (`name:code` for errors, `close:<hadError>`) for each socket event, optionally with the virtual time. */
export function recordEvents(
  emitter: NodeJS.EventEmitter,
  now?: () => number,
  events: readonly string[] = SOCKET_EVENTS,
): string[] {
  const log: string[] = [];
  for (const name of events) {
    emitter.on(name, (arg: unknown) => {
      let entry = name;
      if (arg instanceof Error) entry += `:${(arg as NodeJS.ErrnoException).code}`;
      else if (typeof arg === 'boolean') entry += `:${arg}`;
      else if (name === 'data' && Buffer.isBuffer(arg)) entry += `:${arg.toString()}`;
      log.push(now ? `${now()} ${entry}` : entry);
    });
  }
  return log;
}

export interface Pair {
  sim: Simulation;
  client: SimRuntime;
  server: SimRuntime;
}

/** A simulation with hosts 'client' and 'server' (5 ms one way unless told otherwise). */
export function pair(opts: Partial<SimulationOptions> = {}): Pair {
  const sim = new Simulation({ seed: 1, latency: 5, ...opts });
  const server = sim.runtime('server');
  const client = sim.runtime('client');
  return { sim, client, server };
}

export interface EchoPair {
  p: Pair;
  client: SimSocket;
  /** `<virtual ms> <data>` for each chunk the server received. */
  got: string[];
  /** `<virtual ms> <data>` for each chunk the client received (the server's `echo-<data>`). */
  clientGot: string[];
}

/**
 * A connected echo pair on port 80 (connected at 15 with 5 ms each way), after 2000 ms of virtual
 * time; both ends record what arrives, with its virtual time.
 */
export async function echoPair(opts: Partial<SimulationOptions> = {}): Promise<EchoPair> {
  const p = pair(opts);
  const got: string[] = [];
  const clientGot: string[] = [];
  p.server.net
    .createServer((s) =>
      s.on('data', (d) => {
        got.push(`${p.sim.now()} ${d}`);
        s.write(`echo-${d}`);
      }),
    )
    .listen(80);
  const client = p.client.net.createConnection(80, 'server') as unknown as SimSocket;
  client.on('data', (d) => clientGot.push(`${p.sim.now()} ${d}`));
  await p.sim.runFor(2000);
  return { p, client, got, clientGot };
}
