/**
 * timeout toxic (TOXICS.md): reads and drops every chunk (no backpressure for the sender); 0 never
 * closes; > 0 closes both sides (FIN) after `timeout` ms with no data arriving in that direction,
 * each dropped chunk restarting the wait; removing the toxic closes every connection it was on.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('timeout toxic', () => {
  it('timeout 3000 with a writer every 1000 ms never closes; its data is dropped', async () => {
    w = await world();
    const c = w.dial();
    await w.sim.runFor(100);
    await w.proxy.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 3000 } });
    for (let i = 0; i < 60; i++) {
      await w.sim.runFor(1000);
      expect(c.socket.write('heartbeat')).toBe(true);
    }
    await w.sim.runFor(500);
    expect(c.log).toEqual(['0 connect']);
    expect(w.servers[0]?.data).toEqual([]);
    expect(w.servers[0]?.log).toEqual([]);
    expect(w.sim.trace.events().filter((e) => e.kind === 'proxy.chunk.drop')).toHaveLength(60);
  });

  it('timeout 3000 with no writes closes both sides with a FIN at onset+3000', async () => {
    w = await world();
    const c = w.dial();
    await w.sim.runFor(1234);
    await w.proxy.addToxic({ type: 'timeout', attributes: { timeout: 3000 } });
    await w.sim.runFor(2999);
    expect(c.log).toEqual(['0 connect']);
    await w.sim.runFor(1);
    expect(c.log).toEqual(['0 connect', '4234 end', '4234 close:false']);
    // The server side opened with allowHalfOpen, so it only sees the proxy's FIN.
    expect(w.servers[0]?.log).toEqual(['4234 end']);
    expect(w.sim.trace.events().some((e) => e.kind === 'rst')).toBe(false);
  });

  it('the last dropped chunk restarts the wait: silence after t=4500 closes at t=7500', async () => {
    w = await world();
    const c = w.dial();
    await w.proxy.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 3000 } });
    await w.sim.runFor(2000);
    c.socket.write('a');
    await w.sim.runFor(2500);
    c.socket.write('b');
    await w.sim.runFor(10_000);
    expect(c.log).toEqual(['0 connect', '7500 end', '7500 close:false']);
  });

  it('traffic the other way does not restart it (only data arriving in its direction does)', async () => {
    w = await world({ echo: false });
    const c = w.dial();
    await w.proxy.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 3000 } });
    for (let t = 500; t <= 4000; t += 500) {
      await w.sim.runFor(500);
      if (w.servers[0]?.socket.writable) w.servers[0].socket.write('down');
    }
    expect(c.log).toEqual(['0 connect', '3000 end', '3000 close:false']);
    expect(c.data.map((d) => d.t)).toEqual([500, 1000, 1500, 2000, 2500]);
  });

  it('timeout 0 never closes and drops everything', async () => {
    w = await world();
    const c = w.dial();
    await w.proxy.addToxic({ type: 'timeout', attributes: { timeout: 0 } });
    await w.sim.runFor(10);
    w.servers[0]!.socket.write('lost');
    await w.sim.runFor(3_600_000);
    expect(c.log).toEqual(['0 connect']);
    expect(c.data).toEqual([]);
  });

  it('removing it closes both sockets at the removal instant (FIN)', async () => {
    w = await world();
    const c = w.dial();
    const d = w.dial();
    await w.proxy.addToxic({ type: 'timeout', attributes: { timeout: 0 } });
    await w.sim.runFor(4321);
    await w.proxy.removeToxic('timeout_downstream');
    await w.sim.runFor(10);
    for (const peer of [c, d]) expect(peer.log).toEqual(['0 connect', '4321 end', '4321 close:false']);
    for (const s of w.servers) expect(s.log).toEqual(['4321 end']);
    // New connections are not affected.
    const e = w.dial();
    await w.sim.runFor(10);
    e.socket.write('x');
    await w.sim.runFor(10);
    expect(w.servers[2]?.data).toEqual([{ t: 4341, data: 'x' }]);
  });

  it('removing a toxicity-0 timeout still closes its connections (Toxiproxy cleans up by type)', async () => {
    w = await world();
    const c = w.dial();
    await w.proxy.addToxic({ type: 'timeout', toxicity: 0, attributes: { timeout: 100 } });
    await w.sim.runFor(500);
    w.servers[0]!.socket.write('passes');
    await w.sim.runFor(10);
    expect(c.data).toEqual([{ t: 500, data: 'passes' }]);
    expect(c.log).toEqual(['0 connect']);
    await w.proxy.removeToxic('timeout_downstream');
    await w.sim.runFor(10);
    expect(c.log).toEqual(['0 connect', '510 end', '510 close:false']);
  });
});
