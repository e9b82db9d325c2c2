/**
 * BOUNDS.md checked by brute force: fast-check draws configurations, a tiny discrete-event timeline
 * (below) plays them out, and every measured Δ must lie in the bound from harness/observe/bounds.ts.
 * Sweeps over one ping period also check that the bounds are tight (both ends are reached).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type BackoffPolicy,
  backoffWait,
  clientBlackHole,
  clientBlackHolePongDriven,
  clientLatencyFalsePositive,
  noHammering,
  reconnectConvergence,
  rho,
  serverBlackHole,
  serverHealthy,
  serverLatencyFalsePositive,
  within,
} from '../../harness/observe/bounds.ts';

type Convention = 'C1' | 'C2';

// ---------------------------------------------------------------------------------------------
// properties

const convention = fc.constantFrom<Convention>('C1', 'C2');

/** A healthy client path and timing: r < T. */
const clientConfig = fc
  .record({
    interval: fc.integer({ min: 1, max: 60 }),
    up: fc.integer({ min: 0, max: 20 }),
    down: fc.integer({ min: 0, max: 20 }),
    processing: fc.integer({ min: 0, max: 3 }),
    slack: fc.integer({ min: 1, max: 100 }),
    t0: fc.integer({ min: 0, max: 50 }),
    convention,
    missThreshold: fc.integer({ min: 1, max: 4 }),
  })
  .map((c) => ({ ...c, pongTimeout: c.up + c.down + c.processing + c.slack }));

type ClientConfig = typeof clientConfig extends fc.Arbitrary<infer T> ? T : never;

function clientBound(c: ClientConfig, pongDriven: boolean) {
  const path = { up: c.up, down: c.down, processing: c.processing };
  return pongDriven
    ? clientBlackHolePongDriven({
        interval: c.interval,
        pongTimeout: c.pongTimeout,
        path,
        convention: c.convention,
      })
    : clientBlackHole({ ...c, path });
}

function clientDelta(c: ClientConfig, f: number, pongDriven: boolean): number | undefined {
  const horizon =
    f + c.pongTimeout + (c.missThreshold + 2) * (c.interval + c.up + c.down + c.processing) + 10;
  const at = runClient({ ...c, f, pongDriven, missThreshold: pongDriven ? 1 : c.missThreshold, horizon });
  return at === undefined ? undefined : at - f;
}

describe('client black-hole bound against a simulated fixed-rate pinger (F1, F5, F12)', () => {
  it('Δ lies in [T − ρ, T − ρ + I) + (N−1)·I for C1 and C2, equality counting as a timeout', () => {
    fc.assert(
      fc.property(clientConfig, fc.integer({ min: 0, max: 300 }), (c, off) => {
        const path = { up: c.up, down: c.down, processing: c.processing };
        // Onset late enough that a ping left at or before f − ρ (steady state, not the first ping).
        const f = c.t0 + rho(c.convention, path) + off;
        const delta = clientDelta(c, f, false);
        const bound = clientBound(c, false);
        expect(delta, bound.why).toBeDefined();
        expect(within(bound, delta!), `Δ = ${delta}, ${bound.why}`).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('the bound is tight: sweeping f over one period reaches both ends', () => {
    fc.assert(
      fc.property(clientConfig, (c) => {
        const bound = clientBound(c, false);
        const start = c.t0 + 3 * c.interval + c.up + c.down + c.processing;
        const deltas = Array.from({ length: c.interval }, (_, i) => clientDelta(c, start + i, false)!);
        expect([Math.min(...deltas), Math.max(...deltas)]).toEqual([bound.min, bound.max]);
      }),
      { numRuns: 150 },
    );
  });

  it('pong-driven pinger: Δ in [T − ρ, T − ρ + I + r), tight over one cycle', () => {
    fc.assert(
      fc.property(clientConfig, (c) => {
        const bound = clientBound(c, true);
        const r = c.up + c.down + c.processing;
        const start = c.t0 + 3 * (c.interval + r) + r;
        const deltas = Array.from({ length: c.interval + r }, (_, i) => clientDelta(c, start + i, true)!);
        for (const d of deltas) expect(within(bound, d), `Δ = ${d}, ${bound.why}`).toBe(true);
        expect([Math.min(...deltas), Math.max(...deltas)]).toEqual([bound.min, bound.max]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('client latency false positive (tie rule: r + L ≥ T)', () => {
  it('a steady added latency causes a timeout exactly when r + L ≥ T', () => {
    fc.assert(
      fc.property(clientConfig, fc.integer({ min: 0, max: 150 }), (c, latency) => {
        const path = { up: c.up, down: c.down, processing: c.processing };
        const verdict = clientLatencyFalsePositive({ path, pongTimeout: c.pongTimeout, latency });
        const at = runClient({
          ...c,
          missThreshold: 1,
          f: Number.POSITIVE_INFINITY,
          pongDriven: false,
          latency,
          horizon: c.t0 + 3 * c.interval + c.pongTimeout + latency,
        });
        expect(at !== undefined, verdict.why).toBe(verdict.certain);
      }),
      { numRuns: 300 },
    );
  });

  it('with jitter a timeout is only ever seen when one is possible, and always at the worst case', () => {
    fc.assert(
      fc.property(
        clientConfig,
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer(),
        (c, latency, jitter, seed) => {
          const path = { up: c.up, down: c.down, processing: c.processing };
          const verdict = clientLatencyFalsePositive({
            path,
            pongTimeout: c.pongTimeout,
            latency,
            jitterDown: jitter,
          });
          let s = seed;
          const draw = () => {
            s = (s * 1103515245 + 12345) | 0;
            return Math.abs(s) % (jitter + 1);
          };
          const run = (j: () => number) =>
            runClient({
              ...c,
              missThreshold: 1,
              f: Number.POSITIVE_INFINITY,
              pongDriven: false,
              latency,
              jitter: j,
              horizon: c.t0 + 20 * c.interval + c.pongTimeout + latency + jitter,
            });
          if (run(draw) !== undefined) expect(verdict.possible, verdict.why).toBe(true);
          expect(run(() => jitter) !== undefined, verdict.why).toBe(verdict.possible);
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A healthy server: I + d_u < R, and d_u < I so the tie rule applies as BOUNDS.md states it. */
const serverConfig = fc
  .record({
    interval: fc.integer({ min: 2, max: 60 }),
    upFraction: fc.double({ min: 0, max: 0.99, noNaN: true }),
    slack: fc.integer({ min: 1, max: 100 }),
    accept: fc.integer({ min: 0, max: 50 }),
    convention,
  })
  .map((c) => {
    const up = Math.floor(c.upFraction * c.interval);
    return { ...c, up, readDeadline: c.interval + up + c.slack };
  });

type ServerConfig = typeof serverConfig extends fc.Arbitrary<infer T> ? T : never;

function serverDelta(c: ServerConfig, f: number): number | undefined {
  const at = runServer({ ...c, f, fault: 'drop', horizon: f + 2 * c.readDeadline + c.up + 10 });
  return at === undefined ? undefined : at - f;
}

describe('server read deadline bound against a simulated pinger (F4)', () => {
  it('black-hole Δ lies in C1 [R − I, R) / C2 [R − I + d_u, R + d_u)', () => {
    fc.assert(
      fc.property(serverConfig, fc.integer({ min: 0, max: 300 }), (c, off) => {
        // After the first ping arrived: from then on the arrivals form the steady grid.
        const f = c.accept + c.interval + c.up + 1 + off;
        const bound = serverBlackHole(c);
        const delta = serverDelta(c, f);
        expect(delta, bound.why).toBeDefined();
        expect(within(bound, delta!), `Δ = ${delta}, ${bound.why}`).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('the bound is tight: sweeping f over one period reaches both ends', () => {
    fc.assert(
      fc.property(serverConfig, (c) => {
        const bound = serverBlackHole(c);
        const start = c.accept + 3 * c.interval + c.up;
        const deltas = Array.from({ length: c.interval }, (_, i) => serverDelta(c, start + i)!);
        expect([Math.min(...deltas), Math.max(...deltas)]).toEqual([bound.min, bound.max]);
      }),
      { numRuns: 150 },
    );
  });

  it('client→server latency L times the server out exactly when I + L ≥ R', () => {
    fc.assert(
      fc.property(
        serverConfig,
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 1, max: 200 }),
        (c, L, off) => {
          const verdict = serverLatencyFalsePositive({ ...c, latency: L });
          const f = c.accept + c.interval + off;
          const at = runServer({
            ...c,
            f,
            fault: 'latency',
            latency: L,
            horizon: f + 3 * c.readDeadline + L,
          });
          expect(at !== undefined, verdict.why).toBe(verdict.certain);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('healthy (I + d_u + J < R and I + 2J < R) never times out with ±J jitter; without jitter it is exact', () => {
    fc.assert(
      fc.property(serverConfig, fc.integer({ min: 0, max: 10 }), fc.integer(), (c, J, seed) => {
        let s = seed;
        const draw = () => {
          s = (s * 1103515245 + 12345) | 0;
          return (Math.abs(s) % (2 * J + 1)) - J;
        };
        const health = serverHealthy({ ...c, jitter: J });
        const horizon = c.accept + 30 * c.interval;
        const at = runServer({ ...c, f: Number.POSITIVE_INFINITY, fault: 'drop', jitter: draw, horizon });
        if (health.healthy) expect(at, health.why).toBeUndefined();
        const plain = serverHealthy(c);
        const atPlain = runServer({ ...c, f: Number.POSITIVE_INFINITY, fault: 'drop', horizon });
        expect(atPlain === undefined, plain.why).toBe(plain.healthy);
      }),
      { numRuns: 200 },
    );
  });

  it('warm-up: I + d_u ≥ R times out on the first gap although I < R', () => {
    const c = { interval: 100, up: 20, readDeadline: 120, accept: 0, convention: 'C1' as const };
    expect(serverHealthy(c).healthy).toBe(false);
    expect(runServer({ ...c, f: Number.POSITIVE_INFINITY, fault: 'drop', horizon: 1000 })).toBe(120);
  });
});

// ---------------------------------------------------------------------------------------------
// reconnect: a wait-then-try client whose attempts fail until the heal h

const policyArb: fc.Arbitrary<BackoffPolicy> = fc
  .oneof(
    fc.record({
      policy: fc.constant('seed' as const),
      base: fc.integer({ min: 1, max: 50 }),
      capFactor: fc.integer({ min: 1, max: 40 }),
      multiplier: fc.constant(2),
      jitter: fc.integer({ min: 0, max: 30 }),
    }),
    fc.record({
      policy: fc.constant('grpc' as const),
      base: fc.integer({ min: 1, max: 50 }),
      capFactor: fc.integer({ min: 1, max: 40 }),
      multiplier: fc.constantFrom(1.6, 1.5, 2),
      jitter: fc.constantFrom(0, 0.1, 0.2, 0.5),
    }),
    fc.record({
      policy: fc.constantFrom('full' as const, 'equal' as const),
      base: fc.integer({ min: 1, max: 50 }),
      capFactor: fc.integer({ min: 1, max: 40 }),
      multiplier: fc.constantFrom(2, 3),
      jitter: fc.constant(0),
    }),
    fc.record({
      policy: fc.constant('decorrelated' as const),
      base: fc.integer({ min: 1, max: 50 }),
      capFactor: fc.integer({ min: 1, max: 40 }),
      multiplier: fc.constant(3),
      jitter: fc.constant(0),
    }),
  )
  .map(({ capFactor, ...p }) => ({ ...p, cap: p.base * capFactor }));

interface ReconnectRun {
  success: number;
  completedInOutage: number;
  startedInOutage: number;
}

function runReconnect(
  policy: BackoffPolicy,
  o: { heal: number; attemptMin: number; attemptMax: number; handshake: number; healWinsTie: boolean },
  unit: () => number,
  minimal = false,
): ReconnectRun {
  let t = 0;
  let prev = policy.base;
  let completed = 0;
  let started = 0;
  for (let i = 0; ; i++) {
    const range = backoffWait(policy, i, policy.policy === 'decorrelated' ? prev : undefined);
    const w = minimal ? range.min : range.min + unit() * (range.max - range.min);
    prev = w;
    t += w;
    if (t <= o.heal) started++;
    if (t > o.heal || (t === o.heal && o.healWinsTie))
      return { success: t + o.handshake, completedInOutage: completed, startedInOutage: started };
    t += minimal ? o.attemptMin : o.attemptMin + unit() * (o.attemptMax - o.attemptMin);
    if (t <= o.heal) completed++;
  }
}

const reconnectCase = fc.record({
  policy: policyArb,
  heal: fc.integer({ min: 0, max: 5000 }),
  attemptMin: fc.integer({ min: 1, max: 20 }),
  attemptSpread: fc.integer({ min: 0, max: 200 }),
  handshake: fc.integer({ min: 0, max: 20 }),
  healWinsTie: fc.boolean(),
  draws: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }),
});

describe('reconnect convergence and no hammering (F13)', () => {
  it('converges within [H, A_max + W_cap + H] of the heal, for every backoff variant', () => {
    fc.assert(
      fc.property(reconnectCase, (r) => {
        let k = 0;
        const unit = () => r.draws[k++ % r.draws.length]!;
        const o = { ...r, attemptMax: r.attemptMin + r.attemptSpread };
        const run = runReconnect(r.policy, o, unit);
        const bound = reconnectConvergence({
          backoff: r.policy,
          attemptMax: o.attemptMax,
          handshake: r.handshake,
        });
        const delta = run.success - r.heal;
        expect(within(bound, delta), `Δ = ${delta}, ${bound.why}`).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('attempts during an outage U never exceed max{n : Σ_{i<n}(A_min + w_min(i)) ≤ U}, reached at the minimum', () => {
    fc.assert(
      fc.property(reconnectCase, (r) => {
        let k = 0;
        const unit = () => r.draws[k++ % r.draws.length]!;
        const o = { ...r, attemptMax: r.attemptMin + r.attemptSpread, healWinsTie: false };
        const args = { backoff: r.policy, outage: r.heal, attemptMin: r.attemptMin };
        const completed = noHammering(args);
        const started = noHammering({ ...args, count: 'started' });
        const run = runReconnect(r.policy, o, unit);
        expect(run.completedInOutage).toBeLessThanOrEqual(completed.max);
        expect(run.startedInOutage).toBeLessThanOrEqual(started.max);
        const fastest = runReconnect(r.policy, o, unit, true);
        expect(fastest.completedInOutage, completed.why).toBe(completed.max);
      }),
      { numRuns: 400 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// the timeline

interface Ev {
  t: number;
  seq: number;
  run: () => void;
  cancelled?: boolean;
}

class Timeline {
  private queue: Ev[] = [];
  private seq = 0;
  now = 0;
  at(t: number, run: () => void): Ev {
    const ev: Ev = { t, seq: this.seq++, run };
    this.queue.push(ev);
    return ev;
  }
  runUntil(end: number, stop: () => boolean): void {
    while (!stop()) {
      this.queue.sort((a, b) => a.t - b.t || a.seq - b.seq);
      const ev = this.queue.shift();
      if (!ev || ev.t > end) return;
      this.now = ev.t;
      if (!ev.cancelled) ev.run();
    }
  }
}

interface ClientRun {
  interval: number;
  pongTimeout: number;
  up: number;
  down: number;
  processing: number;
  /** First ping leaves at t0. */
  t0: number;
  /** Fault onset (black-hole both ways); Infinity for none. */
  f: number;
  convention: Convention;
  missThreshold: number;
  pongDriven: boolean;
  /** Extra delay on every pong (downstream), for latency checks. */
  latency?: number;
  /** Per-pong extra jitter in [0, jitter] drawn by the caller's function. */
  jitter?: () => number;
  horizon: number;
}

/** Returns the virtual time the client declares the peer dead, or undefined within the horizon. */
function runClient(p: ClientRun): number | undefined {
  const tl = new Timeline();
  let detected: number | undefined;
  let misses = 0;
  const lost = (sentAt: number, arrivesAt: number) =>
    p.convention === 'C1' ? arrivesAt >= p.f : sentAt >= p.f;

  const ping = (t: number) => {
    let answered = false;
    let expired = false;
    const deadline = tl.at(t + p.pongTimeout, () => {
      if (answered) return;
      expired = true;
      misses++;
      if (misses >= p.missThreshold) detected = tl.now;
      else if (p.pongDriven) tl.at(tl.now + p.interval, () => ping(tl.now));
    });
    const arrive = t + p.up;
    if (!lost(t, arrive)) {
      tl.at(arrive, () => {
        const reply = tl.now + p.processing;
        tl.at(reply, () => {
          const back = tl.now + p.down + (p.latency ?? 0) + (p.jitter?.() ?? 0);
          if (lost(tl.now, back)) return;
          tl.at(back, () => {
            // A deadline due at this same instant was created earlier, so it has already fired.
            if (detected !== undefined || expired) return;
            answered = true;
            deadline.cancelled = true;
            misses = 0;
            if (p.pongDriven) tl.at(tl.now + p.interval, () => ping(tl.now));
          });
        });
      });
    }
    if (!p.pongDriven) tl.at(t + p.interval, () => ping(tl.now));
  };
  tl.at(p.t0, () => ping(p.t0));
  tl.runUntil(p.horizon, () => detected !== undefined);
  return detected;
}

interface ServerRun {
  interval: number;
  readDeadline: number;
  up: number;
  /** The connection is accepted at `accept`; the client's first ping leaves at accept + I. */
  accept: number;
  f: number;
  convention: Convention;
  /** 'drop': black-hole from f; 'latency': pings sent at or after f are delayed by `latency`. */
  fault: 'drop' | 'latency';
  latency?: number;
  /** Per-ping extra delay, may be negative (jitter), added to d_u. */
  jitter?: () => number;
  horizon: number;
}

/** Returns when the server's read deadline fires, or undefined within the horizon. */
function runServer(p: ServerRun): number | undefined {
  const tl = new Timeline();
  let detected: number | undefined;
  let deadline: Ev | undefined;
  const arm = () => {
    if (deadline) deadline.cancelled = true;
    deadline = tl.at(tl.now + p.readDeadline, () => {
      detected = tl.now;
    });
  };
  tl.at(p.accept, () => {
    arm();
    const send = (t: number) => {
      const extra = p.fault === 'latency' && t >= p.f ? (p.latency ?? 0) : 0;
      const arrive = t + Math.max(0, p.up + (p.jitter?.() ?? 0)) + extra;
      const dropped = p.fault === 'drop' && (p.convention === 'C1' ? arrive >= p.f : t >= p.f);
      if (!dropped)
        tl.at(arrive, () => {
          if (detected === undefined) arm();
        });
      tl.at(t + p.interval, () => send(tl.now));
    };
    tl.at(p.accept + p.interval, () => send(tl.now));
  });
  tl.runUntil(p.horizon, () => detected !== undefined);
  return detected;
}
