/**
 * The toxic pipeline on a fake clock with fake sockets (no simulated network): exact virtual
 * timestamps of what the proxy writes to each side, per toxic, as Toxiproxy v2.12.0 would.
 */
import { describe, expect, it } from 'vitest';
import { fakeProxy } from './fake.ts';

describe('pipeline: noop chain', () => {
  it('passes chunks both ways at the instant they are read', () => {
    const { connect, at } = fakeProxy();
    const c = connect();
    at(5);
    c.fromClient('ping');
    c.fromServer('pong');
    expect(c.upstream.writes).toEqual([{ t: 5, data: 'ping' }]);
    expect(c.client.writes).toEqual([{ t: 5, data: 'pong' }]);
  });

  it('a client FIN fully closes both sides (FIN), no half-close', () => {
    const { connect, at } = fakeProxy();
    const c = connect();
    at(7);
    c.clientFin();
    expect(c.upstream.closed).toEqual({ t: 7, how: 'FIN' });
    expect(c.client.closed).toEqual({ t: 7, how: 'FIN' });
  });

  it('a failed upstream dial closes the accepted client with a FIN', () => {
    const { connect } = fakeProxy();
    const c = connect({ dialFails: true });
    expect(c.client.closed).toEqual({ t: 0, how: 'FIN' });
  });
});

describe('pipeline: latency', () => {
  it('latency 1000: a chunk read at t=5 is written at t=1005', async () => {
    const { connect, core, at } = fakeProxy();
    await core.addToxic({ type: 'latency', attributes: { latency: 1000 } });
    const c = connect();
    at(5);
    c.fromServer('a');
    at(1004);
    expect(c.client.writes).toEqual([]);
    at(1005);
    expect(c.client.writes).toEqual([{ t: 1005, data: 'a' }]);
  });

  it('removing it flushes the queued chunks at the removal instant', async () => {
    const { connect, core, at } = fakeProxy();
    await core.addToxic({ type: 'latency', attributes: { latency: 1000 } });
    const c = connect();
    at(10);
    c.fromServer('a');
    at(20);
    c.fromServer('b');
    at(30);
    c.fromServer('c');
    at(400);
    await core.removeToxic('latency_downstream');
    expect(c.client.writes).toEqual([
      { t: 400, data: 'a' },
      { t: 400, data: 'b' },
      { t: 400, data: 'c' },
    ]);
    at(2000);
    expect(c.client.writes).toHaveLength(3);
  });
});

describe('pipeline: more toxics', () => {
  it('jitter: delays are integers in [L-J, L+J-1] and output stays FIFO', async () => {
    const { connect, core, at, events } = fakeProxy(42);
    await core.addToxic({ type: 'latency', attributes: { latency: 100, jitter: 50 } });
    const c = connect();
    for (let i = 0; i < 200; i++) {
      at(i * 10);
      c.fromServer(String(i % 10));
    }
    at(5000);
    const delays = events.filter((e) => e.kind === 'proxy.chunk.delay').map((e) => e.delay as number);
    expect(delays).toHaveLength(200);
    for (const d of delays) {
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(50);
      expect(d).toBeLessThanOrEqual(149);
    }
    expect(new Set(delays).size).toBeGreaterThan(50);
    const ts = c.client.writes.map((w) => w.t);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    expect(c.client.text()).toBe(Array.from({ length: 200 }, (_, i) => String(i % 10)).join(''));
  });

  it('bandwidth 10 KB/s: a 25,000-byte chunk goes out in 1000-byte pieces 100 ms apart', async () => {
    const { connect, core, at } = fakeProxy();
    await core.addToxic({ type: 'bandwidth', attributes: { rate: 10 } });
    const c = connect();
    at(3);
    c.fromServer(Buffer.alloc(25_000, 1));
    at(10_000);
    expect(c.client.writes.map((w) => w.t)).toEqual(Array.from({ length: 25 }, (_, i) => 103 + i * 100));
    expect(c.client.writes.every((w) => w.data.length === 1000)).toBe(true);
  });

  it('bandwidth rate 0 holds data and stops reading; removal releases it', async () => {
    const { connect, core, at } = fakeProxy();
    await core.addToxic({ type: 'bandwidth', attributes: { rate: 0 } });
    const c = connect();
    at(1);
    // a: held by bandwidth; b: held by the hidden noop; c: held by the reader; d: left in the socket.
    for (const d of ['a', 'b', 'c']) c.fromServer(d);
    expect(c.upstream.paused).toBe(false);
    c.fromServer('d');
    expect(c.upstream.paused).toBe(true);
    at(60_000);
    expect(c.client.writes).toEqual([]);
    await core.removeToxic('bandwidth_downstream');
    expect(c.client.writes).toEqual(['a', 'b', 'c', 'd'].map((data) => ({ t: 60_000, data })));
    expect(c.upstream.paused).toBe(false);
  });

  it('timeout 3000: a writer every 1000 ms keeps it open; silence closes at onset+3000', async () => {
    const { connect, core, at } = fakeProxy();
    const c = connect();
    at(100);
    await core.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 3000 } });
    for (let t = 1000; t <= 10_000; t += 1000) {
      at(t);
      c.fromClient('hb');
    }
    at(12_999);
    expect(c.upstream.writes).toEqual([]);
    expect(c.client.closed).toBeNull();
    at(13_000);
    expect(c.upstream.closed).toEqual({ t: 13_000, how: 'FIN' });
    expect(c.client.closed).toEqual({ t: 13_000, how: 'FIN' });
  });

  it('removing a timeout toxic closes both sockets at the removal instant', async () => {
    const { connect, core, at } = fakeProxy();
    const c = connect();
    await core.addToxic({ type: 'timeout', attributes: { timeout: 0 } });
    at(777);
    await core.removeToxic('timeout_downstream');
    expect(c.client.closed).toEqual({ t: 777, how: 'FIN' });
    expect(c.upstream.closed).toEqual({ t: 777, how: 'FIN' });
  });

  it('reset_peer: RST for a connection accepted while it existed, FIN otherwise', async () => {
    const { connect, core, at } = fakeProxy();
    const before = connect();
    await core.addToxic({ type: 'reset_peer', attributes: { timeout: 500 } });
    const after = connect();
    at(10);
    before.fromServer('x');
    after.fromServer('y');
    at(509);
    expect(before.client.closed).toBeNull();
    at(510);
    expect(before.client.closed).toEqual({ t: 510, how: 'FIN' });
    expect(before.upstream.closed).toEqual({ t: 510, how: 'FIN' });
    expect(after.client.closed).toEqual({ t: 510, how: 'RST' });
    expect(after.upstream.closed).toEqual({ t: 510, how: 'RST' });
    expect(after.client.writes).toEqual([]);
  });

  it('slicer: pieces ≤ average+variation, in order, delay µs apart', async () => {
    const { connect, core, at } = fakeProxy(7);
    await core.addToxic({ type: 'slicer', attributes: { average_size: 10, size_variation: 4, delay: 2000 } });
    const c = connect();
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => 65 + (i % 26)));
    at(50);
    c.fromServer(data);
    at(1000);
    expect(c.client.text()).toBe(data.toString('latin1'));
    for (const w of c.client.writes) expect(w.data.length).toBeLessThanOrEqual(14);
    expect(c.client.writes.map((w) => w.t)).toEqual(c.client.writes.map((_, i) => 50 + 2 * i));
  });

  it('limit_data: the crossing chunk is cut short, then both sides close', async () => {
    const { connect, core, at } = fakeProxy();
    await core.addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 10 } });
    const c = connect();
    at(1);
    c.fromClient('123456');
    at(2);
    c.fromClient('789abc');
    expect(c.upstream.writes).toEqual([
      { t: 1, data: '123456' },
      { t: 2, data: '7890'.slice(0, 3) + 'a' },
    ]);
    expect(c.upstream.closed).toEqual({ t: 2, how: 'FIN' });
    expect(c.client.closed).toEqual({ t: 2, how: 'FIN' });
  });
});
