/**
 * Smoke tests on real loopback TCP (node:net, real timers) with short intervals. Real timers fire
 * late on a loaded machine, never meaningfully early, so every time bound here is asserted with a
 * stated tolerance: EARLY = 5 ms below, LATE = 150 ms above the value the design implies.
 */
import * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HeartbeatClient } from '../../impl/client.ts';
import type { Death } from '../../impl/heartbeat.ts';
import { encodeFrame, PROTOCOL_VERSION } from '../../impl/protocol.ts';
import { type LogRecord, realRuntime } from '../../impl/runtime.ts';
import { HeartbeatServer } from '../../impl/server.ts';

const EARLY = 5;
const LATE = 150;
const HOST = '127.0.0.1';

const logs: LogRecord[] = [];
const runtime = realRuntime({ logger: { log: (r) => logs.push(r) } });
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  logs.length = 0;
});

function serverHello(interval = 0) {
  return encodeFrame({
    type: 'hello',
    v: PROTOCOL_VERSION,
    role: 'server',
    id: 'raw#1',
    interval,
    pongTimeout: 1000,
    readDeadline: 0,
    missThreshold: 3,
    maxFrame: 65_536,
  });
}

/** A hand-written peer on node:net, for faults a correct server would never commit. */
async function rawServer(onSocket: (s: net.Socket) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, HOST, r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as net.AddressInfo).port;
}

/** A port nobody listens on (bound, then released). */
async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((r) => probe.listen(0, HOST, r));
  const { port } = probe.address() as net.AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

function startClient(port: number, config: ConstructorParameters<typeof HeartbeatClient>[0]['config'] = {}) {
  const client = new HeartbeatClient({ host: HOST, port, runtime, config });
  cleanups.push(() => client.stop());
  client.start();
  return client;
}

function next<T>(emitter: { once(e: string, l: (v: T) => void): unknown }, event: string): Promise<T> {
  return new Promise((resolve) => emitter.once(event, resolve));
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

function activeHandles() {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((r) => r === 'TCPSocketWrap').length,
    servers: info.filter((r) => r === 'TCPServerWrap').length,
    timers: info.filter((r) => r === 'Timeout').length,
  };
}

describe('loopback F1/F4/F5/F10 healthy heartbeat both ways', () => {
  it('pings every 50 ms, every pong in time, both sides answer each other, no death', async () => {
    // Pong timeout and read deadline are generous: this is a shared, loaded machine, and a stalled
    // event loop is not what this test is about.
    const server = new HeartbeatServer({
      runtime,
      config: { interval: 50, pongTimeout: 250, readDeadline: 1_000 },
    });
    cleanups.push(() => server.close());
    const { port } = await server.listen(0, HOST);
    const deaths: Death[] = [];
    server.on('death', (d) => deaths.push(d));
    const client = startClient(port, { interval: 50, pongTimeout: 250 });
    client.on('death', (d) => deaths.push(d));
    await next(client, 'ready');
    await sleep(520);
    const c = client.stats().current!;
    const s = server.stats().connections[0]!;
    expect(deaths).toEqual([]);
    // 520 ms / 50 ms = 10 pings; tolerance −4 / +1 for late timers.
    expect(c.heartbeat.pingsSent).toBeGreaterThanOrEqual(6);
    expect(c.heartbeat.pingsSent).toBeLessThanOrEqual(11);
    expect(c.misses).toBe(0);
    expect(c.rtt.max).toBeLessThan(250);
    // F10: the server pings too, and the client answers.
    expect(s.heartbeat.pingsSent).toBeGreaterThanOrEqual(6);
    expect(s.heartbeat.pongsReceived).toBeGreaterThanOrEqual(s.heartbeat.pingsSent - 1);
    // F20: what one side sent, the other received (give or take the one in flight).
    expect(c.heartbeat.bytesSent).toBeGreaterThan(0);
    expect(s.heartbeat.pingsReceived).toBeGreaterThanOrEqual(c.heartbeat.pingsSent - 1);
    expect(client.state).toBe('HEALTHY');
  });
});

describe('loopback F5/F12/F19 silent peer (heartbeat-timeout)', () => {
  it('declares the connection dead at the 3rd consecutive miss: connect + 3·I + T', async () => {
    const port = await rawServer((s) => s.write(serverHello()));
    const I = 50;
    const T = 30;
    const client = startClient(port, {
      interval: I,
      pongTimeout: T,
      missThreshold: 3,
      probeOnSuspect: false,
    });
    const connected = runtime.now();
    const states: string[] = [];
    client.on('state', (s) => states.push(s.state));
    const death = await next<Death>(client, 'death');
    // Ping 1 leaves at t0 + I; pings 1..3 all fail; the 3rd fails at t0 + 3·I + T.
    const expected = 3 * I + T;
    expect(death.reason).toBe('heartbeat-timeout');
    expect(death.at - connected).toBeGreaterThanOrEqual(expected - EARLY);
    expect(death.at - connected).toBeLessThanOrEqual(expected + LATE);
    expect(states).toEqual(['HEALTHY', 'SUSPECT', 'DISCONNECTED']);
  });
});

describe('loopback F15 failure classification', () => {
  it('FIN from the peer is a death with reason "fin"', async () => {
    const port = await rawServer((s) => s.end(serverHello()));
    const client = startClient(port);
    expect((await next<Death>(client, 'death')).reason).toBe('fin');
  });

  it('RST from the peer is a death with reason "reset"', async () => {
    const port = await rawServer((s) => {
      s.write(serverHello());
      setTimeout(() => s.resetAndDestroy(), 20);
    });
    const client = startClient(port);
    const death = await next<Death>(client, 'death');
    expect(death.reason).toBe('reset');
    expect(death.err?.code).toBe('ECONNRESET');
  });

  it('a refused connect is an attempt failure "refused", then a reconnect is scheduled', async () => {
    const port = await freePort();
    const client = startClient(port, { backoff: { base: 20, cap: 40, jitter: 5, maxAttempts: 2 } });
    const failures: string[] = [];
    client.on('attempt-failed', (f) => failures.push(f.reason));
    const giveup = await next<{ attempts: number }>(client, 'giveup');
    expect(failures).toEqual(['refused', 'refused', 'refused']);
    expect(giveup.attempts).toBe(2);
    expect(client.status).toBe('gave-up');
  });
});

describe('loopback F9 protocol errors never crash the process', () => {
  it.each([
    ['garbage', Buffer.from('this is not json\n')],
    ['an unknown frame type', Buffer.from('{"type":"HEARTBEAT","seq":1}\n')],
    ['an oversized line', Buffer.alloc(70_000, 0x61)],
    ['another protocol version', Buffer.from('{"type":"hello","v":99}\n')],
  ])('%s closes the connection with reason protocol-error and a logged reason', async (_what, bytes) => {
    const port = await rawServer((s) => s.write(bytes));
    const client = startClient(port);
    const death = await next<Death>(client, 'death');
    expect(death.reason).toBe('protocol-error');
    const logged = logs.find((r) => r.msg === 'connection dead' && r.reason === 'protocol-error');
    expect(logged?.detail).toBe(death.detail);
  });
});

describe('loopback F4 server read deadline', () => {
  it('a client that says hello and then falls silent is dead after R', async () => {
    const R = 120;
    const server = new HeartbeatServer({ runtime, config: { interval: 0, readDeadline: R } });
    cleanups.push(() => server.close());
    const { port } = await server.listen(0, HOST);
    const raw = net.createConnection({ host: HOST, port });
    raw.on('error', () => {});
    cleanups.push(() => void raw.destroy());
    const death = next<Death>(server, 'death');
    raw.write(
      encodeFrame({
        type: 'hello',
        v: PROTOCOL_VERSION,
        role: 'client',
        id: 'raw',
        interval: 0,
        pongTimeout: 1,
        readDeadline: 0,
        missThreshold: 1,
        maxFrame: 65_536,
      }),
    );
    const sent = runtime.now();
    const d = await death;
    expect(d.reason).toBe('read-deadline');
    expect(d.at - sent).toBeGreaterThanOrEqual(R - EARLY);
    expect(d.at - sent).toBeLessThanOrEqual(R + LATE);
  });
});

describe('loopback F2 write deadline', () => {
  it('a ping stuck behind bytes the peer never reads is a write-deadline death', async () => {
    // The raw peer never reads: kernel buffers fill, the client's writes queue in userland.
    const port = await rawServer((s) => {
      s.write(serverHello());
      s.pause();
    });
    const W = 100;
    const client = startClient(port, {
      interval: 150,
      pongTimeout: 10_000,
      writeDeadline: W,
      missThreshold: 10,
    });
    await next(client, 'ready');
    const chunk = 'x'.repeat(60_000);
    for (let i = 0; i < 600; i++) client.send(chunk);
    const death = await next<Death>(client, 'death');
    expect(death.reason).toBe('write-deadline');
    expect(death.detail).toMatch(/^ping #1 not flushed within 100 ms/);
  });
});

describe('loopback F13/F16 reconnect, session restore, limit and graceful shutdown', () => {
  it('after a server shutdown the client reconnects to a new server and restores its session', async () => {
    const server = new HeartbeatServer({ runtime, config: { interval: 0 } });
    const { port } = await server.listen(0, HOST);
    const restored: string[] = [];
    const client = new HeartbeatClient({
      host: HOST,
      port,
      runtime,
      config: { interval: 50, backoff: { base: 30, cap: 60, jitter: 10 } },
      restoreSession: ({ conn, send }) => {
        restored.push(conn);
        send({ resume: true });
      },
    });
    cleanups.push(() => client.stop());
    client.start();
    await next(client, 'ready');
    const death = next<Death>(client, 'death');
    await server.close();
    const d = await death;
    expect(d.reason).toBe('fin');
    expect(d.detail).toContain('shutdown');
    const server2 = new HeartbeatServer({ runtime, config: { interval: 0 } });
    cleanups.push(() => server2.close());
    const got = next<{ payload: unknown }>(server2, 'message');
    await server2.listen(port, HOST);
    const ready = await next<{ reconnected: boolean }>(client, 'ready');
    expect(ready.reconnected).toBe(true);
    expect((await got).payload).toEqual({ resume: true });
    expect(restored).toEqual(['c#2']);
  });

  it('turns away connections beyond maxConnections with bye: connection-limit', async () => {
    const server = new HeartbeatServer({ runtime, config: { maxConnections: 1 } });
    cleanups.push(() => server.close());
    const { port } = await server.listen(0, HOST);
    const first = startClient(port);
    await next(first, 'ready');
    const second = startClient(port);
    const death = await next<Death>(second, 'death');
    expect(death.reason).toBe('fin');
    expect(death.detail).toContain('connection-limit');
    expect(server.connectionCount).toBe(1);
    expect(server.stats().rejected).toBe(1);
  });

  it('graceful shutdown leaves no socket, listener or timer behind', async () => {
    await sleep(10); // let the previous test's closed handles be released by libuv
    const before = activeHandles();
    const server = new HeartbeatServer({ runtime, config: { interval: 40 } });
    const { port } = await server.listen(0, HOST);
    const clients = [0, 1, 2].map(
      () => new HeartbeatClient({ host: HOST, port, runtime, config: { interval: 40 } }),
    );
    const ready = clients.map((c) => next(c, 'ready'));
    for (const c of clients) c.start();
    await Promise.all(ready);
    expect(server.connectionCount).toBe(3);
    await sleep(100);
    await server.close();
    await Promise.all(clients.map((c) => c.stop()));
    await sleep(10);
    expect(server.connectionCount).toBe(0);
    // Others' handles (vitest's own timers) may come and go; ours must all be gone.
    const after = activeHandles();
    expect(after.sockets).toBeLessThanOrEqual(before.sockets);
    expect(after.servers).toBeLessThanOrEqual(before.servers);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
  });
});

describe('loopback F17 structured logs', () => {
  it('every record has ts, level, service and msg; connection records carry the conn id', async () => {
    const server = new HeartbeatServer({ runtime, config: { interval: 30 } });
    cleanups.push(() => server.close());
    const { port } = await server.listen(0, HOST);
    const client = startClient(port, { interval: 30 });
    await next(client, 'ready');
    await sleep(80);
    expect(logs.length).toBeGreaterThan(3);
    for (const r of logs) {
      expect(typeof r.ts).toBe('number');
      expect(['debug', 'info', 'warn', 'error']).toContain(r.level);
      expect(['heartbeat-client', 'heartbeat-server']).toContain(r.service);
      expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    }
    expect(logs.find((r) => r.msg === 'hello received' && r.service === 'heartbeat-server')?.conn).toBe(
      's#1',
    );
  });
});
