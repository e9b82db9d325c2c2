/**
 * QoS aggregation (BOUNDS.md Chen–Toueg–Aguilera names) on hand-made results, so every number is
 * known: three runs of a black-hole scenario (10 min, one client, fault 60 s → 120 s).
 */
import { describe, expect, it } from 'vitest';
import { mistakesOf, qosMetrics, runObservation, runQos } from '../../harness/observe/qos.ts';
import type { ScenarioResult } from '../../harness/result.ts';
import { faults, scenario } from '../../harness/scenario/builder.ts';
import { judgeCell, type SweepGoals } from '../../harness/sweep/goals.ts';
import { latencyTolerance, parseProfile } from '../../harness/sweep/profiles.ts';
import { type CellRun, cellQos } from '../../harness/sweep/qos.ts';
import { result as baseResult, lane as clientLane } from '../support/results.ts';

const blackHole = scenario('bh')
  .proxy()
  .duration('10m')
  .config({ interval: '5s', pongTimeout: '2s', readDeadline: '7.5s', missThreshold: 1 })
  .fault({
    id: 'black-hole',
    at: '60s',
    until: '120s',
    fault: faults.timeout({ stream: 'both', timeout: 0 }),
  })
  .build();

const lane = (conn: string, connect: number, closed?: number) => clientLane(conn, 'client', connect, closed);
const result = (over: Partial<ScenarioResult>): ScenarioResult => baseResult({ scenario: 'bh', ...over });

const bound = { min: 0, max: 1e9, why: '' };
const det = (side: 'client' | 'server', conn: string, delta: number) => ({
  side,
  conn,
  reason: 'heartbeat-timeout',
  at: 60_000 + delta,
  fault: 'black-hole',
  delta,
  bound,
  withinBound: true,
});

const runs: CellRun[] = [
  {
    seed: 1,
    scenario: blackHole,
    result: result({
      lanes: [lane('c1', 10, 62_500), lane('c2', 125_010, 300_000), lane('c3', 301_010)],
      detections: [det('client', 'c1', 2500), det('server', 's1', 7000)],
      reconnects: [{ client: 'client', at: 125_010, delta: 5010, attempts: 2, bound, withinBound: true }],
      // The client gave up on a live connection; it was connected again 1010 ms later (T_M).
      falseDetections: [{ side: 'client', conn: 'c2', reason: 'heartbeat-timeout', at: 300_000 }],
      overhead: {
        client: { messagesPerHour: 720, bytesPerHour: 36_000 },
        server: { messagesPerHour: 700, bytesPerHour: 35_000 },
      },
    }),
  },
  {
    seed: 2,
    scenario: blackHole,
    result: result({
      seed: 2,
      lanes: [lane('c1', 10, 64_000), lane('c2', 130_000, 200_020), lane('c3', 201_000, 400_000)],
      detections: [det('client', 'c1', 4000)],
      // No reconnect after that detection.
      falseDetections: [
        // A server-side mistake: charged to the client whose connection closed first after it.
        { side: 'server', conn: 's2', reason: 'read-deadline', at: 200_000 },
        // Never connected again: cut at the end of the run (600 s).
        { side: 'client', conn: 'c3', reason: 'heartbeat-timeout', at: 400_000 },
      ],
      overhead: {
        client: { messagesPerHour: 740, bytesPerHour: 37_000 },
        server: { messagesPerHour: 720, bytesPerHour: 36_001 },
      },
    }),
  },
  {
    seed: 3,
    scenario: blackHole,
    // Open at the onset and never closed: an undetected crash.
    result: result({
      seed: 3,
      lanes: [lane('c1', 10)],
      overhead: {
        client: { messagesPerHour: 750, bytesPerHour: 38_000 },
        server: { messagesPerHour: 730, bytesPerHour: 37_000 },
      },
    }),
  },
];

describe('cell QoS (T_D, λ_M, T_M, T_MR, P_A, reconnect, F20 overhead)', () => {
  it('T_D per client connection open at a dead fault’s onset; one never closed is undetected', () => {
    const q = cellQos(runs, 'client');
    expect(q.deadFaults).toBe(true);
    expect(q.detectionSamples).toEqual([2500, 4000]);
    expect(q.detection).toEqual({ n: 2, min: 2500, median: 2500, p99: 4000, max: 4000 });
    expect(q.expectedDetections).toBe(3);
    expect(q.undetected).toBe(1);
  });

  it('T_D for the server side and for the first of the two sides', () => {
    const server = cellQos(runs, 'server');
    expect(server.detectionSamples).toEqual([7000]);
    expect(server.undetected).toBe(2);
    const first = cellQos(runs, 'first');
    expect(first.detectionSamples).toEqual([2500, 4000]);
    expect(first.expectedDetections).toBe(3);
  });

  it('undetected crashes are counted per fault: a surplus detection in one run hides no miss in another', () => {
    // Run 1 with a second client detection attributed to the black hole (2 samples, 1 connection
    // open at the onset), and run 3 (1 open, never detected). 2 expected, 2 samples, yet run 3's
    // connection was never detected: 1 undetected (a cell-wide 2 − 2 would say 0).
    const surplus: CellRun = {
      ...runs[0]!,
      result: { ...runs[0]!.result, detections: [...runs[0]!.result.detections, det('client', 'c9', 3000)] },
    };
    const q = cellQos([surplus, runs[2]!], 'client');
    expect(q.detectionSamples).toEqual([2500, 3000]);
    expect(q.expectedDetections).toBe(2);
    expect(q.undetected).toBe(1);
  });

  it('λ_M per connection-hour, T_M (trust restored at the next connection, or cut at the end), T_MR, P_A', () => {
    expect(mistakesOf(runs[1]!.result)).toEqual([{ at: 200_000, restoredAt: 201_000 }, { at: 400_000 }]);
    const q = cellQos(runs, 'client');
    expect(q.falseDetections).toBe(3);
    expect(q.exposureHours).toBe(0.5);
    expect(q.falseDetectionRate).toBe(6);
    expect(q.mistakeDuration).toEqual({ n: 3, min: 1000, median: 1010, p99: 200_000, max: 200_000 });
    expect(q.mistakeRecurrence).toEqual({ n: 1, min: 200_000, median: 200_000, p99: 200_000, max: 200_000 });
    expect(q.queryAccuracy).toBe(1 - 202_010 / 1_800_000);
  });

  it('is the pooled observation of its runs (observe/qos.ts), and a one-run cell quotes the run report', () => {
    // 3 runs × 1 client × 600 000 = W 1 800 000; 3 mistakes; ΣT_M = 1010 + 1000 + 200 000.
    const pooled = qosMetrics(runs.map((r) => runObservation(r.result, r.scenario.clients)));
    const q = cellQos(runs, 'client');
    expect(q.falseDetectionRate).toBe(pooled.mistakesPerHour);
    expect(q.queryAccuracy).toBe(pooled.queryAccuracy);
    expect(pooled.mistakeDuration.total).toBe(202_010);
    // Run 1 alone has exactly one mistake: the old report said λ_M and P_A were NaN (no T_MR gap);
    // now it and its cell agree on λ_M = 1 per 10 min = 6/h and P_A = 1 − 1010/600 000.
    const one = cellQos(runs.slice(0, 1), 'client');
    const report = runQos(runs[0]!.result);
    expect(one.falseDetectionRate).toBe(6);
    expect(report.mistakesPerHour).toBe(6);
    expect(one.queryAccuracy).toBe(1 - 1010 / 600_000);
    expect(report.queryAccuracy).toBe(one.queryAccuracy);
    expect(one.mistakeRecurrence).toBeUndefined();
    expect(report.mistakeRecurrence.mean).toBe(600_000);
  });

  it('reconnect samples, detections never followed by a reconnect, mean overhead per side', () => {
    const q = cellQos(runs, 'client');
    expect(q.reconnect).toEqual({ n: 1, min: 5010, median: 5010, p99: 5010, max: 5010 });
    expect(q.notReconnected).toBe(1);
    expect(q.overhead).toEqual({
      client: { messagesPerHour: 737, bytesPerHour: 37_000 },
      server: { messagesPerHour: 717, bytesPerHour: 36_000 },
    });
  });

  it('a scenario with no dead fault has nothing to detect', () => {
    const steady = scenario('steady').proxy().duration('10m').build();
    const q = cellQos([{ seed: 1, scenario: steady, result: result({ lanes: [lane('c1', 10)] }) }], 'client');
    expect(q.deadFaults).toBe(false);
    expect(q.detection).toBeUndefined();
    expect(q.undetected).toBe(0);
    expect(q.falseDetectionRate).toBe(0);
    expect(q.queryAccuracy).toBe(1);
  });
});

describe('goal verdicts carry their numbers', () => {
  const config = {
    interval: 5000,
    pongTimeout: 2000,
    readDeadline: 7500,
    missThreshold: 1,
    backoff: { base: 1000, cap: 60_000, multiplier: 2, jitter: 1000, variant: 'seed' },
  };
  const path = { up: { latency: 20, jitter: 5 }, down: { latency: 20, jitter: 5 } };
  const goals: SweepGoals = {
    detectWithin: [{ stat: 'p99', within: 3000 }],
    detectSide: 'first',
    maxFalseRate: 1,
    tolerateLatency: 800,
    reconnectWithin: 10_000,
    maxOverhead: 1500,
  };

  it('judges each goal with the measured values (detection by the first side)', () => {
    const q = cellQos(runs.slice(0, 2), 'first');
    expect(judgeCell(goals, q, { config, path, latencyStep: false, runs: 2 })).toEqual([
      {
        goal: 'p99 detection (either side) ≤ 3s',
        met: false,
        why: 'p99 T_D 4s > 3s (2 samples, max 4s)',
      },
      {
        goal: 'false detections ≤ 1 per conn·h',
        met: false,
        why: 'λ_M 9 > 1 per conn·h (3 false detections in 0.333 conn·h)',
      },
      {
        goal: 'tolerates +800ms latency',
        met: true,
        why: 'client T − r_max = 2s − 50ms = 1.95s > 800ms; server R − I − 2J = 7.5s − 5s − 10ms = 2.49s > 800ms',
      },
      {
        goal: 'p99 reconnect ≤ 10s',
        met: false,
        why: '1 detection never followed by a reconnect before the run ended',
      },
      {
        goal: 'heartbeat ≤ 1500 msg/conn·h both ways',
        met: true,
        why: '1440 msg/conn·h both ways (client 730 + server 710) ≤ 1500',
      },
    ]);
  });

  it('in the latency-step scenario the tolerance is also measured and the false-rate goal steps aside', () => {
    const q = cellQos(runs.slice(0, 1), 'client');
    const [, falseRate, tolerance] = judgeCell(goals, q, { config, path, latencyStep: true, runs: 1 });
    expect(falseRate).toEqual({
      goal: 'false detections ≤ 1 per conn·h',
      met: true,
      why: 'not applicable: this scenario adds latency on purpose (see the tolerance goal)',
    });
    expect(tolerance!.met).toBe(false);
    expect(tolerance!.why).toMatch(/; measured: 1 false detection with the \+800ms step in 1 run$/);
  });
});

describe('latency tolerance (BOUNDS.md: client T − r, server R − I)', () => {
  it('client T − r − J_u − J_d and server R − I − 2J, from bounds.ts; the shortfall when none is left', () => {
    const profile = parseProfile('office=20ms+-5ms');
    const config = { interval: 5000, pongTimeout: 2000, readDeadline: 7500 };
    const tol = latencyTolerance(config, profile);
    // T − (L_u + J_u + L_d + J_d) and R − I − 2·J_u.
    expect(tol).toEqual({ client: 2000 - 50, server: 7500 - 5000 - 10 });
    expect(
      latencyTolerance(config, { up: { latency: 50, jitter: 407 }, down: { latency: 50, jitter: 407 } }),
    ).toEqual({
      client: 2000 - 914,
      server: 7500 - 5000 - 814,
    });
    // Nothing left: bounds.ts refuses, the same formula gives the shortfall.
    expect(
      latencyTolerance(config, { up: { latency: 600, jitter: 900 }, down: { latency: 600, jitter: 900 } }),
    ).toEqual({
      client: 2000 - 3000,
      server: 7500 - 5000 - 1800,
    });
  });
});
