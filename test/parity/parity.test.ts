/**
 * Parity: every Toxiproxy-expressible scenario of the built-in library (scenarios/*.yaml) and of this
 * suite's own fixtures (test/parity/fixtures/*.yaml) runs on the simulator and through real
 * Toxiproxy with the same seed, and the outcomes must agree row by row (harness/parity/compare.ts):
 * which side detects each fault, the F15 reason, detection and reconnect Δ within the tolerance,
 * attempts (loose), false detections and every expectation's verdict.
 *
 * Tolerance (harness/parity/tolerance.ts): ±30 real ms + 5 % of the simulator's value, + 5 real ms
 * per reconnect attempt, + any latency-toxic jitter; a heartbeat at the onset may move a detection
 * by one interval, an attempt at the heal may move a reconnect by one worst backoff wait — both
 * recognized from the simulator's own timeline and printed in the row.
 *
 * Time scale per scenario (harness/parity/select.ts): the tolerance is a fixed number of real ms,
 * so each scenario runs as slowly as a real-time budget allows — 4 s, less when the library is large
 * (50 s × 2 concurrent / number of scenarios, at least 1.5 s), so the file stays under ~90 s even
 * when noisy runs are repeated. A 2-minute scenario runs at ×0.0333, where 30 real ms are 900
 * scenario ms (at ×0.01 they would be 3000, more than half of a 5 s heartbeat interval). Never so
 * fast that the scenario's shortest timing (pong timeout, R − I, a fault's length, a latency margin)
 * lasts under 20 real ms: below that, a real timer's lateness and a pong through Toxiproxy are the
 * size of the timing itself, so resolution wins over the budget.
 *
 * Every simulation runs first; then two real runs at a time on the file's one Toxiproxy (more makes
 * timers late on 2 cores). Each real run measures its own noise — this process's longest event-loop
 * stall plus its slowest fault onset/heal (an HTTP call to Toxiproxy) — and a run noisier than twice
 * the 30 real ms is repeated (once here); the quietest is compared, with its measured noise in the
 * tolerance when that exceeds 30 ms. The condition is the measured noise, never the comparison.
 *
 * Toxiproxy comes from test/toxiproxy/support.ts: with CI=true these tests run (and fail without
 * Toxiproxy); outside CI without it they are skipped with a loud warning.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { formatParityDiff, formatParityRun } from '../../harness/parity/format.ts';
import { runParity, type SimSide, simulateForParity } from '../../harness/parity/run.ts';
import { runParitySuite, selectParityScenarios } from '../../harness/parity/suite.ts';
import { describeTolerance } from '../../harness/parity/tolerance.ts';
import {
  expandScenarioPaths,
  type LoadedScenario,
  loadScenarios,
  loadScenarioText,
} from '../../harness/scenario/loader.ts';
import { describeToxiproxy, useToxiproxyServer } from '../toxiproxy/support.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CONCURRENCY = 2;

async function load(dir: string): Promise<LoadedScenario[]> {
  // The library may still be empty while it is written; an empty directory is not an error here.
  const files = await expandScenarioPaths([dir], ROOT).catch(() => []);
  return files.length ? loadScenarios(files, { cwd: ROOT }) : [];
}

const library = await load('scenarios');
const fixtures = await load('test/parity/fixtures');
const { comparable, skipped } = selectParityScenarios([...library, ...fixtures]);
/** Real ms per scenario: the file stays under ~90 s however large the library grows. */
const BUDGET_MS = Math.max(1500, Math.min(4000, (50_000 * CONCURRENCY) / Math.max(1, comparable.length)));
/** A noisy real run is repeated at most once here (each repeat costs a whole run). */
const NOISE_REPEATS = 1;

/** At most CONCURRENCY real runs at once, whatever vitest's own concurrency. */
let running = 0;
const queue: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= CONCURRENCY) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queue.shift()?.();
  }
}

describeToxiproxy('parity: sim vs real Toxiproxy, same scenario and seed', () => {
  const server = useToxiproxyServer();
  // Every simulation before any real run: a simulation holds the event loop (CPU-bound), which
  // would make a concurrent real run's timers late.
  const sims = new Map<string, SimSide | Error>();
  beforeAll(async () => {
    for (const { file, scenario } of comparable) {
      sims.set(scenario.name, await simulateForParity(scenario, { file }).catch((e: Error) => e));
    }
  }, 60_000);

  it('has scenarios to compare: every fixture, and the library once it has proxy scenarios', () => {
    if (skipped.length) {
      console.info(
        `parity: not comparable (kept out on purpose):\n${skipped.map((s) => `  ${s.file}: ${s.why}`).join('\n')}`,
      );
    }
    expect(fixtures.length).toBeGreaterThanOrEqual(2);
    expect(comparable.map((c) => c.file)).toEqual(expect.arrayContaining(fixtures.map((f) => f.file)));
  });

  it('runParitySuite (the CLI hook) runs the comparable scenarios and reports the others as skipped', async () => {
    const direct = loadScenarioText(
      'name: direct-only\ntopology: direct\nduration: 1m\nfaults:\n  - { at: 10s, fault: { type: partition } }',
    );
    const proxyDown = fixtures.find((f) => f.scenario.name === 'parity-proxy-down');
    expect(proxyDown).toBeDefined();
    const seen: string[] = [];
    const suite = await runParitySuite([proxyDown!, { file: '<inline>', scenario: direct }], {
      server: server(),
      concurrency: 1,
      noiseRepeats: 0,
      timeScaleOptions: { budgetMs: 1500 },
      onRun: (r) => seen.push(r.scenario),
    });
    expect(suite.skipped).toEqual([
      {
        file: '<inline>',
        scenario: 'direct-only',
        why: 'topology direct: Toxiproxy only makes the proxy topology',
      },
    ]);
    expect(suite.failures).toEqual([]);
    expect(seen).toEqual(['parity-proxy-down']);
    const [run] = suite.runs;
    expect(run?.timeScale).toBe(0.00833);
    expect(run?.real.timeScale).toBe(0.00833);
    expect(run?.sim.parity).toBe(run?.rows);
    expect(run?.rows.find((r) => r.field === 'down · client detected')).toMatchObject({
      sim: 'yes',
      toxiproxy: 'yes',
    });
    expect(suite.agree).toBe(run?.agree);
  });

  for (const { file, scenario } of comparable) {
    it.concurrent(`${scenario.name} (${file}) agrees on both backends`, async () => {
      const simSide = sims.get(scenario.name);
      if (simSide instanceof Error || simSide === undefined) throw simSide ?? new Error('no simulation');
      const run = await slot(() =>
        runParity(scenario, {
          file,
          server: server(),
          simSide,
          noiseRepeats: NOISE_REPEATS,
          timeScaleOptions: { budgetMs: BUDGET_MS },
        }),
      );
      console.info(
        `${formatParityRun(run)}\n  tolerance: ${describeTolerance(run.tolerance)}\n  real runs: ${run.realRuns
          .map(
            (r) => `stall ${r.eventLoopDelay.max.toFixed(0)} ms + fault call ${r.faultCallMs.toFixed(0)} ms`,
          )
          .join(', ')}`,
      );
      expect(run.real.backend).toBe('toxiproxy');
      expect(run.sim.parity).toBe(run.rows);
      expect(run.real.parity).toBe(run.rows);
      expect(
        run.rows.filter((r) => !r.agree),
        formatParityDiff(run.rows),
      ).toEqual([]);
    }, 120_000);
  }
});
