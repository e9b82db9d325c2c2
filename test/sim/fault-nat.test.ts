/**
 * A NAT/firewall next to host `a` that forgets a mapping idle for longer than idleTimeout: later
 * packets of that connection are black-holed, or answered with an RST. Traffic (or keepalive) more
 * often than the timeout keeps the mapping.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../harness/sim/index.ts';
import type { SimSocket } from '../../harness/sim/socket.ts';
import { pair, recordEvents } from './helpers.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function natPair(action: 'drop' | 'rst') {
  const p = pair();
  sim = p.sim;
  let serverSide: SimSocket | undefined;
  const got: string[] = [];
  p.server.net
    .createServer((s) => {
      serverSide = s as unknown as SimSocket;
      s.on('data', (d) => got.push(`${p.sim.now()} ${d}`));
      s.on('error', () => {});
    })
    .listen(80);
  p.sim.faults.nat('client', 'server', { idleTimeout: 30_000, action });
  const client = p.client.net.createConnection(80, 'server') as unknown as SimSocket;
  await p.sim.runFor(100);
  return { p, client, got, server: () => serverSide as unknown as SimSocket };
}

describe('nat', () => {
  it("'drop': after 30 s idle the client's next packet is black-holed (and so are its retransmissions)", async () => {
    const { p, client, got } = await natPair('drop');
    client.write('early');
    await p.sim.runFor(10_000);
    expect(got).toEqual(['105 early']);
    await p.sim.runFor(30_001); // last packet through the NAT: the ACK arriving at 110
    client.write('late');
    await p.sim.runFor(5000);
    expect(got).toEqual(['105 early']);
    const drops = p.sim.trace.events().filter((e) => e.kind === 'drop');
    expect(drops[0]).toMatchObject({ t: 40_101, reason: 'nat', packet: 'data' });
    expect(p.sim.trace.events().some((e) => e.kind === 'nat.expire' && e.t === 40_101)).toBe(true);
  });

  it("'rst': the client's packet on a forgotten mapping is answered with an RST at once (ECONNRESET)", async () => {
    const { p, client } = await natPair('rst');
    await p.sim.runFor(30_100);
    const log = recordEvents(client, () => p.sim.now());
    client.write('late');
    await p.sim.runFor(100);
    expect(log).toEqual(['30200 error:ECONNRESET', '30200 close:true']);
  });

  it("'rst' inbound: the server's packet is answered after crossing back (one way each direction)", async () => {
    const { p, server } = await natPair('rst');
    await p.sim.runFor(30_100);
    const s = server();
    const log = recordEvents(s, () => p.sim.now(), ['error', 'close']);
    s.write('late');
    await p.sim.runFor(100);
    expect(log).toEqual(['30210 error:ECONNRESET', '30210 close:true']);
  });

  it('traffic more often than the idle timeout keeps the mapping (keepalive every 20 s)', async () => {
    const { p, client, got } = await natPair('drop');
    client.setKeepAlive(true, 20_000);
    await p.sim.runFor(100_000);
    client.write('still');
    await p.sim.runFor(100);
    expect(got.at(-1)).toBe('100105 still');
    expect(p.sim.trace.events().some((e) => e.kind === 'drop')).toBe(false);
  });

  it('remove() stops it; bad options are typed errors', async () => {
    const { p, client, got } = await natPair('drop');
    const p2 = p.sim;
    expect(() => p2.faults.nat('client', 'server', { idleTimeout: -1, action: 'drop' })).toThrow(
      expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }),
    );
    expect(() => p2.faults.nat('client', 'server', { idleTimeout: 1, action: 'reject' as 'drop' })).toThrow(
      expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }),
    );
    expect(() => p2.faults.nat('client', 'ghost', { idleTimeout: 1, action: 'drop' })).toThrow(
      expect.objectContaining({ code: 'SIM_UNKNOWN_HOST' }),
    );
    const h = p2.faults.nat('client', 'server', { idleTimeout: 10, action: 'drop' });
    h.remove();
    await p2.runFor(1000);
    client.write('x');
    await p2.runFor(100);
    // The first NAT (30 s) is still there and the mapping is fresh: the data passes.
    expect(got).toEqual(['1105 x']);
  });
});
