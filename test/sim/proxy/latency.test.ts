/**
 * latency toxic (TOXICS.md): integer delay uniform in [latency−jitter, latency+jitter−1] counted from
 * the chunk's read time, strictly FIFO, queued chunks flushed on removal, EOF not delayed past data.
 * Wire latency is 0 ms, so every delay seen is the toxic's.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('latency toxic', () => {
  it('latency 1000 upstream: a chunk written at t=5 arrives at t=1005', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 1000 } });
    const c = w.dial();
    await w.sim.runFor(5);
    c.socket.write('ping');
    await w.sim.runFor(999);
    expect(w.servers[0]?.data).toEqual([]);
    await w.sim.runFor(1);
    expect(w.servers[0]?.data).toEqual([{ t: 1005, data: 'ping' }]);
  });

  it('defaults to downstream: the reply is delayed, the request is not', async () => {
    w = await world({ echo: true });
    await w.proxy.addToxic({ type: 'latency', attributes: { latency: 250 } });
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.write('a');
    await w.sim.runFor(1000);
    expect(w.servers[0]?.data).toEqual([{ t: 10, data: 'a' }]);
    expect(c.data).toEqual([{ t: 260, data: 'echo:a' }]);
  });

  it('jitter: every delay is an integer in [L−J, L+J−1], output FIFO, data intact', async () => {
    w = await world({ seed: 3 });
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 100, jitter: 40 } });
    const c = w.dial();
    for (let i = 0; i < 100; i++) {
      await w.sim.runFor(7);
      c.socket.write(`<${i}>`);
    }
    await w.sim.runFor(1000);
    const delays = w.sim.trace
      .events()
      .filter((e) => e.kind === 'proxy.chunk.delay')
      .map((e) => e.delay as number);
    expect(delays).toHaveLength(100);
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(60);
    expect(Math.max(...delays)).toBeLessThanOrEqual(139);
    expect(delays.every(Number.isInteger)).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(30);
    const got = w.servers[0]!.data;
    expect(got.map((d) => d.data).join('')).toBe(Array.from({ length: 100 }, (_, i) => `<${i}>`).join(''));
    // FIFO: a chunk leaves at max(its read time + its delay, the previous chunk's departure).
    let prev = 0;
    got.forEach((d, i) => {
      const expected = Math.max(7 * (i + 1) + delays[i]!, prev);
      expect(d.t).toBe(expected);
      prev = expected;
    });
  });

  it('the same seed gives the same jitter; another seed another one', async () => {
    const run = async (seed: number) => {
      const x = await world({ seed });
      await x.proxy.addToxic({
        type: 'latency',
        stream: 'upstream',
        attributes: { latency: 100, jitter: 50 },
      });
      const c = x.dial();
      for (let i = 0; i < 20; i++) {
        await x.sim.runFor(10);
        c.socket.write('x');
      }
      await x.sim.runFor(500);
      const times = x.servers[0]!.data.map((d) => d.t);
      await x.close();
      return times;
    };
    const a = await run(11);
    expect(await run(11)).toEqual(a);
    expect(await run(12)).not.toEqual(a);
  });

  it('removing it flushes the queued chunks at the removal instant', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 5000 } });
    const c = w.dial();
    for (const [t, d] of [
      [10, 'a'],
      [20, 'b'],
      [30, 'c'],
    ] as const) {
      await w.sim.runFor(t - w.now());
      c.socket.write(d);
    }
    await w.sim.runFor(470);
    expect(w.servers[0]?.data).toEqual([]);
    await w.proxy.removeToxic('latency_upstream');
    await w.sim.runFor(0);
    expect(w.servers[0]?.data).toEqual([
      { t: 500, data: 'a' },
      { t: 500, data: 'b' },
      { t: 500, data: 'c' },
    ]);
    c.socket.write('d');
    await w.sim.runFor(1);
    expect(w.servers[0]?.data.at(-1)).toEqual({ t: 500, data: 'd' });
  });

  it('updating it sends the held chunk at once (Toxiproxy interrupts the stage), later chunks use the new value', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 1000 } });
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.write('a');
    await w.sim.runFor(90);
    await w.proxy.updateToxic('latency_upstream', { attributes: { latency: 200 } });
    await w.sim.runFor(0);
    expect(w.servers[0]?.data).toEqual([{ t: 100, data: 'a' }]);
    c.socket.write('b');
    await w.sim.runFor(1000);
    expect(w.servers[0]?.data).toEqual([
      { t: 100, data: 'a' },
      { t: 300, data: 'b' },
    ]);
  });

  it('EOF follows the data before it without extra delay: FIN reaches the server right after the last chunk', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 300 } });
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.write('last');
    c.socket.end();
    await w.sim.runFor(1000);
    expect(w.servers[0]?.data).toEqual([{ t: 310, data: 'last' }]);
    expect(w.servers[0]?.log).toContain('310 end');
  });

  it('applies at once to an open connection', async () => {
    w = await world();
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.write('before');
    await w.sim.runFor(10);
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 100 } });
    c.socket.write('after');
    await w.sim.runFor(500);
    expect(w.servers[0]?.data).toEqual([
      { t: 10, data: 'before' },
      { t: 120, data: 'after' },
    ]);
  });
});
