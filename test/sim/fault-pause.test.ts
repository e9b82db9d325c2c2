/**
 * A paused process (a long GC, a blocked event loop): its timers and socket events freeze for the
 * span while its kernel keeps receiving and acknowledging; everything due runs at resume, in order.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../harness/sim/index.ts';
import { pair } from './helpers.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('pause', () => {
  it('freezes timers and socket events; at resume they run in the order they fell due; an interval fires once, then resumes its period', async () => {
    const p = pair();
    sim = p.sim;
    const order: string[] = [];
    p.server.net.createServer((s) => s.on('data', (d) => order.push(`${p.sim.now()} data ${d}`))).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    await p.sim.runFor(1000);
    p.server.setInterval(() => order.push(`${p.sim.now()} tick`), 700);
    p.sim.faults.pause('server', 3000); // 1000 → 4000
    c.write('one');
    await p.sim.runFor(500);
    c.write('two');
    await p.sim.runFor(4000);
    expect(order).toEqual(['4000 data one', '4000 data two', '4000 tick', '4700 tick', '5400 tick']);
  });

  it('the kernel still acknowledges: the sender never retransmits during the pause', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer((s) => s.on('data', () => {})).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    await p.sim.runFor(100);
    p.sim.faults.pause('server', 10_000);
    c.write('x');
    await p.sim.runFor(10_000);
    const data = p.sim.trace.events().filter((e) => e.kind === 'data');
    expect(data.map((e) => e.t)).toEqual([100]);
    expect(p.sim.trace.events().some((e) => e.kind === 'drop')).toBe(false);
  });

  it('a connection accepted by the kernel during the pause is handed to the process at resume', async () => {
    const p = pair();
    sim = p.sim;
    const accepted: number[] = [];
    p.server.net.createServer(() => accepted.push(p.sim.now())).listen(80);
    p.sim.faults.pause('server', 1000);
    const c = p.client.net.createConnection(80, 'server');
    const connected: number[] = [];
    c.on('connect', () => connected.push(p.sim.now()));
    await p.sim.runFor(2000);
    expect(connected).toEqual([10]);
    expect(accepted).toEqual([1000]);
  });

  it('rejects a non-positive span and unknown hosts', () => {
    const p = pair();
    sim = p.sim;
    expect(() => p.sim.faults.pause('server', 0)).toThrow(
      expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }),
    );
    expect(() => p.sim.faults.pause('nobody', 10)).toThrow(
      expect.objectContaining({ code: 'SIM_UNKNOWN_HOST' }),
    );
  });
});
