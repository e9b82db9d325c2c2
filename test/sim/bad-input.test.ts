/**
 * Bad input gets a clear typed error — Node's own error for what Node rejects, a SimError for misuse
 * of the simulator's API — never a crash and never a silent no-op.
 */
import { describe, expect, it } from 'vitest';
import { SimError, Simulation } from '../../harness/sim/index.ts';
import { recordEvents } from './helpers.ts';

describe('net module', () => {
  const sim = new Simulation({ seed: 1, latency: 1 });
  const rt = sim.runtime('a');
  sim.runtime('b');

  it('ports out of range: ERR_SOCKET_BAD_PORT (RangeError) for connect and listen', () => {
    expect(() => rt.net.createConnection({ port: 65536, host: 'b' })).toThrow(RangeError);
    expect(() => rt.net.createConnection({ port: 1.5, host: 'b' })).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }),
    );
    expect(() => rt.net.createServer().listen(-5)).toThrow(
      expect.objectContaining({ code: 'ERR_SOCKET_BAD_PORT' }),
    );
  });

  it('a host that is not a string: ERR_INVALID_ARG_TYPE', () => {
    expect(() => rt.net.createConnection({ port: 80, host: 42 as unknown as string })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });

  it('what the simulator does not model (IPC paths, IPv6) is refused with a SimError', () => {
    expect(() => rt.net.createConnection({ path: '/tmp/x.sock' } as never)).toThrow(SimError);
    expect(() => rt.net.createConnection({ port: 80, host: '::1' })).toThrow(
      expect.objectContaining({ code: 'SIM_UNSUPPORTED' }),
    );
    expect(() => rt.net.createServer().listen({ path: '/tmp/x.sock' })).toThrow(
      expect.objectContaining({ code: 'SIM_UNSUPPORTED' }),
    );
  });

  it("listen twice: ERR_SERVER_ALREADY_LISTEN; a port in use: EADDRINUSE via 'error'; an address not ours: EADDRNOTAVAIL", async () => {
    const s1 = rt.net.createServer().listen(80);
    expect(() => s1.listen(81)).toThrow(expect.objectContaining({ code: 'ERR_SERVER_ALREADY_LISTEN' }));
    const s2 = rt.net.createServer();
    const errors: string[] = [];
    s2.on('error', (e: NodeJS.ErrnoException) => errors.push(`${e.code}: ${e.message}`));
    s2.listen(80);
    expect(errors).toEqual([]); // asynchronous, as in Node
    const s3 = rt.net.createServer();
    s3.on('error', (e: NodeJS.ErrnoException) => errors.push(`${e.code}: ${e.message}`));
    s3.listen(90, '10.9.9.9');
    await sim.runFor(1);
    expect(errors).toEqual([
      'EADDRINUSE: listen EADDRINUSE: address already in use 0.0.0.0:80',
      'EADDRNOTAVAIL: listen EADDRNOTAVAIL: address not available 10.9.9.9:90',
    ]);
    s1.close();
  });

  it('close() on a server that is not listening: ERR_SERVER_NOT_RUNNING to the callback', async () => {
    const s = rt.net.createServer();
    const got: string[] = [];
    s.close((e) => got.push(String((e as NodeJS.ErrnoException | undefined)?.code)));
    await sim.runFor(1);
    expect(got).toEqual(['ERR_SERVER_NOT_RUNNING']);
  });

  it("an unknown host name: ENOTFOUND through 'error', never thrown", async () => {
    const c = rt.net.createConnection({ port: 80, host: 'no-such-host' });
    const log = recordEvents(c);
    await sim.runFor(1);
    expect(log).toEqual(['error:ENOTFOUND', 'close:true']);
  });

  it('an invalid address string is a name that does not resolve (ENOTFOUND), as with Node', async () => {
    const c = rt.net.createConnection({ port: 80, host: '999.1.1.1' });
    const log = recordEvents(c);
    await sim.runFor(1);
    expect(log).toEqual(['error:ENOTFOUND', 'close:true']);
  });

  it('timers need a function callback', () => {
    expect(() => rt.setTimeout(undefined as unknown as () => void, 5)).toThrow(TypeError);
    expect(() => rt.setInterval('x' as unknown as () => void, 5)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
    );
  });
});

describe('Simulation API', () => {
  it('rejects a non-integer seed, negative latency, non-string hosts and address-like host names', () => {
    expect(() => new Simulation({ seed: 1.5 })).toThrow(
      expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }),
    );
    expect(() => new Simulation({ seed: 1, latency: -1 })).toThrow(
      expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }),
    );
    const sim = new Simulation({ seed: 1 });
    expect(() => sim.host('')).toThrow(SimError);
    expect(() => sim.host('10.0.0.1')).toThrow(expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }));
    expect(() => sim.host('localhost')).toThrow(expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }));
    expect(() => sim.setLatency('a', 'b', -3)).toThrow(expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }));
    expect(() => sim.setLatency('a', 'b', 3, { jitter: Number.NaN })).toThrow(
      expect.objectContaining({ code: 'SIM_BAD_ARGUMENT' }),
    );
    expect(() => sim.random(5 as unknown as string)).toThrow(SimError);
    expect(() => sim.openSockets('ghost')).toThrow(expect.objectContaining({ code: 'SIM_UNKNOWN_HOST' }));
  });

  it('runFor/runUntil reject bad durations and re-entrant calls', async () => {
    const sim = new Simulation({ seed: 1 });
    await expect(sim.runFor(-1)).rejects.toThrow(SimError);
    await expect(sim.runFor(Number.POSITIVE_INFINITY)).rejects.toThrow(SimError);
    await expect(sim.runUntil(undefined as unknown as () => boolean, 10)).rejects.toThrow(SimError);
    const first = sim.runFor(10);
    await expect(sim.runFor(10)).rejects.toThrow(/not re-entrant/);
    await first;
    expect(sim.now()).toBe(10);
  });

  it('a runtime for a closed simulation or a crashed host is refused', async () => {
    const sim = new Simulation({ seed: 1 });
    sim.runtime('a');
    sim.faults.crash('a');
    expect(() => sim.runtime('a')).toThrow(expect.objectContaining({ code: 'SIM_HOST_DOWN' }));
    await sim.close();
    expect(() => sim.runtime('b')).toThrow(expect.objectContaining({ code: 'SIM_CLOSED' }));
  });

  it('runUntil stops at the first instant the predicate holds and reports whether it did', async () => {
    const sim = new Simulation({ seed: 1 });
    const rt = sim.runtime('a');
    let fired = false;
    rt.setTimeout(() => {
      fired = true;
    }, 250);
    expect(await sim.runUntil(() => fired, 1000)).toBe(true);
    expect(sim.now()).toBe(250);
    expect(await sim.runUntil(() => false, 100)).toBe(false);
    expect(sim.now()).toBe(350);
  });

  it('close() leaves nothing scheduled and no socket open', async () => {
    const sim = new Simulation({ seed: 1, latency: 2 });
    const a = sim.runtime('a');
    const b = sim.runtime('b');
    b.net.createServer((s) => s.on('data', () => {})).listen(1);
    const c = a.net.createConnection(1, 'b');
    c.on('connect', () => a.setInterval(() => c.write('x'), 10));
    c.on('error', () => {});
    await sim.runFor(100);
    expect(sim.pendingTimers()).toBeGreaterThan(0);
    expect(sim.openSockets()).toBe(2);
    await sim.close();
    expect(sim.pendingTimers()).toBe(0);
    expect(sim.openSockets()).toBe(0);
  });
});

describe('an exception in application code', () => {
  it('rejects runFor with it, and the rest of the instant still runs on the next runFor', async () => {
    const sim = new Simulation({ seed: 1, latency: 5 });
    const a = sim.runtime('a');
    const b = sim.runtime('b');
    const got: string[] = [];
    b.net
      .createServer((s) =>
        s.on('data', (d) => {
          if (String(d) === 'boom') throw new Error('subject bug');
          got.push(String(d));
        }),
      )
      .listen(1);
    const c1 = a.net.createConnection(1, 'b');
    const c2 = a.net.createConnection(1, 'b');
    await sim.runFor(20);
    c1.write('boom');
    c2.write('fine');
    await expect(sim.runFor(20)).rejects.toThrow('subject bug');
    await sim.runFor(20);
    expect(got).toEqual(['fine']);
    await sim.close();
  });
});
