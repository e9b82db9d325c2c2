/**
 * `flatline run`, `replay` and `report` on the simulator, through the real bin: the --json result
 * shape, exit codes 0 and 1, the report files, re-rendering a results file, determinism of the trace
 * hash and replay of a seed written in the file. The children are started together (the tests are
 * concurrent) and share runs where one run shows several things.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blackholeScenario,
  type CliResult,
  flatline,
  killStragglers,
  shown,
  TEST_TIMEOUT,
  Workspace,
} from './cli.ts';

/** A name that must be escaped in HTML and XML. */
const NAME = 'cli <blackhole> & "friends"';

let ws: Workspace;
let seeded: string;
let failing: string;

beforeAll(() => {
  ws = new Workspace();
  seeded = ws.write('seeded.yaml', blackholeScenario({ name: NAME, seed: 42 }));
  // An impossible expectation: the pong timeout alone is 2 s.
  failing = ws.write(
    'failing.yaml',
    blackholeScenario({
      name: 'cli-impossible',
      expect: `  - type: detect
    side: client
    within: 1ms
    fault: blackhole
  - type: noFalseDetection`,
    }),
  );
});

afterAll(() => {
  killStragglers();
  ws.remove();
});

/** Memoized runs, shared by the tests that look at them. */
function once(f: () => Promise<CliResult>): () => Promise<CliResult> {
  let p: Promise<CliResult> | undefined;
  return () => {
    p ??= f();
    return p;
  };
}

const withReports = once(() =>
  flatline([
    'run',
    seeded,
    '--seed',
    '42',
    '--json',
    '--report',
    ws.path('out/run.html'),
    '--junit',
    ws.path('out/run.xml'),
    '--markdown',
    ws.path('out/run.md'),
  ]),
);
const again = once(() => flatline(['run', seeded, '--seed', '42', '--json']));
const otherSeedAndFailure = once(() => flatline(['run', seeded, failing, '--seed', '7', '--json']));
const replay = once(() => flatline(['replay', seeded, '--json']));

type Json = Record<string, unknown>;

function results(run: CliResult): Json[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(run.stdout);
  } catch (e) {
    throw new Error(`stdout is not JSON (${(e as Error).message}); exit ${run.code}; stderr:\n${run.stderr}`);
  }
  expect(Array.isArray(parsed)).toBe(true);
  return parsed as Json[];
}

function expectBound(bound: unknown): void {
  expect(bound).toEqual(expect.objectContaining({ min: expect.any(Number), max: expect.any(Number) }));
}

describe.concurrent('flatline run --backend sim', { timeout: TEST_TIMEOUT }, () => {
  it('--json prints every documented field with its type, and exits 0 when every expectation passes', async () => {
    const run = await withReports();
    expect(run.code, run.stderr).toBe(0);
    const list = results(run);
    expect(list).toHaveLength(1);
    const r = list[0]!;
    expect(r.scenario).toBe(NAME);
    expect(r.backend).toBe('sim');
    expect(r.seed).toBe(42);
    expect(r.traceHash).toMatch(/^[0-9a-f]{64}$/);
    expect(r.passed).toBe(true);

    const detections = r.detections as Json[];
    expect(detections.length).toBeGreaterThan(0);
    for (const d of detections) {
      expect(['client', 'server']).toContain(d.side);
      expect(d.reason).toEqual(expect.any(String));
      expect(d.delta).toEqual(expect.any(Number));
      expectBound(d.bound);
    }
    // Virtual time is exact: T + (N−1)·I for the client's pong timeout, its FIN d_u later at the server.
    expect(detections.map((d) => [d.side, d.reason, d.delta])).toEqual([
      ['client', 'heartbeat-timeout', 12_000],
      ['server', 'fin', 12_005],
    ]);

    const reconnects = r.reconnects as Json[];
    expect(reconnects.length).toBeGreaterThan(0);
    for (const c of reconnects) {
      expect(c.delta).toEqual(expect.any(Number));
      expect(Number.isInteger(c.attempts)).toBe(true);
      expectBound(c.bound);
    }
    expect(r.falseDetections).toEqual([]);

    const expectations = r.expectations as Json[];
    expect(expectations).toHaveLength(3);
    for (const e of expectations) {
      expect(e.name).toEqual(expect.any(String));
      expect(e.passed).toBe(true);
    }
    // --json keeps stdout clean: no progress lines mixed into it, and none on stderr either.
    expect(run.stderr).not.toMatch(/^(PASS|FAIL) /m);
  });

  it('exits 1 when an expectation fails (detect within 1ms), and still prints every result', async () => {
    const run = await otherSeedAndFailure();
    expect(run.code, run.stderr).toBe(1);
    const byName = new Map(results(run).map((r) => [r.scenario, r]));
    expect(byName.get(NAME)?.passed).toBe(true);
    const failed = byName.get('cli-impossible')!;
    expect(failed.passed).toBe(false);
    expect((failed.expectations as Json[]).map((e) => [String(e.name).split(' ')[0], e.passed])).toEqual([
      ['detect', false],
      ['noFalseDetection', true],
    ]);
  });

  it('--report, --junit and --markdown write their files (names escaped, a JUnit test case per expectation)', async () => {
    const run = await withReports();
    expect(run.code, run.stderr).toBe(0);
    const html = readFileSync(ws.path('out/run.html'), 'utf8');
    expect(html).toContain('cli &lt;blackhole&gt; &amp; &quot;friends&quot;');
    expect(html).not.toContain('<blackhole>');
    const junit = readFileSync(ws.path('out/run.xml'), 'utf8');
    expect(junit.match(/<testcase\b/g)).toHaveLength(3);
    expect(junit).toContain(
      'name="detect (side=client, within=bound, reason=heartbeat-timeout, fault=blackhole)"',
    );
    expect(junit).not.toContain('<blackhole>');
    const markdown = readFileSync(ws.path('out/run.md'), 'utf8');
    expect(markdown).toContain(NAME);
    for (const f of ['run.html', 'run.xml', 'run.md'])
      expect(run.stderr).toContain(`wrote ${ws.path(`out/${f}`)}`);
  });

  it('determinism: the same file and seed twice give the same traceHash; another seed another', async () => {
    const [first, second, other] = await Promise.all([withReports(), again(), otherSeedAndFailure()]);
    const hash = (run: CliResult) => results(run).find((r) => r.scenario === NAME)!.traceHash;
    expect(hash(second)).toBe(hash(first));
    // Reconnect jitter draws from the seeded generator, so the trace (not only the seed) differs.
    expect(hash(other)).not.toBe(hash(first));
  });

  it('replay: a scenario with seed 42 inside replays the traceHash of `run --seed 42`', async () => {
    const [replayed, ran] = await Promise.all([replay(), withReports()]);
    expect(replayed.code, replayed.stderr).toBe(0);
    const r = results(replayed)[0]!;
    expect(r.seed).toBe(42);
    expect(r.backend).toBe('sim');
    expect(r.traceHash).toBe(results(ran)[0]!.traceHash);
    expect(r.replay).toBe(`npx flatline run ${shown(seeded)} --backend sim --seed 42`);
  });

  it('report re-renders HTML, JUnit and Markdown from a `run --json` output', async () => {
    const run = await withReports();
    const json = ws.write('results.json', run.stdout);
    const out = await flatline([
      'report',
      json,
      '--report',
      ws.path('again/x.html'),
      '--junit',
      ws.path('again/x.xml'),
      '--markdown',
      ws.path('again/x.md'),
    ]);
    expect(out.code, out.stderr).toBe(0);
    expect(readFileSync(ws.path('again/x.html'), 'utf8')).toContain(
      'cli &lt;blackhole&gt; &amp; &quot;friends&quot;',
    );
    expect(readFileSync(ws.path('again/x.xml'), 'utf8').match(/<testcase\b/g)).toHaveLength(3);
    expect(readFileSync(ws.path('again/x.md'), 'utf8')).toContain(NAME);
  });

  it('report: a results file that is not JSON exits 2 naming the file', async () => {
    const garbage = ws.write('garbage.json', '{ this is not json');
    const out = await flatline(['report', garbage, '--report', ws.path('never.html')]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`${garbage}: cannot read results JSON`);
  });

  it('report: JSON that is not flatline results exits 2 naming the file and the field', async () => {
    const wrong = ws.write('wrong.json', JSON.stringify([{ scenario: 'x', seed: 'one' }]));
    const out = await flatline(['report', wrong, '--report', ws.path('never.html')]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`${wrong}: not flatline results`);
    expect(out.stderr).toMatch(/seed|backend|traceHash/);
  });
});
