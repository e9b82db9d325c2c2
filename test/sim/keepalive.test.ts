/**
 * TCP keepalive (F7) with Node's settings: setKeepAlive(true, d) sends the first probe d after the
 * last packet received, then one per second, ten in all; unanswered, the socket fails with ETIMEDOUT.
 * A live peer (any live host: a proxy answers for itself) answers, so keepalive never fires through
 * a proxy even when the server behind it is black-holed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Simulation } from '../../harness/sim/index.ts';
import { pair, recordEvents } from './helpers.ts';

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('keepalive', () => {
  it('direct topology, peer crashed silently: probes at d, d+1 s … d+9 s after the last packet, ETIMEDOUT at d+10 s', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer(() => {}).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    c.setKeepAlive(true, 5000);
    const log = recordEvents(c, () => p.sim.now(), ['error', 'close']);
    let err: NodeJS.ErrnoException | undefined;
    c.on('error', (e) => {
      err = e;
    });
    await p.sim.runFor(100);
    p.sim.faults.crash('server');
    await p.sim.runFor(20_000);
    const probes = p.sim.trace
      .events()
      .filter((e) => e.kind === 'ka-probe')
      .map((e) => e.t);
    // Last packet received by the client: the SYN-ACK at 10.
    expect(probes).toEqual([5010, 6010, 7010, 8010, 9010, 10010, 11010, 12010, 13010, 14010]);
    expect(log).toEqual(['15010 error:ETIMEDOUT', '15010 close:true']);
    expect(err?.message).toBe('read ETIMEDOUT');
  });

  it('direct topology, path black-holed by a partition (both ways): the same schedule, ETIMEDOUT at d+10 s', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer(() => {}).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    c.setKeepAlive(true, 3000);
    const log = recordEvents(c, () => p.sim.now(), ['error', 'close']);
    await p.sim.runFor(100);
    p.sim.faults.partition('client', 'server');
    await p.sim.runFor(20_000);
    const probes = p.sim.trace
      .events()
      .filter((e) => e.kind === 'ka-probe')
      .map((e) => e.t);
    expect(probes).toEqual([3010, 4010, 5010, 6010, 7010, 8010, 9010, 10010, 11010, 12010]);
    expect(log).toEqual(['13010 error:ETIMEDOUT', '13010 close:true']);
  });

  it('a live peer answers every probe: no error, probes every d after the last answer', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer(() => {}).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    c.setKeepAlive(true, 5000);
    const log = recordEvents(c, () => p.sim.now(), ['error', 'close']);
    await p.sim.runFor(16_000);
    const kinds = p.sim.trace
      .events()
      .filter((e) => e.kind === 'ka-probe' || e.kind === 'ka-ack')
      .map((e) => `${e.t} ${e.kind}`);
    expect(kinds).toEqual([
      '5010 ka-probe',
      '5015 ka-ack',
      '10020 ka-probe',
      '10025 ka-ack',
      '15030 ka-probe',
      '15035 ka-ack',
    ]);
    expect(log).toEqual([]);
  });

  it('a paused process still answers probes (its kernel does)', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer(() => {}).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    c.setKeepAlive(true, 2000);
    const log = recordEvents(c, () => p.sim.now(), ['error', 'close']);
    await p.sim.runFor(100);
    p.sim.faults.pause('server', 60_000);
    await p.sim.runFor(30_000);
    expect(log).toEqual([]);
    expect(p.sim.trace.events().filter((e) => e.kind === 'ka-ack').length).toBeGreaterThan(10);
  });

  it('through a relay host (a proxy): the relay answers, so keepalive never fires even with the server black-holed', async () => {
    const p = pair();
    sim = p.sim;
    const relay = p.sim.runtime('proxy');
    p.server.net.createServer(() => {}).listen(80);
    relay.net
      .createServer((downstream) => {
        const upstream = relay.net.createConnection(80, 'server');
        downstream.pipe(upstream).pipe(downstream);
        upstream.on('error', () => downstream.destroy());
        downstream.on('error', () => upstream.destroy());
      })
      .listen(8080);
    const c = p.client.net.createConnection(8080, 'proxy');
    c.setKeepAlive(true, 5000);
    const log = recordEvents(c, () => p.sim.now(), ['error', 'close']);
    await p.sim.runFor(100);
    p.sim.faults.partition('proxy', 'server');
    await p.sim.runFor(60_000);
    expect(log).toEqual([]);
    const answers = p.sim.trace.events().filter((e) => e.kind === 'ka-ack' && e.src === 'proxy:8080');
    expect(answers.length).toBe(11);
  });

  it('setKeepAlive(true) with no delay uses the system default idle (7200 s)', async () => {
    const p = pair();
    sim = p.sim;
    p.server.net.createServer(() => {}).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    c.setKeepAlive(true);
    await p.sim.runFor(7_200_009);
    expect(p.sim.trace.events().some((e) => e.kind === 'ka-probe')).toBe(false);
    await p.sim.runFor(2);
    expect(
      p.sim.trace
        .events()
        .filter((e) => e.kind === 'ka-probe')
        .map((e) => e.t),
    ).toEqual([7_200_010]);
  });
});
