/**
 * Scenario-time scaling of the toxiproxy backend, without a Toxiproxy: toxic attribute conversion,
 * the ledger that makes reads exact, the scenario clock, and the loopback/scaled runtime.
 */
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Resources, ScenarioClock, scaledRuntime } from '../../harness/toxiproxy/runtime.ts';
import {
  checkTimeScale,
  ToxicLedger,
  toRealAttributes,
  toScenarioAttributes,
} from '../../harness/toxiproxy/scale.ts';
import { silentLogger } from '../../impl/runtime.ts';
import { nextEvent } from './sockets.ts';

describe('toxic attributes in scenario units ↔ real units', () => {
  it.each([
    ['latency', { latency: 1000, jitter: 250 }, 0.01, { latency: 10, jitter: 3 }],
    ['slow_close', { delay: 3000 }, 0.1, { delay: 300 }],
    ['timeout', { timeout: 5000 }, 0.01, { timeout: 50 }],
    ['reset_peer', { timeout: 20 }, 0.01, { timeout: 1 }],
    [
      'slicer',
      { average_size: 64, size_variation: 8, delay: 1000 },
      0.5,
      { average_size: 64, size_variation: 8, delay: 500 },
    ],
    ['bandwidth', { rate: 100 }, 0.01, { rate: 10_000 }],
    ['limit_data', { bytes: 1234 }, 0.01, { bytes: 1234 }],
    ['noop', {}, 0.01, {}],
  ] as const)('%s %j at timeScale %s → %j', (type, scenario, scale, real) => {
    expect(toRealAttributes(type, { ...scenario }, scale)).toEqual(real);
  });

  it('0 stays 0 (timeout 0 means never; rate 0 holds data) and non-zero never rounds to 0', () => {
    expect(toRealAttributes('timeout', { timeout: 0 }, 0.01)).toEqual({ timeout: 0 });
    expect(toRealAttributes('bandwidth', { rate: 0 }, 0.01)).toEqual({ rate: 0 });
    expect(toRealAttributes('timeout', { timeout: 1 }, 0.01)).toEqual({ timeout: 1 });
    expect(toRealAttributes('bandwidth', { rate: 1 }, 100)).toEqual({ rate: 1 });
  });

  it('converts back: real latency 12 at 0.01 reads as 1200; bandwidth 10000 as 100', () => {
    expect(toScenarioAttributes('latency', { latency: 12, jitter: 0 }, 0.01)).toEqual({
      latency: 1200,
      jitter: 0,
    });
    expect(toScenarioAttributes('bandwidth', { rate: 10_000 }, 0.01)).toEqual({ rate: 100 });
  });

  it('the ledger returns exactly what was written, and converts a toxic changed elsewhere', () => {
    const ledger = new ToxicLedger(0.01);
    ledger.record('lat', { latency: 12, jitter: 0 }, { latency: 1234, jitter: 0 });
    expect(ledger.read('lat', 'latency', { latency: 12, jitter: 0 })).toEqual({ latency: 1234, jitter: 0 });
    expect(ledger.read('lat', 'latency', { latency: 20, jitter: 0 })).toEqual({ latency: 2000, jitter: 0 });
    ledger.forget('lat');
    expect(ledger.read('lat', 'latency', { latency: 12, jitter: 0 })).toEqual({ latency: 1200, jitter: 0 });
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('timeScale %s is rejected', (scale) => {
    expect(() => checkTimeScale(scale)).toThrow(RangeError);
  });
});

describe('scenario clock', () => {
  it('starts at its origin and runs 1/timeScale times faster than real time', async () => {
    const clock = new ScenarioClock(0.01, 1_000_000);
    const start = clock.now();
    expect(start - 1_000_000).toBeLessThan(100);
    const t0 = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const real = performance.now() - t0;
    expect(clock.now() - start).toBeGreaterThanOrEqual(real * 100 - 100);
    expect(clock.now() - start).toBeLessThan(real * 100 + 500);
    expect(clock.toReal(30_000)).toBeCloseTo(300);
    expect(clock.toReal(-5)).toBe(0);
  });
});

describe('scaled runtime: loopback everywhere, scenario-time timers', () => {
  let resources: Resources;
  afterEach(async () => {
    await resources.closeAll();
  });

  function runtime(scale = 0.01) {
    resources = new Resources();
    return scaledRuntime({
      clock: new ScenarioClock(scale, 0),
      resources,
      bindHost: '127.0.0.1',
      logger: silentLogger,
      random: () => 0.5,
    });
  }

  it('setTimeout(cb, 30000) at 0.01 fires after ≈300 real ms (−2/+150)', async () => {
    const rt = runtime();
    const t0 = performance.now();
    await new Promise<void>((resolve) => rt.setTimeout(resolve, 30_000));
    const real = performance.now() - t0;
    expect(real).toBeGreaterThanOrEqual(298);
    expect(real).toBeLessThan(450);
  });

  it('clearTimeout and clearInterval cancel; setInterval repeats at the scaled period', async () => {
    const rt = runtime();
    let fired = 0;
    const once = rt.setTimeout(() => fired++, 1000);
    rt.clearTimeout(once);
    let ticks = 0;
    const every = rt.setInterval(() => ticks++, 2000);
    await new Promise((resolve) => setTimeout(resolve, 110));
    rt.clearInterval(every);
    const seen = ticks;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(fired).toBe(0);
    expect(seen).toBeGreaterThanOrEqual(3);
    expect(seen).toBeLessThanOrEqual(6);
    expect(ticks).toBe(seen);
  });

  it('every listen form binds 127.0.0.1, every connect form dials it', async () => {
    const rt = runtime();
    const accepted: Socket[] = [];
    const listeners = [
      (s: ReturnType<typeof rt.net.createServer>, cb: () => void) => s.listen(0, cb),
      (s: ReturnType<typeof rt.net.createServer>, cb: () => void) => s.listen(0, '0.0.0.0', cb),
      (s: ReturnType<typeof rt.net.createServer>, cb: () => void) =>
        s.listen({ port: 0, host: 'db.internal' }, cb),
      (s: ReturnType<typeof rt.net.createServer>, cb: () => void) => s.listen(0, 'server', 16, cb),
    ];
    for (const listen of listeners) {
      const server = rt.net.createServer((socket) => accepted.push(socket));
      await new Promise<void>((resolve) => listen(server, resolve));
      const { address, port } = server.address() as AddressInfo;
      expect(address).toBe('127.0.0.1');
      const a = rt.net.createConnection(port, 'elsewhere.example');
      await nextEvent(a, 'connect', 1000);
      expect(a.remoteAddress).toBe('127.0.0.1');
      const b = rt.net.connect({ host: 'server', port });
      await nextEvent(b, 'connect', 1000);
      a.destroy();
      b.destroy();
    }
    expect(accepted.length).toBe(8);
  });

  it('socket.setTimeout and the createConnection timeout option run in scenario time', async () => {
    const rt = runtime();
    const server = rt.net.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, resolve));
    const { port } = server.address() as AddressInfo;
    const a = rt.net.createConnection({ port, host: 'server', timeout: 10_000 });
    const t0 = performance.now();
    await nextEvent(a, 'timeout', 1000);
    const first = performance.now() - t0;
    expect(first).toBeGreaterThanOrEqual(95);
    expect(first).toBeLessThan(250);
    a.setTimeout(5000);
    const t1 = performance.now();
    await nextEvent(a, 'timeout', 1000);
    const second = performance.now() - t1;
    expect(second).toBeGreaterThanOrEqual(45);
    expect(second).toBeLessThan(200);
    a.setTimeout(0);
    a.destroy();
  });

  it('closeAll destroys sockets, closes servers, cancels timers; the runtime then refuses work', async () => {
    const rt = runtime();
    const server = rt.net.createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, resolve));
    const socket = rt.net.createConnection((server.address() as AddressInfo).port, 'server');
    await nextEvent(socket, 'connect', 1000);
    let fired = false;
    rt.setTimeout(() => {
      fired = true;
    }, 1000);
    await resources.closeAll();
    expect(socket.destroyed).toBe(true);
    expect(server.listening).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(fired).toBe(false);
    expect(() => rt.setTimeout(() => {}, 1)).toThrow(/closed/);
    expect(() => rt.net.createServer()).toThrow(/closed/);
  });
});
