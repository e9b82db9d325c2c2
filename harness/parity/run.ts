/**
 * Runs one Toxiproxy-expressible scenario on both backends with the same seed and compares the
 * outcomes (compare.ts). The simulator run is the reference; the real run goes through an
 * AlignedBackend (set-up excluded from scenario time, the simulator's random streams for the
 * subject) at a time scale chosen per scenario (select.ts) unless one is given.
 */
import type { Subject } from '../backend.ts';
import type { ParityRow, ScenarioResult } from '../result.ts';
import { runScenario } from '../scenario/runner.ts';
import type { Scenario } from '../scenario/schema.ts';
import { createSimBackend } from '../sim/backend.ts';
import { createToxiproxyBackend } from '../toxiproxy/backend.ts';
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
}

export interface ParityRun {
  scenario: string;
  file?: string;
  seed: number;
  timeScale: number;
  /** Why that time scale. */
  timeScaleWhy: string;
  tolerance: ParityTolerance;
  /** Real scenario ms the real run's set-up took (excluded from its timeline). */
  setupTime: number;
  sim: ScenarioResult;
  real: ScenarioResult;
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

export async function runParity(s: Scenario, o: ParityOptions = {}): Promise<ParityRun> {
  const expressible = parityExpressible(s);
  if (!expressible.ok) throw new ParityError(s.name, `not comparable: ${expressible.why}`);
  const seed = o.seed ?? s.seed ?? 1;
  const choice = parityTimeScale(s, o.timeScaleOptions);
  const timeScale = o.timeScale ?? choice.timeScale;
  const timeScaleWhy = o.timeScale === undefined ? choice.why : `given: ×${timeScale}`;
  const tolerance = parityTolerance(timeScale, { ...o.tolerance, jitter: toxicJitter(s) });
  const common = {
    seed,
    ...(o.file === undefined ? {} : { file: o.file }),
    ...(o.subject === undefined ? {} : { subject: o.subject }),
    ...(o.replayExtra === undefined ? {} : { replayExtra: o.replayExtra }),
  };

  const simBackend = tapDials(createSimBackend({ seed }));
  let sim: ScenarioResult;
  const simStart = simBackend.backend.now();
  try {
    sim = await runScenario(s, { ...common, backend: 'sim', backendInstance: simBackend.backend });
  } catch (e) {
    throw new ParityError(s.name, `the simulator run failed: ${(e as Error).message}`, { cause: e });
  } finally {
    await simBackend.backend.close();
  }

  const server = o.server ?? (await startToxiproxy());
  let real: ScenarioResult;
  let setupTime = 0;
  try {
    const inner = await createToxiproxyBackend({ server, timeScale });
    const aligned = new AlignedBackend(inner, { seed });
    try {
      real = await runScenario(s, { ...common, backend: 'toxiproxy', backendInstance: aligned });
      setupTime = aligned.setupTime;
    } finally {
      await aligned.close();
    }
  } catch (e) {
    throw new ParityError(s.name, `the Toxiproxy run (×${timeScale}) failed: ${(e as Error).message}`, {
      cause: e,
    });
  } finally {
    if (!o.server) await server.close();
  }

  const simDials = Object.fromEntries(
    [...simBackend.dials].map(([host, times]) => [host, times.map((t) => t - simStart)]),
  );
  const rows = compareResults(sim, real, tolerance, { simDials });
  sim.parity = rows;
  real.parity = rows;
  const run: ParityRun = {
    scenario: s.name,
    seed,
    timeScale,
    timeScaleWhy,
    tolerance,
    setupTime,
    sim,
    real,
    rows,
    agree: rows.every((r) => r.agree),
  };
  if (o.file !== undefined) run.file = o.file;
  return run;
}
