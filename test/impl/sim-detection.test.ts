/**
 * Detection features of the reference implementation on the simulator, on virtual time. Every
 * instant is asserted exactly and derived in a comment from the path: the client connects at 0; its
 * SYN reaches the server at 5 and the SYN-ACK returns at 10, so the client's 'connect' (t0 of its
 * pinger) is at 10 and the server accepts at 15 (the handshake's ACK). One-way latency 5 ms, r = 10.
 * Ping k of the client leaves at t0 + k·I; the server's ping k at 15 + k·I_s.
 *
 * A fault "at f" is installed when the clock stands at f, after every delivery due at f: it drops
 * what arrives later (BOUNDS.md C1 cut).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clientBlackHole, serverBlackHole, within } from '../../harness/observe/bounds.ts';
import { closeWorlds, helloFrame, LATENCY, PORT, world } from './sim-helpers.ts';

afterEach(closeWorlds);

const I = 30_000;
const T = 5_000;
const r = 2 * LATENCY;
const t0 = 2 * LATENCY;

describe('F1 application-level ping at a fixed rate', () => {
  it('ping k leaves at t0 + k·I, every pong answered in r = 10 ms', async () => {
    const { sim, rec } = await world({ server: { interval: 0 } });
    await sim.runFor(100_000);
    expect(rec.times('client', 'ping')).toEqual([t0 + I, t0 + 2 * I, t0 + 3 * I]);
    expect(rec.of('client', 'pong').map((p) => [p.t, p.rtt])).toEqual([
      [t0 + I + r, r],
      [t0 + 2 * I + r, r],
      [t0 + 3 * I + r, r],
    ]);
  });

  it('is not pong-driven: with r = 4 s the pings still leave exactly every I', async () => {
    const { sim, rec } = await world({
      latency: 2_000,
      server: { interval: 0 },
      client: { interval: 10_000 },
    });
    await sim.runFor(50_000);
    // t0 = 4000 (SYN 2 s, SYN-ACK 2 s).
    expect(rec.times('client', 'ping')).toEqual([14_000, 24_000, 34_000, 44_000]);
    expect(rec.of('client', 'pong').map((p) => p.rtt)).toEqual([4_000, 4_000, 4_000, 4_000]);
  });
});

describe('F3 do not rely on read timeouts alone', () => {
  it('a server that only listens, without a read deadline (or keepalive), never finds a vanished client', async () => {
    const { sim, rec, server } = await world({ server: { interval: 0, readDeadline: 0, keepAlive: 0 } });
    await sim.runFor(1_000);
    sim.faults.crash('client');
    await sim.runFor(3_600_000);
    expect(rec.deaths('server')).toEqual([]);
    expect(server.connectionCount).toBe(1);
  });

  it('the same server with its own pinger finds it: 3 misses after the crash', async () => {
    const { sim, rec } = await world({ server: { interval: I, readDeadline: 0 } });
    await sim.runFor(1_000);
    sim.faults.crash('client');
    await sim.runFor(200_000);
    // Server pings at 15 + k·I, all unanswered; the 3rd fails at 15 + 3·I + T.
    expect(rec.deaths('server').map((d) => [d.t, d.reason])).toEqual([[15 + 3 * I + T, 'heartbeat-timeout']]);
  });

  it('a client with no read deadline finds a vanished server through its pings alone', async () => {
    const { sim, rec, client } = await world({ server: { interval: 0 } });
    expect(client.config.readDeadline).toBe(0);
    await sim.runFor(1_000);
    sim.faults.crash('server');
    await sim.runFor(200_000);
    expect(rec.deaths('client').map((d) => [d.t, d.reason])).toEqual([[t0 + 3 * I + T, 'heartbeat-timeout']]);
  });
});

describe('F4 the server answers at once and keeps a read deadline', () => {
  it('the pong leaves the instant the ping arrives', async () => {
    const { sim, rec } = await world({ server: { interval: 0 } });
    await sim.runFor(61_000);
    expect(rec.times('server', 'peer-ping')).toEqual([t0 + I + LATENCY, t0 + 2 * I + LATENCY]);
    expect(rec.times('client', 'pong')).toEqual([t0 + I + r, t0 + 2 * I + r]);
  });

  it('black-hole client→server at f: dead at the last byte + R, inside the BOUNDS.md server bound', async () => {
    const R = 45_000;
    const { sim, rec } = await world({ server: { interval: 0, readDeadline: R } });
    const f = 100_000;
    await sim.runFor(f);
    sim.faults.partition('client', 'server', { direction: 'a->b', mode: 'drop' });
    await sim.runFor(100_000);
    // The last byte the server read: ping 3, sent at t0 + 3·I, arrived 5 ms later.
    const lastByte = t0 + 3 * I + LATENCY;
    const deaths = rec.deaths('server');
    expect(deaths.map((d) => [d.t, d.reason])).toEqual([[lastByte + R, 'read-deadline']]);
    const bound = serverBlackHole({ interval: I, readDeadline: R, up: LATENCY, convention: 'C1' });
    expect(within(bound, lastByte + R - f)).toBe(true);
  });

  it('every received byte re-arms it, even a partial frame', async () => {
    const R = 45_000;
    const { sim, rec, crt } = await world({ server: { interval: 0, readDeadline: R }, start: false });
    const raw = crt.net.createConnection({ host: 'server', port: PORT });
    raw.on('error', () => {});
    raw.on('connect', () => raw.write(helloFrame('client')));
    await sim.runFor(40_000);
    raw.write('{"ty');
    await sim.runFor(100_000);
    // Hello sent at 10 arrives at 15; the partial frame sent at 40000 arrives at 40005.
    expect(rec.deaths('server').map((d) => [d.t, d.reason])).toEqual([[40_005 + R, 'read-deadline']]);
    raw.destroy();
  });
});

describe('F5 the client checks every pong against the pong timeout', () => {
  async function slowPongs(down: number, config: Record<string, unknown>) {
    const w = await world({ server: { interval: 0, readDeadline: 0 }, client: config, start: false });
    w.sim.setLatency('server', 'client', down);
    w.client.start();
    return w;
  }

  it('r = 5005 > T: the first ping is a miss at t_1 + T; with N = 1 that is the death', async () => {
    const { sim, rec } = await slowPongs(5_000, { missThreshold: 1 });
    await sim.runFor(60_000);
    // t0 = 5 + 5000 = 5005; ping 1 at 35005, its deadline at 40005, its pong would arrive at 40010.
    expect(rec.of('client', 'miss').map((m) => [m.t, m.seq])).toEqual([[40_005, 1]]);
    expect(rec.deaths('client').map((d) => [d.t, d.reason])).toEqual([[40_005, 'heartbeat-timeout']]);
  });

  it('tie rule: a pong arriving exactly at t_k + T is a miss', async () => {
    const { sim, rec } = await slowPongs(4_995, { missThreshold: 1 });
    await sim.runFor(60_000);
    // t0 = 5000; ping 1 at 35000, pong due at 35000 + 5 + 4995 = 40000 = its deadline.
    expect(rec.deaths('client').map((d) => [d.t, d.reason])).toEqual([[40_000, 'heartbeat-timeout']]);
  });

  it('one millisecond sooner it is in time (latency tolerance T − r)', async () => {
    const { sim, rec } = await slowPongs(4_994, { missThreshold: 1 });
    await sim.runFor(200_000);
    expect(rec.of('client', 'miss')).toEqual([]);
    expect(rec.of('client', 'pong').map((p) => p.rtt)).toEqual(Array(6).fill(4_999));
  });

  it('a late pong does not undo its miss: N = 3 consecutive late pongs disconnect', async () => {
    const { sim, rec } = await slowPongs(5_000, { missThreshold: 3, probeOnSuspect: false });
    await sim.runFor(120_000);
    // t0 = 5005; pings at 35005, 65005, 95005 miss at +5000; each pong comes 5 ms after its deadline.
    expect(rec.times('client', 'miss')).toEqual([40_005, 70_005, 100_005]);
    expect(rec.times('client', 'late-pong')).toEqual([40_010, 70_010]);
    expect(rec.deaths('client').map((d) => [d.t, d.reason])).toEqual([[100_005, 'heartbeat-timeout']]);
  });
});

describe('F10 two-way heartbeat', () => {
  it('the server pings each client every I_s and the client answers', async () => {
    const { sim, rec } = await world({ server: { interval: 20_000 } });
    await sim.runFor(61_000);
    expect(rec.times('server', 'ping')).toEqual([20_015, 40_015, 60_015]);
    expect(rec.of('server', 'pong').map((p) => [p.t, p.rtt])).toEqual([
      [20_025, r],
      [40_025, r],
      [60_025, r],
    ]);
  });

  it('the server finds a client that never pings on its own: 3 of its pings unanswered', async () => {
    const { sim, rec } = await world({
      server: { interval: 20_000, readDeadline: 0 },
      client: { interval: 0 },
    });
    await sim.runFor(1_000);
    sim.faults.crash('client');
    await sim.runFor(100_000);
    expect(rec.deaths('server').map((d) => [d.t, d.reason])).toEqual([
      [15 + 3 * 20_000 + T, 'heartbeat-timeout'],
    ]);
  });
});

describe('F11 health state machine', () => {
  it('HEALTHY → SUSPECT at the 2nd miss → DISCONNECTED at the 3rd', async () => {
    const { sim, rec } = await world({ server: { interval: 0, readDeadline: 0 } });
    await sim.runFor(100_000);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(100_000);
    // Pings 4 (120010) and 5 (150010) fail at +T; the probe (seq 6) is lost too; ping 7 fails at 185010.
    expect(rec.states('client')).toEqual([
      [t0, 'HEALTHY'],
      [155_010, 'SUSPECT'],
      [185_010, 'DISCONNECTED'],
    ]);
    expect(rec.of('client', 'ping').map((p) => [p.t, p.seq, p.probe])).toEqual([
      [30_010, 1, false],
      [60_010, 2, false],
      [90_010, 3, false],
      [120_010, 4, false],
      [150_010, 5, false],
      [155_010, 6, true],
      [180_010, 7, false],
    ]);
  });

  it('the probe sent on entering SUSPECT restores HEALTHY as soon as the path heals', async () => {
    const { sim, rec } = await world({ server: { interval: 0, readDeadline: 0 } });
    await sim.runFor(100_000);
    // 'hold': packets wait at the cut and arrive, in order, at heal (no TCP retransmission backoff
    // decides when the probe gets through).
    const cut = sim.faults.partition('client', 'server', { direction: 'both', mode: 'hold' });
    await sim.runFor(57_000);
    cut.heal();
    await sim.runFor(50_000);
    // Misses at 125010 and 155010; the probe (seq 6) leaves at 155010, waits at the cut, reaches the
    // server at the heal (157000) and its pong is back at 157005, inside its timeout (160010):
    // HEALTHY again 23 s before ping 7 (180010) could have restored it.
    expect(rec.states('client')).toEqual([
      [t0, 'HEALTHY'],
      [155_010, 'SUSPECT'],
      [157_005, 'HEALTHY'],
    ]);
    expect(rec.of('client', 'pong').map((p) => [p.t, p.seq])).toContainEqual([157_005, 6]);
    expect(rec.times('client', 'late-pong')).toEqual([157_005, 157_005]);
    expect(rec.deaths('client')).toEqual([]);
  });

  it('with reverseCheck, SUSPECT and a missing reverse heartbeat disconnect at once', async () => {
    const { sim, rec } = await world({
      server: { interval: I, readDeadline: 0 },
      client: { reverseCheck: true },
    });
    await sim.runFor(100_000);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(100_000);
    // The server's ping 3 (90015) reached the client at 90020: overdue from 90020 + I + T = 125020.
    // At the 2nd miss (155010) the client is SUSPECT with the reverse heartbeat missing too.
    const deaths = rec.deaths('client');
    expect(deaths.map((d) => [d.t, d.reason])).toEqual([[155_010, 'heartbeat-timeout']]);
    expect(deaths[0]?.detail).toContain('missing too');
  });
});

describe('F12 miss threshold on a black-holed path (BOUNDS.md client bound)', () => {
  it.each([1, 2, 3, 5])(
    'N = %i: death at t_k* + (N−1)·I + T, inside [T − ρ, T − ρ + I) + (N−1)·I',
    async (N) => {
      const { sim, rec } = await world({
        server: { interval: 0, readDeadline: 0 },
        client: { missThreshold: N, probeOnSuspect: false },
      });
      const f = 100_000;
      await sim.runFor(f);
      sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
      await sim.runFor(300_000);
      // k* = the first ping whose pong would arrive after f: t_k + r > f → k* = 4, t_4 = 120010.
      const detected = t0 + 4 * I + (N - 1) * I + T;
      expect(rec.deaths('client').map((d) => [d.t, d.reason])).toEqual([[detected, 'heartbeat-timeout']]);
      const bound = clientBlackHole({
        interval: I,
        pongTimeout: T,
        path: { up: LATENCY, down: LATENCY },
        convention: 'C1',
        missThreshold: N,
      });
      expect(within(bound, detected - f)).toBe(true);
    },
  );

  it.each([
    // f just before pong 3 arrives (90020): ping 3 is the first failure.
    [90_019, t0 + 3 * I + 2 * I + T],
    // f at 90020: pong 3 got through, ping 4 is the first failure.
    [90_020, t0 + 4 * I + 2 * I + T],
  ])('onset %i: the first failing ping is the first whose pong is cut', async (f, detected) => {
    const { sim, rec } = await world({ server: { interval: 0, readDeadline: 0 } });
    await sim.runFor(f);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(300_000);
    expect(rec.deaths('client').map((d) => d.t)).toEqual([detected]);
  });
});

describe('F19 half-open connections are found by both sides', () => {
  it('server host dies silently: the client finds it by heartbeat, the server never says anything', async () => {
    const { sim, rec } = await world();
    await sim.runFor(100_000);
    sim.faults.crash('server');
    await sim.runFor(100_000);
    expect(rec.deaths('client').map((d) => [d.t, d.reason])).toEqual([
      [t0 + 4 * I + 2 * I + T, 'heartbeat-timeout'],
    ]);
  });

  it('client host dies silently: the server finds it by its read deadline (R < its own 3 misses)', async () => {
    const { sim, rec } = await world();
    await sim.runFor(100_000);
    sim.faults.crash('client');
    await sim.runFor(100_000);
    // Last byte read by the server: the client's pong to server ping 3 (90015 → 90020 → 90025).
    expect(rec.deaths('server').map((d) => [d.t, d.reason])).toEqual([[90_025 + 45_000, 'read-deadline']]);
  });

  it('a NAT that forgets an idle mapping black-holes the next ping; heartbeats faster than its timeout keep it', async () => {
    // Keepalive off on both sides: its probes would refresh the mapping too (see F7).
    const quiet = { interval: 0, readDeadline: 0, keepAlive: 0 };
    const slow = await world({ server: quiet, client: { interval: 90_000, missThreshold: 1, keepAlive: 0 } });
    slow.sim.faults.nat('client', 'server', { idleTimeout: 60_000, action: 'drop' });
    await slow.sim.runFor(100_000);
    // Ping 1 at 90010 finds the mapping idle since the handshake (< 90010 − 60000): dropped.
    expect(slow.rec.deaths('client').map((d) => [d.t, d.reason])).toEqual([
      [90_010 + T, 'heartbeat-timeout'],
    ]);

    const fast = await world({ server: quiet, client: { interval: 30_000, missThreshold: 1, keepAlive: 0 } });
    fast.sim.faults.nat('client', 'server', { idleTimeout: 60_000, action: 'drop' });
    await fast.sim.runFor(600_000);
    expect(fast.rec.deaths('client')).toEqual([]);
    // Pings at 10 + k·30000 up to 570010: 19, all answered.
    expect(fast.rec.of('client', 'pong')).toHaveLength(19);
  });
});

describe('F2 write deadline', () => {
  it('a ping queued behind a full send buffer on a black-holed path is dead at its write + W', async () => {
    const W = 5_000;
    const { sim, rec, client } = await world({
      server: { interval: 0, readDeadline: 0 },
      client: { writeDeadline: W, pongTimeout: 20_000, missThreshold: 10 },
    });
    await sim.runFor(100_000);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    // 40 kB of business data: more than the 16 kB kernel send buffer, so the rest waits in the stream.
    for (let i = 0; i < 10; i++) client.send('x'.repeat(4_000));
    await sim.runFor(100_000);
    const deaths = rec.deaths('client');
    expect(deaths.map((d) => [d.t, d.reason])).toEqual([[t0 + 4 * I + W, 'write-deadline']]);
    expect(deaths[0]?.detail).toMatch(/^ping #4 not flushed within 5000 ms \(callback pending/);
  });

  it('a ping the kernel accepted is not a write-deadline death: the pong timeout finds the black hole', async () => {
    const { sim, rec } = await world({
      server: { interval: 0, readDeadline: 0 },
      client: { missThreshold: 1 },
    });
    await sim.runFor(100_000);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(100_000);
    expect(rec.deaths('client').map((d) => [d.t, d.reason])).toEqual([[t0 + 4 * I + T, 'heartbeat-timeout']]);
  });
});

describe('F7 OS keepalive as a fallback', () => {
  it('with application heartbeats off, keepalive finds a dead server host: ETIMEDOUT → reason keepalive', async () => {
    const K = 60_000;
    const { sim, rec } = await world({
      server: { interval: 0, readDeadline: 0, keepAlive: K },
      client: { interval: 0, keepAlive: K },
    });
    await sim.runFor(1_000);
    sim.faults.crash('server');
    await sim.runFor(200_000);
    const deaths = rec.deaths('client');
    expect(deaths.map((d) => d.reason)).toEqual(['keepalive']);
    // Idle K since the last segment the client received (the server's hello at 20), then 10 probes
    // 1 s apart (Node: TCP_KEEPINTVL 1 s, TCP_KEEPCNT 10), the last one timing out 1 s later.
    expect(deaths[0]?.t).toBe(20 + K + 10 * 1_000);
  });

  it('without keepalive and without heartbeats nothing ever notices', async () => {
    const { sim, rec } = await world({
      server: { interval: 0, readDeadline: 0, keepAlive: 0 },
      client: { interval: 0, keepAlive: 0 },
    });
    await sim.runFor(1_000);
    sim.faults.crash('server');
    await sim.runFor(3_600_000);
    expect(rec.deaths('client')).toEqual([]);
  });
});
