/**
 * Host processes (harness/process): code that uses Node's own modules and globals, unmodified, runs
 * as a simulated host's process. Timers, clocks and randomness answer for the host whose code is
 * running, through every async continuation; a pause or crash of one host stops exactly that host;
 * what the simulator cannot virtualise fails at once, naming the call and the host; nothing real is
 * opened. Times are virtual and asserted exactly.
 */
import { createHook } from 'node:async_hooks';
import * as childProcess from 'node:child_process';
import * as crypto from 'node:crypto';
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { createRequire } from 'node:module';
import * as net from 'node:net';
// Captured at import, before any simulation exists: it must still follow the host that calls it.
import { setTimeout as importedSetTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';
import * as tls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualEscapeError } from '../../harness/process/errors.ts';
import { Simulation } from '../../harness/sim/index.ts';

const cjsTimers = createRequire(import.meta.url)('node:timers') as typeof import('node:timers');

let sim: Simulation | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

function world(): Simulation {
  sim = new Simulation({ seed: 4, latency: 5 });
  sim.host('server');
  sim.host('client');
  return sim;
}

describe('host processes: Node globals answer for the host whose code runs', () => {
  it('timers (ESM import, CJS require, global, timers/promises), Date, performance and hrtime are the host’s', async () => {
    const s = world();
    s.faults.setSkew('client', 3_600_000);
    const seen: string[] = [];
    const note = (what: string) =>
      seen.push(
        `${what} t=${s.now()} date=${Date.now()} perf=${performance.now()} hr=${process.hrtime()[0]}`,
      );
    s.onHost('server', () => {
      importedSetTimeout(() => note('server import'), 5000);
      setInterval(() => note('server interval'), 20_000);
    });
    s.onHost('client', async () => {
      cjsTimers.setTimeout(() => note('client require'), 3000);
      await sleep(7000);
      note('client after sleep');
      await new Promise((resolve) => setImmediate(resolve));
      note('client after immediate');
    });
    // Outside any host the real clock is untouched.
    expect(Date.now()).toBeGreaterThan(1.7e12);
    await s.runFor(45_000);
    expect(seen).toEqual([
      'client require t=3000 date=3603000 perf=3000 hr=3',
      'server import t=5000 date=5000 perf=5000 hr=5',
      'client after sleep t=7000 date=3607000 perf=7000 hr=7',
      'client after immediate t=7000 date=3607000 perf=7000 hr=7',
      'server interval t=20000 date=20000 perf=20000 hr=20',
      'server interval t=40000 date=40000 perf=40000 hr=40',
    ]);
    expect(new Date(0).getTime()).toBe(0);
  });

  it('a pause freezes exactly the paused host’s timers (they run at resume); a crash drops its timers', async () => {
    const s = world();
    const seen: string[] = [];
    for (const host of ['server', 'client']) {
      s.onHost(host, () => setInterval(() => seen.push(`${host} ${s.now()}`), 10_000));
    }
    await s.runFor(15_000);
    s.faults.pause('server', 22_000); // 15 000 → 37 000
    await s.runFor(30_000);
    s.faults.crash('client');
    await s.runFor(20_000);
    expect(seen).toEqual([
      'server 10000',
      'client 10000',
      'client 20000',
      'client 30000',
      // The server's interval fell due at 20 000 while paused: it runs once at resume, then every 10 s.
      'server 37000',
      'client 40000',
      'server 47000',
      'server 57000',
    ]);
  });

  it('Math.random and crypto are seeded per host: the same seed repeats them, another host differs', async () => {
    const draw = (s: Simulation, host: string) =>
      s.onHost(host, () => [
        Math.random(),
        crypto.randomBytes(4).toString('hex'),
        crypto.randomUUID(),
        crypto.randomInt(1000),
      ]);
    const a = world();
    const first = { server: draw(a, 'server'), client: draw(a, 'client') };
    await a.close();
    const b = world();
    expect(draw(b, 'server')).toEqual(first.server);
    expect(draw(b, 'client')).toEqual(first.client);
    expect(first.client).not.toEqual(first.server);
    expect(first.server[2]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('what cannot be virtualised fails at once, naming the call and the host; outside a host it is Node’s own', async () => {
    const s = world();
    const escapes: [string, () => unknown][] = [
      ['dgram.createSocket()', () => dgram.createSocket('udp4')],
      ['child_process.spawn()', () => childProcess.spawn('true')],
      ['net.connect("example.com")', () => net.connect(80, 'example.com')],
      ['dns.resolveTxt()', () => dns.resolveTxt('server', () => {})],
      ['new net.Socket().connect()', () => new net.Socket().connect(80, 'server')],
      ['fetch()', () => fetch('http://server/')],
    ];
    for (const [call, run] of escapes) {
      let caught: unknown;
      try {
        s.onHost('client', run);
      } catch (e) {
        caught = e;
      }
      expect(caught, call).toBeInstanceOf(VirtualEscapeError);
      expect((caught as Error).message, call).toContain(`${call.replace(/\("example.com"\)/, '')}`);
      expect((caught as Error).message, call).toContain('on simulated host "client"');
    }
    const udp = dgram.createSocket('udp4');
    udp.close();
  });
});

describe('node:http on simulated hosts', () => {
  it('serves a request and close() completes (Node’s http server overwrites socket.server)', async () => {
    const s = world();
    let server!: http.Server;
    s.onHost('server', () => {
      server = http.createServer((req, res) => res.end(`hello ${req.url} at ${Date.now()}`));
      server.listen(80);
    });
    let body = '';
    s.onHost('client', () =>
      http.get('http://server/x', (res) => {
        res.on('data', (d) => {
          body += d;
        });
      }),
    );
    await s.runFor(1000);
    // SYN at 0, connected 10, request arrives 15: served at virtual 15.
    expect(body).toBe('hello /x at 15');
    expect((server.address() as net.AddressInfo).port).toBe(80);
    let closedAt: number | undefined;
    s.onHost('server', () => {
      server.closeAllConnections();
      server.close(() => {
        closedAt = s.now();
      });
    });
    await s.runFor(10_000);
    expect(closedAt).toBe(1000);
    expect(server.listening).toBe(false);
    expect(s.openSockets()).toBe(0);
  });

  it('node:tls and node:https over simulated sockets: a TLS 1.3 handshake costs one round trip', async () => {
    const dir = new URL('../fixtures/tls/', import.meta.url);
    const key = readFileSync(new URL('key.pem', dir));
    const cert = readFileSync(new URL('cert.pem', dir));
    const s = world();
    const seen: string[] = [];
    s.onHost('server', () => {
      tls.createServer({ key, cert }, (socket) => socket.on('data', () => socket.write('pong'))).listen(443);
      https.createServer({ key, cert }, (_req, res) => res.end(`served at ${Date.now()}`)).listen(8443);
    });
    s.onHost('client', () => {
      const c = tls.connect({ host: 'server', port: 443, ca: cert }, () => {
        seen.push(`secure ${s.now()} authorized ${c.authorized}`);
        c.write('ping');
      });
      c.on('data', (d) => seen.push(`${d} ${s.now()}`));
      https.get({ host: 'server', port: 8443, ca: cert }, (res) => res.on('data', (d) => seen.push(`${d}`)));
    });
    await s.runFor(1000);
    // TCP connected at 10, TLS 1.3 done one round trip later (20); the ping's pong is back at 30.
    expect(seen.sort()).toEqual(['pong 30', 'secure 20 authorized true', 'served at 25']);
  });

  it('opens no real socket: every TCP handle made during the run is counted', async () => {
    const s = world();
    let real = 0;
    const hook = createHook({
      init(_id, type) {
        if (type === 'TCPWRAP' || type === 'TCPSERVERWRAP' || type === 'TCPCONNECTWRAP') real++;
      },
    }).enable();
    try {
      s.onHost('server', () => http.createServer((_q, res) => res.end('ok')).listen(8080));
      let status = 0;
      s.onHost('client', () => http.get('http://server:8080/', (res) => (status = res.statusCode ?? 0)));
      await s.runFor(1000);
      expect(status).toBe(200);
    } finally {
      hook.disable();
    }
    expect(real).toBe(0);
  });
});
