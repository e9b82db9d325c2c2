/**
 * Shared setup for the simulated-proxy tests on the simulated network: hosts `client`, `server` and
 * the proxy's host `toxiproxy`, 0 ms wire latency unless told otherwise, a server on server:8080 that
 * records what it receives, and a proxy `p` in front of it.
 */

import { expect } from 'vitest';
import { Simulation } from '../../../harness/sim/index.ts';
import { createSimProxy, type SimProxy } from '../../../harness/sim/proxy/index.ts';
import { parseHostPort } from '../../../harness/sim/proxy/proxy.ts';
import type { SimSocket } from '../../../harness/sim/socket.ts';
import { FaultProxyError } from '../../../harness/toxics/vocabulary.ts';

export interface Peer {
  socket: SimSocket;
  /** `t event[:detail]` lines. */
  log: string[];
  /** Received data with its arrival time. */
  data: Array<{ t: number; data: string }>;
  text(): string;
}

export function watch(socket: SimSocket, now: () => number): Peer {
  const log: string[] = [];
  const data: Array<{ t: number; data: string }> = [];
  for (const name of ['connect', 'end', 'close', 'error', 'drain']) {
    socket.on(name, (arg: unknown) => {
      let entry = name;
      if (arg instanceof Error) entry += `:${(arg as NodeJS.ErrnoException).code}`;
      else if (typeof arg === 'boolean') entry += `:${arg}`;
      log.push(`${now()} ${entry}`);
    });
  }
  socket.on('data', (d: Buffer) => data.push({ t: now(), data: d.toString('latin1') }));
  return { socket, log, data, text: () => data.map((d) => d.data).join('') };
}

export interface World {
  sim: Simulation;
  proxy: SimProxy;
  /** Server-side sockets, in accept order. */
  servers: Peer[];
  /** Dials the proxy from host `client`. */
  dial(): Peer;
  /** Dials the server directly (no proxy) from host `client`. */
  now(): number;
  close(): Promise<void>;
}

export interface WorldOptions {
  seed?: number;
  latency?: number;
  /** Server answers every chunk with `echo:` + chunk. */
  echo?: boolean;
  /** Server pauses reading on connect (its receive window fills). */
  serverPaused?: boolean;
  upstream?: string;
  listen?: string;
}

export async function world(opts: WorldOptions = {}): Promise<World> {
  const sim = new Simulation({ seed: opts.seed ?? 1, latency: opts.latency ?? 0 });
  const now = () => sim.now();
  const servers: Peer[] = [];
  const serverRt = sim.runtime('server');
  const clientRt = sim.runtime('client');
  serverRt.net
    .createServer({ allowHalfOpen: true, pauseOnConnect: Boolean(opts.serverPaused) } as object, (s) => {
      const peer = watch(s as unknown as SimSocket, now);
      servers.push(peer);
      if (opts.echo) s.on('data', (d: Buffer) => s.write(`echo:${d.toString('latin1')}`));
    })
    .listen(8080);
  const proxy = await createSimProxy(sim, {
    name: 'p',
    listen: opts.listen ?? '127.0.0.1:0',
    upstream: opts.upstream ?? 'server:8080',
  });
  return {
    sim,
    proxy,
    servers,
    now,
    dial() {
      const target = parseHostPort(proxy.listen)!;
      const s = clientRt.net.createConnection({
        host: target.host,
        port: target.port,
      }) as unknown as SimSocket;
      return watch(s, now);
    },
    close: () => sim.close(),
  };
}

/** Awaits a promise that must reject with a FaultProxyError, and returns that error. */
export async function rejection(p: Promise<unknown>): Promise<FaultProxyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(FaultProxyError);
  return err as FaultProxyError;
}
