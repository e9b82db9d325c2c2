/**
 * The simulated proxy's runtime rules (TOXICS.md "Topology" and "Runtime changes"): upstream dial
 * failure, full close, enable/disable, delete, reset, TCP ending at the proxy, trace, cleanup.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Simulation } from '../../../harness/sim/index.ts';
import { createSimProxy, getSimProxy, listSimProxies, resetAll } from '../../../harness/sim/proxy/index.ts';
import { parseHostPort } from '../../../harness/sim/proxy/proxy.ts';
import type { SimSocket } from '../../../harness/sim/socket.ts';
import { FaultProxyError } from '../../../harness/toxics/vocabulary.ts';
import { rejection, type World, watch, world } from './net.ts';

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

describe('topology', () => {
  it('upstream dial failure: the client connects, then gets a FIN (not ECONNREFUSED)', async () => {
    w = await world({ upstream: 'server:9999' });
    const c = w.dial();
    await w.sim.runFor(100);
    expect(c.log).toEqual(['0 connect', '0 end', '0 close:false']);
    const dial = w.sim.trace.events().find((e) => e.kind === 'proxy.dial');
    expect(dial).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
  });

  it('with 5 ms wire latency the failed dial shows as connect at 10, FIN at 30', async () => {
    w = await world({ upstream: 'server:9999', latency: 5 });
    const c = w.dial();
    await w.sim.runFor(100);
    expect(c.log).toEqual(['10 connect', '30 end', '30 close:false']);
  });

  it('listens on the toxiproxy host; the resolved address is host:port', async () => {
    w = await world();
    expect(w.proxy.listen).toMatch(/^toxiproxy:\d+$/);
    expect(w.proxy.enabled).toBe(true);
    expect(w.proxy.upstream).toBe('server:8080');
  });

  it('the server closing fully closes both sides (the proxy keeps no half-close)', async () => {
    w = await world();
    const c = w.dial();
    await w.sim.runFor(10);
    w.servers[0]!.socket.end();
    await w.sim.runFor(10);
    expect(c.log).toEqual(['0 connect', '10 end', '10 close:false']);
    // The server opened with allowHalfOpen, yet the proxy closes its side too.
    expect(w.servers[0]?.log).toEqual(['10 end', '10 close:false']);
  });

  it('the client closing fully closes both sides', async () => {
    w = await world();
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.end();
    await w.sim.runFor(10);
    expect(w.servers[0]?.log).toEqual(['10 end']);
    expect(c.log).toEqual(['0 connect', '10 end', '10 close:false']);
  });

  it("TCP ends at the proxy: the client's keepalive is answered by the proxy while a timeout toxic black-holes the data", async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'timeout', name: 'up', stream: 'upstream', attributes: { timeout: 0 } });
    await w.proxy.addToxic({
      type: 'timeout',
      name: 'down',
      stream: 'downstream',
      attributes: { timeout: 0 },
    });
    const c = w.dial();
    c.socket.setKeepAlive(true, 1000);
    await w.sim.runFor(10);
    c.socket.write('ping');
    await w.sim.runFor(600_000);
    expect(c.log).toEqual(['0 connect']);
    expect(w.servers[0]?.data).toEqual([]);
  });
});

describe('enable / disable / delete / reset', () => {
  it('disable: open connections get a FIN, new connects ECONNREFUSED; enable: same port, toxics kept', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 100 } });
    const listen = w.proxy.listen;
    const c = w.dial();
    await w.sim.runFor(500);
    await w.proxy.setEnabled(false);
    expect(w.proxy.enabled).toBe(false);
    await w.sim.runFor(10);
    expect(c.log).toEqual(['0 connect', '500 end', '500 close:false']);
    expect(w.servers[0]?.log).toEqual(['500 end']);
    const refused = w.dial();
    await w.sim.runFor(10);
    expect(refused.log).toEqual(['510 error:ECONNREFUSED', '510 close:true']);
    await w.proxy.setEnabled(true);
    expect(w.proxy.listen).toBe(listen);
    expect(await w.proxy.listToxics()).toHaveLength(1);
    const again = w.dial();
    await w.sim.runFor(10);
    again.socket.write('back');
    await w.sim.runFor(200);
    expect(again.log).toEqual(['520 connect']);
    expect(w.servers[1]?.data).toEqual([{ t: 630, data: 'back' }]);
  });

  it('disable closes with an RST the connections accepted while a reset_peer toxic existed', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'reset_peer', toxicity: 0, attributes: { timeout: 0 } });
    const c = w.dial();
    await w.sim.runFor(100);
    await w.proxy.setEnabled(false);
    await w.sim.runFor(10);
    expect(c.log).toEqual(['0 connect', '100 error:ECONNRESET', '100 close:true']);
  });

  it('enabling an enabled proxy and disabling a disabled one change nothing', async () => {
    w = await world();
    await w.proxy.setEnabled(true);
    await w.proxy.setEnabled(false);
    await w.proxy.setEnabled(false);
    expect(w.proxy.enabled).toBe(false);
  });

  it('remove(): closes everything, the name is free again, the old handle answers 404', async () => {
    w = await world();
    const c = w.dial();
    await w.sim.runFor(50);
    await w.proxy.remove();
    await w.sim.runFor(10);
    expect(c.log).toEqual(['0 connect', '50 end', '50 close:false']);
    expect(await rejection(w.proxy.listToxics())).toMatchObject({ kind: 'proxy_not_found', status: 404 });
    expect(await rejection(w.proxy.setEnabled(true))).toMatchObject({ status: 404 });
    expect(() => getSimProxy(w!.sim, 'p')).toThrow(FaultProxyError);
    const p2 = await createSimProxy(w.sim, { name: 'p', listen: '127.0.0.1:0', upstream: 'server:8080' });
    expect(listSimProxies(w.sim)).toEqual([p2]);
  });

  it('resetAll (POST /reset): enables every proxy and removes every toxic; a timeout toxic closes its connections', async () => {
    w = await world();
    const other = await createSimProxy(w.sim, { name: 'q', listen: '127.0.0.1:0', upstream: 'server:8080' });
    await other.addToxic({ type: 'latency', attributes: { latency: 10 } });
    await other.setEnabled(false);
    await w.proxy.addToxic({ type: 'timeout', attributes: { timeout: 0 } });
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 10 } });
    const c = w.dial();
    await w.sim.runFor(300);
    await resetAll(w.sim);
    await w.sim.runFor(10);
    expect(c.log).toEqual(['0 connect', '300 end', '300 close:false']);
    expect(other.enabled).toBe(true);
    expect(await other.listToxics()).toEqual([]);
    expect(await w.proxy.listToxics()).toEqual([]);
  });
});

describe('errors and bookkeeping', () => {
  it('a duplicate proxy name is 409; a port in use is listen_failed 500; missing fields are 400', async () => {
    w = await world();
    const dup = await rejection(
      createSimProxy(w.sim, { name: 'p', listen: '127.0.0.1:0', upstream: 'server:1' }),
    );
    expect(dup).toMatchObject({ kind: 'proxy_exists', status: 409 });
    const port = parseHostPort(w.proxy.listen)!.port;
    const taken = await rejection(
      createSimProxy(w.sim, { name: 'q', listen: `toxiproxy:${port}`, upstream: 'server:1' }),
    );
    expect(taken).toMatchObject({ kind: 'listen_failed', status: 500 });
    expect(taken.message).toContain('EADDRINUSE');
    expect(listSimProxies(w.sim).map((p) => p.name)).toEqual(['p']);
    const noName = await rejection(createSimProxy(w.sim, { name: '', listen: ':0', upstream: 'server:1' }));
    expect(noName).toMatchObject({ kind: 'bad_request', status: 400 });
    const noUp = await rejection(createSimProxy(w.sim, { name: 'r', listen: ':0', upstream: '' }));
    expect(noUp).toMatchObject({ kind: 'bad_request', status: 400 });
  });

  it('a proxy created disabled does not listen until enabled; listen may name its sim host', async () => {
    const sim = new Simulation({ seed: 1 });
    try {
      const proxy = await createSimProxy(sim, {
        name: 'x',
        listen: 'edge:7000',
        upstream: 'server:1',
        enabled: false,
      });
      expect(proxy.enabled).toBe(false);
      const s = watch(
        sim.runtime('client').net.createConnection({ host: 'edge', port: 7000 }) as unknown as SimSocket,
        () => sim.now(),
      );
      await sim.runFor(10);
      expect(s.log).toEqual(['0 error:ECONNREFUSED', '0 close:true']);
      await proxy.setEnabled(true);
      expect(proxy.listen).toBe('edge:7000');
    } finally {
      await sim.close();
    }
  });

  it('records accept, dial, toxic changes, drops and closes in the trace with virtual timestamps', async () => {
    w = await world();
    const c = w.dial();
    await w.sim.runFor(10);
    await w.proxy.addToxic({ type: 'timeout', stream: 'upstream', attributes: { timeout: 50 } });
    await w.proxy.updateToxic('timeout_upstream', { attributes: { timeout: 100 } });
    c.socket.write('dropped');
    await w.sim.runFor(200);
    const kinds = w.sim.trace
      .events()
      .filter((e) => e.kind.startsWith('proxy.'))
      .map((e) => `${e.t} ${e.kind}${e.how ? ` ${e.how}` : ''}`);
    expect(kinds).toEqual([
      '0 proxy.enabled',
      '0 proxy.accept',
      '0 proxy.dial',
      '10 proxy.toxic.add',
      '10 proxy.toxic.update',
      '10 proxy.chunk.drop',
      '110 proxy.timeout',
      '110 proxy.close FIN',
      '110 proxy.close FIN',
    ]);
  });

  it('leaves nothing behind: no proxy timers after remove(), no sockets or timers after close', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'bandwidth', attributes: { rate: 0 } });
    await w.proxy.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 10_000 } });
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.write('held');
    w.servers[0]!.socket.write('held too');
    await w.sim.runFor(1000);
    expect(w.sim.pendingTimers()).toBeGreaterThan(0);
    await w.proxy.remove();
    await w.sim.runFor(100);
    expect(w.sim.openSockets('toxiproxy')).toBe(0);
    await w.sim.close();
    expect(w.sim.pendingTimers()).toBe(0);
    expect(w.sim.openSockets()).toBe(0);
  });

  it('an update that must wait for a stage stuck on a full downstream returns at once and reaches the connection when the stage frees', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'latency', attributes: { latency: 10 } });
    const c = w.dial();
    c.socket.pause();
    await w.sim.runFor(10);
    const big = Buffer.alloc(32 * 1024, 0x64);
    for (let i = 0; i < 20; i++) w.servers[0]!.socket.write(big);
    await w.sim.runFor(1000);
    const updated = await w.proxy.updateToxic('latency_downstream', { attributes: { latency: 20 } });
    expect(updated.attributes).toEqual({ latency: 20, jitter: 0 });
    expect((await w.proxy.listToxics())[0]?.attributes).toEqual({ latency: 20, jitter: 0 });
    const ops = () => w!.sim.trace.events().filter((e) => e.kind.startsWith('proxy.op.'));
    expect(ops().map((e) => `${e.t} ${e.kind}`)).toEqual(['1010 proxy.op.pending']);
    // Later changes queue behind it, in order, and return at once too.
    await w.proxy.addToxic({ type: 'noop', name: 'after' });
    expect(ops().map((e) => `${e.t} ${e.kind}`)).toEqual(['1010 proxy.op.pending', '1010 proxy.op.pending']);
    await w.sim.runFor(500);
    c.socket.resume();
    await w.sim.runFor(1000);
    expect(c.text().length).toBe(20 * 32 * 1024);
    expect(ops().map((e) => `${e.t} ${e.kind}`)).toEqual([
      '1010 proxy.op.pending',
      '1010 proxy.op.pending',
      '1510 proxy.op.done',
      '1510 proxy.op.done',
    ]);
  });

  it('removing a reset_peer while it sleeps returns at once; the sleep still ends in an RST (it is not interruptible)', async () => {
    w = await world();
    await w.proxy.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 1000 } });
    const c = w.dial();
    await w.sim.runFor(100);
    c.socket.write('trigger');
    await w.sim.runFor(400);
    await w.proxy.removeToxic('reset_peer_upstream');
    expect(await w.proxy.listToxics()).toEqual([]);
    await w.sim.runFor(1000);
    expect(c.log).toEqual(['0 connect', '1100 error:ECONNRESET', '1100 close:true']);
    const fresh = w.dial();
    await w.sim.runFor(10);
    fresh.socket.write('ok');
    await w.sim.runFor(10);
    expect(w.servers[1]?.data).toEqual([{ t: 1510, data: 'ok' }]);
  });

  it('is deterministic: the same seed and inputs give the same trace hash', async () => {
    const run = async () => {
      const x = await world({ seed: 77, latency: 3 });
      await x.proxy.addToxic({ type: 'latency', attributes: { latency: 50, jitter: 20 } });
      await x.proxy.addToxic({
        type: 'slicer',
        stream: 'upstream',
        toxicity: 0.5,
        attributes: { average_size: 4, size_variation: 2, delay: 300 },
      });
      const peers = [x.dial(), x.dial(), x.dial()];
      for (let i = 0; i < 10; i++) {
        await x.sim.runFor(37);
        for (const p of peers) p.socket.write(`message ${i}`);
        for (const s of x.servers) s.socket.write(`reply ${i}`);
      }
      await x.sim.runFor(1000);
      const hash = x.sim.trace.hash();
      await x.close();
      return hash;
    };
    expect(await run()).toBe(await run());
  });
});

describe('chunking', () => {
  it('one read is at most 32 KB: a 100,000-byte write reaches the server as 32 KB, 32 KB, 32 KB, 1,696 B', async () => {
    w = await world();
    const c = w.dial();
    await w.sim.runFor(10);
    c.socket.write(Buffer.alloc(100_000, 0x65));
    await w.sim.runFor(10);
    expect(w.servers[0]?.data.map((d) => d.data.length)).toEqual([32_768, 32_768, 32_768, 1_696]);
  });
});
