/**
 * The one QoS module (harness/observe/qos.ts, BOUNDS.md Chen–Toueg–Aguilera names) on hand-made
 * timelines: every expected number is worked out in the comments. W is the observed detector time
 * (detectors × window length), n the number of mistakes.
 */
import { describe, expect, it } from 'vitest';
import {
  detectionTimes,
  type MistakeObservation,
  mistakeDurations,
  mistakeRecurrenceTimes,
  mistakesOf,
  qosMetrics,
  runObservation,
  runQos,
} from '../../harness/observe/qos.ts';
import { lane, result } from '../support/results.ts';

const MIN = 60_000;
const HOUR = 3_600_000;

describe('T_D detection time', () => {
  it('T_D = detection − crash; undetected crashes are counted apart, never averaged in', () => {
    const crashes = [{ at: 10, detectedAt: 40 }, { at: 100 }, { at: 200, detectedAt: 260 }];
    expect(detectionTimes(crashes)).toEqual([30, 60]);
    // values 30 and 60: mean (30 + 60) / 2 = 45, max 60; the crash at 100 was never detected.
    const q = qosMetrics({ window: { from: 0, to: 1000 }, crashes });
    expect(q.detection).toEqual({ values: [30, 60], mean: 45, max: 60, undetected: 1 });
  });

  it('crashes say nothing about mistakes; a window of only undetected crashes has no T_D mean', () => {
    // Black hole at 60 s: one connection detected 2.5 s later, one 7 s later, one never.
    const q = qosMetrics({
      window: { from: 0, to: 10 * MIN },
      crashes: [{ at: 60_000, detectedAt: 62_500 }, { at: 60_000, detectedAt: 67_000 }, { at: 60_000 }],
    });
    // (2500 + 7000) / 2 = 4750.
    expect(q.detection).toEqual({ values: [2500, 7000], mean: 4750, max: 7000, undetected: 1 });
    expect(q.mistakes).toBe(0);
    expect(q.queryAccuracy).toBe(1);
    const none = qosMetrics({ window: { from: 0, to: 10 * MIN }, crashes: [{ at: 5 }, { at: 6 }] });
    expect(none.detection).toEqual({ values: [], undetected: 2 });
  });
});

describe('0 mistakes', () => {
  it('λ_M = 0, P_A = 1, E(T_M) and E(T_MR) undefined', () => {
    const q = qosMetrics({ window: { from: 0, to: HOUR }, mistakes: [] });
    expect(q.mistakes).toBe(0);
    expect(q.exposure).toBe(HOUR);
    expect(q.mistakeRate).toBe(0);
    expect(q.mistakesPerHour).toBe(0);
    expect(q.queryAccuracy).toBe(1);
    expect(q.mistakeDuration).toEqual({ values: [], total: 0 });
    expect(q.mistakeRecurrence).toEqual({ gaps: [] });
    expect(q.why).toContain('0 mistake(s)');
    expect(q.why).toContain('E(T_MR) = W/n = n/a');
  });

  it('an empty window without mistakes is still λ_M = 0 and P_A = 1', () => {
    const q = qosMetrics({ window: { from: 5, to: 5 } });
    expect(q).toMatchObject({ exposure: 0, mistakeRate: 0, mistakesPerHour: 0, queryAccuracy: 1 });
  });
});

describe('1 mistake: window estimate, finite λ_M and P_A', () => {
  it('E(T_MR) = W, λ_M = 1/W, P_A = 1 − T_M/W', () => {
    // 10 min window, one wrong suspicion from 2:00 to 2:06: T_M = 6000.
    // E(T_MR) = W/n = 600 000 ms; λ_M = 1/600 000 per ms = 3 600 000/600 000 = 6 per hour;
    // P_A = 1 − 6000/600 000 = 0.99 (= 1 − E(T_M)/E(T_MR) = 1 − 6000/600 000).
    const q = qosMetrics({
      window: { from: 0, to: 10 * MIN },
      mistakes: [{ at: 120_000, restoredAt: 126_000 }],
    });
    expect(q.mistakes).toBe(1);
    expect(q.mistakeDuration).toEqual({ values: [6000], total: 6000, mean: 6000 });
    // No second mistake, so no observed gap; the expectation still comes from the window.
    expect(q.mistakeRecurrence).toEqual({ gaps: [], mean: 600_000 });
    expect(q.mistakeRate).toBe(1 / 600_000);
    expect(q.mistakesPerHour).toBe(6);
    expect(q.queryAccuracy).toBe(1 - 6000 / 600_000);
    expect(q.queryAccuracy).toBeCloseTo(0.99, 12);
  });

  it('one mistake in an hour is 1/h (the rate does not depend on where in the window it falls)', () => {
    const early = qosMetrics({ mistakes: [{ at: 1, restoredAt: 2 }], window: { from: 0, to: HOUR } });
    const late = qosMetrics({
      mistakes: [{ at: HOUR - 10, restoredAt: HOUR - 9 }],
      window: { from: 0, to: HOUR },
    });
    expect(early.mistakeRate).toBe(1 / HOUR);
    expect(early.mistakesPerHour).toBe(1);
    expect(late.mistakesPerHour).toBe(1);
    // T_M = 1 ms of 3 600 000.
    expect(early.queryAccuracy).toBe(1 - 1 / HOUR);
    expect(early.why).toContain('λ_M = n/W = 1/h');
  });
});

describe('several mistakes', () => {
  // Given out of order; by start: 100 s (2 s), 400 s (1 s), 700 s (5 s), 1000 s (8 s).
  const mistakes: MistakeObservation[] = [
    { at: 700_000, restoredAt: 705_000 },
    { at: 100_000, restoredAt: 102_000 },
    { at: 1_000_000, restoredAt: 1_008_000 },
    { at: 400_000, restoredAt: 401_000 },
  ];

  it('T_M per mistake by start, T_MR gaps between consecutive starts', () => {
    expect(mistakeDurations(mistakes, { from: 0, to: 30 * MIN })).toEqual([2000, 1000, 5000, 8000]);
    expect(mistakeRecurrenceTimes(mistakes)).toEqual([300_000, 300_000, 300_000]);
  });

  it('E(T_MR) = W/n, not the mean gap: the quiet time before the first and after the last counts', () => {
    // W = 30 min = 1 800 000, n = 4, ΣT_M = 2000 + 1000 + 5000 + 8000 = 16 000.
    // E(T_M) = 16 000/4 = 4000; E(T_MR) = 1 800 000/4 = 450 000 (the mean gap would say 300 000);
    // λ_M = 4/1 800 000 per ms = 8/h; P_A = 1 − 4000/450 000 = 1 − 16 000/1 800 000 ≈ 0.991111.
    const q = qosMetrics({ window: { from: 0, to: 30 * MIN }, mistakes });
    expect(q.mistakes).toBe(4);
    expect(q.mistakeDuration).toEqual({ values: [2000, 1000, 5000, 8000], total: 16_000, mean: 4000 });
    expect(q.mistakeRecurrence).toEqual({ gaps: [300_000, 300_000, 300_000], mean: 450_000 });
    expect(q.mistakeRate).toBe(4 / 1_800_000);
    expect(q.mistakesPerHour).toBe(8);
    expect(q.queryAccuracy).toBe(1 - 16_000 / 1_800_000);
    expect(q.queryAccuracy).toBeCloseTo(1 - 4000 / 450_000, 12);
  });

  it('three mistakes in [0, 6000]: λ_M = 1/2000 and P_A = 1 − E(T_M)/E(T_MR) = 1 − 200/2000', () => {
    const three = [
      { at: 1000, restoredAt: 1100 },
      { at: 5000, restoredAt: 5300 },
      { at: 3000, restoredAt: 3200 },
    ];
    // ΣT_M = 100 + 200 + 300 = 600; E(T_M) = 200; E(T_MR) = 6000/3 = 2000.
    const q = qosMetrics({ mistakes: three, window: { from: 0, to: 6000 } });
    expect(q.mistakeRate).toBe(1 / 2000);
    expect(q.queryAccuracy).toBeCloseTo(1 - 200 / 2000, 12);
    // The same mistakes watched for 10 s: P_A = 1 − 600/10 000.
    const longer = qosMetrics({ mistakes: three, window: { from: 0, to: 10_000 } });
    expect(longer.queryAccuracy).toBeCloseTo(1 - 600 / 10_000, 12);
    expect(longer.mistakeRate).toBe(3 / 10_000);
  });

  it('several detectors: W is detector time, so the rate is per connection-hour', () => {
    // 2 clients × 30 min = 1 connection-hour; 3 mistakes of 1 s each.
    // λ_M = 3 per conn·h; E(T_MR) = 3 600 000/3 = 1 200 000; P_A = 1 − 3000/3 600 000.
    const q = qosMetrics({
      window: { from: 0, to: 30 * MIN },
      detectors: 2,
      mistakes: [
        { at: 60_000, restoredAt: 61_000 },
        { at: 60_500, restoredAt: 61_500 },
        { at: 900_000, restoredAt: 901_000 },
      ],
    });
    expect(q.exposure).toBe(HOUR);
    expect(q.mistakesPerHour).toBe(3);
    expect(q.mistakeRecurrence.mean).toBe(1_200_000);
    expect(q.queryAccuracy).toBe(1 - 3000 / HOUR);
  });
});

describe('mistakes still open at the end of the window', () => {
  it('are cut at the window end (and restorations after it are clipped to it)', () => {
    expect(mistakeDurations([{ at: 10 }], { from: 0, to: 50 })).toEqual([40]);
    // 2 detectors × [0, 100 s]: W = 200 000.
    // T_M: 30→20 s restored = 10 000; 70 s restored at 130 s, clipped to 100 s = 30 000;
    // 90 s never restored, cut at 100 s = 10 000. ΣT_M = 50 000, n = 3.
    // E(T_M) = 50 000/3; E(T_MR) = 200 000/3; λ_M = 3 × 3 600 000/200 000 = 54/h;
    // P_A = 1 − 50 000/200 000 = 0.75.
    const q = qosMetrics({
      window: { from: 0, to: 100_000 },
      detectors: 2,
      mistakes: [{ at: 90_000 }, { at: 20_000, restoredAt: 30_000 }, { at: 70_000, restoredAt: 130_000 }],
    });
    expect(q.mistakeDuration.values).toEqual([10_000, 30_000, 10_000]);
    expect(q.mistakeDuration.total).toBe(50_000);
    expect(q.mistakeDuration.mean).toBe(50_000 / 3);
    expect(q.mistakeRecurrence.mean).toBe(200_000 / 3);
    expect(q.mistakesPerHour).toBe(54);
    expect(q.queryAccuracy).toBe(0.75);
  });

  it('a window that does not start at 0 counts only the time inside it', () => {
    // Window [1000, 2000]; suspected from 900 (before the window) to 1100: 100 ms inside it.
    expect(mistakeDurations([{ at: 900, restoredAt: 1100 }], { from: 1000, to: 2000 })).toEqual([100]);
  });
});

describe('a sweep cell is the pooled observation of its runs', () => {
  // Three 10-minute runs, one client each.
  // run A: mistake 100 s → 101 s (1000); mistake at 590 s never restored (cut at 600 s: 10 000);
  //        crash at 60 s detected at 62 s.
  // run B: mistake 50 s → 52 s (2000).
  // run C: no mistake; crash at 60 s never detected.
  const runs = [
    {
      window: { from: 0, to: 10 * MIN },
      mistakes: [{ at: 100_000, restoredAt: 101_000 }, { at: 590_000 }],
      crashes: [{ at: 60_000, detectedAt: 62_000 }],
    },
    { window: { from: 0, to: 10 * MIN }, mistakes: [{ at: 50_000, restoredAt: 52_000 }] },
    { window: { from: 0, to: 10 * MIN }, crashes: [{ at: 60_000 }] },
  ];
  // The same three runs laid end to end in one 30-minute window (B shifted by 600 s, C by 1200 s),
  // A's open mistake restored exactly at A's end.
  const concatenated = {
    window: { from: 0, to: 30 * MIN },
    mistakes: [
      { at: 100_000, restoredAt: 101_000 },
      { at: 590_000, restoredAt: 600_000 },
      { at: 650_000, restoredAt: 652_000 },
    ],
    crashes: [{ at: 60_000, detectedAt: 62_000 }, { at: 1_260_000 }],
  };

  it('equals the single-run computation over the concatenated window', () => {
    const pooled = qosMetrics(runs);
    const single = qosMetrics(concatenated);
    // n = 3, W = 1 800 000, ΣT_M = 1000 + 10 000 + 2000 = 13 000.
    // λ_M = 3/1 800 000 per ms = 6/h; E(T_MR) = 600 000; E(T_M) = 13 000/3;
    // P_A = 1 − 13 000/1 800 000.
    for (const q of [pooled, single]) {
      expect(q.mistakes).toBe(3);
      expect(q.exposure).toBe(1_800_000);
      expect(q.mistakeDuration.total).toBe(13_000);
      expect(q.mistakeDuration.mean).toBe(13_000 / 3);
      expect(q.mistakeRecurrence.mean).toBe(600_000);
      expect(q.mistakesPerHour).toBe(6);
      expect(q.queryAccuracy).toBe(1 - 13_000 / 1_800_000);
      expect(q.detection).toEqual({ values: [2000], mean: 2000, max: 2000, undetected: 1 });
    }
    expect(pooled.mistakeRate).toBe(single.mistakeRate);
    expect(pooled.queryAccuracy).toBe(single.queryAccuracy);
    expect([...pooled.mistakeDuration.values].sort()).toEqual([...single.mistakeDuration.values].sort());
  });

  it('takes T_MR gaps only within a run: a gap across two runs is no recurrence', () => {
    // Pooled: only A has two mistakes, 490 s apart. Laid end to end, 590 s → 650 s would add 60 s.
    expect(qosMetrics(runs).mistakeRecurrence.gaps).toEqual([490_000]);
    expect(qosMetrics(concatenated).mistakeRecurrence.gaps).toEqual([490_000, 60_000]);
  });

  it('is not the mean of the runs’ own rates (runs with no mistake weigh in by their time)', () => {
    // Per run: A 2 mistakes/10 min = 12/h, B 6/h, C 0/h; their mean is 6/h only because the windows
    // are equal. With C twice as long the pooled rate is 3 mistakes / 40 min = 4.5/h, not 6/h.
    const longC = [runs[0]!, runs[1]!, { window: { from: 0, to: 20 * MIN } }];
    expect(qosMetrics(longC).mistakesPerHour).toBe(4.5);
  });
});

describe('bad input', () => {
  it('refuses a restoration before the mistake, a reversed window and mistakes in an empty window', () => {
    expect(() => mistakeDurations([{ at: 10, restoredAt: 5 }], { from: 0, to: 100 })).toThrow(
      /restored before/,
    );
    expect(() => qosMetrics({ window: { from: 10, to: 5 } })).toThrow(RangeError);
    expect(() => qosMetrics({ window: { from: 5, to: 5 }, mistakes: [{ at: 5 }] })).toThrow(
      /empty observation/,
    );
    expect(() => qosMetrics({ window: { from: 0, to: 5 }, detectors: 0 })).toThrow(/detectors/);
  });

  it('P_A stays in [0, 1] when overlapping mistakes of one detector add up past W', () => {
    // Both sides wrong over the whole 1000 ms: ΣT_M = 2000 > W = 1000 → P_A 0, not −1.
    const q = qosMetrics({
      window: { from: 0, to: 1000 },
      mistakes: [
        { at: 0, restoredAt: 1000 },
        { at: 0, restoredAt: 1000 },
      ],
    });
    expect(q.queryAccuracy).toBe(0);
    expect(q.mistakesPerHour).toBe(7200);
  });
});

describe('from a ScenarioResult: mistakesOf, runObservation, runQos', () => {
  // Two clients over 10 min. Client a: false detection of its own connection at 100 s, connected
  // again at 101 s. A server-side mistake at 300 s on a socket without a lane: charged to the
  // client whose connection closed first at or after it (b's, at 300.02 s); b never connects again.
  const r = result({
    lanes: [
      lane('a1', 'a', 10, 100_000),
      lane('a2', 'a', 101_000),
      lane('b1', 'b', 20, 300_020),
      // Opened but never established: not a restoration.
      { conn: 'b2', client: 'b', opened: 301_000, events: [] },
    ],
    falseDetections: [
      { side: 'client', conn: 'a1', reason: 'heartbeat-timeout', at: 100_000 },
      { side: 'server', conn: 's9', reason: 'read-deadline', at: 300_000 },
    ],
  });

  it('mistakesOf: trust is back at the same client’s next established connection, else open', () => {
    expect(mistakesOf(r)).toEqual([{ at: 100_000, restoredAt: 101_000 }, { at: 300_000 }]);
  });

  it('runObservation: the run is the window, one detector per client (counted from the lanes)', () => {
    expect(runObservation(r)).toEqual({
      window: { from: 0, to: 10 * MIN },
      detectors: 2,
      mistakes: [{ at: 100_000, restoredAt: 101_000 }, { at: 300_000 }],
    });
    expect(runObservation(r, 5).detectors).toBe(5);
    expect(runObservation(result({})).detectors).toBe(1);
  });

  it('runQos: W = 2 × 600 000; T_M 1000 and 300 000 (open, cut at the end); 6 per conn·h', () => {
    // n = 2, W = 1 200 000 → λ_M = 2 × 3 600 000/1 200 000 = 6/conn·h, E(T_MR) = 600 000;
    // ΣT_M = 1000 + (600 000 − 300 000) = 301 000 → P_A = 1 − 301 000/1 200 000.
    const q = runQos(r);
    expect(q.mistakeDuration.values).toEqual([1000, 300_000]);
    expect(q.mistakeRecurrence).toEqual({ gaps: [200_000], mean: 600_000 });
    expect(q.mistakesPerHour).toBe(6);
    expect(q.queryAccuracy).toBe(1 - 301_000 / 1_200_000);
    // Told the scenario had 4 clients, the same mistakes are spread over twice the time.
    expect(runQos(r, 4).mistakesPerHour).toBe(3);
  });
});
