/**
 * toxicity (TOXICS.md) and the noop toxic: the probability that a toxic applies, rolled once per
 * (connection, direction, toxic) from the run's seeded generator, and re-rolled when that toxic is
 * updated or a toxic is added or removed right after it in the chain.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** For each of `n` connections: whether its first upstream chunk was delayed by the latency toxic. */
async function delayedPattern(x: World, n: number): Promise<boolean[]> {
  const peers = Array.from({ length: n }, () => x.dial());
  await x.sim.runFor(10);
  const start = x.now();
  for (const p of peers) p.socket.write('x');
  await x.sim.runFor(2000);
  return x.servers.map((s) => {
    const t = s.data[0]?.t;
    if (t === undefined) throw new Error('no data');
    return t > start;
  });
}

const rolls = (x: World, toxic: string) =>
  x.sim.trace.events().filter((e) => e.kind === 'proxy.toxicity' && e.toxic === toxic);

describe('toxicity', () => {
  it('noop passes data; toxicity 0 never applies, toxicity 1 always does', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'noop', stream: 'upstream' });
    await w.proxy.addToxic({
      type: 'latency',
      name: 'never',
      stream: 'upstream',
      toxicity: 0,
      attributes: { latency: 500 },
    });
    expect(await delayedPattern(w, 10)).toEqual(Array(10).fill(false));
    await w.proxy.updateToxic('never', { toxicity: 1 });
    const more = Array.from({ length: 5 }, () => w!.dial());
    await w.sim.runFor(10);
    const t = w.now();
    for (const p of more) p.socket.write('y');
    await w.sim.runFor(1000);
    expect(w.servers.slice(10).map((s) => s.data[0]?.t)).toEqual(Array(5).fill(t + 500));
  });

  it('a fractional toxicity is rolled once per connection and is reproducible per seed', async () => {
    const pattern = async (seed: number) => {
      const x = await world({ seed });
      await x.proxy.addToxic({
        type: 'latency',
        stream: 'upstream',
        toxicity: 0.5,
        attributes: { latency: 500 },
      });
      const p = await delayedPattern(x, 40);
      expect(rolls(x, 'latency_upstream')).toHaveLength(40);
      await x.close();
      return p;
    };
    const a = await pattern(21);
    expect(a.filter(Boolean).length).toBeGreaterThan(8);
    expect(a.filter(Boolean).length).toBeLessThan(32);
    expect(await pattern(21)).toEqual(a);
    expect(await pattern(22)).not.toEqual(a);
  });

  it('every chunk of a connection gets the same outcome until something re-rolls it', async () => {
    w = await world({ seed: 4 });
    await w.proxy.addToxic({
      type: 'latency',
      stream: 'upstream',
      toxicity: 0.5,
      attributes: { latency: 500 },
    });
    const peers = Array.from({ length: 12 }, () => w!.dial());
    await w.sim.runFor(10);
    for (let i = 0; i < 3; i++) {
      for (const p of peers) p.socket.write('z');
      await w.sim.runFor(1000);
    }
    for (const s of w.servers) {
      const lags = s.data.map((d, i) => d.t - (10 + 1000 * i));
      expect(new Set(lags).size).toBe(1);
    }
  });

  it('updating a toxic re-rolls it on every connection', async () => {
    w = await world({ seed: 8 });
    await w.proxy.addToxic({
      type: 'latency',
      stream: 'upstream',
      toxicity: 0.5,
      attributes: { latency: 500 },
    });
    for (let i = 0; i < 6; i++) w.dial();
    await w.sim.runFor(10);
    expect(rolls(w, 'latency_upstream')).toHaveLength(6);
    await w.proxy.updateToxic('latency_upstream', { attributes: { latency: 400 } });
    expect(rolls(w, 'latency_upstream')).toHaveLength(12);
  });

  it('adding or removing the toxic right after it re-rolls it; changes further along or in the other direction do not', async () => {
    w = await world({ seed: 9 });
    await w.proxy.addToxic({
      type: 'latency',
      name: 'first',
      stream: 'upstream',
      toxicity: 0.5,
      attributes: { latency: 1 },
    });
    for (let i = 0; i < 5; i++) w.dial();
    await w.sim.runFor(10);
    expect(rolls(w, 'first')).toHaveLength(5);
    await w.proxy.addToxic({ type: 'noop', name: 'elsewhere', stream: 'downstream' });
    expect(rolls(w, 'first')).toHaveLength(5);
    await w.proxy.addToxic({ type: 'noop', name: 'next', stream: 'upstream' });
    expect(rolls(w, 'first')).toHaveLength(10);
    await w.proxy.addToxic({ type: 'noop', name: 'after-next', stream: 'upstream' });
    expect(rolls(w, 'first')).toHaveLength(10);
    await w.proxy.removeToxic('after-next');
    expect(rolls(w, 'first')).toHaveLength(10);
    await w.proxy.removeToxic('next');
    expect(rolls(w, 'first')).toHaveLength(15);
  });
});
