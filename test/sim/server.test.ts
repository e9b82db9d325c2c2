/** The simulated net.Server: getConnections, maxConnections ('drop'), close semantics, address. */
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../harness/sim/index.ts';
import { pair, recordEvents } from './helpers.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('server', () => {
  it("address() after listen(0) gives an ephemeral port; 'listening' fires asynchronously", async () => {
    const p = pair();
    sim = p.sim;
    const server = p.server.net.createServer();
    const events: string[] = [];
    server.on('listening', () => events.push('listening'));
    server.listen(0);
    expect(events).toEqual([]);
    expect(server.listening).toBe(true);
    expect(server.address()).toEqual({ address: '0.0.0.0', family: 'IPv4', port: 32768 });
    await p.sim.runFor(0);
    expect(events).toEqual(['listening']);
  });

  it('getConnections counts open accepted sockets', async () => {
    const p = pair();
    sim = p.sim;
    const server = p.server.net.createServer().listen(80);
    const a = p.client.net.createConnection(80, 'server');
    p.client.net.createConnection(80, 'server');
    await p.sim.runFor(20);
    const counts: number[] = [];
    server.getConnections((_e, n) => counts.push(n));
    a.destroy();
    await p.sim.runFor(20);
    server.getConnections((_e, n) => counts.push(n));
    await p.sim.runFor(1);
    expect(counts).toEqual([2, 1]);
  });

  it("maxConnections: the extra connection is closed at once (the client sees 'end') and 'drop' is emitted", async () => {
    const p = pair();
    sim = p.sim;
    const server = p.server.net.createServer().listen(80);
    server.maxConnections = 1;
    const drops: unknown[] = [];
    server.on('drop', (d) => drops.push(d));
    p.client.net.createConnection(80, 'server');
    await p.sim.runFor(20);
    const extra = p.client.net.createConnection(80, 'server');
    const log = recordEvents(extra, () => p.sim.now());
    await p.sim.runFor(50);
    expect(log).toEqual(['30 connect', '30 ready', '40 end', '40 finish', '40 close:false']);
    expect(drops).toEqual([
      {
        localAddress: '192.0.2.1',
        localPort: 80,
        localFamily: 'IPv4',
        remoteAddress: '192.0.2.2',
        remotePort: 32769,
        remoteFamily: 'IPv4',
      },
    ]);
  });

  it("close() stops accepting (new connects are refused) and emits 'close' once the last connection ends", async () => {
    const p = pair();
    sim = p.sim;
    const server = p.server.net.createServer().listen(80);
    const c = p.client.net.createConnection(80, 'server');
    await p.sim.runFor(20);
    const closed: number[] = [];
    server.close(() => closed.push(p.sim.now()));
    const late = p.client.net.createConnection(80, 'server');
    const lateLog = recordEvents(late);
    await p.sim.runFor(100);
    expect(lateLog).toEqual(['error:ECONNREFUSED', 'close:true']);
    expect(closed).toEqual([]);
    c.end();
    await p.sim.runFor(100);
    expect(closed).toEqual([125]);
    expect(p.sim.trace.events().filter((e) => e.kind === 'refused').length).toBe(1);
  });
});
