/**
 * Partitions (direct topology): one-way or both ways; 'drop' loses packets (TCP retransmits them
 * with backoff, so the bytes arrive after the heal at the next retransmission), 'hold' queues them
 * and releases them in order at the heal. Convention C1 (default) loses deliveries arriving at or
 * after the onset, in-flight ones too; C2 only packets sent at or after it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimError, type Simulation } from '../../harness/sim/index.ts';
import type { SimSocket } from '../../harness/sim/socket.ts';
import { type EchoPair, echoPair, pair } from './helpers.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** Connected at 15; the server records data arrivals; the client writes 'a' at 2000 (arrives 2005 when healthy). */
async function setup(): Promise<EchoPair> {
  const e = await echoPair();
  sim = e.p.sim;
  e.client.write('a');
  await e.p.sim.runFor(3);
  return e;
}

describe('partition', () => {
  it('C1 drop (default): the packet in flight at the onset is lost; retransmissions at RTO 210 ms doubling; after the heal the next one gets through', async () => {
    const { p, got, clientGot } = await setup();
    const h = p.sim.faults.partition('client', 'server');
    expect(h.convention).toBe('C1');
    await p.sim.runFor(997); // t = 3000
    h.heal();
    await p.sim.runFor(2000);
    const sends = p.sim.trace
      .events()
      .filter((e) => e.kind === 'data' && e.src === 'client:32768')
      .map((e) => e.t);
    expect(sends).toEqual([2000, 2210, 2630, 3470]);
    expect(got).toEqual(['3475 a']);
    expect(clientGot).toEqual(['3480 echo-a']);
    const drops = p.sim.trace
      .events()
      .filter((e) => e.kind === 'drop')
      .map((e) => `${e.t} ${e.reason}`);
    expect(drops).toEqual(['2005 partition', '2215 partition', '2635 partition']);
  });

  it('C2 drop: a packet sent before the onset still arrives', async () => {
    const { p, got } = await setup();
    const h = p.sim.faults.partition('client', 'server', { convention: 'C2' });
    await p.sim.runFor(100);
    expect(got).toEqual(['2005 a']);
    h.heal();
  });

  it('C1 hold: packets (and retransmissions) are queued and released in order at the heal; duplicates are ignored', async () => {
    const { p, got, clientGot } = await setup();
    const h = p.sim.faults.partition('client', 'server', { mode: 'hold' });
    await p.sim.runFor(997);
    h.heal();
    await p.sim.runFor(100);
    expect(got).toEqual(['3000 a']);
    expect(clientGot).toEqual(['3005 echo-a']);
    const holds = p.sim.trace
      .events()
      .filter((e) => e.kind === 'hold')
      .map((e) => e.t);
    expect(holds).toEqual([2005, 2215, 2635]);
    expect(p.sim.trace.events().find((e) => e.kind === 'fault.off')?.released).toBe(3);
  });

  it('C2 hold: what is sent during the partition waits at the sender and crosses the link after the heal', async () => {
    const { p, got, clientGot } = await setup();
    const h = p.sim.faults.partition('client', 'server', { mode: 'hold', convention: 'C2' });
    await p.sim.runFor(97); // t = 2100
    h.heal();
    await p.sim.runFor(50);
    // 'a' left before the onset and arrived at 2005; the echo was sent at 2005, held, released at 2100.
    expect(got).toEqual(['2005 a']);
    expect(clientGot).toEqual(['2105 echo-a']);
  });

  it("one way ('a->b'): the client's data is lost but the server's still reaches the client", async () => {
    const p = pair();
    sim = p.sim;
    let serverSide: SimSocket | undefined;
    const got: string[] = [];
    p.server.net
      .createServer((s) => {
        serverSide = s as unknown as SimSocket;
        s.on('data', (d) => got.push(`${p.sim.now()} server ${d}`));
      })
      .listen(80);
    const client = p.client.net.createConnection(80, 'server');
    client.on('data', (d) => got.push(`${p.sim.now()} client ${d}`));
    await p.sim.runFor(100);
    p.sim.faults.partition('client', 'server', { direction: 'a->b' });
    client.write('up');
    serverSide?.write('down');
    await p.sim.runFor(100);
    expect(got).toEqual(['105 client down']);
  });

  it('unknown hosts and bad options are typed errors, not crashes or no-ops', () => {
    const p = pair();
    sim = p.sim;
    expect(() => p.sim.faults.partition('client', 'nope')).toThrow(SimError);
    expect(() => p.sim.faults.partition('client', 'nope')).toThrow(/unknown host 'nope'/);
    expect(() => p.sim.faults.partition('client', 'server', { mode: 'lose' as 'drop' })).toThrow(
      expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }),
    );
    expect(() => p.sim.faults.partition('client', 'client')).toThrow(
      expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }),
    );
  });
});
