/**
 * The parts of parity that need no Toxiproxy: which scenarios are comparable, the time scale chosen
 * for each, the tolerance's numbers, and the AlignedBackend's clock and random streams.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../harness/backend.ts';
import { AlignedBackend } from '../../harness/parity/aligned-backend.ts';
import { tapDials } from '../../harness/parity/dial-tap.ts';
import {
  parityExpressible,
  parityTimeScale,
  shortestTiming,
  toxicJitter,
} from '../../harness/parity/select.ts';
import { mapLimit } from '../../harness/parity/suite.ts';
import {
  describeSlack,
  describeTolerance,
  ParityToleranceError,
  parityTolerance,
  slack,
} from '../../harness/parity/tolerance.ts';
import { loadScenarioText } from '../../harness/scenario/loader.ts';
import { createSimBackend } from '../../harness/sim/backend.ts';
import type { Runtime } from '../../impl/runtime.ts';

function scenario(extra: string, config = 'interval: 10s\n  pongTimeout: 4s\n  readDeadline: 25s') {
  return loadScenarioText(`name: s\nduration: 3m\nconfig:\n  ${config}\n${extra}`);
}

describe('parityExpressible: Toxiproxy-expressible scenarios only', () => {
  it('keeps the proxy topology with toxics and proxy-down', () => {
    const s = scenario(`faults:
  - { at: 45s, until: 90s, fault: { type: timeout, stream: both, timeout: 0 } }
  - { at: 100s, until: 110s, fault: { type: proxy-down } }`);
    expect(parityExpressible(s)).toEqual({ ok: true });
  });

  it('drops a rate-0 bandwidth stall (kernel buffer autotuning differs), but keeps a slow bandwidth', () => {
    const stall = scenario(`faults:
  - { at: 45s, until: 90s, fault: { type: bandwidth, stream: upstream, rate: 0 } }`);
    const verdict = parityExpressible(stall);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.why).toMatch(/bandwidth rate 0.*autotunes/);
    const slow = scenario(`faults:
  - { at: 45s, until: 90s, fault: { type: bandwidth, stream: upstream, rate: 10 } }`);
    expect(parityExpressible(slow)).toEqual({ ok: true });
  });

  it('drops the direct topology and sim-only faults (partition), saying why', () => {
    const s = scenario(`topology: direct
faults:
  - { id: cut, at: 45s, fault: { type: partition } }`);
    const e = parityExpressible(s);
    expect(e.ok).toBe(false);
    expect(!e.ok && e.why).toBe('topology direct: Toxiproxy only makes the proxy topology');
  });

  it('drops a toxicity strictly between 0 and 1 (Toxiproxy rolls it unseeded, TOXICS.md)', () => {
    const s = scenario(`faults:
  - { id: flaky, at: 45s, fault: { type: timeout, toxicity: 0.5 } }`);
    const e = parityExpressible(s);
    expect(!e.ok && e.why).toMatch(/^fault "flaky" has toxicity 0.5: Toxiproxy rolls it unseeded/);
    const sure = scenario(`faults:
  - { id: flaky, at: 45s, fault: { type: timeout, toxicity: 0 } }`);
    expect(parityExpressible(sure)).toEqual({ ok: true });
  });
});

describe('parityTimeScale: ≤ ~5 s real, but every timing ≥ 20 real ms', () => {
  it('a 3-minute scenario uses the whole 5 s budget: ×0.0278, where 30 real ms are 1080 scenario ms', () => {
    expect(parityTimeScale(scenario(''))).toEqual({
      timeScale: 0.0278,
      realMs: 5004,
      why: '180000 ms scenario in a 5000 ms real budget: ×0.0278',
    });
    expect(parityTimeScale(scenario(''), { budgetMs: 1800 }).timeScale).toBe(0.01);
  });

  it('a 20-minute scenario runs at ×0.00417 to fit 5 s, unless its pong timeout would last < 20 real ms', () => {
    const long = loadScenarioText('name: l\nduration: 20m\nconfig: { interval: 30s, pongTimeout: 10s }');
    expect(parityTimeScale(long)).toMatchObject({ timeScale: 0.00417, realMs: 5004 });
    const tight = loadScenarioText('name: t\nduration: 20m\nconfig: { interval: 30s, pongTimeout: 4s }');
    expect(parityTimeScale(tight)).toEqual({
      timeScale: 0.005,
      realMs: 6000,
      why: 'shortest timing pongTimeout = 4000 ms must last ≥ 20 real ms: ×0.005',
    });
  });

  it('resolution wins over the budget, up to the ceiling', () => {
    const short = scenario('', 'interval: 5s\n  pongTimeout: 400ms');
    expect(parityTimeScale(short, { budgetMs: 1800 }).timeScale).toBe(0.05);
    expect(parityTimeScale(short, { budgetMs: 1800, ceiling: 0.04 }).timeScale).toBe(0.04);
    expect(() => parityTimeScale(short, { budgetMs: 0 })).toThrow(
      'parityTimeScale: budgetMs must be a finite number > 0, got 0',
    );
  });

  it('added latency counts by the margin it leaves (T − added round trip), not by its size', () => {
    const s = scenario(`faults:
  - { id: slow, at: 45s, until: 2m, fault: { type: latency, stream: both, latency: 1800ms } }`);
    expect(shortestTiming(s)).toEqual({ ms: 400, what: 'pongTimeout − latency of slow' });
    expect(parityTimeScale(s, { budgetMs: 1800 }).timeScale).toBe(0.05);
  });

  it('latency jitter adds 2·(J_up + J_down) to the tolerance: two independent draws per leg', () => {
    const s = scenario(`faults:
  - { id: up, at: 45s, fault: { type: latency, stream: upstream, latency: 100ms, jitter: 30ms } }
  - { id: down, at: 45s, fault: { type: latency, stream: downstream, latency: 100ms, jitter: 50ms } }`);
    expect(toxicJitter(s)).toBe(160);
    expect(parityTolerance(0.01, { jitter: toxicJitter(s) }).absolute).toBe(3160);
  });
});

describe('parityTolerance', () => {
  it('30 real ms at ×0.01 is 3000 scenario ms, plus 5 % and 500 ms per reconnect attempt', () => {
    const t = parityTolerance(0.01);
    expect(t).toMatchObject({ absolute: 3000, relative: 0.05, attempts: 1, jitter: 0, stallMs: 0 });
    expect(slack(t, 9000)).toBe(3450);
    expect(slack(t, 8000, 5)).toBe(3000 + 400 + 2500);
    expect(describeTolerance(t)).toBe(
      "times agree within ±3000 ms (30 real ms at ×0.01) + 5% of the simulator's value; reconnects 500 ms more per attempt; attempts within ±1; detected, reason, false-detection counts and verdicts exactly",
    );
  });

  it('measured noise (event-loop stall + slowest Toxiproxy call) beyond 30 real ms replaces it, and says so', () => {
    const t = parityTolerance(0.04, { stallMs: 41.2, faultCallMs: 29.5 });
    expect(t).toMatchObject({ realMs: 30, stallMs: 42, faultCallMs: 30, absolute: 1800 });
    expect(describeSlack(t)).toBe(
      '±1800 ms (72 real ms at ×0.04: measured event-loop stall 42 + Toxiproxy call 30) + 5%',
    );
    expect(parityTolerance(0.04, { stallMs: 12, faultCallMs: 3 }).absolute).toBe(750);
  });

  it('per reconnect attempt: 5 real ms, or 3 hops × the measured p99 event-loop delay when that is worse', () => {
    expect(slack(parityTolerance(0.04, { lagP99Ms: 1 }), 0, 4)).toBe(750 + 4 * 125);
    const loaded = parityTolerance(0.04, { lagP99Ms: 5.4 });
    expect(slack(loaded, 0, 4)).toBe(750 + 4 * 450);
    expect(describeSlack(loaded, 4)).toBe(
      '±750 ms (30 real ms at ×0.04) + 5% + 4 attempt(s) × 450 ms (3 hops × p99 event-loop delay 6 ms)',
    );
  });

  it('rejects a time scale outside (0, 1] and negative slack with a typed error', () => {
    expect(() => parityTolerance(0)).toThrow(ParityToleranceError);
    expect(() => parityTolerance(2)).toThrow('timeScale must be in (0, 1], got 2');
    expect(() => parityTolerance(0.01, { realMs: -1 })).toThrow('realMs must be a finite number ≥ 0, got -1');
    expect(() => parityTolerance(0.01, { relative: 2 })).toThrow(
      'relative must be a finite number in [0, 1], got 2',
    );
  });
});

/** A backend whose clock the test moves by hand. */
function manualBackend(): Backend & { advance(ms: number): void } {
  let now = 1000;
  const runtime = (): Runtime => ({ random: () => 0.5 }) as unknown as Runtime;
  return {
    kind: 'toxiproxy',
    timeScale: 0.01,
    capabilities: {},
    runtime,
    createProxy: () => Promise.reject(new Error('not used')),
    now: () => now,
    async runFor(ms: number) {
      now += ms;
    },
    async close() {},
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('AlignedBackend', () => {
  it('set-up takes no scenario time: the clock stands still until the first runFor', async () => {
    const inner = manualBackend();
    const aligned = new AlignedBackend(inner, { seed: 7 });
    const start = aligned.now();
    inner.advance(2500); // server listen, proxy creation, first dial
    expect(aligned.now()).toBe(start);
    await aligned.runFor(45_000);
    expect(aligned.now()).toBe(start + 45_000);
    expect(aligned.setupTime).toBe(2500);
    inner.advance(120); // lateness of the real backend stays visible
    expect(aligned.now()).toBe(start + 45_120);
  });

  it("each host draws the simulator's random stream for that host and seed", () => {
    const sim = createSimBackend({ seed: 7 });
    const aligned = new AlignedBackend(manualBackend(), { seed: 7 });
    const draws = (b: Backend, host: string) => Array.from({ length: 5 }, () => b.runtime(host).random());
    try {
      expect(draws(aligned, 'client')).toEqual(draws(sim, 'client'));
      expect(draws(aligned, 'client-2')).toEqual(draws(sim, 'client-2'));
      expect(draws(aligned, 'client')).not.toEqual(
        draws(new AlignedBackend(manualBackend(), { seed: 8 }), 'client'),
      );
    } finally {
      void sim.close();
    }
  });

  it('rejects a non-integer seed', () => {
    expect(() => new AlignedBackend(manualBackend(), { seed: 1.5 })).toThrow(
      'AlignedBackend: seed must be an integer, got 1.5',
    );
  });
});

describe('tapDials', () => {
  it("records each host's dials on the backend clock and keeps the sim backend's members", async () => {
    const sim = createSimBackend({ seed: 1 });
    const tap = tapDials(sim);
    try {
      expect(tap.backend.sim).toBe(sim.sim);
      const server = sim.runtime('server').net.createServer(() => {});
      await new Promise<void>((resolve) => server.listen(7000, 'server', resolve));
      await sim.runFor(1500);
      const socket = tap.backend.runtime('client').net.createConnection({ host: 'server', port: 7000 });
      socket.on('error', () => {});
      await sim.runFor(10);
      socket.destroy();
      server.close();
      expect(Object.fromEntries(tap.dials)).toEqual({ client: [sim.now() - 10] });
    } finally {
      await sim.close();
    }
  });
});

describe('mapLimit', () => {
  it('never runs more than the limit at once and keeps the input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([30, 10, 20, 5, 1], 2, async (ms, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, ms));
      running--;
      return i;
    });
    expect(out).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBe(2);
    await expect(mapLimit([1], 0, async () => 0)).rejects.toThrow('limit must be an integer ≥ 1, got 0');
  });
});
