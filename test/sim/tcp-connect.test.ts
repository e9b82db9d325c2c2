/**
 * TCP handshake and refusal on virtual time: connect after one round trip, ECONNREFUSED after one
 * round trip, ENOTFOUND asynchronously, a black hole answering nothing, SYN retries to ETIMEDOUT.
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

describe('connect', () => {
  it('completes after one round trip; the server sees the connection after the third packet', async () => {
    const p = pair();
    sim = p.sim;
    const accepted: string[] = [];
    p.server.net
      .createServer((s) =>
        accepted.push(`${p.sim.now()} ${s.remoteAddress}:${s.remotePort}->${s.localAddress}:${s.localPort}`),
      )
      .listen(80);
    const c = p.client.net.createConnection({ host: 'server', port: 80 });
    const log = recordEvents(c, () => p.sim.now());
    expect(c.connecting).toBe(true);
    expect(c.readyState).toBe('opening');
    expect(c.pending).toBe(true);
    await p.sim.runFor(100);
    expect(log).toEqual(['10 connect', '10 ready']);
    expect(accepted).toEqual(['15 192.0.2.2:32768->192.0.2.1:80']);
    expect(c.readyState).toBe('open');
    expect(c.pending).toBe(false);
    expect(c.remoteAddress).toBe('192.0.2.1');
    expect(c.remotePort).toBe(80);
    expect(c.localAddress).toBe('192.0.2.2');
    expect(c.address()).toEqual({ address: '192.0.2.2', family: 'IPv4', port: 32768 });
    expect(p.sim.trace.events().map((e) => `${e.t} ${e.kind}`)).toEqual([
      '0 listen',
      '0 syn',
      '5 syn-ack',
      '10 ack',
    ]);
  });

  it('to a port nobody listens on: ECONNREFUSED after one round trip, then close(true)', async () => {
    const p = pair();
    sim = p.sim;
    const c = p.client.net.createConnection(81, 'server');
    const log = recordEvents(c, () => p.sim.now());
    let err: NodeJS.ErrnoException | undefined;
    c.on('error', (e) => {
      err = e;
    });
    await p.sim.runFor(100);
    expect(log).toEqual(['10 error:ECONNREFUSED', '10 close:true']);
    expect(err?.message).toBe('connect ECONNREFUSED 192.0.2.1:81');
    expect(err).toMatchObject({ errno: -111, syscall: 'connect', address: '192.0.2.1', port: 81 });
    expect(c.readyState).toBe('closed');
    expect(c.destroyed).toBe(true);
  });

  it('to an unknown host name: ENOTFOUND asynchronously (not thrown), then close(true)', async () => {
    const p = pair();
    sim = p.sim;
    const c = p.client.net.createConnection({ host: 'nosuchhost', port: 80 });
    const log = recordEvents(c, () => p.sim.now());
    let err: NodeJS.ErrnoException | undefined;
    c.on('error', (e) => {
      err = e;
    });
    expect(log).toEqual([]);
    await p.sim.runFor(1);
    expect(log).toEqual(['0 error:ENOTFOUND', '0 close:true']);
    expect(err?.message).toBe('getaddrinfo ENOTFOUND nosuchhost');
    expect(err).toMatchObject({ errno: -3008, syscall: 'getaddrinfo', hostname: 'nosuchhost' });
  });

  it("into a black hole: no answer until the caller's own timeout ('timeout' at exactly 3000 ms)", async () => {
    const p = pair();
    sim = p.sim;
    const c = p.client.net.createConnection({ host: '192.0.2.200', port: 80, timeout: 3000 });
    const log = recordEvents(c, () => p.sim.now());
    c.on('timeout', () => c.destroy());
    await p.sim.runFor(10_000);
    expect(log).toEqual(['3000 timeout', '3000 close:false']);
    expect(p.sim.pendingTimers()).toBe(0);
  });

  it('SYNs to a crashed host are retried at 1, 3, 7, 15, 31, 63 s and the connect fails with ETIMEDOUT at 127 s', async () => {
    const p = pair();
    sim = p.sim;
    p.sim.faults.crash('server');
    const c = p.client.net.createConnection({ host: 'server', port: 80 });
    const log = recordEvents(c, () => p.sim.now());
    await p.sim.runFor(200_000);
    expect(log).toEqual(['127000 error:ETIMEDOUT', '127000 close:true']);
    const syns = p.sim.trace
      .events()
      .filter((e) => e.kind === 'syn')
      .map((e) => e.t);
    expect(syns).toEqual([0, 1000, 3000, 7000, 15000, 31000, 63000]);
  });

  it('writes made before the connection wait for it and go out right after the handshake', async () => {
    const p = pair();
    sim = p.sim;
    const got: string[] = [];
    p.server.net.createServer((s) => s.on('data', (d) => got.push(`${p.sim.now()} ${d}`))).listen(80);
    const c = p.client.net.createConnection(80, 'server');
    let cbAt = -1;
    c.write('early', () => {
      cbAt = p.sim.now();
    });
    expect(c.bytesWritten).toBe(5);
    await p.sim.runFor(100);
    expect(cbAt).toBe(10);
    expect(got).toEqual(['15 early']);
    expect(c.bytesWritten).toBe(5);
  });

  it('a write pending when the connect is refused gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION after close (as Node)', async () => {
    const p = pair();
    sim = p.sim;
    const c = p.client.net.createConnection(81, 'server');
    const log = recordEvents(c);
    c.write('early', (e) => log.push(`wcb:${(e as NodeJS.ErrnoException | null)?.code}`));
    await p.sim.runFor(100);
    expect(log).toEqual(['error:ECONNREFUSED', 'close:true', 'wcb:ERR_SOCKET_CLOSED_BEFORE_CONNECTION']);
  });

  it("'localhost' and '127.0.0.1' dialed from a host mean that host itself (loopback, no latency)", async () => {
    const p = pair();
    sim = p.sim;
    const accepted: string[] = [];
    p.server.net.createServer((s) => accepted.push(`${p.sim.now()} ${s.remoteAddress}`)).listen(80);
    const c = p.server.net.createConnection(80, 'localhost') as unknown as SimSocket;
    const log = recordEvents(c, () => p.sim.now());
    await p.sim.runFor(10);
    expect(log).toEqual(['0 connect', '0 ready']);
    expect(accepted).toEqual(['0 127.0.0.1']);
    expect(c.remoteAddress).toBe('127.0.0.1');
    // A server bound to loopback refuses connections from other hosts.
    p.server.net.createServer().listen(81, '127.0.0.1');
    const other = p.client.net.createConnection(81, 'server');
    const otherLog = recordEvents(other);
    await p.sim.runFor(100);
    expect(otherLog).toEqual(['error:ECONNREFUSED', 'close:true']);
  });
});
