/** socket.setTimeout: an idle timer on virtual time, re-armed by any activity (connect, read, write). */
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../harness/sim/index.ts';
import type { SimSocket } from '../../harness/sim/socket.ts';
import { pair } from './helpers.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('socket.setTimeout', () => {
  it("emits 'timeout' once after the idle period, again only after new activity; it does not close the socket; the callback form is once-only", async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer(() => {}).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    const fired: number[] = [];
    c.on('timeout', () => fired.push(p.sim.now()));
    c.on('connect', () => c.setTimeout(1000));
    await p.sim.runFor(3000);
    expect(fired).toEqual([1010]);
    expect(c.destroyed).toBe(false);
    expect(c.timeout).toBe(1000);
    c.write('x');
    await p.sim.runFor(3000);
    expect(fired).toEqual([1010, 4000]);
    const once: number[] = [];
    c.setTimeout(100, () => once.push(p.sim.now()));
    await p.sim.runFor(150);
    c.write('y');
    await p.sim.runFor(150);
    expect(once).toEqual([6100]);
    expect(fired).toEqual([1010, 4000, 6100, 6250]);
  });

  it('incoming data re-arms it: a peer talking every 900 ms keeps a 1000 ms timeout quiet; silence fires it 1000 ms after the last byte', async () => {
    const p = pair();
    sim = p.sim;
    let serverSide: SimSocket | undefined;
    p.server.net.createServer((s) => (serverSide = s as unknown as SimSocket)).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    const fired: number[] = [];
    c.on('data', () => {});
    c.setTimeout(1000, () => fired.push(p.sim.now()));
    await p.sim.runFor(15);
    const talk = p.server.setInterval(() => serverSide?.write('.'), 900);
    await p.sim.runFor(5000);
    expect(fired).toEqual([]);
    p.server.clearInterval(talk);
    await p.sim.runFor(3000);
    // Last write at 15 + 5×900 = 4515, arriving at 4520.
    expect(fired).toEqual([5520]);
  });

  it('setTimeout(0) disables it and removes the given listener', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer(() => {}).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    const fired: number[] = [];
    const onTimeout = () => fired.push(p.sim.now());
    c.setTimeout(500, onTimeout);
    c.setTimeout(0, onTimeout);
    await p.sim.runFor(2000);
    expect(fired).toEqual([]);
    expect(c.listenerCount('timeout')).toBe(0);
  });

  it('rejects a negative or non-numeric duration like Node', () => {
    const p = pair();
    sim = p.sim;
    const c = p.client.net.createConnection(80, 'server');
    expect(() => c.setTimeout(-1)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => c.setTimeout('5' as unknown as number)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
    c.destroy();
  });
});
