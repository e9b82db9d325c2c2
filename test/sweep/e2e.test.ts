/**
 * A small sweep on the simulator, end to end: a 2×2 grid (I ∈ {5s, 10s} × T ∈ {1s, 3s}, N = 1) × 2
 * seeds × the black-hole scenario, on a path with a fixed 1.2 s round trip. A pong timeout of 1 s is
 * below the round trip (BOUNDS.md: a healthy client needs r < T), so every pong is late and those
 * configurations make false detections; with T = 3 s they do not, and the cheaper of the two (the
 * longer interval) must be recommended, the other named runner-up.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SweepResult } from '../../harness/result.ts';
import { buildSpec } from '../../harness/sweep/build.ts';
import { runSweep } from '../../harness/sweep/engine.ts';
import type { SweepSpec } from '../../harness/sweep/sweep-spec.ts';
import { assertSweepResult } from '../../reports/validate.ts';

const BACKOFF = { base: 1000, cap: 60_000, multiplier: 2, jitter: 1000, variant: 'seed' };
const config = (interval: number, pongTimeout: number) => ({
  interval,
  pongTimeout,
  readDeadline: interval * 1.5,
  missThreshold: 1,
  backoff: BACKOFF,
});

let spec: SweepSpec;
let result: SweepResult;

beforeAll(async () => {
  spec = await buildSpec({
    flags: {
      interval: '5s,10s',
      pongTimeout: '1s,3s',
      missThreshold: '1',
      latency: 'fixed=1200ms/1200ms',
      seeds: '2',
      detectWithin: '15s',
      maxFalseRate: '0',
    },
  });
  result = await runSweep(spec);
});

describe('flatline sweep on the simulator (2×2 grid × 2 seeds × black-hole)', () => {
  it('recommends the cheapest configuration meeting the goals and names the runner-up', () => {
    expect(result.goals).toEqual(['p99 detection (client) ≤ 15s', 'false detections ≤ 0 per conn·h']);
    expect(result.recommendation.best).toEqual(config(10_000, 3000));
    expect(result.recommendation.runnerUp).toEqual(config(5000, 3000));
    expect(result.recommendation.why).toMatch(
      /^I 10s · T 3s · R 15s · N 1 · seed 1s→1m ×2 \+0–1s is the cheapest of 2 configurations meeting every goal/,
    );
    expect(result.recommendation.why).toMatch(
      /Runner-up: I 5s · T 3s · R 7\.5s · N 1 · seed 1s→1m ×2 \+0–1s — 1440 msg\/conn·h both ways \(\+100%\)/,
    );
  });

  it('explains why the others fail: false detections, since T = 1s < r = 1.2s', () => {
    expect(result.recommendation.rejected.map((r) => r.config)).toEqual([
      config(5000, 1000),
      config(10_000, 1000),
    ]);
    for (const r of result.recommendation.rejected) {
      expect(r.why).toMatch(
        /^false detections ≤ 0 per conn·h: λ_M [\d.]+ > 0 per conn·h \(\d+ false detections in [\d.]+ conn·h\) \(fixed \(RTT 1\.2s\)\)$/,
      );
    }
  });

  it('every cell carries the QoS numbers: T_D over the seeds, λ_M, overhead, tolerance (T − r, R − I)', () => {
    expect(result.cells.map((c) => [c.config.interval, c.config.pongTimeout])).toEqual([
      [5000, 1000],
      [5000, 3000],
      [10_000, 1000],
      [10_000, 3000],
    ]);
    for (const cell of result.cells) {
      const { interval: I, pongTimeout: T, readDeadline: R } = cell.config;
      expect(cell.scenario).toBe('black-hole');
      expect(cell.latencyProfile).toBe('fixed (RTT 1.2s)');
      expect(cell.seeds).toEqual([1, 2]);
      // No jitter: the worst round trip is the round trip, 1200 ms.
      expect(cell.latencyTolerance).toEqual({ client: T - 1200, server: R - I });
      expect(cell.falseDetectionRate > 0).toBe(T === 1000);
      // One detection per seed when the connection is up at the onset (with T = 1s it flaps, so it
      // may be down then), inside BOUNDS.md's client black-hole window [T − ρ, T − ρ + I) widened by r.
      if (T === 3000) expect(cell.detection?.n).toBe(2);
      for (const d of cell.samples!.detection!) {
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThan(T + I + 1200);
      }
      expect(cell.overhead.client.messagesPerHour).toBeGreaterThanOrEqual(3_600_000 / I);
      expect(cell.replay).toMatch(
        new RegExp(
          `^npx flatline sweep --interval ${I / 1000}s --pong-timeout ${T / 1000}s --read-deadline ${R / 1000}s --miss-threshold 1 --backoff seed:1s:1m:2:1s --fault black-hole --latency fixed=1\\.2s/1\\.2s --seed [12] --emit-scenarios flatline-replay$`,
        ),
      );
    }
    // The seeds sample the ping phase: the fault starts at a different point of the interval.
    const best = result.cells[3]!;
    expect(best.samples!.detection![0]).not.toBe(best.samples!.detection![1]);
    expect(best.goals.every((g) => g.met)).toBe(true);
  });

  it('is deterministic: the same seeds give the same SweepResult, byte for byte', async () => {
    const again = await runSweep(spec);
    expect(JSON.stringify(again)).toBe(JSON.stringify(result));
  });

  it('fits the reports’ SweepResult schema', () => {
    expect(() => assertSweepResult(result)).not.toThrow();
    expect(result.replay).toBe(
      'npx flatline sweep --interval 5s,10s --pong-timeout 1s,3s --read-deadline 1.5x --miss-threshold 1 --backoff seed:1s:1m:2:1s --fault black-hole --latency fixed=1.2s/1.2s --seeds 2 --detect-within p99:15s --max-false-rate 0',
    );
  });
});
