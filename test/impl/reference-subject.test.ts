import { afterEach, describe, expect, it } from 'vitest';
import type { SubjectEvent } from '../../harness/backend.ts';
import { REFERENCE_DEFAULTS, type ReferenceConfig } from '../../harness/scenario/schema.ts';
import { Simulation } from '../../harness/sim/index.ts';
import { clientConfigFrom, referenceSubject, serverConfigFrom } from '../../harness/subjects/reference.ts';
import { resolveClientConfig, resolveServerConfig } from '../../impl/config.ts';

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
});
