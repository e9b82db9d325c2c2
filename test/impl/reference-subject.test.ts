import { afterEach, describe, expect, it } from 'vitest';
import type { SubjectEvent } from '../../harness/backend.ts';
import { Simulation } from '../../harness/sim/index.ts';
import {
  businessPayload,
  clientConfigFrom,
  referenceSubject,
  serverConfigFrom,
} from '../../harness/subjects/reference.ts';
import { REFERENCE_DEFAULTS, type ReferenceConfig } from '../../harness/subjects/reference-config.ts';
import { resolveClientConfig, resolveServerConfig } from '../../impl/config.ts';
import { encodeFrame } from '../../impl/protocol.ts';

const sims: Simulation[] = [];
afterEach(async () => {
  for (const s of sims.splice(0)) await s.close();
});

function config(overrides: Partial<ReferenceConfig> = {}): ReferenceConfig {
  return { ...REFERENCE_DEFAULTS, ...overrides };
}

describe('reference subject: scenario config → impl config (F18)', () => {
  it('maps every field; serverHeartbeat false means a server that only answers', () => {
    const c = config({ keepalive: false, suspectThreshold: 2, missThreshold: 4, businessTimeout: 3_000 });
    const client = resolveClientConfig(clientConfigFrom(c));
    expect(client).toMatchObject({
      interval: c.interval,
      pongTimeout: c.pongTimeout,
      writeDeadline: c.writeDeadline,
      readDeadline: 0,
      keepAlive: 0,
      missThreshold: 4,
      suspectAfter: 2,
      connectTimeout: c.connectTimeout,
      businessTimeout: 3_000,
    });
    expect(client.backoff).toMatchObject({ policy: 'seed', base: 1_000, cap: 60_000, jitter: 1_000 });
    expect(client.backoff.maxAttempts).toBe(Number.POSITIVE_INFINITY);
    const server = resolveServerConfig(serverConfigFrom(c));
    expect(server).toMatchObject({
      interval: 0,
      readDeadline: c.readDeadline,
      maxConnections: Number.POSITIVE_INFINITY,
    });
  });

  it('maps the grpc jitter fraction, two-way heartbeat, adaptive and thresholds', () => {
    const c = config({
      backoff: { policy: 'grpc', base: 1_000, cap: 120_000, multiplier: 1.6, jitter: 0.2, maxAttempts: 5 },
      serverHeartbeat: { interval: 20_000, pongTimeout: 4_000 },
      adaptive: { busyInterval: 500, idleInterval: 4_000 },
      maxConnections: 10,
      connectionThresholds: { warn: 3, danger: 6 },
      missThreshold: 1,
    });
    const client = resolveClientConfig(clientConfigFrom(c));
    expect(client.backoff).toMatchObject({
      policy: 'grpc',
      multiplier: 1.6,
      jitterFraction: 0.2,
      maxAttempts: 5,
    });
    expect(client.adaptive).toMatchObject({ enabled: true, busyInterval: 500, idleInterval: 4_000 });
    expect(client.suspectAfter).toBe(1);
    const server = resolveServerConfig(serverConfigFrom(c));
    expect(server).toMatchObject({
      interval: 20_000,
      pongTimeout: 4_000,
      maxConnections: 10,
      warnConnections: 3,
      dangerConnections: 6,
    });
  });
});

describe('reference subject on the simulator', () => {
  it('reports connected/ready/state/death/reconnect events with side, conn and reason; close() leaves nothing', async () => {
    const sim = new Simulation({ seed: 1, latency: 5 });
    sims.push(sim);
    const c = config({ interval: 30_000, pongTimeout: 5_000 });
    const server = await (async () => {
      const p = referenceSubject.startServer(sim.runtime('server'), { host: '0.0.0.0', port: 7000 }, c);
      await sim.settle();
      return p;
    })();
    expect(server.address.port).toBe(7000);
    const client = await referenceSubject.startClient(
      sim.runtime('client'),
      { host: 'server', port: 7000 },
      c,
    );
    const events: SubjectEvent[] = [];
    // Subscribed after start: nothing emitted before is lost.
    client.onEvent?.((e) => events.push(e));
    server.onEvent?.((e) => events.push(e));
    await sim.runFor(100_000);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(90_000);
    const pick = (type: string, side: string) =>
      events
        .filter((e) => e.type === type && e.side === side)
        .map((e) => ({ at: e.at, conn: e.conn, reason: e.reason, state: e.state }));
    expect(pick('listening', 'server')).toHaveLength(1);
    expect(pick('connected', 'client')).toEqual([
      { at: 10, conn: 'c#1', reason: undefined, state: undefined },
    ]);
    expect(pick('death', 'client')).toEqual([
      { at: 185_010, conn: 'c#1', reason: 'heartbeat-timeout', state: undefined },
    ]);
    // Server: no pings of its own (serverHeartbeat false); its read deadline: last ping in at 90015.
    expect(pick('death', 'server')).toEqual([
      { at: 135_015, conn: 's#1', reason: 'read-deadline', state: undefined },
    ]);
    expect(pick('state', 'client').map((s) => [s.at, s.state])).toEqual([
      [10, 'HEALTHY'],
      [155_010, 'SUSPECT'],
      [185_010, 'DISCONNECTED'],
    ]);
    const reconnect = events.find((e) => e.type === 'reconnect');
    expect(reconnect).toMatchObject({ side: 'client', at: 185_010, attempt: 1, reason: 'heartbeat-timeout' });
    await client.close();
    await server.close();
    expect(sim.host('client').process.timers.size).toBe(0);
    expect(sim.host('server').process.timers.size).toBe(0);
    expect(sim.openSockets()).toBe(0);
    expect(
      events
        .filter((e) => e.type === 'stopped')
        .map((e) => e.side)
        .sort(),
    ).toEqual(['client', 'server']);
  });

  it('business traffic (F6): exact-size frames every `every`, a slow async handler that never delays a pong, and F20 `sent` counters', async () => {
    const sim = new Simulation({ seed: 1, latency: 5 });
    sims.push(sim);
    const c = config({
      interval: 2_000,
      pongTimeout: 500,
      business: { every: 1_000, bytes: 100, handlerDelay: 3_000 },
      businessTimeout: 1_000,
    });
    const serverP = referenceSubject.startServer(sim.runtime('server'), { host: '0.0.0.0', port: 7000 }, c);
    await sim.settle();
    const server = await serverP;
    const client = await referenceSubject.startClient(
      sim.runtime('client'),
      { host: 'server', port: 7000 },
      c,
    );
    const events: SubjectEvent[] = [];
    client.onEvent?.((e) => events.push(e));
    server.onEvent?.((e) => events.push(e));
    await sim.runFor(10_500);
    const sent = (side: string, cls: string) =>
      events
        .filter((e) => e.type === 'sent' && e.side === side && e.class === cls)
        .map((e) => [e.at, e.bytes]);
    // Every second from 1 s (the hello is in at 20 ms), each frame exactly 100 bytes on the wire.
    expect(sent('client', 'business')).toEqual(Array.from({ length: 10 }, (_, i) => [(i + 1) * 1000, 100]));
    // Pings every 2 s from t0 = 10 ms, each answered in one round trip: the handler never holds them up.
    expect(events.filter((e) => e.type === 'pong').map((e) => [e.at, e.rtt])).toEqual([
      [2_020, 10],
      [4_020, 10],
      [6_020, 10],
      [8_020, 10],
      [10_020, 10],
    ]);
    expect(sent('client', 'heartbeat').map(([at]) => at)).toEqual([2_010, 4_010, 6_010, 8_010, 10_010]);
    expect(sent('client', 'control')).toEqual([[10, expect.any(Number)]]);
    // One message at a time per connection, 3 s each: message 1 (in at 1.005 s) is answered at 4.005
    // s, message 2 at 7.005 s, message 3 at 10.005 s; each overruns the 1 s business timeout (F6: an
    // event, never a death).
    expect(sent('server', 'business').map(([at]) => at)).toEqual([4_005, 7_005, 10_005]);
    expect(events.filter((e) => e.type === 'business-timeout').map((e) => [e.side, e.at])).toEqual([
      ['server', 2_005],
      ['server', 5_005],
      ['server', 8_005],
    ]);
    expect(events.filter((e) => e.type === 'death')).toEqual([]);
    await client.close();
    await server.close();
    // The handler still waiting (message 4) is dropped with the server: nothing left on the clock.
    expect(sim.host('client').process.timers.size).toBe(0);
    expect(sim.host('server').process.timers.size).toBe(0);
    expect(sim.openSockets()).toBe(0);
  });

  it('businessPayload pads to the exact frame size and refuses a frame too small for the envelope', () => {
    expect(encodeFrame({ type: 'data', payload: businessPayload(29) }).length).toBe(29);
    expect(encodeFrame({ type: 'data', payload: businessPayload(4000) }).length).toBe(4000);
    expect(() => businessPayload(28)).toThrow(/business.bytes must be an integer ≥ 29/);
  });
});
