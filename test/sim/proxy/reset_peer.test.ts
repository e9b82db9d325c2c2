/**
 * reset_peer toxic (TOXICS.md): nothing until the first chunk or EOF in its direction; drops it,
 * waits `timeout` without reading, then closes — an RST only for connections accepted while a
 * reset_peer toxic existed (either direction, any toxicity), otherwise a FIN.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('reset_peer toxic', () => {
  it('accepted while it existed: the first chunk is dropped and both sides get an RST after the timeout (ECONNRESET)', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 500 } });
    const c = w.dial();
    await w.sim.runFor(1000);
    expect(c.log).toEqual(['0 connect']);
    c.socket.write('hello');
    await w.sim.runFor(499);
    expect(c.log).toEqual(['0 connect']);
    await w.sim.runFor(1);
    expect(c.log).toEqual(['0 connect', '1500 error:ECONNRESET', '1500 close:true']);
    expect(w.servers[0]?.log).toEqual(['1500 error:ECONNRESET', '1500 close:true']);
    expect(w.servers[0]?.data).toEqual([]);
  });

  it('added after the connection was accepted: the same close is a FIN', async () => {
    w = await world();
    const c = w.dial();
    await w.sim.runFor(10);
    await w.proxy.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 500 } });
    await w.sim.runFor(90);
    c.socket.write('hello');
    await w.sim.runFor(1000);
    expect(c.log).toEqual(['0 connect', '600 end', '600 close:false']);
    expect(w.servers[0]?.log).toEqual(['600 end']);
  });

  it('a reset_peer in the other direction with toxicity 0 still makes every close of the connection an RST', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'reset_peer', name: 'armed', toxicity: 0, attributes: { timeout: 0 } });
    await w.proxy.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 200 } });
    const c = w.dial();
    await w.sim.runFor(1000);
    expect(c.log).toEqual(['0 connect', '200 error:ECONNRESET', '200 close:true']);
  });

  it('EOF triggers it too: the client closes, the RST follows the timeout', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 300 } });
    const c = w.dial();
    await w.sim.runFor(100);
    c.socket.end();
    await w.sim.runFor(1000);
    expect(w.servers[0]?.log).toEqual(['400 error:ECONNRESET', '400 close:true']);
  });

  it('after the first chunk it reads nothing more: later chunks stay with the sender (backpressure), never reach the server', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 60_000 } });
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.write('first');
    const big = Buffer.alloc(16_384, 0x63);
    let blocked = false;
    for (let i = 0; i < 40 && !blocked; i++) {
      blocked = !c.socket.write(big);
      await w.sim.runFor(1);
    }
    expect(blocked).toBe(true);
    expect(w.servers[0]?.data).toEqual([]);
  });

  it('timeout 0 closes at the instant the first chunk arrives', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'reset_peer', attributes: { timeout: 0 } });
    const c = w.dial();
    await w.sim.runFor(77);
    w.servers[0]!.socket.write('reply');
    await w.sim.runFor(10);
    expect(c.log).toEqual(['0 connect', '77 error:ECONNRESET', '77 close:true']);
    expect(c.data).toEqual([]);
  });
});
