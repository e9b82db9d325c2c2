/**
 * Parity over many scenarios: keep the comparable ones (select.ts), run them a few at a time on one
 * shared Toxiproxy, and collect the runs. For `flatline run --backend both` / `flatline parity`.
 */
import type { LoadedScenario } from '../scenario/loader.ts';
import { startToxiproxy, type ToxiproxyServer } from '../toxiproxy/launcher.ts';
import { type ParityOptions, type ParityRun, runParity, type SimSide, simulateForParity } from './run.ts';
import { parityExpressible } from './select.ts';

export interface SkippedScenario {
  file: string;
  scenario: string;
  why: string;
}

/** Splits loaded scenarios into those parity can compare and those it cannot, with the reason. */
export function selectParityScenarios(loaded: readonly LoadedScenario[]): {
  comparable: LoadedScenario[];
  skipped: SkippedScenario[];
} {
  const comparable: LoadedScenario[] = [];
  const skipped: SkippedScenario[] = [];
  for (const l of loaded) {
    const e = parityExpressible(l.scenario);
    if (e.ok) comparable.push(l);
    else skipped.push({ file: l.file, scenario: l.scenario.name, why: e.why });
  }
  return { comparable, skipped };
}

/** Runs `work` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be an integer ≥ 1, got ${limit}`);
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

export interface ParitySuiteOptions extends Omit<ParityOptions, 'file' | 'server' | 'timeScale' | 'simSide'> {
  /** A running Toxiproxy to share; default one launched for the suite and stopped after. */
  server?: ToxiproxyServer;
  /** Real runs at the same time (default 2: more makes timers late on a 2-core machine). */
  concurrency?: number;
  /** A fixed time scale for every scenario; default chosen per scenario. */
  timeScale?: number;
  /** Called as each scenario finishes (progress output). */
  onRun?: (run: ParityRun | ParitySuiteFailure) => void;
}

/** A scenario whose parity could not be computed (a run threw). */
export interface ParitySuiteFailure {
  file: string;
  scenario: string;
  error: Error;
}

export interface ParitySuiteResult {
  runs: ParityRun[];
  failures: ParitySuiteFailure[];
  skipped: SkippedScenario[];
  /** Every comparable scenario ran and agreed. */
  agree: boolean;
}

/**
 * Every simulation first, one at a time (they are CPU-bound and would make a concurrent real run's
 * timers late), then the real runs, `concurrency` at a time on one Toxiproxy.
 */
export async function runParitySuite(
  loaded: readonly LoadedScenario[],
  o: ParitySuiteOptions = {},
): Promise<ParitySuiteResult> {
  const { comparable, skipped } = selectParityScenarios(loaded);
  const { server: given, concurrency = 2, onRun, ...rest } = o;
  const runs: ParityRun[] = [];
  const failures: ParitySuiteFailure[] = [];
  const fail = (file: string, scenario: string, e: unknown) => {
    const failure = { file, scenario, error: e as Error };
    failures.push(failure);
    onRun?.(failure);
  };
  const sims = new Map<string, SimSide>();
  for (const { file, scenario } of comparable) {
    try {
      sims.set(scenario.name, await simulateForParity(scenario, { ...rest, file }));
    } catch (e) {
      fail(file, scenario.name, e);
    }
  }
  const real = comparable.filter((l) => sims.has(l.scenario.name));
  const server = given ?? (real.length ? await startToxiproxy() : undefined);
  try {
    await mapLimit(real, concurrency, async ({ file, scenario }) => {
      try {
        const run = await runParity(scenario, {
          ...rest,
          file,
          simSide: sims.get(scenario.name)!,
          ...(server ? { server } : {}),
        });
        runs.push(run);
        onRun?.(run);
      } catch (e) {
        fail(file, scenario.name, e);
      }
    });
  } finally {
    if (!given) await server?.close();
  }
  const order = new Map(comparable.map((l, i) => [l.scenario.name, i]));
  runs.sort((a, b) => (order.get(a.scenario) ?? 0) - (order.get(b.scenario) ?? 0));
  return { runs, failures, skipped, agree: failures.length === 0 && runs.every((r) => r.agree) };
}
