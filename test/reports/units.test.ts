import { describe, expect, it } from 'vitest';
import { runQos } from '../../harness/observe/qos.ts';
import { ecdf, nearestRank, summarize } from '../../harness/observe/samples.ts';
import { binHeartbeats, binWidth, clockTicks, zoomWindows } from '../../reports/charts/timeline.ts';
import { cleanText, esc, escAttr, slug } from '../../reports/escape.ts';
import { fmtClock, fmtDuration, fmtMs, fmtNum } from '../../reports/format.ts';
import { blackHoleRun, latencySpikeRun } from './fixtures.ts';

describe('escaping', () => {
  it('escapes the five markup characters and drops characters XML cannot carry', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    expect(cleanText('a\u0000b\u001Fc\uD800d')).toBe('a\uFFFDb\uFFFDc\uFFFDd');
    expect(cleanText('😀')).toBe('😀');
    expect(escAttr('a\nb\tc')).toBe('a&#10;b&#9;c');
    expect(slug('<script>alert(1)</script>')).toBe('script-alert-1-script');
  });
});

describe('number formatting (exact ms in tables)', () => {
  it('groups digits, keeps exact values and marks open bounds', () => {
    expect(fmtNum(34990)).toBe('34\u202F990');
    expect(fmtMs(1990)).toBe('1\u202F990 ms');
    expect(fmtMs(12.5)).toBe('12.5 ms');
    expect(fmtNum(Number.POSITIVE_INFINITY)).toBe('∞');
    expect(fmtNum(-7000)).toBe('−7\u202F000');
  });
  it('prints durations at a human scale without 60 s carry bugs', () => {
    expect(fmtDuration(850)).toBe('850 ms');
    expect(fmtDuration(1990)).toBe('1.99 s');
    expect(fmtDuration(299_990)).toBe('5 min');
    expect(fmtDuration(239_999)).toBe('4 min');
    expect(fmtDuration(3_600_000)).toBe('1 h');
    expect(fmtDuration(5_430_000)).toBe('1 h 31 min');
    expect(fmtClock(1_207_020)).toBe('00:20:07.020');
    expect(fmtClock(37 * 3_600_000 + 5)).toBe('37:00:00.005');
  });
});

describe('statistics', () => {
  it('nearest-rank quantiles report measured values', () => {
    const v = [5, 1, 4, 2, 3];
    expect(nearestRank([1, 2, 3, 4, 5], 0.5)).toBe(3);
    expect(nearestRank([1, 2, 3, 4], 0.5)).toBe(2);
    expect(summarize(v)).toEqual({ n: 5, min: 1, median: 3, p99: 5, max: 5 });
    expect(summarize([])).toBeUndefined();
    expect(ecdf([2, 1, 2])).toEqual([
      { value: 1, fraction: 1 / 3 },
      { value: 2, fraction: 1 },
    ]);
  });
});

describe('QoS metrics of a run report (BOUNDS.md T_M, T_MR, λ_M, P_A)', () => {
  it('a run without false detections has P_A = 1 and λ_M = 0, and no E(T_M) or E(T_MR)', () => {
    const q = runQos(blackHoleRun());
    expect(q).toMatchObject({ mistakes: 0, mistakesPerHour: 0, queryAccuracy: 1 });
    expect(q.mistakeDuration.mean).toBeUndefined();
    expect(q.mistakeRecurrence.mean).toBeUndefined();
  });
  it('T_M runs from the false detection to the same client’s next connection; one mistake is finite', () => {
    const r = latencySpikeRun();
    const q = runQos(r);
    const c2 = r.lanes.find((l) => l.conn === 'c2')!;
    const tm = c2.opened - r.falseDetections[0]!.at;
    expect(q.mistakes).toBe(1);
    expect(q.mistakeDuration.values).toEqual([tm]);
    // One client for 900 000 ms: no gap to average, E(T_MR) = W = 900 000, λ_M = 4/conn·h.
    expect(q.mistakeRecurrence).toEqual({ gaps: [], mean: 900_000 });
    expect(q.mistakesPerHour).toBe(4);
    expect(q.queryAccuracy).toBe(1 - tm / 900_000);
  });
  it('T_MR gaps are between consecutive mistakes; E(T_MR) = W/n and P_A = 1 − E(T_M)/E(T_MR)', () => {
    const r = latencySpikeRun();
    r.falseDetections = [
      { side: 'client', conn: 'c1', reason: 'heartbeat-timeout', at: 100_000 },
      { side: 'client', conn: 'c1', reason: 'heartbeat-timeout', at: 400_000 },
    ];
    const lane = (conn: string, opened: number) => ({
      conn,
      client: 'k',
      opened,
      events: [{ t: opened, kind: 'connect' as const, side: 'client' as const }],
    });
    // c4 opens but never connects: trust comes back only with an established connection.
    r.lanes = [lane('c1', 0), lane('c2', 101_000), { conn: 'c4', client: 'k', opened: 402_000, events: [] }];
    r.lanes.push(lane('c3', 403_000));
    const q = runQos(r);
    expect(q.mistakeDuration.values).toEqual([1000, 3000]);
    expect(q.mistakeRecurrence.gaps).toEqual([300_000]);
    // W = 900 000 (one client), n = 2: E(T_MR) = 450 000 (not the 300 000 gap), λ_M = 8/h,
    // E(T_M) = 2000, P_A = 1 − 2000/450 000 = 1 − 4000/900 000.
    expect(q.mistakeRecurrence.mean).toBe(450_000);
    expect(q.mistakesPerHour).toBe(8);
    expect(q.queryAccuracy).toBeCloseTo(1 - 2000 / 450_000, 12);
    expect(q.queryAccuracy).toBe(1 - 4000 / 900_000);
  });
});

describe('timeline aggregation', () => {
  it('picks the smallest nice bin that keeps an hour under 240 bins', () => {
    expect(binWidth(3_600_000)).toBe(15_000);
    expect(binWidth(900_000)).toBe(5000);
  });
  it('counts pings/pongs per side, kind and aligned bin', () => {
    const bins = binHeartbeats(
      [
        { row: 'client', kind: 'ping', t: 0 },
        { row: 'client', kind: 'ping', t: 14_999 },
        { row: 'client', kind: 'ping', t: 15_000 },
        { row: 'server', kind: 'pong', t: 20 },
      ],
      15_000,
    );
    expect(bins).toEqual([
      { row: 'client', kind: 'ping', start: 0, end: 15_000, count: 2 },
      { row: 'server', kind: 'pong', start: 0, end: 15_000, count: 1 },
      { row: 'client', kind: 'ping', start: 15_000, end: 30_000, count: 1 },
    ]);
  });
  it('places clock ticks on round steps', () => {
    expect(clockTicks({ start: 0, end: 3_600_000 })).toEqual(
      Array.from({ length: 13 }, (_, i) => i * 300_000),
    );
    expect(clockTicks({ start: 1_198_570, end: 1_213_450 })).toEqual([
      1_200_000, 1_202_000, 1_204_000, 1_206_000, 1_208_000, 1_210_000, 1_212_000,
    ]);
  });
  it('zooms on each fault onset up to its detection bound and on its heal up to the reconnect', () => {
    const r = blackHoleRun();
    const f = r.faults[0]!;
    const [onset, heal] = zoomWindows(r);
    const client = r.detections.find((d) => d.side === 'client')!;
    const server = r.detections.find((d) => d.side === 'server')!;
    // onset window: f − pad … f + max(bound max) + pad, pad = 12 % of that span
    const span = Math.max(server.at, client.at, f.at + client.bound.max, f.at + server.bound.max) - f.at;
    const pad = Math.round(span * 0.12);
    expect(onset).toMatchObject({ start: f.at - pad, end: f.at + span + pad, faults: ['f1'] });
    const rec = r.reconnects[0]!;
    expect(heal).toMatchObject({ start: f.until! - 1000, end: rec.at + 1000, faults: ['f1'] });
  });
});
