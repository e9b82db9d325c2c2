/**
 * limit_data toxic (TOXICS.md): passes data until the per-connection count reaches `bytes`, the
 * crossing chunk cut short, then closes; `bytes: 0` closes when the first chunk arrives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('limit_data toxic', () => {
  it('bytes 10: 6 bytes pass, the next 6-byte chunk is cut to 4, then both sides close (FIN)', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 10 } });
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.write('123456');
    await w.sim.runFor(10);
    c.socket.write('789abc');
    await w.sim.runFor(100);
    expect(w.servers[0]?.data).toEqual([
      { t: 10, data: '123456' },
      { t: 20, data: '789a' },
    ]);
    expect(w.servers[0]?.log).toEqual(['20 end']);
    expect(c.log).toEqual(['0 connect', '20 end', '20 close:false']);
  });

  it('a chunk reaching the limit exactly passes whole and closes at once', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'limit_data', attributes: { bytes: 5 } });
    const c = w.dial();
    await w.sim.runFor(30);
    w.servers[0]!.socket.write('hello');
    await w.sim.runFor(10);
    expect(c.data).toEqual([{ t: 30, data: 'hello' }]);
    expect(c.log).toEqual(['0 connect', '30 end', '30 close:false']);
  });

  it('bytes 0 closes when the first chunk arrives, passing nothing', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 0 } });
    const c = w.dial();
    await w.sim.runFor(5000);
    expect(c.log).toEqual(['0 connect']);
    c.socket.write('x');
    await w.sim.runFor(10);
    expect(w.servers[0]?.data).toEqual([]);
    expect(c.log).toEqual(['0 connect', '5000 end', '5000 close:false']);
  });

  it('counts per connection: a second connection gets its own allowance', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 3 } });
    const a = w.dial();
    const b = w.dial();
    await w.sim.runFor(10);
    a.socket.write('aaaa');
    b.socket.write('bb');
    await w.sim.runFor(10);
    expect(w.servers[0]?.data).toEqual([{ t: 10, data: 'aaa' }]);
    expect(w.servers[1]?.data).toEqual([{ t: 10, data: 'bb' }]);
    expect(b.log).toEqual(['0 connect']);
  });
});
