import { describe, expect, it } from 'vitest';
import type { SampleStats, SweepCell, SweepConfig } from '../../harness/result.ts';
import { summarizeConfig, summarizeConfigs } from '../../harness/sweep/summary.ts';

const BACKOFF = { base: 1000, cap: 60_000, multiplier: 2, jitter: 1000, variant: 'seed' };
const cfg = (interval: number): SweepConfig => ({
  interval,
  pongTimeout: 3000,
  readDeadline: interval * 1.5,
  missThreshold: 1,
  backoff: BACKOFF,
});
const st = (median: number, p99 = median, max = p99): SampleStats => ({ n: 4, min: 0, median, p99, max });

function cell(config: SweepConfig, profile: string, o: Partial<SweepCell> = {}): SweepCell {
  return {
    config,
    scenario: 'black-hole',
    latencyProfile: profile,
    seeds: [1, 2],
    falseDetectionRate: 0,
    overhead: {
      client: { messagesPerHour: 360, bytesPerHour: 18_000 },
      server: { messagesPerHour: 360, bytesPerHour: 18_000 },
    },
    latencyTolerance: { client: 2998, server: config.readDeadline - config.interval },
    goals: [{ goal: 'g', met: true, why: 'ok' }],
    ...o,
  };
}

describe('summarizeConfig: a configuration’s worst cell (BOUNDS.md T_D, λ_M, T_M, T_MR, P_A; F20)', () => {
  const c = cfg(10_000);
  const lan = cell(c, 'lan', {
    detection: st(9000, 12_000, 12_500),
    mistakeDuration: st(800),
    mistakeRecurrence: st(600_000),
    queryAccuracy: 0.9995,
    falseDetectionRate: 0.2,
    reconnect: st(1000, 1500),
  });
  const mobile = cell(c, 'mobile', {
    detection: st(11_000, 14_000, 14_000),
    mistakeDuration: st(2000),
    mistakeRecurrence: st(300_000),
    queryAccuracy: 0.998,
    falseDetectionRate: 0.5,
    overhead: {
      client: { messagesPerHour: 360, bytesPerHour: 18_000 },
      server: { messagesPerHour: 350, bytesPerHour: 20_000 },
    },
    latencyTolerance: { client: 2200, server: 4000 },
    goals: [{ goal: 'g', met: false, why: 'too slow' }],
  });
  const s = summarizeConfig(c, [lan, mobile]);

  it('takes the largest T_D, λ_M, T_M and reconnect time, and the smallest T_MR, P_A and tolerance', () => {
    expect(s).toMatchObject({
      detectionP99: 14_000,
      detectionMax: 14_000,
      detectionMedian: 11_000,
      falseDetectionRate: 0.5,
      mistakeDurationMedian: 2000,
      mistakeRecurrenceMedian: 300_000,
      queryAccuracy: 0.998,
      reconnectP99: 1500,
      toleranceClient: 2200,
      toleranceServer: 4000,
    });
  });

  it('counts overhead both ways (client + server) and takes the worst cell per figure', () => {
    expect(s.overhead).toEqual({ messagesPerHour: 720, bytesPerHour: 38_000 });
  });

  it('lists each missed goal with where it was missed', () => {
    expect(s.goalsMet).toBe(false);
    expect(s.failed).toEqual([{ goal: 'g', met: false, why: 'too slow', where: 'mobile' }]);
  });

  it('leaves out what no cell measured, and groups cells by configuration in order', () => {
    const bare = summarizeConfig(c, [cell(c, 'lan')]);
    expect(bare.detectionP99).toBeUndefined();
    expect(bare.queryAccuracy).toBeUndefined();
    expect(bare.mistakeRecurrenceMedian).toBeUndefined();
    expect(bare.goalsMet).toBe(true);
    const other = cfg(5000);
    const all = summarizeConfigs([lan, cell(other, 'lan'), mobile]);
    expect(all.map((x) => [x.config.interval, x.cells.length])).toEqual([
      [10_000, 2],
      [5000, 1],
    ]);
  });
});
