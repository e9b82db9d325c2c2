/**
 * Sharding across machines: `run|sweep|check --shard i/n --results …` and `flatline merge`. Shards
 * 1/3, 2/3 and 3/3 merged give what the unsharded command gives — the same --json (verdicts, trace
 * hashes, every number), byte-identical JUnit, Markdown and HTML (SOURCE_DATE_EPOCH pins the one
 * volatile part, the generation time), the same exit code — and bad shards exit 2 naming the file.
 * Through the real bin, on the simulator; the split's own rules are checked in-process.
 */
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expandFiles,
  logicalArgv,
  outputArgv,
  parseShard,
  shardOf,
  shareOf,
} from '../../harness/cli/shard.ts';
import {
  blackholeScenario,
  type CliOptions,
  type CliResult,
  flatline,
  killStragglers,
  TEST_TIMEOUT,
  Workspace,
} from './cli.ts';

let ws: Workspace;
let failing: string;

beforeAll(() => {
  ws = new Workspace();
  // An impossible expectation, so that the run exits 1 and a FAIL travels through the merge.
  failing = ws.write(
    'failing.yaml',
    blackholeScenario({
      name: 'shard-impossible',
      expect: `  - type: detect
    side: client
    within: 1ms
    fault: blackhole`,
    }),
  );
});

afterAll(() => {
  killStragglers();
  ws.remove();
});

function once<T>(f: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => {
    p ??= f();
    return p;
  };
}

/** The generation time reports show, fixed so that two runs can be compared byte for byte. */
const PINNED: CliOptions = { env: { SOURCE_DATE_EPOCH: '1700000000' } };
const SHARDS = [1, 2, 3];

function ok(run: CliResult, code = 0): CliResult {
  expect(run.code, `exit ${run.code}; stderr:\n${run.stderr}`).toBe(code);
  return run;
}

interface Outputs {
  run: CliResult;
  html?: string;
  xml?: string;
  md?: string;
}

/** The report flags, and what they wrote (read at once: the merge writes the same paths next). */
function reportFlags(dir: string): string[] {
  return [
    '--report',
    ws.path(`${dir}/r.html`),
    '--junit',
    ws.path(`${dir}/r.xml`),
    '--markdown',
    ws.path(`${dir}/r.md`),
  ];
}
function readReports(dir: string, run: CliResult): Outputs {
  const read = (f: string) => readFileSync(ws.path(`${dir}/${f}`), 'utf8');
  return { run, html: read('r.html'), xml: read('r.xml'), md: read('r.md') };
}

function expectSameReports(merged: Outputs, single: Outputs): void {
  expect(merged.run.stdout).toBe(single.run.stdout);
  expect(merged.xml).toBe(single.xml);
  expect(merged.md).toBe(single.md);
  expect(merged.html).toBe(single.html);
}

// ---- run ------------------------------------------------------------------------------------------

const RUN_FILES = () => [
  'scenarios/blackhole-both.yaml',
  'scenarios/reset-peer.yaml',
  'scenarios/jitter.yaml',
  'scenarios/proxy-down.yaml',
  failing,
];
const runShard = (i: number) => `run-shards/shard-${i}.json`;

const runSingle = once(async () =>
  readReports('run', ok(await flatline(['run', ...RUN_FILES(), ...reportFlags('run'), '--json'], PINNED), 1)),
);
const runShards = once(() =>
  Promise.all(
    SHARDS.map((i) =>
      flatline(['run', ...RUN_FILES(), '--shard', `${i}/3`, '--results', ws.path(runShard(i))], PINNED),
    ),
  ),
);
/** The merge writes the unsharded run's report paths, so it runs after it. */
const runMerged = once(async () => {
  await Promise.all([runSingle(), runShards()]);
  const files = SHARDS.map((i) => ws.path(runShard(i)));
  return readReports('run', await flatline(['merge', ...files, ...reportFlags('run'), '--json'], PINNED));
});

describe.concurrent('run --shard i/3, then merge', { timeout: TEST_TIMEOUT }, () => {
  it('each shard runs its round-robin share of the files sorted by path, and writes its result file', async () => {
    const shards = await runShards();
    for (const [k, shard] of shards.entries()) {
      // The failing scenario is in one shard: that shard exits 1, the others 0.
      expect([0, 1]).toContain(shard.code);
      expect(shard.stderr).toContain(`wrote ${ws.path(runShard(k + 1))} (shard ${k + 1}/3:`);
      const file = JSON.parse(readFileSync(ws.path(runShard(k + 1)), 'utf8'));
      expect(file.command).toBe('run');
      expect(file.shard).toEqual({ index: k + 1, count: 3 });
      expect(file.argv).toEqual(['run', ...RUN_FILES()]);
      expect(file.items).toHaveLength(RUN_FILES().length);
      const ids = file.items.map((i: { id: string }) => i.id);
      expect(ids).toEqual([...ids].sort());
      expect(file.results.map((r: { id: string }) => r.id)).toEqual(
        ids.filter((_: string, p: number) => p % 3 === k),
      );
    }
    expect(shards.map((s) => s.code).sort()).toEqual([0, 0, 1]);
  });

  it('merged: the same verdicts and trace hashes, byte-identical --json, JUnit, Markdown and HTML, exit 1 as unsharded', async () => {
    const [single, merged] = await Promise.all([runSingle(), runMerged()]);
    expect(merged.run.code, merged.run.stderr).toBe(1);
    const verdicts = (o: Outputs) =>
      (JSON.parse(o.run.stdout) as { scenario: string; passed: boolean; traceHash: string }[]).map((r) => [
        r.scenario,
        r.passed,
        r.traceHash,
      ]);
    expect(verdicts(merged)).toEqual(verdicts(single));
    expect(verdicts(single).filter(([, passed]) => !passed)).toHaveLength(1);
    expectSameReports(merged, single);
    // The command line the reports show is the logical one: the shards' without --shard/--results.
    expect(merged.html).toContain(`by: flatline run ${RUN_FILES().join(' ')} --report`);
    expect(merged.html).not.toContain('--shard');
  });

  it('without SOURCE_DATE_EPOCH only the generation time differs', async () => {
    const [single] = await Promise.all([runSingle(), runMerged()]);
    const files = SHARDS.map((i) => ws.path(runShard(i)));
    // Same paths, so the command line is the same; written after runMerged has read its own.
    const again = await flatline(['merge', ...files, ...reportFlags('run'), '--json'], {
      env: { SOURCE_DATE_EPOCH: undefined },
    });
    ok(again, 1);
    const html = readFileSync(ws.path('run/r.html'), 'utf8');
    const stamp = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g;
    expect(html).not.toBe(single.html);
    expect(html.replace(stamp, 'T')).toBe(single.html!.replace(stamp, 'T'));
    expect(readFileSync(ws.path('run/r.xml'), 'utf8')).toBe(single.xml);
    expect(readFileSync(ws.path('run/r.md'), 'utf8')).toBe(single.md);
  });
});

// ---- sweep ----------------------------------------------------------------------------------------

const SWEEP = [
  'sweep',
  '--interval',
  '5s,10s',
  '--pong-timeout',
  '2s',
  '--fault',
  'black-hole,partition',
  '--seeds',
  '2',
  '--preset',
  'grpc',
  '--detect-within',
  'p99:20s',
];
const sweepShard = (i: number) => `sweep-shards/shard-${i}.json`;
const sweepSingle = once(async () =>
  readReports('sweep', await flatline([...SWEEP, ...reportFlags('sweep'), '--json'], PINNED)),
);
const sweepShards = once(() =>
  Promise.all(
    SHARDS.map((i) => flatline([...SWEEP, '--shard', `${i}/3`, '--results', ws.path(sweepShard(i))], PINNED)),
  ),
);
const sweepMerged = once(async () => {
  await Promise.all([sweepSingle(), sweepShards()]);
  const files = SHARDS.map((i) => ws.path(sweepShard(i)));
  return readReports('sweep', await flatline(['merge', ...files, ...reportFlags('sweep'), '--json'], PINNED));
});

describe.concurrent('sweep --shard i/3, then merge', { timeout: TEST_TIMEOUT }, () => {
  it('each shard runs every third cell, all seeds, and exits 0 (the verdict is the merge’s)', async () => {
    const shards = await sweepShards();
    const counts = shards.map((s, k) => {
      ok(s);
      const file = JSON.parse(readFileSync(ws.path(sweepShard(k + 1)), 'utf8'));
      expect(file.items).toHaveLength(6); // 2 configurations × 2 faults + the preset × 2 faults
      expect(file.results.map((r: { index: number }) => r.index)).toEqual(
        [0, 1, 2, 3, 4, 5].filter((c) => c % 3 === k),
      );
      return file.results.length;
    });
    expect(counts).toEqual([2, 2, 2]);
  });

  it('merged: the same cells, recommendation and replay, byte-identical --json, JUnit, Markdown and HTML, same exit', async () => {
    const [single, merged] = await Promise.all([sweepSingle(), sweepMerged()]);
    expect(merged.run.code, merged.run.stderr).toBe(single.run.code);
    expect(merged.run.code === 0 || merged.run.code === 1).toBe(true);
    const result = JSON.parse(merged.run.stdout) as { cells: unknown[]; replay: string };
    expect(result.cells).toHaveLength(4);
    expect(result.replay).toBe(`npx flatline ${SWEEP.join(' ')} ${reportFlags('sweep').join(' ')} --json`);
    expectSameReports(merged, single);
  });
});

// ---- check ----------------------------------------------------------------------------------------

/**
 * leaky-stop breaks hygiene: with seed 3 the first failing run is run 1 (shard 2), and runs 2 and 3
 * fail too (shards 3 and 1), so the merge must pick the earliest failure and its shrinking.
 */
const CHECK = (dir: string) => [
  'check',
  'hygiene,completeness',
  '--runs',
  '6',
  '--seed',
  '3',
  '--max-shrinks',
  '5',
  '--subject',
  'test/property/broken/leaky-stop.ts',
  '--counterexamples',
  ws.path(dir),
];
const checkShard = (i: number) => `check-shards/shard-${i}.json`;
const checkSingle = once(async () => ok(await flatline([...CHECK('ce-single'), '--json']), 1));
const checkSingleText = once(async () => ok(await flatline(CHECK('ce-text')), 1));
const checkShards = once(() =>
  Promise.all(
    SHARDS.map((i) =>
      flatline([...CHECK('ce-sharded'), '--shard', `${i}/3`, '--results', ws.path(checkShard(i))]),
    ),
  ),
);

/** Merges the check shards after deleting the winning counterexample, which merge writes again. */
const checkMerged = once(async () => {
  const [single] = await Promise.all([checkSingle(), checkShards()]);
  const file = (JSON.parse(single.stdout) as { file?: string }[])[0]!.file!;
  const winner = file.replace(ws.path('ce-single'), ws.path('ce-sharded'));
  rmSync(winner);
  const merged = await flatline(['merge', ...SHARDS.map((i) => ws.path(checkShard(i))), '--json']);
  return { merged, winner, file };
});

describe.concurrent('check --shard i/3, then merge', { timeout: TEST_TIMEOUT }, () => {
  it('merged: byte-identical --json (earliest failure, its path and shrinks, the counts), exit 1; the counterexample file written again', async () => {
    const [single, shards] = await Promise.all([checkSingle(), checkShards()]);
    expect(shards.map((s) => s.code)).toEqual([1, 1, 1]); // every shard met a failing hygiene run
    const reports = JSON.parse(single.stdout) as {
      property: string;
      passed: boolean;
      path?: string;
      file?: string;
    }[];
    expect(reports.map((r) => [r.property, r.passed, r.path])).toEqual([
      ['hygiene', false, '1:0:0:0:0:0'],
      ['completeness', true, undefined],
    ]);
    const { merged, winner, file } = await checkMerged();
    ok(merged, 1);
    expect(merged.stdout.replaceAll(ws.path('ce-sharded'), 'CE')).toBe(
      single.stdout.replaceAll(ws.path('ce-single'), 'CE'),
    );
    expect(existsSync(winner)).toBe(true);
    expect(readFileSync(winner, 'utf8').replaceAll(ws.path('ce-sharded'), 'CE')).toBe(
      readFileSync(file, 'utf8').replaceAll(ws.path('ce-single'), 'CE'),
    );
  });

  it('merged without --json prints the unsharded PASS/FAIL lines', async () => {
    const [single] = await Promise.all([checkSingleText(), checkMerged()]);
    const merged = await flatline(['merge', ...SHARDS.map((i) => ws.path(checkShard(i)))]);
    ok(merged, 1);
    const lines = (s: string, dir: string) =>
      s
        .replaceAll(ws.path(dir), 'CE')
        .split('\n')
        .filter((l) => !l.startsWith('wrote '));
    expect(lines(merged.stderr, 'ce-sharded')).toEqual(lines(single.stderr, 'ce-text'));
  });

  it('--results without --shard is the 1/1 case: the check prints what it prints unsharded, and merges alone', async () => {
    const [single] = await Promise.all([checkSingle(), checkMerged()]);
    const whole = await flatline([...CHECK('ce-whole'), '--results', ws.path('check-whole.json'), '--json']);
    ok(whole, 1);
    const norm = (s: string, dir: string) => s.replaceAll(ws.path(dir), 'CE');
    expect(norm(whole.stdout, 'ce-whole')).toBe(norm(single.stdout, 'ce-single'));
    const merged = await flatline(['merge', ws.path('check-whole.json'), '--json']);
    ok(merged, 1);
    expect(norm(merged.stdout, 'ce-whole')).toBe(norm(single.stdout, 'ce-single'));
  });

  it('--shard 2/3 with --seed random exits 2: the shards must draw the same cases', async () => {
    const run = await flatline([
      'check',
      'completeness',
      '--runs',
      '3',
      '--shard',
      '2/3',
      '--seed',
      'random',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--shard 2/3 with --seed random: every shard must draw the same cases');
  });
});

// ---- bad input ------------------------------------------------------------------------------------

describe.concurrent('bad shards exit 2 naming what is wrong', { timeout: TEST_TIMEOUT }, () => {
  for (const [value, why] of [
    ['0/3', 'i must be between 1 and 3'],
    ['4/3', 'i must be between 1 and 3'],
    ['a/b', 'not of the form i/n'],
  ]) {
    it(`--shard ${value}`, async () => {
      const run = await flatline(['run', 'scenarios/jitter.yaml', '--shard', value!]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(
        `--shard must be i/n, whole numbers with 1 ≤ i ≤ n (e.g. 2/3): ${why}, got "${value}"`,
      );
      expect(run.stderr).not.toContain('wrote');
    });
  }

  it('sweep --shard with --report: the recommendation needs every cell, so reports come from merge', async () => {
    const run = await flatline(['sweep', '--shard', '1/2', '--report', ws.path('never.html')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('go to flatline merge');
  });

  it('merge with a missing shard names it and the files it got', async () => {
    await runShards();
    const run = await flatline(['merge', ws.path(runShard(1)), ws.path(runShard(3))]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `missing shard 2/3: merge needs the result files of all 3 shards (got 1/3 from ${ws.path(runShard(1))}, 3/3 from ${ws.path(runShard(3))})`,
    );
  });

  it('merge with a shard given twice names both files', async () => {
    await runShards();
    const twin = ws.path('run-shards/twin.json');
    copyFileSync(ws.path(runShard(2)), twin);
    const run = await flatline(['merge', `${ws.path('run-shards')}/*.json`]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`shard 2/3 given twice: ${ws.path(runShard(2))} and ${twin}`);
  });

  it('merge of shards of different runs (another seed; other scenario files) names the file and the difference', async () => {
    await runShards();
    const [seeded, fewer] = await Promise.all([
      flatline([
        'run',
        ...RUN_FILES(),
        '--seed',
        '7',
        '--shard',
        '2/3',
        '--results',
        ws.path('other/seed.json'),
      ]),
      flatline(['run', ...RUN_FILES().slice(1), '--shard', '2/3', '--results', ws.path('other/fewer.json')]),
    ]);
    expect([0, 1]).toContain(seeded.code);
    expect([0, 1]).toContain(fewer.code);
    const [a, b] = await Promise.all([
      flatline(['merge', ws.path(runShard(1)), ws.path('other/seed.json'), ws.path(runShard(3))]),
      flatline(['merge', ws.path(runShard(1)), ws.path('other/fewer.json'), ws.path(runShard(3))]),
    ]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain(
      `${ws.path('other/seed.json')} is not a shard of the same run as ${ws.path(runShard(1))}: different options: seed 7`,
    );
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(
      `${ws.path('other/fewer.json')} is not a shard of the same run as ${ws.path(runShard(1))}: different scenario files: only in ${ws.path(runShard(1))}: scenarios/blackhole-both.yaml`,
    );
  });

  it('merge of shards of different commands, and of a file that is not a result file', async () => {
    const [, , checks] = await Promise.all([runShards(), sweepShards(), checkShards()]);
    expect(checks).toHaveLength(3);
    const mixed = await flatline(['merge', ws.path(runShard(1)), ws.path(checkShard(2))]);
    expect(mixed.code).toBe(2);
    expect(mixed.stderr).toContain(
      `${ws.path(checkShard(2))} is not a shard of the same run as ${ws.path(runShard(1))}: check results, not run results`,
    );
    const notOne = await flatline(['merge', failing]);
    expect(notOne.code).toBe(2);
    expect(notOne.stderr).toContain(`${failing}: not a flatline result file`);
  });
});

// ---- the split ------------------------------------------------------------------------------------

describe('the split', () => {
  it('parseShard takes whole numbers 1 ≤ i ≤ n', () => {
    expect(parseShard('2/3')).toEqual({ index: 2, count: 3 });
    expect(parseShard('1/1')).toEqual({ index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', 'a/b', '1/0', '1.5/3', '-1/3', '2', '2/3/4', ''])
      expect(() => parseShard(bad), bad).toThrow(/--shard must be i\/n/);
  });

  it('round-robin: item k goes to shard (k mod n) + 1; the shares partition the list', () => {
    const items = Array.from({ length: 10 }, (_, k) => k);
    expect(shareOf(items, { index: 1, count: 3 })).toEqual([0, 3, 6, 9]);
    expect(shareOf(items, { index: 3, count: 3 })).toEqual([2, 5, 8]);
    expect(shareOf(items, { index: 5, count: 12 })).toEqual([4]);
    expect(shareOf(items, { index: 11, count: 12 })).toEqual([]);
    expect(shareOf(items, undefined)).toEqual(items);
    for (const n of [1, 2, 3, 7, 11]) {
      const all = Array.from({ length: n }, (_, i) => shareOf(items, { index: i + 1, count: n })).flat();
      expect(all.sort((a, b) => a - b)).toEqual(items);
    }
    expect(shardOf(7, 3)).toBe(2);
  });

  it('the logical command drops --shard, --results and the output flags; merge keeps its output flags in order', () => {
    expect(
      logicalArgv([
        'run',
        'scenarios',
        '--shard',
        '1/3',
        '--results=out/a.json',
        '--seed',
        '7',
        '--json',
        '-q',
        '--report',
        'r.html',
      ]),
    ).toEqual(['run', 'scenarios', '--seed', '7']);
    expect(
      outputArgv(['a.json', '--junit', 'j.xml', 'b.json', '--report=r.html', '--json', 'c.json']),
    ).toEqual(['--junit', 'j.xml', '--report=r.html', '--json']);
  });

  it('merge expands globs in any segment, each file once, in order', async () => {
    await runShards();
    const files = await expandFiles([
      `${ws.path('run-shards')}/shard-{3,1}.json`,
      `${ws.dir}/run-*/shard-2.json`,
    ]);
    expect(files).toEqual([ws.path(runShard(1)), ws.path(runShard(3)), ws.path(runShard(2))]);
  });
});
