import { describe, expect, it } from 'vitest';
import { buildSpec } from '../../harness/sweep/build.ts';
import { SweepSpecError } from '../../harness/sweep/errors.ts';
import { parseSweepText } from '../../harness/sweep/file.ts';

const FIXTURE = 'test/sweep/fixtures/sweep.yaml';

async function problems(run: () => Promise<unknown> | unknown): Promise<string[]> {
  try {
    await run();
  } catch (e) {
    if (e instanceof SweepSpecError) return e.message.split('\n');
    throw e;
  }
  throw new Error('expected a SweepSpecError');
}

describe('sweep file (YAML)', () => {
  it('reads the whole spec; scenario files are relative to it', async () => {
    const spec = await buildSpec({ file: FIXTURE });
    expect(spec.name).toBe('checkout');
    // 3 intervals × 2 pong timeouts × 2 backoffs, but 0.4x of 5s is 2s again: 10 configurations.
    expect(
      spec.configs.map((c) => `${c.config.interval}/${c.config.pongTimeout}/${c.config.backoff.variant}`),
    ).toEqual([
      '5000/2000/seed',
      '5000/2000/grpc',
      '10000/2000/seed',
      '10000/2000/grpc',
      '10000/4000/seed',
      '10000/4000/grpc',
      '15000/2000/seed',
      '15000/2000/grpc',
      '15000/6000/seed',
      '15000/6000/grpc',
    ]);
    expect(spec.configs[2]!.config).toMatchObject({
      interval: 10_000,
      pongTimeout: 2000,
      readDeadline: 15_000,
      missThreshold: 1,
    });
    expect(spec.configs[1]!.config.backoff).toEqual({
      base: 1000,
      cap: 30_000,
      multiplier: 1.6,
      jitter: 0.2,
      variant: 'grpc',
    });
    expect(spec.configs.at(-1)!.config).toMatchObject({
      interval: 15_000,
      pongTimeout: 6000,
      readDeadline: 22_500,
    });
    expect(spec.scenarios.map((s) => (s.kind === 'builtin' ? s.spec : s.file))).toEqual([
      'black-hole',
      'latency-step:300ms',
      'test/sweep/fixtures/partition-scenario.yaml',
    ]);
    expect(spec.profiles.map((p) => p.label)).toEqual(['lan (RTT 2ms)', 'office (RTT 29ms/81ms)']);
    expect(spec.seeds).toEqual([3, 7]);
    expect(spec.goals).toEqual({
      detectWithin: [
        { stat: 'p99', within: 20_000 },
        { stat: 'max', within: 25_000 },
      ],
      detectSide: 'client',
      maxFalseRate: 0.5,
      tolerateLatency: 300,
    });
    expect(spec.presets.map((p) => p.id)).toEqual(['mqtt']);
    expect(spec.maxRuns).toBe(500);
  });

  it('flags override the file field by field (goals goal by goal)', async () => {
    const spec = await buildSpec({
      file: FIXTURE,
      flags: { interval: '20s', maxFalseRate: '0', latency: 'mobile', fixedPhase: true },
    });
    expect([...new Set(spec.configs.map((c) => c.config.interval))]).toEqual([20_000]);
    expect(spec.goals.maxFalseRate).toBe(0);
    expect(spec.goals.detectWithin).toHaveLength(2);
    expect(spec.profiles.map((p) => p.name)).toEqual(['mobile']);
    expect(spec.phase).toBe(false);
  });

  it('reports every problem at once, each at its line and column, with what was expected', async () => {
    const text = [
      'name: bad',
      'grid:',
      '  interval: [5s, 10x]',
      '  pongTimout: 2s',
      'latency: [lan, {name: office, p50: 20ms}]',
      'goals:',
      '  detectWithin: {p99: 30s, p95: 40s}',
      'seeds: many',
      'faults: black-hole,partiton',
    ].join('\n');
    expect(await problems(() => parseSweepText(text, 'bad.yaml'))).toEqual([
      'bad.yaml:3:18: grid.interval[1]: "10x": a multiple of the interval is allowed for pong timeout and read deadline only',
      'bad.yaml:4:3: grid.pongTimout: unknown key "pongTimout" (did you mean "pongTimeout"?); expected one of interval, pongTimeout, readDeadline, missThreshold, backoff',
      'bad.yaml:5:16: latency[1]: give both p50 and p99',
      'bad.yaml:7:28: goals.detectWithin.p95: unknown key "p95" (did you mean "p99"?); expected one of min, median, p99, max',
      'bad.yaml:8:8: seeds: expected a whole number, got "many"',
      'bad.yaml:9:9: faults: unknown fault scenario "partiton" (did you mean "partition"?): built-in ones are black-hole, partition, server-crash, steady, latency-step; use --scenario for a scenario file',
    ]);
  });

  it('wrong types, YAML syntax and an empty file', async () => {
    expect(
      await problems(() => parseSweepText('grid:\n  interval: {a: 1}\nphase: yes please\n', 'x.yaml')),
    ).toEqual([
      'x.yaml:2:13: grid.interval: expected a string or a number or a list, got a mapping',
      'x.yaml:3:8: phase: expected true or false, got "yes please"',
    ]);
    expect(await problems(() => parseSweepText('grid: [1, 2\n', 'y.yaml'))).toHaveLength(1);
    expect((await problems(() => parseSweepText('grid: [1, 2\n', 'y.yaml')))[0]).toMatch(
      /^y\.yaml:\d+:\d+: YAML syntax: /,
    );
    expect(await problems(() => parseSweepText('', 'z.yaml'))).toEqual([
      'z.yaml:1:1: the file is empty: a sweep file is a mapping (grid, faults, latency, seeds, goals, …)',
    ]);
  });

  it('an alias bomb is a positioned problem, not a crash; an empty value points at its key', async () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      bomb.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10)
          .fill(`*${'abcdefgh'[i - 1]}`)
          .join(', ')}]`,
      );
    }
    const found = await problems(() => parseSweepText(bomb.join('\n'), 'bomb.yaml'));
    expect(found).toHaveLength(1);
    // Located at the alias whose expansion passes the limit, not at the top of the file.
    expect(found[0]).toMatch(/^bomb\.yaml:4:36: YAML: .*alias/i);
    expect(await problems(() => parseSweepText('name: x\ngrid:\n  interval:\n', 'e.yaml'))).toEqual([
      'e.yaml:3:3: grid.interval: expected a string or a number or a list, got null',
    ]);
  });

  it('a scenario file that is missing points at the sweep file’s line; one that is broken at its own', async () => {
    const dir = 'test/sweep/fixtures';
    expect(
      await problems(() =>
        buildSpec({ file: `${dir}/sweep.yaml`, flags: { scenario: [`${dir}/nope.yaml`] } }),
      ),
    ).toEqual(['test/sweep/fixtures/nope.yaml: no such file or directory']);
    const fromFile = parseSweepText('scenarios:\n  - nope.yaml\n', `${dir}/inline.yaml`);
    const { loadScenarioSources } = await import('../../harness/sweep/sources.ts');
    expect(await problems(() => loadScenarioSources(fromFile.scenarioSelectors))).toEqual([
      'test/sweep/fixtures/inline.yaml:2:5: scenarios[0]: nope.yaml: no such file or directory',
    ]);
    expect(await problems(() => buildSpec({ flags: { scenario: [`${dir}/bad-scenario.yaml`] } }))).toEqual([
      'test/sweep/fixtures/bad-scenario.yaml:5:20: faults[0].fault.type: expected one of latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, proxy-down, partition, crash, pause, clock-skew, nat, loss, burst-loss, got "partiton" (did you mean "partition"?)',
    ]);
  });

  it('problems in the file and in the flags come together', async () => {
    expect(
      await problems(() => buildSpec({ file: 'test/sweep/fixtures/none.yaml', flags: { interval: 'x' } })),
    ).toEqual([
      'test/sweep/fixtures/none.yaml: cannot read the sweep file: no such file',
      'command line: --interval: invalid duration "x": cannot read "x" (use ms, s, m or h, e.g. 30s, 500ms, 1.5s, 1m30s, or a number of ms)',
    ]);
  });
});
