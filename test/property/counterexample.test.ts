/**
 * What a failing property hands back: a counterexample shrunk to a minimal fault timeline, the
 * fast-check seed/path and the `flatline run` command, and a scenario file (in the directory named by
 * FLATLINE_COUNTEREXAMPLES, or the option) that loads back and replays the same run — same trace
 * hash, same violation, and the runner's own expectations fail on it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import {
  type CheckReport,
  checkProperty,
  expectedDetections,
  type FaultCaseOptions,
  type PropertyCase,
  PropertyCheckFailure,
  properties,
  runCase,
} from '../../harness/property/index.ts';
import { loadScenarioFile } from '../../harness/scenario/loader.ts';
import { runScenario } from '../../harness/scenario/runner.ts';
import { subject as lateMiss } from './broken/late-miss.ts';
import { subject as stale } from './broken/stale-read-deadline.ts';

const MODULE = 'test/property/broken/late-miss.ts';
let dir: string;
let saved: string | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flatline-counterexamples-'));
  saved = process.env.FLATLINE_COUNTEREXAMPLES;
  process.env.FLATLINE_COUNTEREXAMPLES = dir;
});

afterAll(async () => {
  if (saved === undefined) delete process.env.FLATLINE_COUNTEREXAMPLES;
  else process.env.FLATLINE_COUNTEREXAMPLES = saved;
  await rm(dir, { recursive: true, force: true });
});

/** Runs the flatline CLI (bin/flatline.mjs) from the repository's root. */
function flatline(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/flatline.mjs', ...args],
      { maxBuffer: 256 * 1024 * 1024, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function failure(run: Promise<CheckReport>): Promise<CheckReport> {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PropertyCheckFailure);
  return (err as PropertyCheckFailure).report;
}

/** The case a scenario file describes (what the property generated, read back). */
function caseOf(s: Awaited<ReturnType<typeof loadScenarioFile>>): PropertyCase {
  return {
    config: s.config as PropertyCase['config'],
    link: s.topology.link,
    faults: s.faults,
    duration: s.duration,
    seed: s.seed!,
  };
}

/** One configuration (so shrinking spends its runs on the timeline), random timelines of ≤ 3 faults. */
const fixed = (n: number) => ({ min: n, max: n });
const ONE_CONFIG: FaultCaseOptions = {
  interval: fixed(5000),
  pongSlack: fixed(2000),
  readSlack: fixed(3000),
  missThreshold: fixed(2),
  connectTimeout: fixed(2000),
  backoffPolicies: ['seed'],
  backoffBase: fixed(500),
  backoffCapExtra: fixed(4500),
  link: { latency: fixed(10), jitter: fixed(0) },
  seed: { min: 0, max: 1000 },
};

describe('counterexamples (completeness against late-miss: dead at the N+1-th miss)', () => {
  const property = properties.completeness(lateMiss as Subject<never>, {
    subjectModule: MODULE,
    arbitrary: ONE_CONFIG,
  });
  let report: CheckReport;

  beforeAll(async () => {
    report = await failure(checkProperty(property, { seed: 7, numRuns: 20, maxShrinkRuns: 300 }));
  });

  it('shrinks to a minimal fault timeline: one fault, at the warmup, exactly one ms longer than the bound', () => {
    const c = report.counterexample!;
    expect(c.faults).toHaveLength(1);
    const [fault] = c.faults;
    expect(fault!.at).toBe(5000);
    // Shorter than bound.max + 1 and the fault need not be detected during it: nothing to violate.
    const client = expectedDetections(c, fault!).find((e) => e.side === 'client')!;
    expect(fault!.until! - fault!.at).toBe(client.bound.max + 1);
    // I = 5000, T = 10 + 10 + 2000, ρ = r = 20 (C1) or d_u = 10 (C2), N = 2:
    // [T − ρ, T − ρ + I) + (N−1)·I = [6990, 11990) or [7000, 12000).
    expect([11_989, 11_999]).toContain(client.bound.max);
    expect(report.violations).toHaveLength(1);
    expect(report.violations![0]).toMatch(
      new RegExp(
        `^completeness: ${fault!.id} .* the client ended its connection client#1 after Δ = \\d+ ms, outside \\[${client.bound.min}, ${client.bound.max}\\]`,
      ),
    );
    expect(report.numShrinks).toBeGreaterThan(0);
  });

  it('prints the fast-check seed and path and the flatline command, and writes the file to $FLATLINE_COUNTEREXAMPLES', async () => {
    const c = report.counterexample!;
    expect(report.file).toBe(join(dir, `completeness-late-miss-seed${c.seed}.yaml`));
    expect(existsSync(report.file!)).toBe(true);
    expect(report.replay!.flatline).toBe(
      `npx flatline run ${report.file} --backend sim --seed ${c.seed} --subject ${MODULE}`,
    );
    expect(report.replay!.fastCheck).toBe(
      `checkProperty(properties.completeness(subject), { seed: 7, path: ${JSON.stringify(report.path)} })`,
    );
    expect(report.message).toContain('flatline property completeness failed for subject "late-miss"');
    expect(report.message).toContain(`replay with fast-check: ${report.replay!.fastCheck}`);
    expect(report.message).toContain(`replay with flatline:   ${report.replay!.flatline}`);
    const text = await readFile(report.file!, 'utf8');
    expect(text).toContain(
      '# Counterexample found by flatline property completeness for subject "late-miss":',
    );
    expect(text).toContain(`# replay: ${report.replay!.flatline}`);
  });

  it('fast-check replays the counterexample from its seed and path alone', async () => {
    const again = await fc.check(property, { seed: report.seed, path: report.path!, endOnFailure: true });
    expect(again.failed).toBe(true);
    expect(again.counterexample?.[0]).toEqual(report.counterexample);
  });

  it('the file loads back and `flatline run` (runScenario) replays the same run and fails on it', async () => {
    const scenario = await loadScenarioFile(report.file!);
    const c = caseOf(scenario);
    expect(c).toEqual(report.counterexample);
    const result = await runScenario(scenario, {
      backend: 'sim',
      subject: lateMiss as Subject<never>,
      file: report.file!,
    });
    const original = await runCase(lateMiss as Subject<never>, report.counterexample!, {
      name: scenario.name,
    });
    expect(result.traceHash).toBe(original.result.traceHash);
    // The violated fact is in the file as an expectation, so the runner fails it by itself.
    expect(scenario.expect).toEqual([
      { type: 'detect', side: 'client', within: expect.any(Number), fault: c.faults[0]!.id, tolerance: 0 },
    ]);
    expect(result.passed).toBe(false);
    expect(result.replay).toBe(`npx flatline run ${report.file} --backend sim --seed ${c.seed}`);
    // And the property judges the replayed case the same way.
    const verdict = await property.flatline.judge(c);
    expect(verdict.violations).toEqual(report.violations);
  });
});

describe('counterexamples replay through the CLI', () => {
  it('the printed `npx flatline run …` command fails the run with the broken subject, with the same trace hash', async () => {
    const property = properties.completeness(lateMiss as Subject<never>, {
      subjectModule: MODULE,
      arbitrary: ONE_CONFIG,
    });
    const report = await failure(
      checkProperty(property, {
        seed: 7,
        numRuns: 20,
        endOnFailure: true,
        counterexamples: join(dir, 'cli'),
      }),
    );
    const original = await runCase(lateMiss as Subject<never>, report.counterexample!, { name: 'cli' });
    const args = report.replay!.flatline.replace(/^npx flatline /, '').split(' ');
    const cli = await flatline([...args, '--json', '--quiet']);
    expect(cli.code, cli.stderr).toBe(1);
    const [result] = JSON.parse(cli.stdout) as { traceHash: string; passed: boolean; seed: number }[];
    expect(result).toMatchObject({ passed: false, seed: report.counterexample!.seed });
    expect(result!.traceHash).toBe(original.result.traceHash);
  });
});

describe('counterexample directory', () => {
  it('the option wins over $FLATLINE_COUNTEREXAMPLES; false writes nothing', async () => {
    const own = join(dir, 'own');
    const property = properties.accuracy(stale as Subject<never>);
    const written = await failure(
      checkProperty(property, { seed: 1, numRuns: 5, endOnFailure: true, counterexamples: own }),
    );
    expect(written.file?.startsWith(`${own}/accuracy-stale-read-deadline-seed`)).toBe(true);
    expect(existsSync(written.file!)).toBe(true);
    const none = await failure(
      checkProperty(property, { seed: 1, numRuns: 5, endOnFailure: true, counterexamples: false }),
    );
    expect(none.file).toBeUndefined();
    expect(none.replay!.flatline).toMatch(
      /^npx flatline run <accuracy-stale-read-deadline\.yaml> --backend sim --seed \d+$/,
    );
    const quiet = await checkProperty(property, {
      seed: 1,
      numRuns: 5,
      endOnFailure: true,
      throwOnFailure: false,
    });
    expect(quiet.passed).toBe(false);
  });
});
