/** slow_close toxic (TOXICS.md): data passes; when the source side closes, the close is forwarded after `delay` ms. */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('slow_close toxic', () => {
  it('downstream 2000: the server closes at t=50; data passes at once, the client sees the FIN at t=2050', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'slow_close', attributes: { delay: 2000 } });
    const c = w.dial();
    await w.sim.runFor(50);
    w.servers[0]!.socket.end('bye');
    await w.sim.runFor(3000);
    expect(c.data).toEqual([{ t: 50, data: 'bye' }]);
    expect(c.log).toEqual(['0 connect', '2050 end', '2050 close:false']);
    // The client socket's close ends the client→server link, which then closes the server side.
    expect(w.servers[0]?.log).toContain('2050 end');
  });

  it('removing it during the delay forwards the close at once', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'slow_close', attributes: { delay: 10_000 } });
    const c = w.dial();
    await w.sim.runFor(50);
    w.servers[0]!.socket.end();
    await w.sim.runFor(450);
    expect(c.log).toEqual(['0 connect']);
    await w.proxy.removeToxic('slow_close_downstream');
    await w.sim.runFor(10);
    expect(c.log).toEqual(['0 connect', '500 end', '500 close:false']);
  });

  it('upstream: the client closes, the server sees the FIN after the delay', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'slow_close', stream: 'upstream', attributes: { delay: 700 } });
    const c = w.dial();
    await w.sim.runFor(100);
    c.socket.end();
    await w.sim.runFor(1000);
    expect(w.servers[0]?.log).toEqual(['800 end']);
    expect(c.log).toEqual(['0 connect', '800 end', '800 close:false']);
  });
});
