/**
 * The toxiproxy Backend with plain node:net sockets through real toxics. The backend runs at
 * timeScale 0.1: toxic times in scenario ms are sent ×0.1 (latency 1000 → 100 real ms).
 * Tolerances are in REAL ms and stated per test; they are wide on the upper side because the
 * machine is shared (2 cores) and Toxiproxy's own goroutine scheduling adds a few ms.
 */
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { FaultProxyError } from '../../harness/toxics/vocabulary.ts';
import { createToxiproxyBackend } from '../../harness/toxiproxy/backend.ts';
import { freeLoopbackPort } from '../../harness/toxiproxy/launcher.ts';
import { uniqueName } from '../../harness/toxiproxy/names.ts';
import { toxics } from '../../harness/toxiproxy/toxics.ts';
import { connect, echoServer, happensWithin, nextEvent, roundTrip, sleep } from './sockets.ts';
import {
  availability,
  describeToxiproxy,
  isAlive,
  useToxiproxyBackend,
  useToxiproxyServer,
} from './support.ts';

const SCALE = 0.1;

describeToxiproxy('toxiproxy backend: real sockets through real toxics', () => {
  const server = useToxiproxyServer();
  const backend = useToxiproxyBackend(server, { timeScale: SCALE });

  /** An echo server behind a fresh proxy, and a client connected through it. */
  async function throughProxy(name: string, options: { echo?: boolean } = {}) {
    const b = backend();
    const echo = await echoServer(b.runtime('server'), options);
    const proxy = await b.createProxy({ name, listen: 'proxy:0', upstream: `server:${echo.port}` });
    const port = Number(proxy.listen.split(':')[1]);
    return { b, echo, proxy, port };
  }

  it('every host name maps to loopback: a server "on server" is reached from "client"', async () => {
    const b = backend();
    const echo = await echoServer(b.runtime('server'));
    try {
      const socket = await connect(b.runtime('client'), echo.port, 'server.example');
      expect(socket.remoteAddress).toBe('127.0.0.1');
      expect(echo.sockets[0]?.localAddress).toBe('127.0.0.1');
      await roundTrip(socket);
      socket.destroy();
    } finally {
      await echo.close();
    }
  });

  it('createProxy resolves port 0, answers to the scenario name, and carries data', async () => {
    const { b, echo, proxy, port } = await throughProxy('echo');
    try {
      expect(proxy.name).toBe('echo');
      expect(proxy.listen).toMatch(/^127\.0\.0\.1:[1-9]\d*$/);
      expect(proxy.upstream).toBe(`server:${echo.port}`);
      expect(proxy.realName).toMatch(new RegExp(`^flatline-${process.pid}-\\d+-echo$`));
      const real = await b.client.getProxy(proxy.realName);
      expect(real.upstream).toBe(`127.0.0.1:${echo.port}`);
      const socket = await connect(b.runtime('client'), port);
      await roundTrip(socket, 'hello');
      socket.destroy();
    } finally {
      await echo.close();
    }
  });

  it('latency: downstream latency 1000 scenario ms adds ≈100 real ms to a round trip (−3/+80 ms)', async () => {
    const { b, echo, proxy, port } = await throughProxy('lat');
    try {
      const socket = await connect(b.runtime('client'), port);
      // The quickest of a few warm round trips: one slow first trip (or one scheduling hiccup) must
      // not stand for the path.
      await roundTrip(socket);
      const baseline = Math.min(await roundTrip(socket), await roundTrip(socket), await roundTrip(socket));
      await proxy.addToxic(toxics.latency({ latency: 1000 }));
      const delayed = await roundTrip(socket);
      // Toxiproxy delays each chunk by the latency counted from its read time: never less than the
      // 100 real ms it sleeps (−3 ms for timer granularity), and at most 80 ms of noise more.
      expect(delayed).toBeGreaterThanOrEqual(100 - 3);
      expect(delayed - baseline).toBeLessThan(100 + 80);
      socket.destroy();
    } finally {
      await echo.close();
    }
  });

  it('toxic times are scaled on the way in and read back exactly in scenario units', async () => {
    const { b, echo, proxy } = await throughProxy('scaled');
    try {
      const added = await proxy.addToxic(
        toxics.latency({ latency: 1234, jitter: 5 }, { stream: 'upstream' }),
      );
      expect(added.attributes).toEqual({ latency: 1234, jitter: 5 });
      // On the server: 123.4 → 123 ms; 0.5 → 1 ms (a non-zero time never rounds to 0).
      expect((await b.client.getToxic(proxy.realName, added.name)).attributes).toEqual({
        latency: 123,
        jitter: 1,
      });
      await proxy.addToxic(toxics.bandwidth({ rate: 100 }));
      expect((await b.client.getToxic(proxy.realName, 'bandwidth_downstream')).attributes).toEqual({
        rate: 1000,
      });
      await proxy.addToxic(toxics.slicer({ average_size: 10, size_variation: 2, delay: 500 }));
      expect((await b.client.getToxic(proxy.realName, 'slicer_downstream')).attributes).toEqual({
        average_size: 10,
        size_variation: 2,
        delay: 50,
      });
      const updated = await proxy.updateToxic(added.name, { attributes: { latency: 2000 } });
      expect(updated.attributes).toEqual({ latency: 2000, jitter: 5 });
      expect((await b.client.getToxic(proxy.realName, added.name)).attributes).toEqual({
        latency: 200,
        jitter: 1,
      });
      const listed = Object.fromEntries((await proxy.listToxics()).map((t) => [t.name, t.attributes]));
      expect(listed).toEqual({
        latency_upstream: { latency: 2000, jitter: 5 },
        bandwidth_downstream: { rate: 100 },
        slicer_downstream: { average_size: 10, size_variation: 2, delay: 500 },
      });
    } finally {
      await echo.close();
    }
  });

  it('bandwidth: 20 KB at rate 100 KB/s takes ≈200 scenario ms (bytes per scenario second hold; 150–600)', async () => {
    const { b, echo, proxy, port } = await throughProxy('bw', { echo: false });
    try {
      await proxy.addToxic(toxics.bandwidth({ rate: 100 }, { stream: 'upstream' }));
      const socket = await connect(b.runtime('client'), port);
      const start = b.now();
      socket.write(Buffer.alloc(20_000));
      while (echo.received() < 20_000) await sleep(2);
      const took = b.now() - start;
      expect(took).toBeGreaterThanOrEqual(150);
      expect(took).toBeLessThan(600);
      socket.destroy();
    } finally {
      await echo.close();
    }
  });

  it('timeout (timeout 0): data is dropped, and removing the toxic closes the connection', async () => {
    const { b, echo, proxy, port } = await throughProxy('blackhole');
    try {
      const socket = await connect(b.runtime('client'), port);
      await roundTrip(socket);
      await proxy.addToxic(toxics.timeout({ timeout: 0 }, { stream: 'upstream' }));
      const receivedBefore = echo.received();
      socket.write('lost');
      expect(await happensWithin(socket, 'data', 300)).toBe(false);
      expect(echo.received()).toBe(receivedBefore);
      expect(socket.destroyed).toBe(false);
      const closed = nextEvent(socket, 'close', 2000);
      await proxy.removeToxic('timeout_upstream');
      await closed;
    } finally {
      await echo.close();
    }
  });

  it('timeout (timeout 2000 scenario ms): closes ≈200 real ms after the last data (−5/+300 ms)', async () => {
    const { b, echo, proxy, port } = await throughProxy('timeout');
    try {
      await proxy.addToxic(toxics.timeout({ timeout: 2000 }, { stream: 'upstream' }));
      const socket = await connect(b.runtime('client'), port);
      const closed = nextEvent(socket, 'close', 3000);
      const start = performance.now();
      socket.write('x');
      await closed;
      const elapsed = performance.now() - start;
      expect(elapsed).toBeGreaterThanOrEqual(200 - 5);
      expect(elapsed).toBeLessThan(200 + 300);
    } finally {
      await echo.close();
    }
  });

  it('reset_peer: a connection accepted under the toxic gets ECONNRESET on its first write', async () => {
    const { b, echo, proxy, port } = await throughProxy('reset');
    try {
      await proxy.addToxic(toxics.reset_peer({ timeout: 0 }, { stream: 'upstream' }));
      const socket = await connect(b.runtime('client'), port);
      const error = nextEvent<[NodeJS.ErrnoException]>(socket, 'error', 2000);
      socket.write('boom');
      const [err] = await error;
      expect(err.code).toBe('ECONNRESET');
    } finally {
      await echo.close();
    }
  });

  it('disabling refuses new connects and closes existing ones; enabling listens on the same port', async () => {
    const { b, echo, proxy, port } = await throughProxy('down');
    try {
      const socket = await connect(b.runtime('client'), port);
      await roundTrip(socket);
      const closed = nextEvent(socket, 'close', 2000);
      await proxy.setEnabled(false);
      expect(proxy.enabled).toBe(false);
      await closed;
      await expect(connect(b.runtime('client'), port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await proxy.setEnabled(true);
      expect(proxy.enabled).toBe(true);
      expect(proxy.listen).toBe(`127.0.0.1:${port}`);
      const again = await connect(b.runtime('client'), port);
      await roundTrip(again);
      again.destroy();
    } finally {
      await echo.close();
    }
  });

  it('bandwidth 0 stalls the writer until the toxic is removed, then the held data flows', async () => {
    const { b, echo, proxy, port } = await throughProxy('stall', { echo: false });
    try {
      await proxy.addToxic(toxics.bandwidth({ rate: 0 }, { stream: 'upstream' }));
      const socket = await connect(b.runtime('client'), port);
      const chunk = Buffer.alloc(64 * 1024);
      let written = 0;
      // Fill the client's and the proxy's buffers until the writer is told to wait.
      while (socket.write(chunk)) {
        written += chunk.length;
        if (written > 256 * 1024 * 1024) throw new Error('256 MB written without backpressure');
        if (written % (4 * 1024 * 1024) === 0) await sleep(1);
      }
      written += chunk.length;
      expect(await happensWithin(socket, 'drain', 300)).toBe(false);
      expect(echo.received()).toBe(0);
      const drained = nextEvent(socket, 'drain', 5000);
      await proxy.removeToxic('bandwidth_upstream');
      await drained;
      while (echo.received() < written) await sleep(5);
      expect(echo.received()).toBe(written);
      socket.destroy();
    } finally {
      await echo.close();
    }
  });

  it('errors name the proxy by its scenario name and keep the server status', async () => {
    const { b, echo, proxy } = await throughProxy('named');
    try {
      await proxy.addToxic(toxics.noop());
      const err = await proxy.addToxic(toxics.noop()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FaultProxyError);
      expect(err).toMatchObject({ kind: 'toxic_exists', status: 409, proxy: 'named' });
      expect((err as Error).message).toContain('proxy "named"');
      const dup = await b
        .createProxy({ name: 'named', listen: '127.0.0.1:0', upstream: 'x:1' })
        .catch((e: unknown) => e);
      expect(dup).toMatchObject({ kind: 'proxy_exists', status: 409, proxy: 'named' });
      const bad = await b
        .createProxy({ name: 'ok', listen: 'nowhere', upstream: 'x:1' })
        .catch((e: unknown) => e);
      expect(bad).toMatchObject({ kind: 'bad_request' });
      expect((bad as Error).message).toContain('listen must be "host:port"');
    } finally {
      await echo.close();
    }
  });

  describe('scenario time', () => {
    it('runFor(1000) sleeps ≈100 real ms and now() advances ≈1000 (−1/+60 real ms)', async () => {
      const b = backend();
      const realStart = performance.now();
      const start = b.now();
      await b.runFor(1000);
      const real = performance.now() - realStart;
      expect(real).toBeGreaterThanOrEqual(99);
      expect(real).toBeLessThan(160);
      // Both clocks were read a few µs apart: agree within 1 real ms.
      expect(Math.abs(b.now() - start - real / SCALE)).toBeLessThan(1 / SCALE);
      expect(b.toReal(1000)).toBeCloseTo(100);
    });

    it('runtime setTimeout(cb, 500) fires after ≈50 real ms; socket.setTimeout(1000) after ≈100', async () => {
      const b = backend();
      const rt = b.runtime('client');
      const t0 = performance.now();
      await new Promise<void>((resolve) => rt.setTimeout(resolve, 500));
      const timer = performance.now() - t0;
      expect(timer).toBeGreaterThanOrEqual(49);
      expect(timer).toBeLessThan(110);

      const echo = await echoServer(b.runtime('server'));
      try {
        const socket = await connect(rt, echo.port);
        const t1 = performance.now();
        socket.setTimeout(1000);
        await nextEvent(socket, 'timeout', 2000);
        const idle = performance.now() - t1;
        expect(idle).toBeGreaterThanOrEqual(99);
        expect(idle).toBeLessThan(200);
        socket.destroy();
      } finally {
        await echo.close();
      }
    });
  });

  it('close() removes its proxies, destroys sockets, cancels timers, and is idempotent', async () => {
    const own = await createToxiproxyBackend({ server: server(), timeScale: SCALE });
    const rt = own.runtime('client');
    const echo = await echoServer(own.runtime('server'));
    const proxy = await own.createProxy({
      name: 'tmp',
      listen: '127.0.0.1:0',
      upstream: `server:${echo.port}`,
    });
    const socket = await connect(rt, Number(proxy.listen.split(':')[1]));
    let fired = false;
    rt.setTimeout(() => {
      fired = true;
    }, 1000);
    await own.close();
    await own.close();
    expect((await own.client.listProxies()).map((p) => p.name)).not.toContain(proxy.realName);
    expect(socket.destroyed).toBe(true);
    await sleep(150);
    expect(fired).toBe(false);
    expect(() => rt.setTimeout(() => {}, 1)).toThrow(/closed/);
    // The shared server was given, not launched: still up.
    expect(server().version).toBe('2.12.0');
    expect(await own.client.version()).toBe('2.12.0');
  });

  it('a fixed port range (Docker published ports): skips a taken port and says when none is left', async () => {
    let base = 0;
    for (let attempt = 0; attempt < 20 && base === 0; attempt++) {
      const candidate = await freeLoopbackPort();
      if (
        candidate + 2 <= 65535 &&
        (await Promise.all([1, 2].map((i) => isFree(candidate + i)))).every(Boolean)
      ) {
        base = candidate;
      }
    }
    expect(base).toBeGreaterThan(0);
    // Hold the first port inside Toxiproxy (its namespace may be a container's).
    const b = backend();
    await b.client.createProxy({
      name: uniqueName('holder'),
      listen: `127.0.0.1:${base}`,
      upstream: '127.0.0.1:9',
    });
    const ranged = await createToxiproxyBackend({
      server: server(),
      proxyPorts: [base, base + 2],
      proxyListenHost: '127.0.0.1',
    });
    try {
      const a = await ranged.createProxy({ name: 'a', listen: '127.0.0.1:0', upstream: 'server:9' });
      const c = await ranged.createProxy({ name: 'c', listen: '127.0.0.1:0', upstream: 'server:9' });
      expect([a.listen, c.listen].sort()).toEqual([`127.0.0.1:${base + 1}`, `127.0.0.1:${base + 2}`]);
      const none = await ranged
        .createProxy({ name: 'd', listen: '127.0.0.1:0', upstream: 'server:9' })
        .catch((e) => e);
      expect(none).toMatchObject({ kind: 'listen_failed', proxy: 'd' });
      expect((none as Error).message).toContain(`${base}-${base + 2}`);
    } finally {
      await ranged.close();
    }
  });

  it.runIf(availability.source === 'binary')(
    'without url or server, the backend launches its own toxiproxy-server and close() stops it',
    async () => {
      const own = await createToxiproxyBackend({ timeScale: 0.5 });
      expect(own.server.launched).toBe(true);
      const pid = own.server.pid!;
      expect(isAlive(pid)).toBe(true);
      await own.close();
      expect(isAlive(pid)).toBe(false);
    },
  );
});

async function isFree(port: number): Promise<boolean> {
  const probe = net.createServer();
  return new Promise((resolve) => {
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
