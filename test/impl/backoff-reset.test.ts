/**
 * F13: the backoff resets only once a new connection has proved healthy — its first pong — not when
 * the server's hello arrives. Through a reset_peer toxic (upstream) every new connection gets the
 * server's hello and is then reset 500 ms after its own first chunk; resetting on the hello would
 * retry every b + J for the whole outage (12 attempts in 15 s in scenarios/reset-peer.yaml).
 *
 * Layout (the scenario runner's proxy topology): client ↔ toxiproxy 5 ms each way, toxiproxy and
 * server on one rack (0 ms). Seed backoff with J = 0, so every wait is exactly min(b·2ⁿ, c).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Simulation } from '../../harness/sim/index.ts';
import { createSimProxy, type SimProxy } from '../../harness/sim/proxy/index.ts';
import { HeartbeatClient } from '../../impl/client.ts';
import { CLIENT_EVENTS, PORT, Recorder, startServer } from './sim-helpers.ts';

const B = 500;
const CAP = 8000;
const I = 5000;
const T = 2000;

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function proxied(): Promise<{
  sim: Simulation;
  rec: Recorder;
  proxy: SimProxy;
  client: HeartbeatClient;
}> {
  const sim = new Simulation({ seed: 1 });
  const rec = new Recorder(sim);
  const server = await startServer(sim, sim.runtime('server'), rec, { interval: 0, readDeadline: 0 });
  const proxy = await createSimProxy(sim, {
    name: 'p',
    listen: 'toxiproxy:27000',
    upstream: `server:${PORT}`,
  });
  sim.setLatency('client', 'toxiproxy', 5, { bothWays: true });
  // Toxiproxy resets (rather than closes) only connections accepted while a reset_peer existed.
  await proxy.addToxic({ type: 'reset_peer', name: 'armed', toxicity: 0, attributes: { timeout: 0 } });
  const client = new HeartbeatClient({
    host: 'toxiproxy',
    port: 27000,
    runtime: sim.runtime('client'),
    config: {
      interval: I,
      pongTimeout: T,
      readDeadline: 0,
      keepAlive: 0,
      backoff: { policy: 'seed', base: B, cap: CAP, jitter: 0, maxAttempts: Number.POSITIVE_INFINITY },
    },
  });
  rec.watch('client', client, CLIENT_EVENTS);
  cleanup = async () => {
    await client.stop();
    await server.close();
    await proxy.remove();
    await sim.close();
  };
  client.start();
  return { sim, rec, proxy, client };
}

describe('F13 backoff reset: on the first pong after the hello, not on the hello', () => {
  it('reset_peer outage 20 s → 35 s: the waits double (0.5, 1, 2, 4, 8 s) though every attempt got the hello; the healthy connection resets them', async () => {
    const { sim, rec, proxy } = await proxied();
    await sim.runFor(20_000);
    await proxy.addToxic({
      type: 'reset_peer',
      name: 'reset',
      stream: 'upstream',
      attributes: { timeout: 500 },
    });
    await sim.runFor(15_000);
    await proxy.removeToxic('reset');
    await sim.runFor(15_000);

    // Ping 4 (20.01 s) reaches the proxy at 20.015 s and is dropped; 500 ms later both sockets are
    // reset, the client hears it at 20.52 s. Each attempt then connects in 10 ms and sends its hello
    // at once; it reaches the proxy 5 ms later, is dropped, and 500 ms after that the proxy resets
    // both sockets: 520 ms from dial to death. Meanwhile the server's hello crossed the healthy
    // downstream (the proxy accepts on the handshake's ACK at +15 and dials the server on its rack):
    // the client is 'ready' at +20.
    const deaths = rec.deaths('client').map((d) => [d.t, d.reason]);
    expect(deaths).toEqual([
      [20_520, 'reset'],
      [21_540, 'reset'],
      [23_060, 'reset'],
      [25_580, 'reset'],
      [30_100, 'reset'],
    ]);
    // The client's ping timer never fires on those short-lived connections: no pong, no reset of the
    // backoff, so wait n is b·2ⁿ: 500, 1000, 2000, 4000, then the 8000 cap.
    expect(rec.of('client', 'reconnect').map((r) => [r.t, r.attempt, r.delay])).toEqual([
      [20_520, 1, 500],
      [21_540, 2, 1000],
      [23_060, 3, 2000],
      [25_580, 4, 4000],
      [30_100, 5, 8000],
    ]);
    const dials = rec.times('client', 'connecting');
    expect(dials).toEqual([0, 21_020, 22_540, 25_060, 29_580, 38_100]);
    // Every attempt was 'ready' (the hello came through) — that alone no longer ends the outage.
    expect(rec.times('client', 'ready')).toEqual([20, 21_040, 22_560, 25_080, 29_600, 38_120]);
    // Attempt 5 (after the heal at 35 s) is healthy: its first pong at 38.11 + I + r.
    expect(rec.times('client', 'pong').filter((t) => t > 30_000)).toEqual([43_120, 48_120]);
  });

  it('after that first pong a new failure starts again from the base wait b', async () => {
    const { sim, rec, proxy } = await proxied();
    await sim.runFor(20_000);
    await proxy.addToxic({
      type: 'reset_peer',
      name: 'reset',
      stream: 'upstream',
      attributes: { timeout: 500 },
    });
    await sim.runFor(2_000); // deaths at 20.52 and 21.54 s: the next wait is 1 s
    await proxy.removeToxic('reset');
    await sim.runFor(1_000);
    // Attempt 2 at 22.54 s is healthy, but until its first pong (27.55 s) the backoff stands: a reset
    // before it continues the sequence.
    expect(rec.times('client', 'connecting')).toEqual([0, 21_020, 22_540]);
    await sim.runFor(7_000); // t = 30 s: first pong at 22.55 + 5.01 = 27.56 s
    expect(rec.times('client', 'pong').filter((t) => t > 20_000)).toEqual([27_560]);
    await proxy.addToxic({
      type: 'reset_peer',
      name: 'again',
      stream: 'upstream',
      attributes: { timeout: 500 },
    });
    await sim.runFor(5_000);
    // Ping 2 of that connection (32.55 s) is reset at 33.06 s: attempt 1 again, after b; it dies
    // (the toxic stays) and the sequence goes on from there.
    expect(rec.of('client', 'reconnect').map((r) => [r.t, r.attempt, r.delay])).toEqual([
      [20_520, 1, 500],
      [21_540, 2, 1000],
      [33_060, 1, 500],
      [34_080, 2, 1000],
    ]);
  });
});
