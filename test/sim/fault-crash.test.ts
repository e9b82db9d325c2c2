/**
 * A host that crashes silently (no FIN, no RST; its timers and sockets vanish; packets to it are
 * lost) and restarts (its new kernel answers packets of connections it does not know with RST; its
 * ports are free again).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimError, type Simulation } from '../../harness/sim/index.ts';
import type { SimSocket } from '../../harness/sim/socket.ts';
import { pair, recordEvents } from './helpers.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('crash', () => {
  it('is silent: the peer sees nothing; its writes are retransmitted into the void; after the restart the next retransmission draws an RST', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer(() => {}).listen(80);
    const c = p.client.net.createConnection(80, 'server') as unknown as SimSocket;
    await p.sim.runFor(1000);
    const log = recordEvents(c, () => p.sim.now());
    p.sim.faults.crash('server');
    c.write('anyone?');
    await p.sim.runFor(2000); // t = 3000
    expect(log).toEqual([]);
    p.sim.faults.restart('server');
    await p.sim.runFor(5000);
    const sends = p.sim.trace
      .events()
      .filter((e) => e.kind === 'data')
      .map((e) => e.t);
    expect(sends).toEqual([1000, 1210, 1630, 2470, 4150]);
    expect(log).toEqual(['4160 error:ECONNRESET', '4160 close:true']);
    expect(
      p.sim.trace
        .events()
        .filter((e) => e.kind === 'drop')
        .map((e) => e.reason),
    ).toEqual(['host-down', 'host-down', 'host-down', 'host-down']);
  });

  it('kills the process: its timers stop, its sockets never emit, its runtime is gone', async () => {
    const p = pair();
    sim = p.sim;
    const ticks: number[] = [];
    const events: string[] = [];
    p.server.setInterval(() => ticks.push(p.sim.now()), 1000);
    p.server.net
      .createServer((s) => {
        s.on('close', () => events.push('close'));
        s.on('error', () => events.push('error'));
        s.on('data', () => events.push('data'));
      })
      .listen(80);
    const c = p.client.net.createConnection(80, 'server');
    await p.sim.runFor(2500);
    expect(p.sim.openSockets('server')).toBe(1);
    p.sim.faults.crash('server');
    expect(p.sim.openSockets('server')).toBe(0);
    c.write('x');
    await p.sim.runFor(5000);
    expect(ticks).toEqual([1000, 2000]);
    expect(events).toEqual([]);
    expect(() => p.sim.runtime('server')).toThrow(expect.objectContaining({ code: 'SIM_HOST_DOWN' }));
    // The dead process's runtime is inert: its timers never fire.
    p.server.setTimeout(() => ticks.push(-1), 10);
    await p.sim.runFor(100);
    expect(ticks).toEqual([1000, 2000]);
  });

  it('restart frees the ports: a new server listens on the same port and new connections work', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer(() => {}).listen(80);
    await p.sim.runFor(10);
    p.sim.faults.crash('server');
    const refused = p.client.net.createConnection(80, 'server');
    const refusedLog = recordEvents(refused, () => p.sim.now());
    await p.sim.runFor(2000);
    // Down: the SYN is lost and retried, nothing answers yet.
    expect(refusedLog).toEqual([]);
    p.sim.faults.restart('server');
    const server2 = p.sim.runtime('server');
    const accepted: number[] = [];
    server2.net.createServer(() => accepted.push(p.sim.now())).listen(80);
    await p.sim.runFor(2000);
    // SYN at 10, retried at 1010 (lost) and 3010, which reaches the new server.
    expect(refusedLog).toEqual(['3020 connect', '3020 ready']);
    expect(accepted).toEqual([3025]);
  });

  it('restart of a host that is up, crash of a host that is down, unknown hosts: typed errors', () => {
    const p = pair();
    sim = p.sim;
    expect(() => p.sim.faults.restart('server')).toThrow(expect.objectContaining({ code: 'SIM_HOST_UP' }));
    p.sim.faults.crash('server');
    expect(() => p.sim.faults.crash('server')).toThrow(expect.objectContaining({ code: 'SIM_HOST_DOWN' }));
    expect(() => p.sim.faults.crash('ghost')).toThrow(SimError);
    expect(() => p.sim.faults.restart('ghost')).toThrow(
      expect.objectContaining({ code: 'SIM_UNKNOWN_HOST' }),
    );
  });
});
