/**
 * Runs one Toxiproxy-expressible scenario on both backends with the same seed and compares the
 * outcomes (compare.ts). The simulator run is the reference; the real run goes through an
 * AlignedBackend (set-up excluded from scenario time, the simulator's random streams for the
 * subject) at a time scale chosen per scenario (select.ts) unless one is given.
 *
 * The two halves are separate (simulateForParity, then runParity with `simSide`) so a caller running
 * several scenarios can do every simulation first: a simulation is CPU-bound and holds the event
 * loop for tens of ms, which would make a concurrent real run's timers that much late.
 *
 * Noise: the real run watches this process's event-loop delay. A run in which the loop stalled for
 * more than twice the tolerance's real ms says more about the machine than about the network, so it
 * is repeated (up to `noiseRepeats` times) and the quietest run is compared, with its measured stall
 * in the tolerance (tolerance.ts). The condition is the stall, never the comparison's outcome; every
 * run is reported (ParityRun.realRuns).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Subject } from '../backend.ts';
import { createBackend } from '../backends.ts';
import type { ParityRow, ScenarioResult } from '../result.ts';
import { runScenario } from '../scenario/runner.ts';
import type { Scenario } from '../scenario/schema.ts';
import { startToxiproxy, type ToxiproxyServer } from '../toxiproxy/launcher.ts';
import { AlignedBackend } from './aligned-backend.ts';
import { compareResults } from './compare.ts';
import { tapDials } from './dial-tap.ts';
import { parityExpressible, parityTimeScale, type TimeScaleOptions, toxicJitter } from './select.ts';
import { type ParityTolerance, parityTolerance, type ToleranceOptions } from './tolerance.ts';

export interface ParityOptions {
  /** Seed of both runs; default the scenario's, else 1. */
  seed?: number;
  /** Real ms per scenario ms of the Toxiproxy run; default chosen per scenario (parityTimeScale). */
  timeScale?: number;
  /** How the scale is chosen when `timeScale` is not given. */
  timeScaleOptions?: TimeScaleOptions;
  /** A running Toxiproxy to share (it is not stopped); default: one launched for this call. */
  server?: ToxiproxyServer;
  /** The file the scenario came from, for the replay commands. */
  file?: string;
  /** The implementation under test; default the reference subject. */
  subject?: Subject<never>;
  /** Extra words for the replay commands (e.g. --subject ./mine.ts). */
  replayExtra?: string;
  /** Overrides of the default tolerance (tolerance.ts). */
  tolerance?: Omit<ToleranceOptions, 'jitter'>;
  /** Real runs repeated when the event loop stalled beyond the tolerance (default 2). */
  noiseRepeats?: number;
  /** The simulator half, when already run (simulateForParity with the same seed and subject). */
  simSide?: SimSide;
}

/** The simulator half of a parity run. */
export interface SimSide {
  scenario: string;
  seed: number;
  sim: ScenarioResult;
  /** Scenario times of every dial per client host, refused ones included. */
  simDials: Record<string, number[]>;
}

/** One real run and how noisy the process was during it. */
export interface RealRun {
  result: ScenarioResult;
  /** Scenario ms the real set-up took (excluded from its timeline). */
  setupTime: number;
  /** How late this process's event loop ran during the run, real ms (timers fire that late). */
  eventLoopDelay: { p99: number; max: number };
  /** Longest fault onset or heal (HTTP call to Toxiproxy), real ms. */
  faultCallMs: number;
}

export interface ParityRun {
  scenario: string;
  file?: string;
  seed: number;
  timeScale: number;
  /** Why that time scale. */
  timeScaleWhy: string;
  tolerance: ParityTolerance;
  sim: ScenarioResult;
  /** The compared real run: the one with the shortest event-loop stall. */
  real: ScenarioResult;
  /** Every real run made, in order. */
  realRuns: Omit<RealRun, 'result'>[];
  rows: ParityRow[];
  agree: boolean;
}

/** The scenario cannot be compared (not Toxiproxy-expressible), or one of its runs failed. */
export class ParityError extends Error {
  constructor(
    readonly scenario: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`parity of scenario "${scenario}": ${message}`, options);
    this.name = 'ParityError';
  }
}

/** A real run whose measured noise (stall + slowest fault call) exceeds NOISY × the tolerance's real ms is repeated. */
const NOISY = 2;

type RunExtras = Pick<ParityOptions, 'seed' | 'file' | 'subject' | 'replayExtra'>;

function common(s: Scenario, o: RunExtras) {
  return {
    seed: o.seed ?? s.seed ?? 1,
    ...(o.file === undefined ? {} : { file: o.file }),
    ...(o.subject === undefined ? {} : { subject: o.subject }),
    ...(o.replayExtra === undefined ? {} : { replayExtra: o.replayExtra }),
  };
}

function assertComparable(s: Scenario): void {
  const expressible = parityExpressible(s);
  if (!expressible.ok) throw new ParityError(s.name, `not comparable: ${expressible.why}`);
}

/** Runs the simulator half: the reference result and every dial it made. */
export async function simulateForParity(s: Scenario, o: RunExtras = {}): Promise<SimSide> {
  assertComparable(s);
  const opts = common(s, o);
  const tap = tapDials(await createBackend('sim', { seed: opts.seed }));
  const start = tap.backend.now();
  let sim: ScenarioResult;
  try {
    sim = await runScenario(s, { ...opts, backend: 'sim', backendInstance: tap.backend });
  } catch (e) {
    throw new ParityError(s.name, `the simulator run failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await tap.backend.close();
  }
  const simDials = Object.fromEntries(
    [...tap.dials].map(([host, times]) => [host, times.map((t) => t - start)]),
  );
  return { scenario: s.name, seed: opts.seed, sim, simDials };
}

async function realRun(
  s: Scenario,
  o: RunExtras,
  server: ToxiproxyServer,
  timeScale: number,
): Promise<RealRun> {
  const opts = common(s, o);
  const lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
  try {
    const aligned = new AlignedBackend(await createBackend('toxiproxy', { server, timeScale }), {
      seed: opts.seed,
    });
    try {
      const result = await runScenario(s, { ...opts, backend: 'toxiproxy', backendInstance: aligned });
      return {
        result,
        setupTime: aligned.setupTime,
        faultCallMs: aligned.longestFaultCall,
        eventLoopDelay: { p99: lag.percentile(99) / 1e6, max: lag.max / 1e6 },
      };
    } finally {
      await aligned.close();
    }
  } catch (e) {
    throw new ParityError(s.name, `the Toxiproxy run (×${timeScale}) failed: ${(e as Error).message}`, {
      cause: e,
    });
  } finally {
    lag.disable();
  }
}

export async function runParity(s: Scenario, o: ParityOptions = {}): Promise<ParityRun> {
  assertComparable(s);
  const seed = o.seed ?? s.seed ?? 1;
  if (o.simSide && (o.simSide.scenario !== s.name || o.simSide.seed !== seed)) {
    throw new ParityError(
      s.name,
      `the given simulator half is of scenario "${o.simSide.scenario}" seed ${o.simSide.seed}, not seed ${seed}`,
    );
  }
  const choice = parityTimeScale(s, o.timeScaleOptions);
  const timeScale = o.timeScale ?? choice.timeScale;
  const timeScaleWhy = o.timeScale === undefined ? choice.why : `given: ×${timeScale}`;
  const base = parityTolerance(timeScale, { ...o.tolerance, jitter: toxicJitter(s) });
  const repeats = o.noiseRepeats ?? 2;
  if (!Number.isInteger(repeats) || repeats < 0) {
    throw new ParityError(s.name, `noiseRepeats must be an integer ≥ 0, got ${String(repeats)}`);
  }

  const { sim, simDials } = o.simSide ?? (await simulateForParity(s, o));
  const server = o.server ?? (await startToxiproxy());
  const runs: RealRun[] = [];
  const stall = (r: RealRun) => r.eventLoopDelay.max + r.faultCallMs;
  try {
    do {
      runs.push(await realRun(s, o, server, timeScale));
    } while (stall(runs.at(-1)!) > NOISY * base.realMs && runs.length <= repeats);
  } finally {
    if (!o.server) await server.close();
  }
  const quietest = runs.reduce((a, b) => (stall(b) < stall(a) ? b : a));
  const real = quietest.result;
  const tolerance = parityTolerance(timeScale, {
    ...o.tolerance,
    jitter: toxicJitter(s),
    stallMs: quietest.eventLoopDelay.max,
    faultCallMs: quietest.faultCallMs,
    lagP99Ms: quietest.eventLoopDelay.p99,
  });

  const rows = compareResults(sim, real, tolerance, { simDials });
  sim.parity = rows;
  real.parity = rows;
  const run: ParityRun = {
    scenario: s.name,
    seed,
    timeScale,
    timeScaleWhy,
    tolerance,
    sim,
    real,
    realRuns: runs.map(({ result: _, ...noise }) => noise),
    rows,
    agree: rows.every((r) => r.agree),
  };
  if (o.file !== undefined) run.file = o.file;
  return run;
}
