/**
 * bandwidth toxic (TOXICS.md): rate KB/s with 1 KB = 1000 B; each chunk sleeps len/rate; chunks over
 * rate×100 bytes go out in rate×100-byte pieces every 100 ms; rate 0 holds data forever so the
 * writer meets backpressure; held data is released on removal.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('bandwidth toxic', () => {
  it('rate 10: a 25,000-byte chunk arrives as 25 pieces of 1000 bytes, 100 ms apart', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'bandwidth', attributes: { rate: 10 } });
    const c = w.dial();
    await w.sim.runFor(20);
    w.servers[0]!.socket.write(Buffer.alloc(25_000, 0x61));
    await w.sim.runFor(5000);
    expect(c.data.map((d) => d.data.length)).toEqual(Array(25).fill(1000));
    expect(c.data.map((d) => d.t)).toEqual(Array.from({ length: 25 }, (_, i) => 120 + 100 * i));
  });

  it('rate 1: small chunks each sleep len/rate ms and the sleeps add up (1 KB/s = 1 byte/ms)', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 1 } });
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.write('x'.repeat(50));
    c.socket.write('y'.repeat(30));
    await w.sim.runFor(1000);
    expect(w.servers[0]?.data).toEqual([
      { t: 60, data: 'x'.repeat(50) },
      { t: 90, data: 'y'.repeat(30) },
    ]);
  });

  it('sub-millisecond sleeps are paid back: 3 KB/s passes 3 one-byte chunks per ms on average', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 3 } });
    const c = w.dial();
    await w.sim.runFor(10);
    for (let i = 0; i < 30; i++) c.socket.write(String(i % 10));
    await w.sim.runFor(100);
    const got = w.servers[0]!.data;
    expect(got.map((d) => d.data).join('')).toBe(
      Array.from({ length: 30 }, (_, i) => String(i % 10)).join(''),
    );
    // 30 bytes at 3 bytes/ms: the last one leaves at 10 + 10 ms.
    expect(got.at(-1)?.t).toBe(20);
    expect(got.at(0)?.t).toBe(11);
  });

  it('rate 0: nothing passes, the writer sees write() return false; removal releases the data and drain follows', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'bandwidth', stream: 'upstream', attributes: { rate: 0 } });
    const c = w.dial();
    await w.sim.runFor(10);
    const chunk = Buffer.alloc(8192, 0x62);
    let writes = 0;
    let blocked = false;
    for (let i = 0; i < 100 && !blocked; i++) {
      blocked = !c.socket.write(chunk);
      writes++;
      await w.sim.runFor(1);
    }
    expect(blocked).toBe(true);
    await w.sim.runFor(60_000);
    expect(w.servers[0]?.data).toEqual([]);
    expect(c.log).toEqual(['0 connect']);
    const removedAt = w.now();
    await w.proxy.removeToxic('bandwidth_upstream');
    await w.sim.runFor(100);
    expect(c.log).toContain(`${removedAt} drain`);
    const received = w.servers[0]!.data;
    expect(received.reduce((n, d) => n + d.data.length, 0)).toBe(writes * 8192);
    expect(received[0]?.t).toBe(removedAt);
  });
});
