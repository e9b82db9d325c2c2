/**
 * `--workers N`: run, sweep and check spread over N processes give what one process gives — the
 * same --json (verdicts, trace hashes, every number), byte-identical JUnit, Markdown and HTML
 * (SOURCE_DATE_EPOCH pins the generation time), the same exit code — for any N. Through the real
 * bin, on the simulator.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerCount } from '../../harness/cli/workers.ts';
import {
  blackholeScenario,
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
  // An impossible expectation: the run exits 1, and the FAIL must survive the join.
  failing = ws.write(
    'failing.yaml',
    blackholeScenario({
      name: 'workers-impossible',
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

const PINNED = { env: { SOURCE_DATE_EPOCH: '1700000000' } };

function reports(dir: string): string[] {
  return [
    '--report',
    ws.path(`${dir}/r.html`),
    '--junit',
    ws.path(`${dir}/r.xml`),
    '--markdown',
    ws.path(`${dir}/r.md`),
  ];
}
/** The reports a run wrote; its own directory's name (it is in the command line shown) made neutral. */
function read(dir: string): Record<string, string> {
  return Object.fromEntries(
    ['html', 'xml', 'md'].map((x) => [
      x,
      readFileSync(ws.path(`${dir}/r.${x}`), 'utf8').replaceAll(ws.path(dir), 'DIR'),
    ]),
  );
}

describe.concurrent('--workers: the same results for any count', { timeout: TEST_TIMEOUT }, () => {
  it('run: 1, 2 and 3 workers give identical --json, JUnit, Markdown, HTML and exit 1', async () => {
    const files = [
      'scenarios/blackhole-both.yaml',
      'scenarios/reset-peer.yaml',
      'scenarios/jitter.yaml',
      'scenarios/proxy-down.yaml',
      'scenarios/flapping-link.yaml',
      failing,
    ];
    const runs = await Promise.all(
      [1, 2, 3].map((n) =>
        flatline(['run', ...files, ...reports(`w${n}`), '--json', '--workers', String(n)], PINNED),
      ),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(1);
    const [one, ...more] = runs as [CliResult, ...CliResult[]];
    const hashes = (r: CliResult) =>
      (JSON.parse(r.stdout) as { scenario: string; traceHash: string; passed: boolean }[]).map(
        (x) => `${x.scenario} ${x.traceHash} ${x.passed}`,
      );
    expect(hashes(one)).toHaveLength(files.length);
    for (const [k, r] of more.entries()) {
      expect(hashes(r)).toEqual(hashes(one));
      expect(r.stdout).toBe(one.stdout);
      expect(read(`w${k + 2}`)).toEqual(read('w1'));
    }
    // The command line in the reports is the user's, without --workers.
    expect(read('w1').html).not.toContain('--workers');
  });

  it('sweep: 1 and 2 workers give the identical SweepResult (cells, recommendation, replay)', async () => {
    const sweep = [
      'sweep',
      '--interval',
      '5s,10s',
      '--pong-timeout',
      '2s,5s',
      '--seeds',
      '2',
      '--fault',
      'black-hole,partition',
      '--json',
    ];
    const [one, two] = await Promise.all([
      flatline([...sweep, '--workers', '1']),
      flatline([...sweep, '--workers', '2']),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(JSON.parse(two.stdout).cells).toHaveLength(8);
    expect(two.stdout).toBe(one.stdout);
    expect(two.stdout).not.toContain('--workers');
  });

  it('check: 1 and 3 workers give identical reports, seed and facts', async () => {
    const check = ['check', 'completeness,accuracy', '--runs', '5', '--json'];
    const [one, three] = await Promise.all([
      flatline([...check, '--workers', '1']),
      flatline([...check, '--workers', '3']),
    ]);
    expect(one.code, one.stderr).toBe(0);
    expect(three.code, three.stderr).toBe(0);
    const reports = JSON.parse(three.stdout) as {
      property: string;
      passed: boolean;
      checked: number;
      seed: number;
    }[];
    expect(reports.map((r) => [r.property, r.passed, r.seed])).toEqual([
      ['completeness', true, 1],
      ['accuracy', true, 1],
    ]);
    expect(three.stdout).toBe(one.stdout);
  });

  it('bad --workers values, and --workers with --shard, exit 2', async () => {
    const zero = await flatline(['run', 'scenarios/jitter.yaml', '--workers', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--workers must be an integer ≥ 1, got "0"');
    const sharded = await flatline([
      'run',
      'scenarios',
      '--shard',
      '1/2',
      '--workers',
      '2',
      '--results',
      ws.path('s.json'),
    ]);
    expect(sharded.code).toBe(2);
    expect(sharded.stderr).toContain('--workers with --shard: a shard runs in one process');
  });
});

describe('how many workers', () => {
  it('defaults to the cores on the simulator, 1 on a real network, never more than the items', () => {
    expect(workerCount(undefined, { items: 1000, realTime: true, sharded: false })).toBe(1);
    expect(workerCount(4, { items: 3, realTime: false, sharded: false })).toBe(3);
    expect(workerCount(2, { items: 10, realTime: true, sharded: false })).toBe(2);
    expect(workerCount(undefined, { items: 10, realTime: false, sharded: true })).toBe(1);
    expect(workerCount(undefined, { items: 1000, realTime: false, sharded: false })).toBeGreaterThanOrEqual(
      1,
    );
  });
});
