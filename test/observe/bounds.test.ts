import { describe, expect, it } from 'vitest';
import {
  attemptsBeforeCap,
  type BackoffPolicy,
  BoundsInputError,
  backoffWait,
  cappedWait,
  clientBlackHole,
  clientBlackHolePongDriven,
  clientFin,
  clientHealthy,
  clientLatencyFalsePositive,
  clientLatencyTolerance,
  clientReset,
  detectionTimeBound,
  noHammering,
  nominalWait,
  reconnectConvergence,
  rho,
  roundTrip,
  serverBlackHole,
  serverFin,
  serverHealthy,
  serverLatencyFalsePositive,
  serverLatencyTolerance,
  serverReset,
  timeoutToxicDetection,
  timeoutToxicRemoval,
  unavailability,
  within,
  worstWait,
} from '../../harness/observe/bounds.ts';

const seedPolicy: BackoffPolicy = { policy: 'seed', base: 1000, cap: 60_000, multiplier: 2, jitter: 1000 };
const grpcPolicy: BackoffPolicy = { policy: 'grpc', base: 1000, cap: 120_000, multiplier: 1.6, jitter: 0.2 };

describe('BOUNDS.md notation', () => {
  it('r = d_u + d_d + processing; ρ is r under C1 and d_u (+processing) under C2', () => {
    const path = { up: 3, down: 7, processing: 2 };
    expect(roundTrip(path)).toBe(12);
    expect(rho('C1', path)).toBe(12);
    expect(rho('C2', path)).toBe(5);
  });

  it('within treats both ends as inclusive', () => {
    const b = { min: 10, max: 20, why: '' };
    expect([9, 10, 20, 21].map((x) => within(b, x))).toEqual([false, true, true, false]);
  });
});

describe('client black-hole (F1, F5, F12, F19)', () => {
  it('C1: [T − ρ, T − ρ + I) with ρ = r, stored with an inclusive max', () => {
    const b = clientBlackHole({
      interval: 30_000,
      pongTimeout: 5000,
      path: { up: 5, down: 5 },
      convention: 'C1',
    });
    expect(b).toMatchObject({ min: 4990, max: 34_989 });
    expect(b.why).toContain('[T − ρ, T − ρ + I) = [4990, 34990)');
    expect(b.why).toContain('client black-hole C1');
  });

  it('C2: ρ = d_u', () => {
    const b = clientBlackHole({
      interval: 1000,
      pongTimeout: 500,
      path: { up: 30, down: 70 },
      convention: 'C2',
    });
    expect([b.min, b.max]).toEqual([470, 1469]);
  });

  it('zero latency gives [T, T + I)', () => {
    const b = clientBlackHole({
      interval: 1000,
      pongTimeout: 500,
      path: { up: 0, down: 0 },
      convention: 'C1',
    });
    expect([b.min, b.max]).toEqual([500, 1499]);
  });

  it('miss threshold N adds (N−1)·I', () => {
    const b = clientBlackHole({
      interval: 30_000,
      pongTimeout: 5000,
      path: { up: 5, down: 5 },
      convention: 'C1',
      missThreshold: 3,
    });
    expect([b.min, b.max]).toEqual([64_990, 94_989]);
    expect(b.why).toContain('+ (N−1)·I = [64990, 94990)');
  });

  it('pong-driven: [T − ρ, T − ρ + I + r)', () => {
    const b = clientBlackHolePongDriven({
      interval: 1000,
      pongTimeout: 500,
      path: { up: 20, down: 30 },
      convention: 'C1',
    });
    expect([b.min, b.max]).toEqual([450, 1499]);
    const c2 = clientBlackHolePongDriven({
      interval: 1000,
      pongTimeout: 500,
      path: { up: 20, down: 30 },
      convention: 'C2',
    });
    expect([c2.min, c2.max]).toEqual([480, 1529]);
  });

  it('rejects an unhealthy client (r ≥ T) and bad numbers with a typed error naming the parameter', () => {
    expect(() =>
      clientBlackHole({ interval: 1000, pongTimeout: 100, path: { up: 50, down: 50 }, convention: 'C1' }),
    ).toThrow(/not healthy \(r = 100 ≥ T = 100\)/);
    try {
      clientBlackHole({ interval: 1.5, pongTimeout: 100, path: { up: 0, down: 0 }, convention: 'C1' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BoundsInputError);
      expect((e as BoundsInputError).parameter).toBe('interval (I)');
    }
    expect(() =>
      clientBlackHole({ interval: 10, pongTimeout: 5, path: { up: 0, down: 0 }, convention: 'C3' as 'C1' }),
    ).toThrow(/C1 or C2/);
  });
});

describe('RST / FIN reaching a side (F15)', () => {
  it('client RST: [d, d + ε] independent of I and T', () => {
    expect(clientReset({ delivery: 12, epsilon: 3 })).toMatchObject({ min: 12, max: 15 });
    expect(clientReset({ delivery: 12 })).toMatchObject({ min: 12, max: 12 });
  });

  it('client FIN counted as death: its delivery time', () => {
    expect(clientFin({ delivery: 7, finIsDeath: true })).toMatchObject({ min: 7, max: 7 });
  });

  it('client FIN not handled: envelope of the black-hole bound and the next write error', () => {
    const timing = {
      interval: 1000,
      pongTimeout: 500,
      path: { up: 10, down: 10 },
      convention: 'C1' as const,
    };
    const b = clientFin({ delivery: 10, finIsDeath: false, timing });
    // black-hole max 1479; write error d + I + r = 1030
    expect([b.min, b.max]).toEqual([10, 1479]);
    expect(() => clientFin({ delivery: 10, finIsDeath: false })).toThrow(/timing is required/);
  });

  it('server RST and handled FIN: delivery; unhandled FIN: [R − I + d_u, R + d_u]', () => {
    expect(serverReset({ delivery: 4 })).toMatchObject({ min: 4, max: 4 });
    const handled = serverFin({
      handled: true,
      delivery: 4,
      epsilon: 1,
      interval: 30_000,
      readDeadline: 45_000,
      up: 5,
    });
    expect([handled.min, handled.max]).toEqual([4, 5]);
    const b = serverFin({ handled: false, delivery: 4, interval: 30_000, readDeadline: 45_000, up: 5 });
    expect([b.min, b.max]).toEqual([15_005, 45_005]);
  });
});

describe('client latency (added latency L on the round trip)', () => {
  it('false positive iff r + L ≥ T (tie rule), possible with jitter iff r + L + J_u + J_d ≥ T', () => {
    const path = { up: 10, down: 10 };
    expect(clientLatencyFalsePositive({ path, pongTimeout: 100, latency: 79 }).certain).toBe(false);
    expect(clientLatencyFalsePositive({ path, pongTimeout: 100, latency: 80 }).certain).toBe(true);
    const j = clientLatencyFalsePositive({ path, pongTimeout: 100, latency: 70, jitterUp: 5, jitterDown: 5 });
    expect([j.certain, j.possible]).toEqual([false, true]);
    expect(j.why).toContain('r + L + J_u + J_d = 100 ≥ 100 is true');
  });

  it('latency tolerance T − r: L ∈ [0, T − r − J)', () => {
    const b = clientLatencyTolerance({ path: { up: 10, down: 10 }, pongTimeout: 100, jitterUp: 2 });
    expect([b.min, b.max]).toEqual([0, 77]);
    expect(() => clientLatencyTolerance({ path: { up: 50, down: 50 }, pongTimeout: 100 })).toThrow(
      /no tolerance/,
    );
  });

  it('healthy client: r + J < T', () => {
    expect(clientHealthy({ path: { up: 10, down: 10 }, pongTimeout: 21 }).healthy).toBe(true);
    expect(clientHealthy({ path: { up: 10, down: 10 }, pongTimeout: 20 }).healthy).toBe(false);
    expect(clientHealthy({ path: { up: 10, down: 10 }, pongTimeout: 25, jitterUp: 5 }).healthy).toBe(false);
    expect(clientHealthy({ path: { up: 10, down: 10 }, pongTimeout: 26, jitterUp: 5 }).healthy).toBe(true);
  });
});

describe('server read deadline (F4)', () => {
  it('healthy needs I + d_u < R (warm-up gap) and I + 2J < R', () => {
    expect(serverHealthy({ interval: 30_000, readDeadline: 45_000, up: 5 }).healthy).toBe(true);
    expect(serverHealthy({ interval: 1000, readDeadline: 1005, up: 5 }).healthy).toBe(false);
    expect(serverHealthy({ interval: 1000, readDeadline: 1006, up: 5 }).healthy).toBe(true);
    const j = serverHealthy({ interval: 1000, readDeadline: 1010, up: 0, jitter: 5 });
    expect([j.healthy, j.firstGap, j.steadyGap]).toEqual([false, 1005, 1010]);
  });

  it('black-hole C1: [R − I, R); C2: [R − I + d_u, R + d_u)', () => {
    const c1 = serverBlackHole({ interval: 30_000, readDeadline: 45_000, up: 5, convention: 'C1' });
    expect([c1.min, c1.max]).toEqual([15_000, 44_999]);
    expect(c1.why).toContain('[R − I, R) = [15000, 45000)');
    const c2 = serverBlackHole({ interval: 30_000, readDeadline: 45_000, up: 5, convention: 'C2' });
    expect([c2.min, c2.max]).toEqual([15_005, 45_004]);
  });

  it('with other traffic: [R − G, R) for the straddling gap G', () => {
    const b = serverBlackHole({
      interval: 30_000,
      readDeadline: 45_000,
      up: 5,
      convention: 'C1',
      gap: 10_000,
    });
    expect([b.min, b.max]).toEqual([35_000, 44_999]);
    expect(() =>
      serverBlackHole({ interval: 50_000, readDeadline: 45_000, up: 5, convention: 'C1' }),
    ).toThrow(/not healthy/);
  });

  it('latency client→server: false positive iff I + L ≥ R; tolerance R − I', () => {
    expect(
      serverLatencyFalsePositive({ interval: 30_000, readDeadline: 45_000, latency: 14_999 }).certain,
    ).toBe(false);
    expect(
      serverLatencyFalsePositive({ interval: 30_000, readDeadline: 45_000, latency: 15_000 }).certain,
    ).toBe(true);
    expect(
      serverLatencyFalsePositive({ interval: 30_000, readDeadline: 45_000, latency: 14_000, jitter: 500 })
        .possible,
    ).toBe(true);
    const t = serverLatencyTolerance({ interval: 30_000, readDeadline: 45_000 });
    expect([t.min, t.max]).toEqual([0, 14_999]);
  });
});

describe('Toxiproxy specifics', () => {
  const heartbeat = clientBlackHole({
    interval: 1000,
    pongTimeout: 500,
    path: { up: 0, down: 0 },
    convention: 'C1',
  });

  it('timeout toxic 0, or a heartbeat faster than the timeout: the heartbeat detects, not the toxic', () => {
    const zero = timeoutToxicDetection({ timeout: 0, gap: 1000, heartbeat });
    expect(zero.detector).toBe('heartbeat');
    expect([zero.min, zero.max]).toEqual([heartbeat.min, heartbeat.max]);
    const fast = timeoutToxicDetection({ timeout: 5000, gap: 1000, heartbeat });
    expect(fast.detector).toBe('heartbeat');
    expect(fast.why).toContain('keeps restarting it');
  });

  it('timeout toxic slower than the gap closes in [timeout, 2·timeout): earlier of that and the heartbeat', () => {
    const early = timeoutToxicDetection({ timeout: 100, gap: 1000, heartbeat, finDelivery: 2 });
    expect(early.detector).toBe('toxic');
    expect([early.min, early.max]).toEqual([102, 201]);
    const both = timeoutToxicDetection({ timeout: 1000, gap: 1000, heartbeat });
    expect(both.detector).toBe('either');
    expect([both.min, both.max]).toEqual([500, 1499]);
  });

  it('removing a timeout toxic is a FIN at heal', () => {
    const b = timeoutToxicRemoval({ delivery: 3, epsilon: 2 });
    expect([b.min, b.max]).toEqual([3, 5]);
    expect(b.why).toContain('from the heal');
  });
});

describe('reconnect backoff (F13)', () => {
  it('β_n = min(c, b·mⁿ)', () => {
    expect([0, 1, 5, 6, 10].map((n) => nominalWait(seedPolicy, n))).toEqual([
      1000, 2000, 32_000, 60_000, 60_000,
    ]);
    expect(nominalWait(grpcPolicy, 3)).toBe(4096);
  });

  it('wait ranges per variant', () => {
    const w = (p: BackoffPolicy, n: number, prev?: number) => {
      const b = backoffWait(p, n, prev);
      return [b.min, b.max];
    };
    expect(w(seedPolicy, 2)).toEqual([4000, 5000]);
    expect(w(grpcPolicy, 1)).toEqual([1280, 1920]);
    expect(w({ ...seedPolicy, policy: 'full', jitter: 0 }, 3)).toEqual([0, 8000]);
    expect(w({ ...seedPolicy, policy: 'equal', jitter: 0 }, 3)).toEqual([4000, 8000]);
    const dec: BackoffPolicy = { policy: 'decorrelated', base: 1000, cap: 60_000, multiplier: 3, jitter: 0 };
    expect(w(dec, 4, 5000)).toEqual([1000, 15_000]);
    expect(w(dec, 1)).toEqual([1000, 9000]);
    expect(w(dec, 10)).toEqual([1000, 60_000]);
  });

  it('W_cap: seed c + J, grpc c(1+j), full/equal/decorrelated c', () => {
    expect(worstWait(seedPolicy)).toBe(61_000);
    expect(worstWait(grpcPolicy)).toBe(144_000);
    expect(worstWait({ ...seedPolicy, policy: 'full' })).toBe(60_000);
    expect(worstWait({ ...seedPolicy, policy: 'equal' })).toBe(60_000);
    expect(cappedWait({ ...seedPolicy, policy: 'equal' })).toMatchObject({ min: 30_000, max: 60_000 });
    expect(worstWait({ ...seedPolicy, policy: 'decorrelated', multiplier: 3 })).toBe(60_000);
  });

  it('convergence ∈ [H, A_max + W_cap + H]', () => {
    const b = reconnectConvergence({ backoff: seedPolicy, attemptMax: 10_000, handshake: 20 });
    expect([b.min, b.max]).toEqual([20, 71_020]);
    expect(b.why).toContain('W_cap=61000');
  });

  it('end-to-end unavailability ≈ Δ + remaining outage + convergence', () => {
    const detection = { min: 4990, max: 34_989, why: '' };
    const convergence = reconnectConvergence({ backoff: seedPolicy, attemptMax: 10_000, handshake: 20 });
    expect(unavailability({ outage: 60_000, detection, convergence })).toMatchObject({
      min: 60_020,
      max: 131_020,
    });
    // detected after a short outage healed: the reconnect loop starts at the detection
    expect(unavailability({ outage: 1000, detection, convergence })).toMatchObject({
      min: 1020,
      max: 106_009,
    });
  });

  it('attempts before the cap: ⌈log_m(c/b)⌉, exact at powers', () => {
    expect(attemptsBeforeCap(seedPolicy).max).toBe(6); // log2(60) = 5.9
    expect(attemptsBeforeCap({ ...seedPolicy, cap: 64_000 }).max).toBe(6);
    expect(attemptsBeforeCap({ ...seedPolicy, cap: 1000 }).max).toBe(0);
    expect(attemptsBeforeCap(grpcPolicy).max).toBe(11); // log1.6(120) = 10.19
    expect(() => attemptsBeforeCap({ ...seedPolicy, multiplier: 1 })).toThrow(/never reaches/);
  });

  it('no hammering: max{n : Σ_{i<n}(A_min + w_min(i)) ≤ U}', () => {
    // seed, A_min 10: cumulative 1010, 3020, 7030, 15040, 31050, 63060, 123070 ...
    expect(noHammering({ backoff: seedPolicy, outage: 63_060, attemptMin: 10 }).max).toBe(6);
    expect(noHammering({ backoff: seedPolicy, outage: 63_059, attemptMin: 10 }).max).toBe(5);
    expect(noHammering({ backoff: seedPolicy, outage: 123_070, attemptMin: 10 }).max).toBe(7);
    // past the cap every cycle is 60010: 7 + ⌊(3600000 − 123070)/60010⌋ = 7 + 57
    expect(noHammering({ backoff: seedPolicy, outage: 3_600_000, attemptMin: 10 }).max).toBe(64);
    expect(noHammering({ backoff: seedPolicy, outage: 3020, attemptMin: 10, count: 'started' }).max).toBe(3);
    const full = { ...seedPolicy, policy: 'full' as const, jitter: 0 };
    expect(noHammering({ backoff: full, outage: 1000, attemptMin: 10 }).max).toBe(100);
    expect(noHammering({ backoff: full, outage: 1000, attemptMin: 0 }).max).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects a gRPC jitter outside [0, 1] and a cap below the base', () => {
    expect(() => backoffWait({ ...grpcPolicy, jitter: 1.5 }, 0)).toThrow(/jitter \(j\)/);
    expect(() => backoffWait({ ...seedPolicy, cap: 10 }, 0)).toThrow(/cap \(c\)/);
  });
});

describe('QoS detection-time bound (Chen–Toueg–Aguilera)', () => {
  // Measuring T_D, T_M, T_MR, λ_M and P_A is harness/observe/qos.ts (test/observe/qos.test.ts).
  it('heartbeat detector with period η and shift δ: T_D ≤ η + δ', () => {
    expect(detectionTimeBound({ eta: 1000, delta: 500 })).toMatchObject({ min: 0, max: 1500 });
    expect(() => detectionTimeBound({ eta: -1, delta: 500 })).toThrow(BoundsInputError);
  });
});
