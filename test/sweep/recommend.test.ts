import { describe, expect, it } from 'vitest';
import type { GoalVerdict, SweepCell, SweepConfig } from '../../harness/result.ts';
import { recommend } from '../../harness/sweep/recommend.ts';

const BACKOFF = { base: 1000, cap: 60_000, multiplier: 2, jitter: 1000, variant: 'seed' };
const cfg = (interval: number, pongTimeout: number): SweepConfig => ({
  interval,
  pongTimeout,
  readDeadline: interval * 1.5,
  missThreshold: 3,
  backoff: BACKOFF,
});

const DETECT = 'p99 detection (client) ≤ 30s';
const FALSE = 'false detections ≤ 0 per conn·h';

function cell(
  config: SweepConfig,
  o: { p99: number; falseRate?: number; profile?: string; msgs?: number },
): SweepCell {
  const falseRate = o.falseRate ?? 0;
  const goals: GoalVerdict[] = [
    {
      goal: DETECT,
      met: o.p99 <= 30_000,
      why: `p99 T_D ${o.p99 / 1000}s ${o.p99 <= 30_000 ? '≤' : '>'} 30s`,
    },
    {
      goal: FALSE,
      met: falseRate === 0,
      why: `λ_M ${falseRate} ${falseRate === 0 ? '≤' : '>'} 0 per conn·h`,
    },
  ];
  const msgs = o.msgs ?? Math.round(3_600_000 / config.interval);
  return {
    config,
    scenario: 'black-hole',
    latencyProfile: o.profile ?? 'lan (RTT 2ms)',
    seeds: [1, 2],
    detection: { n: 2, min: o.p99 - 1000, median: o.p99 - 1000, p99: o.p99, max: o.p99 },
    falseDetectionRate: falseRate,
    overhead: {
      client: { messagesPerHour: msgs, bytesPerHour: msgs * 50 },
      server: { messagesPerHour: msgs, bytesPerHour: msgs * 50 },
    },
    latencyTolerance: { client: config.pongTimeout - 2, server: config.readDeadline - config.interval },
    goals,
  };
}

describe('recommendation', () => {
  const fast = cfg(5000, 2000); // 1440 msg/conn·h both ways, passes
  const mid = cfg(10_000, 5000); // 720, passes, p99 14 s
  const midQuick = cfg(10_000, 2000); // 720, passes, p99 11 s: same cost, faster detection
  const slow = cfg(30_000, 10_000); // 240, fails detection
  const flappy = cfg(15_000, 1000); // 480, fails false detections on mobile
  const candidates = [
    { config: fast, cells: [cell(fast, { p99: 6000 })] },
    { config: mid, cells: [cell(mid, { p99: 14_000 })] },
    { config: midQuick, cells: [cell(midQuick, { p99: 11_000 })] },
    { config: slow, cells: [cell(slow, { p99: 68_000 })] },
    {
      config: flappy,
      cells: [
        cell(flappy, { p99: 15_000 }),
        cell(flappy, { p99: 16_000, falseRate: 2.5, profile: 'mobile (RTT 244ms/800ms)' }),
      ],
    },
  ];

  it('picks the cheapest configuration meeting every goal; at equal cost the faster detection', () => {
    const r = recommend(candidates);
    expect(r.best).toEqual(midQuick);
    expect(r.runnerUp).toEqual(mid);
    expect(r.why).toBe(
      'I 10s · T 2s · R 15s · N 3 · seed 1s→1m ×2 +0–1s is the cheapest of 3 configurations meeting every goal in every scenario and latency profile: ' +
        '720 heartbeat msg/conn·h both ways by design (measured 720), p99 detection 11s, 0 false detections per conn·h, latency tolerance client 1.998s / server 5s. ' +
        'Runner-up: I 10s · T 5s · R 15s · N 3 · seed 1s→1m ×2 +0–1s — same cost, slower p99 detection (14s vs 11s). ' +
        '1 more meet every goal and rank lower. 2 fail a goal (see rejected).',
    );
  });

  it('explains every failure with its numbers and where it happened', () => {
    const r = recommend(candidates);
    expect(r.rejected).toEqual([
      { config: slow, why: 'p99 detection (client) ≤ 30s: p99 T_D 68s > 30s (lan (RTT 2ms))' },
      {
        config: flappy,
        why: 'false detections ≤ 0 per conn·h: λ_M 2.5 > 0 per conn·h (mobile (RTT 244ms/800ms))',
      },
    ]);
  });

  it('with no passing configuration there is no best; the closest is named with what it fails', () => {
    const r = recommend([candidates[3]!, candidates[4]!]);
    expect(r.best).toBeUndefined();
    expect(r.runnerUp).toBeUndefined();
    expect(r.why).toBe(
      'No configuration met every goal (2 tried). Closest: I 30s · T 10s · R 45s · N 3 · seed 1s→1m ×2 +0–1s, which fails p99 detection (client) ≤ 30s: p99 T_D 68s > 30s (lan (RTT 2ms)).',
    );
    expect(r.rejected).toHaveLength(2);
  });

  it('names a preset that meets the goals more cheaply, and warns when the best is unhealthy on the path', () => {
    const mqtt = cfg(60_000, 30_000);
    const tight = cfg(20_000, 1);
    const r = recommend([{ config: tight, cells: [cell(tight, { p99: 20_000 })] }], {
      presets: [{ name: 'MQTT', config: mqtt, cells: [cell(mqtt, { p99: 29_000 })] }],
    });
    expect(r.best).toEqual(tight);
    expect(r.why).toContain('No runner-up: it is the only configuration meeting every goal.');
    expect(r.why).toContain(
      "Caution: on the latency profile's worst case T − r_max = -1ms (the pong timeout is below the worst round trip)",
    );
    expect(r.why).toContain('Preset MQTT meets the goals too, cheaper: 120 msg/conn·h both ways.');
  });

  it('at equal cost and detection the more latency-tolerant wins; the runner-up says what it lost on', () => {
    const a = cfg(30_000, 2000);
    const b = cfg(30_000, 10_000);
    const r = recommend([
      { config: a, cells: [cell(a, { p99: 28_000 })] },
      { config: b, cells: [cell(b, { p99: 28_000 })] },
    ]);
    expect(r.best).toEqual(b);
    expect(r.why).toContain(
      'Runner-up: I 30s · T 2s · R 45s · N 3 · seed 1s→1m ×2 +0–1s — same cost and detection, less client latency tolerance (1.998s vs 9.998s).',
    );
  });

  it('says when the default goal applied', () => {
    expect(recommend(candidates.slice(0, 1), { defaultGoal: true }).why).toMatch(
      /No goal was given, so the default applied: no false detections\./,
    );
  });
});
