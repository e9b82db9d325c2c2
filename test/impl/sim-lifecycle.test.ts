/**
 * Lifecycle features of the reference implementation on the simulator (business traffic, the
 * standalone manager, the protocol, reconnect, adaptive interval, classification, connection
 * management, logs, configuration, cost, cleanup). Timing conventions as in sim-detection.test.ts:
 * latency 5 ms each way, the client's 'connect' (t0) at 10, the server's accept at 15.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type BackoffPolicy as BoundsBackoff, backoffWait, within } from '../../harness/observe/bounds.ts';
import { Simulation } from '../../harness/sim/index.ts';
import { HeartbeatClient } from '../../impl/client.ts';
import { type BackoffPolicyName, resolveBackoff } from '../../impl/config.ts';
import { ConfigError } from '../../impl/errors.ts';
import { type Death, HeartbeatManager } from '../../impl/heartbeat.ts';
import { encodeFrame, type Message, parseFrame } from '../../impl/protocol.ts';
import type { Runtime } from '../../impl/runtime.ts';
import { HeartbeatServer } from '../../impl/server.ts';
import { heartbeatCostPerMinute } from '../../impl/traffic.ts';
import { CLIENT_EVENTS, closeWorlds, helloFrame, PORT, Recorder, startServer, world } from './sim-helpers.ts';

afterEach(closeWorlds);

const I = 30_000;
const T = 5_000;

function sleep(rt: Runtime, ms: number): Promise<void> {
  return new Promise((resolve) => rt.setTimeout(resolve, ms));
}

function processTimers(sim: Simulation, host: string): number {
  return sim.host(host).process.timers.size;
}

/** Splits what a raw peer read into frames. */
function frames(bytes: Buffer[]): Message[] {
  return Buffer.concat(bytes)
    .toString()
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => parseFrame(Buffer.from(l)));
}

describe('F6 heartbeat ≠ business timeout', () => {
  it('a business handler slower than the pong timeout (and the interval) never delays a pong', async () => {
    const { sim, rec, client, srt } = await world({
      server: { interval: 0, businessTimeout: 10_000 },
      serverOptions: {
        onMessage: async (payload, ctx) => {
          await sleep(srt, 40_000);
          ctx.reply({ done: payload });
        },
      },
    });
    await sim.runFor(25_000);
    expect(client.send({ job: 1 })).toBe(true);
    expect(client.send({ job: 2 })).toBe(true);
    await sim.runFor(115_000);
    // Pings at 30010, 60010, 90010, 120010 arrive while a handler is running; each pong is back in r.
    expect(rec.of('client', 'pong').map((p) => [p.t, p.rtt])).toEqual([
      [30_020, 10],
      [60_020, 10],
      [90_020, 10],
      [120_020, 10],
    ]);
    expect(rec.of('client', 'miss')).toEqual([]);
    expect(rec.deaths('client')).toEqual([]);
    expect(rec.deaths('server')).toEqual([]);
    // Handlers run one at a time per connection: job 1 from 25005 to 65005, job 2 from 65005 to
    // 105005; each exceeds the 10 s business timeout (reported, never a death).
    expect(rec.times('server', 'business-timeout')).toEqual([35_005, 75_005]);
    expect(rec.of('client', 'message').map((m) => [m.t, m.payload])).toEqual([
      [65_010, { done: { job: 1 } }],
      [105_010, { done: { job: 2 } }],
    ]);
  });

  it('a handler that throws is logged and the connection stays up', async () => {
    const { sim, rec, client } = await world({
      server: { interval: 0 },
      serverOptions: {
        onMessage: () => {
          throw new Error('handler bug');
        },
      },
    });
    await sim.runFor(1_000);
    client.send('boom');
    await sim.runFor(40_000);
    expect(rec.of('client', 'pong')).toHaveLength(1);
    expect(rec.deaths('server')).toEqual([]);
    const logged = sim.logs('server').find((r) => r.msg === 'business handler failed');
    expect(logged?.err).toEqual({ message: 'handler bug' });
  });
});

describe('F8 reusable heartbeat manager around any socket', () => {
  async function pair(sim: Simulation, clientSettings: Record<string, unknown>, onDead: (d: Death) => void) {
    const srt = sim.runtime('server');
    const crt = sim.runtime('client');
    const server = srt.net.createServer((s: Socket) => {
      new HeartbeatManager({
        socket: s,
        role: 'server',
        conn: 'm-s',
        runtime: srt,
        settings: { interval: 0, readDeadline: 0 },
      }).start();
    });
    server.listen(PORT, '0.0.0.0');
    await sim.settle();
    const socket = crt.net.createConnection({ host: 'server', port: PORT });
    const manager = new HeartbeatManager({
      socket,
      role: 'client',
      conn: 'm-c',
      runtime: crt,
      settings: clientSettings,
      onDead,
    });
    socket.on('connect', () => manager.start());
    return { manager, socket, server };
  }

  it('runs the ping loop and pong listener; onDead gets the death with its reason', async () => {
    const sim = new Simulation({ seed: 3, latency: 5 });
    const deaths: [number, string][] = [];
    const { manager, server } = await pair(
      sim,
      { interval: 10_000, pongTimeout: 2_000, missThreshold: 2 },
      (d) => deaths.push([sim.now(), d.reason]),
    );
    await sim.runFor(35_000);
    expect(manager.stats().heartbeat.pongsReceived).toBe(3);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(30_000);
    // t0 = 10; pings 4 (40010) and 5 (50010) unanswered; N = 2 → dead at 52010.
    expect(deaths).toEqual([[52_010, 'heartbeat-timeout']]);
    expect(manager.pendingTimers).toBe(0);
    expect(manager.socket.destroyed).toBe(true);
    server.close();
    await sim.close();
  });

  it('stop() clears every timer and leaves the socket to its owner', async () => {
    const sim = new Simulation({ seed: 3, latency: 5 });
    const { manager, socket, server } = await pair(sim, { interval: 10_000 }, () => {});
    await sim.runFor(25_000);
    expect(processTimers(sim, 'client')).toBeGreaterThan(0);
    manager.stop();
    expect(manager.pendingTimers).toBe(0);
    expect(processTimers(sim, 'client')).toBe(0);
    expect(socket.destroyed).toBe(false);
    expect(manager.state).toBe('DISCONNECTED');
    socket.destroy();
    server.close();
    await sim.close();
  });
});

describe('F9 structured messages and protocol errors on the wire', () => {
  it('the client sends its hello first, then {type:ping, seq, timestamp, interval}', async () => {
    const read: Buffer[] = [];
    const { sim } = await world({
      raw: (s) => {
        s.on('data', (b: Buffer) => read.push(b));
        s.write(helloFrame('server'));
      },
    });
    await sim.runFor(61_000);
    expect(frames(read)).toEqual([
      {
        type: 'hello',
        v: 1,
        role: 'client',
        id: 'c#1',
        interval: I,
        pongTimeout: T,
        readDeadline: 0,
        missThreshold: 3,
        maxFrame: 65_536,
      },
      { type: 'ping', seq: 1, timestamp: 30_010, interval: I },
      { type: 'ping', seq: 2, timestamp: 60_010, interval: I },
    ]);
  });

  it('a pong echoing the timestamp gives the RTT; a pong for an unknown seq is ignored as late', async () => {
    let srt: Runtime | undefined;
    const { sim, rec, ...w } = await world({
      raw: (s) => {
        s.write(helloFrame('server'));
        s.on('data', (b: Buffer) => {
          for (const m of frames([b])) {
            if (m.type !== 'ping') continue;
            // Answer 2 s late, plus a pong nobody asked for.
            srt?.setTimeout(() => {
              s.write(
                encodeFrame({ type: 'pong', seq: m.seq, timestamp: 0, echo: m.timestamp, interval: 0 }),
              );
              s.write(encodeFrame({ type: 'pong', seq: 999, timestamp: 0, echo: 0, interval: 0 }));
            }, 2_000);
          }
        });
      },
    });
    srt = w.srt;
    await sim.runFor(40_000);
    // Ping 1 at 30010 reaches the raw server at 30015; answered at 32015, back at 32020.
    expect(rec.of('client', 'pong').map((p) => [p.t, p.rtt])).toEqual([[32_020, 2_010]]);
    expect(rec.of('client', 'late-pong').map((p) => p.seq)).toEqual([999]);
    expect(rec.deaths('client')).toEqual([]);
  });

  it.each([
    ['an unknown frame type', '{"type":"HEARTBEAT","seq":1}\n', 'unknown-type'],
    ['malformed JSON', '{"type":\n', 'malformed'],
    ['another protocol version', '{"type":"hello","v":2,"role":"server"}\n', 'version-mismatch'],
    ['a ping before the hello', '{"type":"ping","seq":1,"timestamp":1,"interval":1}\n', 'unexpected'],
  ])(
    '%s closes the connection (protocol-error, logged), then the client reconnects',
    async (_w, text, kind) => {
      const { sim, rec } = await world({ raw: (s) => s.write(text) });
      await sim.runFor(1_000);
      // The raw server writes at accept (15); the frame arrives at 20.
      const deaths = rec.deaths('client');
      expect(deaths.map((d) => [d.t, d.reason])).toEqual([[20, 'protocol-error']]);
      expect(deaths[0]?.detail).toMatch(new RegExp(`^${kind}: `));
      expect(sim.logs('client').find((l) => l.msg === 'connection dead')?.detail).toBe(deaths[0]?.detail);
      expect(rec.of('client', 'reconnect')).toHaveLength(1);
    },
  );

  it('the server closes a client that sends garbage and tells it why', async () => {
    const { sim, rec, crt } = await world({ start: false });
    const raw = crt.net.createConnection({ host: 'server', port: PORT });
    const read: Buffer[] = [];
    let ended = -1;
    raw.on('data', (b: Buffer) => read.push(b));
    raw.on('end', () => (ended = sim.now()));
    raw.on('error', () => {});
    raw.on('connect', () => raw.write('GET / HTTP/1.1\r\n\r\n'));
    await sim.runFor(1_000);
    expect(rec.deaths('server').map((d) => [d.t, d.reason])).toEqual([[15, 'protocol-error']]);
    const got = frames(read);
    expect(got[0]?.type).toBe('hello');
    expect(got[1]).toEqual({ type: 'bye', reason: 'protocol-error: malformed' });
    expect(ended).toBe(20);
    raw.destroy();
  });
});

describe('F13 reconnect with backoff and jitter', () => {
  it('black-holed attempts end at the connect timeout; waits follow min(b·2ⁿ, c) + U(0, J); the session is restored', async () => {
    const restored: string[] = [];
    const { sim, rec } = await world({
      server: { interval: 0, readDeadline: 0 },
      clientOptions: {
        restoreSession: ({ conn, send }) => {
          restored.push(conn);
          send({ resume: 'session-42' });
        },
      },
    });
    await sim.runFor(1_000);
    sim.faults.crash('server');
    await sim.runFor(130_000);
    // Dead at t0 + 3·I + T = 95010, then attempts into the void, each abandoned after 10 s.
    const death = rec.deaths('client')[0]!;
    expect(death.t).toBe(95_010);
    const waits = rec.of('client', 'reconnect');
    const tries = rec.of('client', 'connecting').slice(1);
    const fails = rec.of('client', 'attempt-failed');
    const s = resolveBackoff({});
    let from = death.t;
    for (let n = 0; n < fails.length; n++) {
      const w = waits[n]!;
      expect(w.t).toBe(from);
      expect(w.delay as number).toBeGreaterThanOrEqual(Math.min(s.cap, s.base * 2 ** n));
      expect(w.delay as number).toBeLessThanOrEqual(Math.min(s.cap, s.base * 2 ** n) + s.jitter);
      expect(tries[n]!.t).toBe(from + (w.delay as number));
      expect([fails[n]!.t, fails[n]!.reason]).toEqual([tries[n]!.t + 10_000, 'connect-timeout']);
      from = fails[n]!.t;
    }
    expect(fails.length).toBeGreaterThanOrEqual(2);
    // The server comes back; the next attempt succeeds and the session hook runs on the new connection.
    sim.faults.restart('server');
    const srt = sim.runtime('server');
    const server2 = await startServer(sim, srt, rec, { interval: 0 });
    const got: unknown[] = [];
    server2.on('message', ({ payload }) => got.push(payload));
    await sim.runFor(120_000);
    const ready = rec.of('client', 'ready');
    expect(ready.map((r) => r.reconnected)).toEqual([false, true]);
    expect(restored).toEqual([ready[1]!.conn]);
    expect(got).toEqual([{ resume: 'session-42' }]);
    await server2.close();
  });

  it('after maxAttempts failed reconnects: the give-up alert, and nothing left running', async () => {
    const { sim, rec, client } = await world({
      server: { interval: 0, readDeadline: 0 },
      client: { connectTimeout: 2_000, backoff: { maxAttempts: 3 } },
    });
    await sim.runFor(1_000);
    sim.faults.crash('server');
    await sim.runFor(200_000);
    const fails = rec.of('client', 'attempt-failed');
    expect(fails.map((f) => f.reason)).toEqual(['connect-timeout', 'connect-timeout', 'connect-timeout']);
    expect(rec.of('client', 'giveup').map((g) => [g.t, g.attempts, g.lastReason])).toEqual([
      [fails[2]!.t, 3, 'connect-timeout'],
    ]);
    expect(client.status).toBe('gave-up');
    expect(processTimers(sim, 'client')).toBe(0);
    expect(sim.logs('client').some((l) => l.level === 'error' && l.msg.startsWith('ALERT'))).toBe(true);
  });

  it('a restarted host that is not listening refuses at once (RST): attempt failure "refused"', async () => {
    const { sim, rec } = await world({
      server: { interval: 0, readDeadline: 0 },
      client: { backoff: { maxAttempts: 2 } },
    });
    await sim.runFor(1_000);
    sim.faults.crash('server');
    sim.faults.restart('server');
    await sim.runFor(200_000);
    const tries = rec.of('client', 'connecting').slice(1);
    const fails = rec.of('client', 'attempt-failed');
    expect(fails.map((f) => f.reason)).toEqual(['refused', 'refused']);
    // SYN out and RST back: one round trip.
    expect(fails.map((f, n) => f.t - tries[n]!.t)).toEqual([10, 10]);
  });

  const policies: BackoffPolicyName[] = ['seed', 'full', 'equal', 'decorrelated', 'grpc'];
  it.each(policies)(
    '%s policy: every wait lies in the BOUNDS.md range (harness/observe/bounds.ts)',
    async (policy) => {
      const { sim, rec } = await world({
        seed: 7,
        server: { interval: 0, readDeadline: 0 },
        client: {
          interval: 1_000,
          pongTimeout: 500,
          connectTimeout: 1_000,
          backoff: { policy, maxAttempts: 8, cap: 20_000 },
        },
      });
      await sim.runFor(500);
      sim.faults.crash('server');
      await sim.runFor(400_000);
      const s = resolveBackoff({ policy, cap: 20_000 });
      const bounds: BoundsBackoff = {
        policy,
        base: s.base,
        cap: s.cap,
        multiplier: s.multiplier,
        jitter: policy === 'grpc' ? s.jitterFraction : policy === 'seed' ? s.jitter : 0,
      };
      const waits = rec.of('client', 'reconnect').map((w) => w.delay as number);
      expect(waits).toHaveLength(8);
      let previous: number | undefined;
      waits.forEach((w, n) => {
        const b = backoffWait(bounds, n, policy === 'decorrelated' ? (previous ?? s.base) : undefined);
        expect(within(b, w), `${policy} w_${n} = ${w}: ${b.why}`).toBe(true);
        previous = w;
      });
      expect(rec.of('client', 'giveup')).toHaveLength(1);
    },
  );
});

describe('F14 adaptive interval from a load signal', () => {
  it('idle 5 s, busy 1 s; the change takes effect at the next ping and re-phases the schedule', async () => {
    let load = 0;
    const { sim, rec } = await world({
      server: { interval: 0 },
      client: { adaptive: { enabled: true } },
      clientOptions: { loadSignal: () => load },
    });
    await sim.runFor(16_000);
    load = 0.9;
    await sim.runFor(7_500); // 23500
    load = 0.5; // between the thresholds: keep busy
    await sim.runFor(2_000); // 25500
    load = 0.1;
    await sim.runFor(11_000); // 36500
    expect(rec.times('client', 'ping')).toEqual([
      5_010, 10_010, 15_010, 20_010, 21_010, 22_010, 23_010, 24_010, 25_010, 26_010, 31_010, 36_010,
    ]);
    expect(rec.of('client', 'interval-change').map((c) => [c.t, c.from, c.to])).toEqual([
      [20_010, 5_000, 1_000],
      [26_010, 1_000, 5_000],
    ]);
  });

  it('adaptive without a load signal is a configuration error', () => {
    expect(
      () => new HeartbeatClient({ host: 'server', port: PORT, config: { adaptive: { enabled: true } } }),
    ).toThrow(ConfigError);
  });
});

describe('F15 failure classification', () => {
  it('FIN: the server shuts down; the client dies with reason fin at the FIN delivery', async () => {
    const { sim, rec, server } = await world({ server: { interval: 0 } });
    await sim.runFor(50_000);
    await server.close();
    await sim.runFor(1_000);
    const d = rec.deaths('client');
    expect(d.map((x) => [x.t, x.reason])).toEqual([[50_005, 'fin']]);
    expect(d[0]?.detail).toBe('peer said bye (shutdown) and closed');
  });

  it('RST: a peer that resets the connection is classified as reset at the RST delivery', async () => {
    let peer: Socket | undefined;
    const { sim, rec } = await world({
      raw: (s) => {
        peer = s;
        s.write(helloFrame('server'));
      },
    });
    await sim.runFor(50_000);
    peer?.resetAndDestroy();
    await sim.runFor(1_000);
    const d = rec.deaths('client');
    expect(d.map((x) => [x.t, x.reason, x.err])).toEqual([
      [50_005, 'reset', expect.objectContaining({ code: 'ECONNRESET' })],
    ]);
  });

  it('RST from a NAT that forgot the mapping: reset at the instant of the ping', async () => {
    const { sim, rec } = await world({
      server: { interval: 0, readDeadline: 0, keepAlive: 0 },
      client: { interval: 90_000, keepAlive: 0 },
    });
    sim.faults.nat('client', 'server', { idleTimeout: 60_000, action: 'rst' });
    await sim.runFor(100_000);
    expect(rec.deaths('client').map((x) => [x.t, x.reason])).toEqual([[90_010, 'reset']]);
  });

  it('every death carries one reason from the F15 list, and the state goes DISCONNECTED with it', async () => {
    const { sim, rec } = await world();
    await sim.runFor(100_000);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(100_000);
    const last = (side: 'client' | 'server') => rec.of(side, 'state').at(-1);
    expect(last('client')).toMatchObject({ state: 'DISCONNECTED', reason: 'heartbeat-timeout' });
    expect(last('server')).toMatchObject({ state: 'DISCONNECTED', reason: 'read-deadline' });
  });
});

describe('F16 connection management', () => {
  it('limit, warning/danger thresholds both ways, and a graceful shutdown that leaves nothing behind', async () => {
    const { sim, rec, server } = await world({
      server: { interval: 10_000, warnConnections: 2, dangerConnections: 3, maxConnections: 4 },
      start: false,
    });
    const clients: HeartbeatClient[] = [];
    for (let i = 0; i < 5; i++) {
      await sim.runFor(i === 0 ? 0 : 1_000);
      const c = new HeartbeatClient({ host: 'server', port: PORT, runtime: sim.runtime(`c${i}`) });
      new Recorder(sim).watch('client', c, CLIENT_EVENTS);
      c.start();
      clients.push(c);
    }
    await sim.runFor(5_000);
    // Accepts at 15, 1015, 2015, 3015; the 5th (4015) is over the limit.
    expect(rec.of('server', 'connection-level').map((e) => [e.t, e.level, e.count])).toEqual([
      [1_015, 'warning', 2],
      [2_015, 'danger', 3],
    ]);
    // The 5th client is turned away at 4015, and again at each of its reconnects.
    const rejected = rec.of('server', 'rejected');
    expect([rejected[0]?.t, rejected[0]?.reason]).toEqual([4_015, 'connection-limit']);
    expect(rejected.every((e) => e.reason === 'connection-limit')).toBe(true);
    expect(server.connectionCount).toBe(4);
    await clients[4]!.stop();
    await clients[0]!.stop();
    await clients[1]!.stop();
    await sim.runFor(100);
    // Stops at 9000: 4 → 3 (still danger) → 2 (warning) when the two FINs arrive at 9005.
    expect(
      rec
        .of('server', 'connection-level')
        .slice(2)
        .map((e) => [e.t, e.level, e.count]),
    ).toEqual([[9_005, 'warning', 2]]);
    expect(server.stats().live).toBe(2);
    await server.close();
    expect(server.connectionCount).toBe(0);
    expect(rec.of('server', 'connection-level').at(-1)).toMatchObject({ level: 'normal', count: 0 });
    expect(rec.of('server', 'connection-closed').map((e) => e.reason)).toEqual(['shutdown', 'shutdown']);
    expect(processTimers(sim, 'server')).toBe(0);
    expect(sim.openSockets('server')).toBe(0);
    for (const c of clients) await c.stop();
  });

  it('each connection has its own heartbeat state', async () => {
    const { sim, server } = await world({ server: { interval: 10_000 }, start: false });
    const a = new HeartbeatClient({ host: 'server', port: PORT, runtime: sim.runtime('a') });
    const b = new HeartbeatClient({ host: 'server', port: PORT, runtime: sim.runtime('b') });
    a.start();
    b.start();
    await sim.runFor(20_000);
    sim.faults.partition('a', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(100_000);
    expect(server.connectionIds()).toEqual(['s#2']);
    expect(server.connection('s#2')?.state).toBe('HEALTHY');
    await a.stop();
    await b.stop();
  });
});

describe('F17 structured logs through the runtime', () => {
  it('records carry virtual ts, level, service, conn and err; clock skew moves ts, not detection', async () => {
    const { sim } = await world({ server: { interval: 0, readDeadline: 0 }, start: false });
    sim.faults.setSkew('client', 7_000);
    const client = new HeartbeatClient({ host: 'server', port: PORT, runtime: sim.runtime('client') });
    new Recorder(sim).watch('client', client, CLIENT_EVENTS);
    client.start();
    await sim.runFor(100_000);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(100_000);
    const dead = sim.logs('client').find((l) => l.msg === 'connection dead');
    // Detection at the same virtual instant as without skew (185010); its wall-clock ts is skewed.
    expect(dead).toMatchObject({
      ts: 185_010 + 7_000,
      level: 'warn',
      service: 'heartbeat-client',
      conn: 'c#1',
    });
    expect(dead?.reason).toBe('heartbeat-timeout');
    for (const l of sim.logs('server')) {
      expect(typeof l.ts).toBe('number');
      expect(l.service).toBe('heartbeat-server');
    }
    await client.stop();
  });
});

describe('F18 every setting configurable', () => {
  it('non-default values drive the timing exactly', async () => {
    const { sim, rec } = await world({
      server: { interval: 0, readDeadline: 0 },
      client: { interval: 7_000, pongTimeout: 1_234, missThreshold: 2 },
    });
    await sim.runFor(20_000);
    sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(30_000);
    // First ping whose pong is cut: 10 + 3·7000 = 21010; N = 2 → 21010 + 7000 + 1234.
    expect(rec.deaths('client').map((d) => d.t)).toEqual([29_244]);
  });

  it('a bad value is a ConfigError naming the field', () => {
    expect(() => new HeartbeatServer({ config: { readDeadline: -1 } })).toThrow(/"readDeadline"/);
    expect(() => new HeartbeatClient({ host: 'x', port: 1, config: { backoff: { cap: 0 } } })).toThrow(
      /"backoff.cap"/,
    );
    expect(() => new HeartbeatClient({ host: 'x', port: 0 })).toThrow(/"port"/);
  });
});

describe('F20 cost of heartbeats', () => {
  it('counts heartbeat messages and bytes each way, per connection, exactly', async () => {
    const { sim, client, server } = await world({ server: { interval: 0 } });
    await sim.runFor(600_000);
    // 19 pings in 10 minutes (10 + k·30000 ≤ 600000), each answered.
    const pings = Array.from({ length: 19 }, (_, i) =>
      encodeFrame({ type: 'ping', seq: i + 1, timestamp: 10 + (i + 1) * I, interval: I }),
    );
    const pongs = Array.from({ length: 19 }, (_, i) =>
      encodeFrame({
        type: 'pong',
        seq: i + 1,
        timestamp: 15 + (i + 1) * I,
        echo: 10 + (i + 1) * I,
        interval: 0,
      }),
    );
    const bytes = (fs: Buffer[]) => fs.reduce((n, f) => n + f.length, 0);
    const c = client.stats().current!;
    expect(c.heartbeat).toEqual({
      messagesSent: 19,
      messagesReceived: 19,
      bytesSent: bytes(pings),
      bytesReceived: bytes(pongs),
      pingsSent: 19,
      pongsReceived: 19,
      pingsReceived: 0,
      pongsSent: 0,
    });
    const s = server.stats().connections[0]!;
    expect(s.heartbeat.bytesReceived).toBe(c.heartbeat.bytesSent);
    expect(s.heartbeat.bytesSent).toBe(c.heartbeat.bytesReceived);
    expect(c.elapsedMs).toBe(600_000 - 10);
    const cost = heartbeatCostPerMinute(c);
    expect(cost.messages).toBeCloseTo((38 * 60_000) / (600_000 - 10), 9);
  });
});

describe('cleanup: stop() and close() leave no timer and no socket', () => {
  it('after a run with faults and reconnects, nothing is left on the clock', async () => {
    const { sim, client, server } = await world();
    await sim.runFor(100_000);
    const cut = sim.faults.partition('client', 'server', { direction: 'both', mode: 'drop' });
    await sim.runFor(100_000);
    cut.heal();
    await sim.runFor(30_000);
    expect(processTimers(sim, 'client')).toBeGreaterThan(0);
    await client.stop();
    await server.close();
    expect(processTimers(sim, 'client')).toBe(0);
    expect(processTimers(sim, 'server')).toBe(0);
    expect(sim.openSockets()).toBe(0);
    // What remains belongs to the kernels (FIN/ACK exchange of the closes); it drains within a second.
    await sim.runFor(1_000);
    expect(sim.pendingTimers()).toBe(0);
  });
});
