/**
 * slicer toxic (TOXICS.md): each chunk split recursively in halves (midpoint moved by up to
 * ±size_variation from the seeded generator) until every piece is ≤ average_size+size_variation;
 * `delay` µs after each piece; order kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxyError } from '../../../harness/toxics/vocabulary.ts';
import { type World, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const alphabet = (n: number) =>
  Array.from({ length: n }, (_, i) => String.fromCharCode(65 + (i % 26))).join('');

describe('slicer toxic', () => {
  it('variation 0: 25 bytes at average 10 split into halves of halves: 6, 6, 6, 7 bytes, 1 ms apart', async () => {
    w = await world();
    await w.proxy.addToxic({
      type: 'slicer',
      attributes: { average_size: 10, size_variation: 0, delay: 1000 },
    });
    const c = w.dial();
    await w.sim.runFor(40);
    w.servers[0]!.socket.write(alphabet(25));
    await w.sim.runFor(100);
    expect(c.data).toEqual([
      { t: 40, data: 'ABCDEF' },
      { t: 41, data: 'GHIJKL' },
      { t: 42, data: 'MNOPQR' },
      { t: 43, data: 'STUVWXY' },
    ]);
  });

  it('with variation: every piece ≤ average+variation, in order, and the split is reproducible per seed', async () => {
    const run = async (seed: number) => {
      const x = await world({ seed });
      await x.proxy.addToxic({
        type: 'slicer',
        attributes: { average_size: 8, size_variation: 4, delay: 0 },
      });
      const c = x.dial();
      await x.sim.runFor(10);
      x.servers[0]!.socket.write(alphabet(300));
      await x.sim.runFor(10);
      const sizes = c.data.map((d) => d.data.length);
      expect(c.text()).toBe(alphabet(300));
      expect(c.data.every((d) => d.t === 10)).toBe(true);
      await x.close();
      return sizes;
    };
    const a = await run(5);
    expect(Math.max(...a)).toBeLessThanOrEqual(12);
    expect(new Set(a).size).toBeGreaterThan(2);
    expect(await run(5)).toEqual(a);
    expect(await run(6)).not.toEqual(a);
  });

  it('sub-millisecond delays accumulate exactly: at 100 µs, piece k leaves at the first whole ms ≥ (k−1)×0.1 ms', async () => {
    w = await world();
    await w.proxy.addToxic({
      type: 'slicer',
      attributes: { average_size: 1, size_variation: 0, delay: 100 },
    });
    const c = w.dial();
    await w.sim.runFor(20);
    w.servers[0]!.socket.write(alphabet(32));
    await w.sim.runFor(100);
    expect(c.text()).toBe(alphabet(32));
    expect(c.data.map((d) => d.t)).toEqual(
      Array.from({ length: 32 }, (_, k) => 20 + Math.ceil(k * 0.1 - 1e-9)),
    );
  });

  it('rejects what would crash the real server: average_size 0, size_variation > average_size', async () => {
    w = await world();
    for (const attributes of [{}, { average_size: 0 }, { average_size: 4, size_variation: 5 }]) {
      const err = await w.proxy.addToxic({ type: 'slicer', attributes }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FaultProxyError);
      expect(err).toMatchObject({ kind: 'invalid_attribute', status: 400 });
    }
    expect(await w.proxy.listToxics()).toEqual([]);
  });
});
