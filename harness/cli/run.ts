/**
 * `flatline run`: load scenarios, run each on the chosen backend, print results (a line each, or
 * JSON), write the requested reports, and exit 0 / 1 by the verdicts.
 */
import type { Backend, Subject } from '../backend.ts';
import { createBackend } from '../backends.ts';
import type { BackendChoice, BackendKind } from '../model/index.ts';
import type { ScenarioResult } from '../result.ts';
import { type LoadedScenario, loadScenarios } from '../scenario/loader.ts';
import { preflight, runScenario } from '../scenario/runner.ts';
import { resolveSubject } from '../subjects/registry.ts';
import type { ToxiproxyServer } from '../toxiproxy/launcher.ts';
import { EXIT, UsageError } from './exit.ts';
import { createProgress } from './progress.ts';
import { stringifyResults, writeReports } from './reports.ts';
import { onInterrupt, openResources } from './resources.ts';
import {
  defaultResultsPath,
  digest,
  formatShard,
  parseShard,
  type Shard,
  shardHead,
  shareOf,
  withoutWorkers,
  writeShardFile,
} from './shard.ts';
import { parseWorkers, runInWorkers, workerCount } from './workers.ts';

export interface RunCommandOptions {
  backend: string;
  seed?: string;
  timeScale?: string;
  json?: boolean;
  report?: string;
  junit?: string;
  markdown?: string;
  subject?: string;
  quiet?: boolean;
  /** `i/n`: run every n-th scenario file (sorted by path), starting at the i-th. */
  shard?: string;
  /** Write the result file (JSON) that `flatline merge` joins. */
  results?: string;
  /** Processes to spread the files over (default: the cores on the simulator, 1 on a real network). */
  workers?: string;
}

/** What `run --shard`/`--results` writes beside the head: a ScenarioResult per scenario file run. */
export interface RunShardResult {
  /** The scenario file, as the item's id. */
  id: string;
  result: ScenarioResult;
}

export { openResources };

function parseNumber(
  name: string,
  value: string | undefined,
  check: (n: number) => boolean,
  what: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || !check(n)) throw new UsageError(`${name} must be ${what}, got "${value}"`);
  return n;
}

export function parseBackend(value: string): BackendChoice {
  if (value !== 'sim' && value !== 'toxiproxy' && value !== 'both')
    throw new UsageError(`--backend must be sim, toxiproxy or both, got "${value}"`);
  return value;
}

/**
 * The runner's own checks, made for every file before anything starts: a bad third file must not
 * cost the results of the first two, and a sim-only fault is bad input (exit 2) even where Toxiproxy
 * is missing (which would otherwise surface first, as exit 3).
 */
function checkRunnable(
  loaded: LoadedScenario[],
  backend: BackendKind,
  subject: Subject<never> | undefined,
): void {
  for (const { scenario } of loaded) preflight(scenario, { backend, ...(subject ? { subject } : {}) });
}

/**
 * `--backend both`: parity. Every Toxiproxy-expressible scenario runs on the simulator and on real
 * Toxiproxy and the outcomes are compared (harness/parity); the others are listed as not comparable
 * with the reason. Both results carry the comparison rows, so reports show the parity table. Exit 1
 * when the backends disagree or a scenario fails on the simulator.
 */
async function parityCommand(
  loaded: LoadedScenario[],
  o: RunCommandOptions,
  argv: string[],
  p: { seed: number | undefined; timeScale: number | undefined; subject: Subject<never> | undefined },
): Promise<number> {
  const { runParitySuite, formatParityRun } = await import('../parity/index.ts');
  const quiet = o.quiet || o.json === true;
  const suite = await runParitySuite(loaded, {
    ...(p.seed === undefined ? {} : { seed: p.seed }),
    ...(p.timeScale === undefined ? {} : { timeScale: p.timeScale }),
    ...(p.subject ? { subject: p.subject, replayExtra: `--subject ${o.subject}` } : {}),
    onRun: (run) => {
      if (quiet) return;
      if ('error' in run) process.stderr.write(`ERROR ${run.scenario}: ${run.error.message}\n`);
      else process.stderr.write(`${formatParityRun(run)}\n`);
    },
  });
  if (!quiet) {
    for (const s of suite.skipped)
      process.stderr.write(`not comparable: ${s.scenario} (${s.file}): ${s.why}\n`);
  }
  const results = suite.runs.flatMap((r) => [r.sim, r.real]);
  if (o.json) process.stdout.write(stringifyResults(results));
  await writeReports(results, o, `flatline ${withoutWorkers(argv).join(' ')}`);
  const simFailed = suite.runs.filter((r) => !r.sim.passed).length;
  const disagree = suite.runs.filter((r) => !r.agree).length;
  if (!quiet) {
    process.stderr.write(
      `${suite.runs.length - disagree} agree, ${disagree} disagree, ${suite.failures.length} error(s), ${simFailed} failed on the simulator\n`,
    );
  }
  if (suite.failures.length) throw suite.failures[0]!.error;
  return disagree || simFailed ? EXIT.fail : EXIT.pass;
}

export async function runCommand(patterns: string[], o: RunCommandOptions, argv: string[]): Promise<number> {
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  const backend = parseBackend(o.backend);
  if (backend === 'both' && (shard || o.results !== undefined)) {
    throw new UsageError(
      '--backend both (parity) cannot be sharded: shard --backend sim and --backend toxiproxy as two runs',
    );
  }
  const seed = parseNumber(
    '--seed',
    o.seed,
    (n) => Number.isSafeInteger(n) && n >= 0,
    'a non-negative integer',
  );
  let timeScale = parseNumber('--time-scale', o.timeScale, (n) => n > 0 && n <= 1, 'a number in (0, 1]');
  if (timeScale !== undefined && backend === 'sim') {
    throw new UsageError(
      '--time-scale applies to --backend toxiproxy only (the simulator runs on virtual time)',
    );
  }
  const subject: Subject<never> | undefined = o.subject ? await resolveSubject(o.subject) : undefined;
  // A program that runs at real time is run on a clock that is real time (a different scale is
  // refused by the runner, naming the subject file).
  if (subject?.external?.time === 'real') timeScale ??= 1;
  const loaded = await loadScenarios(patterns);
  if (loaded.length === 0) throw new UsageError(`no scenario files match ${patterns.join(' ')}`);
  checkRunnable(loaded, backend === 'both' ? 'sim' : backend, subject);
  if (backend === 'both') return parityCommand(loaded, o, argv, { seed, timeScale, subject });

  const workers = workerCount(parseWorkers(o.workers), {
    items: loaded.length,
    realTime: backend !== 'sim',
    sharded: shard !== undefined || o.results !== undefined,
  });
  if (workers > 1) {
    return runInWorkers({ command: 'run', argv, workers, items: loaded.length, flags: o });
  }
  const mine = shareOf(loaded, shard);
  const progress = createProgress(process.stderr, o.quiet || o.json === true);
  progress.start(mine.length);
  if (shard && !o.quiet && !o.json) {
    process.stderr.write(
      `shard ${formatShard(shard)}: ${mine.length} of ${loaded.length} scenario file(s): ${mine.map((l) => l.file).join(', ') || 'none'}\n`,
    );
  }
  let server: ToxiproxyServer | undefined;
  if (backend === 'toxiproxy') {
    const { startToxiproxy } = await import('../toxiproxy/launcher.ts');
    server = await startToxiproxy();
    openResources.add(server);
  }
  const results: ScenarioResult[] = [];
  // Interrupted, the scenarios already finished are not lost: their reports, marked incomplete.
  const savePartial = async (signal: string): Promise<void> => {
    if (results.length === 0) return;
    await writeReports(
      results,
      o,
      `flatline ${withoutWorkers(argv).join(' ')}`,
      `interrupted by ${signal} after ${results.length} of ${mine.length} scenario file(s)`,
    );
  };
  onInterrupt.add(savePartial);
  try {
    for (const { file, scenario } of mine) {
      progress.step(scenario.name);
      let instance: Backend | undefined;
      if (server) {
        instance = await createBackend('toxiproxy', {
          server,
          ...(timeScale === undefined ? {} : { timeScale }),
        });
        openResources.add(instance);
      }
      try {
        const result = await runScenario(scenario, {
          backend,
          ...(seed === undefined ? {} : { seed }),
          ...(timeScale === undefined ? {} : { timeScale }),
          ...(subject ? { subject, replayExtra: `--subject ${o.subject}` } : {}),
          ...(instance ? { backendInstance: instance } : {}),
          file,
        });
        results.push(result);
        const worst = result.expectations.find((e) => !e.passed);
        progress.done(
          `${scenario.name} [${backend}, seed ${result.seed}]`,
          result.passed,
          worst ? `${worst.name}: ${worst.detail}` : `${result.expectations.length} expectation(s)`,
        );
      } finally {
        if (instance) {
          await instance.close();
          openResources.delete(instance);
        }
      }
    }
  } finally {
    onInterrupt.delete(savePartial);
    progress.finish();
    if (server) {
      await server.close();
      openResources.delete(server);
    }
  }
  const failed = results.filter((r) => !r.passed).length;
  if (shard || o.results !== undefined) {
    await writeRunShard(o.results ?? defaultResultsPath(shard!), shard ?? { index: 1, count: 1 }, argv, {
      loaded,
      results: results.map((result, k) => ({ id: mine[k]!.file, result })),
      options: {
        backend,
        seed: seed ?? null,
        timeScale: timeScale ?? null,
        subject: o.subject ?? null,
      },
      exitCode: failed ? EXIT.fail : EXIT.pass,
    });
  }
  if (o.json) process.stdout.write(stringifyResults(results));
  await writeReports(results, o, `flatline ${withoutWorkers(argv).join(' ')}`);
  if (!o.json && !o.quiet) {
    process.stderr.write(`${results.length - failed} passed, ${failed} failed\n`);
  }
  return failed ? EXIT.fail : EXIT.pass;
}

async function writeRunShard(
  file: string,
  shard: Shard,
  argv: readonly string[],
  p: {
    loaded: LoadedScenario[];
    results: RunShardResult[];
    options: Record<string, unknown>;
    exitCode: number;
  },
): Promise<void> {
  await writeShardFile(file, {
    ...shardHead(
      'run',
      shard,
      argv,
      p.options,
      // The file's parsed scenario (seed included): shards of different versions of a file differ.
      p.loaded.map((l) => ({ id: l.file, digest: digest(l.scenario) })),
      p.exitCode,
    ),
    results: p.results,
  });
}
