import { describe, expect, it } from 'vitest';
import { MAX_AXIS_VALUES, parseCountAxis, parseDurationAxis } from '../../harness/sweep/axis.ts';
import { describeBackoff, formatBackoff, parseBackoff } from '../../harness/sweep/backoff.ts';
import { buildSpec } from '../../harness/sweep/build.ts';
import { SweepSpecError, ValueError } from '../../harness/sweep/errors.ts';
import { parseFlags } from '../../harness/sweep/flags.ts';
import { sweepReplay } from '../../harness/sweep/replay.ts';
import { checkBudget, expandGrid, resolveSpec, runCount } from '../../harness/sweep/sweep-spec.ts';
import { parseDetectGoals, parseSeeds } from '../../harness/sweep/values.ts';

const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('axis syntax', () => {
  it('reads lists, n-value ranges, step ranges and doubling ranges, deduplicated and sorted', () => {
    expect(parseDurationAxis('30s,5s,10s,5s')).toEqual([5000, 10_000, 30_000]);
    expect(parseDurationAxis('2s..10s/5')).toEqual([2000, 4000, 6000, 8000, 10_000]);
    expect(parseDurationAxis('1s..2s/4')).toEqual([1000, 1333, 1667, 2000]);
    expect(parseDurationAxis('2s..10s:3s')).toEqual([2000, 5000, 8000]);
    expect(parseDurationAxis('1s..60s*2')).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000]);
    expect(parseDurationAxis('5s,10s..30s/3')).toEqual([5000, 10_000, 20_000, 30_000]);
    expect(parseDurationAxis(['1m30s', 500])).toEqual([500, 90_000]);
  });

  it('reads multiples of the interval for pong timeout and read deadline only', () => {
    expect(parseDurationAxis('1.5x,45s,0.5x..1x/3', { relative: true })).toEqual([
      45_000,
      { times: 0.5 },
      { times: 0.75 },
      { times: 1 },
      { times: 1.5 },
    ]);
    expect(err(() => parseDurationAxis('1.5x'))).toMatch(
      /multiple of the interval is allowed for pong timeout and read deadline only/,
    );
    expect(err(() => parseDurationAxis('1x..30s/2', { relative: true }))).toMatch(/both ends of a range/);
  });

  it('reads whole-number axes (miss threshold, seeds): ranges step by 1 unless told', () => {
    expect(parseCountAxis('1..4')).toEqual([1, 2, 3, 4]);
    expect(parseCountAxis('1..9:4,2')).toEqual([1, 2, 5, 9]);
    expect(parseCountAxis('1..16*2')).toEqual([1, 2, 4, 8, 16]);
    expect(err(() => parseCountAxis('0'))).toMatch(/must be ≥ 1, got 0/);
    expect(err(() => parseCountAxis('2.5'))).toMatch(/expected a whole number, got "2.5"/);
  });

  it('explains bad ranges and refuses runaway ones', () => {
    expect(err(() => parseDurationAxis('10s..2s/3'))).toMatch(/the range goes down/);
    expect(err(() => parseDurationAxis('2s..10s'))).toMatch(/say which values: 2s\.\.10s\/n/);
    expect(err(() => parseDurationAxis('2s..10s/1'))).toMatch(/whole number ≥ 2/);
    expect(err(() => parseDurationAxis('1s..2s*1'))).toMatch(/growth factor, a number > 1/);
    expect(err(() => parseDurationAxis('1ms..1h:1ms'))).toMatch(
      new RegExp(`at most ${MAX_AXIS_VALUES} per axis`),
    );
    expect(err(() => parseDurationAxis('5s,,10s'))).toMatch(/empty value/);
    expect(err(() => parseDurationAxis('5 s'))).toMatch(/invalid duration "5 s"/);
    expect(err(() => parseDurationAxis('0s'))).toMatch(/must be more than 0 ms/);
  });

  it('names the list item at fault', () => {
    try {
      parseDurationAxis(['5s', '10x']);
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(ValueError);
      expect((e as ValueError).index).toBe(1);
    }
  });
});

describe('grid expansion', () => {
  it('crosses every axis in order, resolves multiples of I and drops duplicates', () => {
    const configs = expandGrid({
      interval: [5000, 10_000],
      pongTimeout: [2000, { times: 0.2 }],
      readDeadline: [{ times: 1.5 }],
      missThreshold: [1, 3],
      backoff: [parseBackoff('seed')],
    });
    expect(
      configs.map((c) => [
        c.config.interval,
        c.config.pongTimeout,
        c.config.readDeadline,
        c.config.missThreshold,
      ]),
    ).toEqual([
      // 0.2x of 10 s is 2 s again: that configuration is listed once.
      [5000, 2000, 7500, 1],
      [5000, 2000, 7500, 3],
      [5000, 1000, 7500, 1],
      [5000, 1000, 7500, 3],
      [10_000, 2000, 15_000, 1],
      [10_000, 2000, 15_000, 3],
    ]);
  });

  it('defaults: a 3×3 interval × pong-timeout grid with no grid option, else seed defaults per axis', () => {
    const all = resolveSpec({});
    expect(
      all.configs.map((c) => `${c.config.interval}/${c.config.pongTimeout}/${c.config.readDeadline}`),
    ).toEqual([
      '5000/2000/7500',
      '5000/5000/7500',
      '5000/10000/7500',
      '15000/2000/22500',
      '15000/5000/22500',
      '15000/10000/22500',
      '30000/2000/45000',
      '30000/5000/45000',
      '30000/10000/45000',
    ]);
    expect(all.configs[0]!.config.missThreshold).toBe(3);
    expect(all.configs[0]!.config.backoff).toEqual({
      base: 1000,
      cap: 60_000,
      multiplier: 2,
      jitter: 1000,
      variant: 'seed',
    });
    expect(all.scenarios.map((s) => (s.kind === 'builtin' ? s.spec : s.file))).toEqual(['black-hole']);
    expect(all.profiles.map((p) => p.name)).toEqual(['lan']);
    expect(all.seeds).toEqual([1, 2, 3, 4, 5]);
    // No goal given: the default is "no false detections".
    expect(all.defaultGoal).toBe(true);
    expect(all.goals.maxFalseRate).toBe(0);

    const one = resolveSpec({ interval: [10_000] });
    expect(one.configs.map((c) => [c.config.interval, c.config.pongTimeout, c.config.readDeadline])).toEqual([
      [10_000, 5000, 15_000],
    ]);
  });

  it('--tolerate-latency adds the latency-step scenario that measures it', () => {
    const spec = resolveSpec({ goals: { tolerateLatency: 800 } });
    expect(spec.scenarios.map((s) => (s.kind === 'builtin' ? s.spec : ''))).toEqual([
      'black-hole',
      'latency-step:800ms',
    ]);
    expect(spec.defaultGoal).toBe(false);
    expect(resolveSpec({ goals: { tolerateLatency: 0 } }).scenarios).toHaveLength(1);
  });

  it('counts runs and refuses a sweep over its budget, saying where the runs come from', () => {
    const spec = resolveSpec({ seeds: parseSeeds(10), maxRuns: 50 });
    expect(runCount(spec)).toBe(90);
    expect(err(() => checkBudget(spec))).toBe(
      'command line: --max-runs: this sweep needs 90 runs (9 configurations × 1 scenario × 1 latency profile × 10 seeds), more than the budget of 50: narrow an axis or raise --max-runs',
    );
  });
});

describe('flags', () => {
  it('turns every flag into the spec', async () => {
    const spec = await buildSpec({
      flags: {
        interval: '5s,10s',
        pongTimeout: '0.2x',
        readDeadline: '30s',
        missThreshold: '1..2',
        backoff: ['grpc', 'seed:500ms:30s'],
        fault: 'black-hole,partition,steady:10m',
        latency: 'lan,office=40ms/300ms,20ms+-5ms',
        seeds: '3,17,42',
        fixedPhase: true,
        detectWithin: 'p99:30s,max=45s',
        detectSide: 'first',
        maxFalseRate: '0.5/h',
        tolerateLatency: '800ms',
        reconnectWithin: '1m',
        maxOverhead: '1000',
        preset: 'grpc,socket.io',
        maxRuns: '5000',
        name: 'checkout',
      },
    });
    expect(spec.name).toBe('checkout');
    expect(spec.configs).toHaveLength(2 * 2 * 2);
    expect(spec.configs[0]!.config).toEqual({
      interval: 5000,
      pongTimeout: 1000,
      readDeadline: 30_000,
      missThreshold: 1,
      backoff: { base: 1000, cap: 120_000, multiplier: 1.6, jitter: 0.2, variant: 'grpc' },
    });
    expect(spec.configs[1]!.config.backoff).toEqual({
      base: 500,
      cap: 30_000,
      multiplier: 2,
      jitter: 1000,
      variant: 'seed',
    });
    expect(spec.scenarios.map((s) => (s.kind === 'builtin' ? s.spec : ''))).toEqual([
      'black-hole',
      'partition',
      'steady:10m',
      'latency-step:800ms',
    ]);
    expect(spec.profiles.map((p) => [p.name, p.up, p.down])).toEqual([
      ['lan', { latency: 1, jitter: 0 }, { latency: 1, jitter: 0 }],
      ['office', { latency: 20, jitter: 151 }, { latency: 20, jitter: 151 }],
      ['20ms±5ms', { latency: 20, jitter: 5 }, { latency: 20, jitter: 5 }],
    ]);
    expect(spec.seeds).toEqual([3, 17, 42]);
    expect(spec.phase).toBe(false);
    expect(spec.goals).toEqual({
      detectWithin: [
        { stat: 'p99', within: 30_000 },
        { stat: 'max', within: 45_000 },
      ],
      detectSide: 'first',
      maxFalseRate: 0.5,
      tolerateLatency: 800,
      reconnectWithin: 60_000,
      maxOverhead: 1000,
    });
    expect(spec.presets.map((p) => p.id)).toEqual(['grpc', 'socketio']);
    expect(spec.maxRuns).toBe(5000);
  });

  it('reports every bad flag at once, each by name', () => {
    try {
      parseFlags({ interval: '5s,abc', latency: 'mobil', preset: 'mqt', detectSide: 'clinet', seeds: '0' });
      throw new Error('no error');
    } catch (e) {
      expect(e).toBeInstanceOf(SweepSpecError);
      expect((e as SweepSpecError).message.split('\n')).toEqual([
        'command line: --interval: invalid duration "abc": cannot read "abc" (use ms, s, m or h, e.g. 30s, 500ms, 1.5s, 1m30s, or a number of ms)',
        'command line: --latency: unknown latency profile "mobil" (did you mean "mobile"?): use lan, broadband, intercontinental, mobile, satellite, as-written, p50/p99 of the round trip (40ms/300ms) or latency±jitter per leg (20ms+-5ms)',
        'command line: --seeds: a seed count must be a whole number in 1…10000, got "0"',
        'command line: --detect-side: unknown side "clinet" (did you mean "client"?): use client, server or first (the earlier of the two)',
        'command line: --preset: unknown preset "mqt" (did you mean "mqtt"?): use seed, linux-keepalive, node-keepalive, grpc, grpc-10s, grpc-backoff, socketio, mqtt, nats, kafka, akka or all (flatline sweep --list-presets)',
      ]);
    }
  });

  it('reads goals and seeds in their short forms', () => {
    expect(parseDetectGoals('30s')).toEqual([{ stat: 'p99', within: 30_000 }]);
    expect(parseDetectGoals('p50:10s,max:1m')).toEqual([
      { stat: 'median', within: 10_000 },
      { stat: 'max', within: 60_000 },
    ]);
    expect(err(() => parseDetectGoals('p99:10s,p99:20s'))).toMatch(/given twice/);
    expect(err(() => parseDetectGoals('p95:10s'))).toMatch(/unknown statistic "p95"/);
    expect(parseSeeds('4')).toEqual([1, 2, 3, 4]);
    expect(parseSeeds('100..102,7')).toEqual([7, 100, 101, 102]);
    expect(err(() => parseFlags({ seeds: '3', seed: '4' }))).toMatch(/give --seed \(one seed\) or --seeds/);
  });

  it('backoff: policy[:base[:cap[:multiplier[:jitter]]]] validated by the scenario schema', () => {
    expect(parseBackoff('seed')).toEqual({
      base: 1000,
      cap: 60_000,
      multiplier: 2,
      jitter: 1000,
      variant: 'seed',
    });
    expect(parseBackoff('symmetric:1s:2m:1.6:20%')).toEqual({
      base: 1000,
      cap: 120_000,
      multiplier: 1.6,
      jitter: 0.2,
      variant: 'grpc',
    });
    expect(parseBackoff('full:2s::3')).toEqual({
      base: 2000,
      cap: 60_000,
      multiplier: 3,
      jitter: 0,
      variant: 'full',
    });
    expect(formatBackoff(parseBackoff('seed:500ms:30s'))).toBe('seed:500ms:30s:2:1s');
    expect(formatBackoff(parseBackoff('grpc'))).toBe('grpc:1s:2m:1.6:0.2');
    expect(describeBackoff(parseBackoff('grpc'))).toBe('grpc 1s→2m ×1.6 ±20%');
    expect(err(() => parseBackoff('seed:10s:1s'))).toBe(
      'cap: cap (1000 ms) must not be below base (10000 ms)',
    );
    expect(err(() => parseBackoff('full:1s:1m:2:1s'))).toMatch(/policy full has no jitter setting/);
    expect(err(() => parseBackoff('sed'))).toMatch(/unknown backoff policy "sed" \(did you mean "seed"\?\)/);
  });

  it('the canonical replay command reads back to the same sweep', async () => {
    const spec = await buildSpec({
      flags: {
        interval: '5s..15s/3',
        pongTimeout: '2s,0.5x',
        missThreshold: '1,3',
        backoff: ['grpc'],
        latency: 'mobile,30ms/90ms',
        seeds: '7,9',
        detectWithin: '20s',
        tolerateLatency: '300ms',
        preset: 'mqtt',
      },
    });
    const command = sweepReplay(spec, { backend: 'sim', phase: true });
    expect(command).toBe(
      'npx flatline sweep --interval 5s,10s,15s --pong-timeout 2s,0.5x --read-deadline 1.5x --miss-threshold 1,3 --backoff grpc:1s:2m:1.6:0.2 --fault black-hole --latency mobile,30ms/90ms --seeds 7,9 --detect-within p99:20s --tolerate-latency 300ms --preset mqtt',
    );
    // Read the command back: the same configurations, scenarios and profiles.
    const words = command.split(' ').slice(3);
    const flags: Record<string, string | string[]> = {};
    for (let i = 0; i < words.length; i += 2) {
      const key = words[i]!.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      flags[key] = key === 'backoff' ? [...((flags[key] as string[]) ?? []), words[i + 1]!] : words[i + 1]!;
    }
    const again = await buildSpec({ flags });
    expect(again.configs).toEqual(spec.configs);
    expect(again.scenarios).toEqual(spec.scenarios);
    expect(again.profiles).toEqual(spec.profiles);
    expect(again.goals).toEqual(spec.goals);
  });
});
