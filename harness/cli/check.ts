/**
 * `flatline check` runs the property tests (harness/property) against a subject from the command
 * line, and `flatline replay --property P --seed N --path X` replays one fast-check counterexample.
 * A failure prints the violations, the seed/path and the flatline command, and writes the shrunk
 * timeline as a scenario file.
 *
 * `--shard i/n` (every shard with the same seed: the default, or one --seed) runs every n-th of the runs `property#index`, each
 * fast-check's case of that index run alone; `flatline merge` joins the shards into the unsharded
 * reports (joinCheckRuns). `--results` alone is the 1/1 case: the check as usual, plus the file.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { DEFAULT_TIME_SCALE } from '../backends.ts';
import { heldReport } from '../property/check.ts';
import {
  type CheckReport,
  checkProperty,
  PROPERTY_NAMES,
  type PropertyName,
  properties,
} from '../property/index.ts';
import { SIM_ONLY } from '../property/properties.ts';
import { referenceSubject } from '../subjects/reference.ts';
import { resolveSubject } from '../subjects/registry.ts';
import type { ToxiproxyServer } from '../toxiproxy/launcher.ts';
import { LAZY_COMMANDS, WORKERS_HELP } from './commands.ts';
import { EXIT, UsageError } from './exit.ts';
import {
  defaultResultsPath,
  formatShard,
  parseShard,
  type Shard,
  shardHead,
  shareOf,
  writeShardFile,
} from './shard.ts';
import { parseWorkers, runInWorkers, workerCount } from './workers.ts';

export interface CheckFlags {
  subject?: string;
  backend?: string;
  timeScale?: string;
  runs?: string;
  seed?: string;
  path?: string;
  counterexamples?: string;
  maxShrinks?: string;
  json?: boolean;
  /** `i/n`: run every n-th of the runs (property by property, run index by run index). */
  shard?: string;
  /** Processes to spread the runs over (default: the cores on the simulator). */
  workers?: string;
  /** Write this check's result file (JSON) for `flatline merge`. */
  results?: string;
}

/**
 * One run of a sharded check (`property#index`): fast-check's case `index` of the one seed, run alone
 * (`path: index`, one run), shrunk if it fails. Its report's counts add up to the unsharded report's.
 */
export interface CheckRunResult {
  id: string;
  property: PropertyName;
  run: number;
  /** skipped: an earlier run of the property failed in this shard, so the check stops there. */
  outcome: 'passed' | 'failed' | 'skipped';
  /** fast-check's report of this one run (with its shrinking, if it failed). */
  report?: CheckReport;
  /** The counterexample file it wrote, to be written again where the shards are merged. */
  counterexample?: { file: string; text: string };
}

function propertyNames(spec: string): PropertyName[] {
  if (spec === 'all') return [...PROPERTY_NAMES];
  const names = spec.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(PROPERTY_NAMES as readonly string[]).includes(n)) {
      throw new UsageError(`unknown property "${n}" (expected all or one of ${PROPERTY_NAMES.join(', ')})`);
    }
  }
  return names as PropertyName[];
}

/** The seed of a check given no --seed: the same cases every time, so the same verdict. */
export const DEFAULT_CHECK_SEED = 1;

/** The first line of a check (and of its merge): where its cases come from. */
export function seedLine(seed: number, random = false): string {
  return `flatline check: fast-check seed ${seed}${random ? ' (random)' : ` (default ${DEFAULT_CHECK_SEED}; --seed random explores new cases)`}\n`;
}

/** `--seed random`: a seed drawn for this check alone, printed so that its failures replay. */
function randomSeed(): number {
  return (Date.now() ^ (Math.random() * 0x100000000)) | 0;
}

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

export async function checkCommand(
  spec: string,
  o: CheckFlags,
  argv: readonly string[] = process.argv.slice(2),
): Promise<number> {
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  const names = propertyNames(spec);
  const backend = o.backend ?? 'sim';
  if (backend !== 'sim' && backend !== 'toxiproxy') {
    throw new UsageError(`--backend must be sim or toxiproxy, got "${backend}"`);
  }
  const subject = o.subject ? await resolveSubject(o.subject) : referenceSubject;
  let timeScale: number | undefined;
  if (o.timeScale !== undefined) {
    timeScale = Number(o.timeScale);
    if (!(timeScale > 0 && timeScale <= 1))
      throw new UsageError(`--time-scale must be a number in (0, 1], got "${o.timeScale}"`);
    if (backend === 'sim') throw new UsageError('--time-scale applies to --backend toxiproxy only');
  }
  if (backend === 'sim' && subject.external) {
    throw new UsageError(
      `subject file ${subject.external.file} runs as OS processes on real sockets, which the simulator cannot run (no syscall-level simulation): check it with --backend toxiproxy`,
    );
  }
  if (backend === 'toxiproxy') {
    const simOnly = names.filter((n) => SIM_ONLY[n]);
    if (simOnly.length) {
      throw new UsageError(
        `${simOnly.map((n) => `${n} runs on the simulator only: ${SIM_ONLY[n]}`).join('; ')} (name the properties to check, e.g. completeness,convergence)`,
      );
    }
    if (subject.external?.time === 'real') timeScale ??= 1;
  }
  const numRuns = integer('--runs', o.runs, 1) ?? (backend === 'sim' ? 20 : 3);
  // A real case costs seconds: shrink less there by default.
  const maxShrinkRuns = integer('--max-shrinks', o.maxShrinks, 0) ?? (backend === 'sim' ? 150 : 20);
  if (o.path !== undefined && o.seed === undefined)
    throw new UsageError('--path needs the --seed it came from');
  // A check gives the same verdict run to run unless asked to explore: a fixed default seed, printed.
  const random = o.seed === 'random';
  const seed = random ? randomSeed() : (integer('--seed', o.seed, -0x80000000) ?? DEFAULT_CHECK_SEED);
  const split = shard !== undefined || o.results !== undefined;
  if (split && o.path !== undefined)
    throw new UsageError('--path replays one counterexample: it does not take --shard or --results');
  if (shard && shard.count > 1 && random) {
    throw new UsageError(
      `--shard ${formatShard(shard)} with --seed random: every shard must draw the same cases; give one seed to all shards (e.g. --seed $GITHUB_RUN_ID)`,
    );
  }
  if (o.path !== undefined && names.length !== 1)
    throw new UsageError('--path replays one property: name it');
  const workers =
    o.path === undefined
      ? workerCount(parseWorkers(o.workers), {
          items: names.length * numRuns,
          realTime: backend !== 'sim',
          sharded: split,
        })
      : 1;
  if (workers > 1) {
    // Every worker draws from the same seed: a random one is drawn here, once.
    return runInWorkers({
      command: 'check',
      argv,
      workers,
      items: names.length * numRuns,
      flags: { ...(o.json ? { json: true } : {}) },
      extraArgs: ['--seed', String(seed)],
      seedLine: seedLine(seed, random),
    });
  }
  if (o.path === undefined && !o.json) process.stderr.write(seedLine(seed, random));
  let server: ToxiproxyServer | undefined;
  if (backend === 'toxiproxy') {
    const { startToxiproxy } = await import('../toxiproxy/launcher.ts');
    server = await startToxiproxy();
  }
  try {
    if (split) {
      return await checkShard(
        names,
        subject,
        o,
        { numRuns, maxShrinkRuns, seed },
        server && { server, timeScale: timeScale ?? DEFAULT_TIME_SCALE },
        { shard: shard ?? { index: 1, count: 1 }, argv, backend, timeScale },
      );
    }
    return await checkAll(
      names,
      subject,
      o,
      { numRuns, maxShrinkRuns, seed },
      server && { server, timeScale: timeScale ?? DEFAULT_TIME_SCALE },
    );
  } finally {
    await server?.close();
  }
}

async function checkAll(
  names: PropertyName[],
  subject: Awaited<ReturnType<typeof resolveSubject>>,
  o: CheckFlags,
  { numRuns, maxShrinkRuns, seed }: { numRuns: number; maxShrinkRuns: number; seed: number | undefined },
  real: { server: ToxiproxyServer; timeScale: number } | undefined,
): Promise<number> {
  let failed = 0;
  const reports = [];
  for (const name of names) {
    const property = properties[name](subject as never, {
      ...(o.subject ? { subjectModule: o.subject } : {}),
      ...(real ? { real } : {}),
    });
    const report = await checkProperty(property, {
      numRuns,
      maxShrinkRuns,
      throwOnFailure: false,
      ...(seed === undefined ? {} : { seed }),
      ...(o.path === undefined ? {} : { path: o.path }),
      ...(o.counterexamples ? { counterexamples: o.counterexamples } : {}),
    });
    reports.push(report);
    if (!report.passed) failed++;
    if (!o.json) process.stderr.write(`${report.passed ? 'PASS' : 'FAIL'} ${name}: ${report.message}\n`);
  }
  if (o.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  return failed ? EXIT.fail : EXIT.pass;
}

/**
 * A property's report from its runs (`runOf(k)`: run k's result), as fc.check over all of them makes
 * it: the first failing run with its shrinking, after the runs before it, which all held; or every
 * run held. This is how merge joins the shards of a check, and how `check --results` reports.
 */
export function joinCheckRuns(
  property: string,
  numRuns: number,
  runOf: (run: number) => CheckRunResult | undefined,
): { report: CheckReport; failure?: CheckRunResult } {
  const runs = Array.from({ length: numRuns }, (_, k) => {
    const r = runOf(k);
    if (!r) throw new UsageError(`no result for run ${property}#${k}`);
    return r;
  });
  const k = runs.findIndex((r) => r.outcome === 'failed');
  const before = k < 0 ? runs : runs.slice(0, k);
  const skipped = before.find((r) => r.outcome !== 'passed' || !r.report);
  if (skipped)
    throw new UsageError(`run ${skipped.id} was skipped, but no earlier run of ${property} failed`);
  const sum = (key: 'numRuns' | 'cases' | 'checked') => before.reduce((n, r) => n + r.report![key], 0);
  if (k < 0) {
    const first = before[0]!.report!;
    return {
      report: heldReport({
        property: first.property,
        subject: first.subject,
        seed: first.seed,
        numRuns: sum('numRuns'),
        numShrinks: 0,
        cases: sum('cases'),
        checked: sum('checked'),
      }),
    };
  }
  const failure = runs[k]!;
  const f = failure.report!;
  return {
    report: {
      ...f,
      numRuns: sum('numRuns') + f.numRuns,
      cases: sum('cases') + f.cases,
      checked: sum('checked') + f.checked,
    },
    failure,
  };
}

/** Every run of a check, in the unsharded order: property by property, run index by run index. */
export function checkItems(
  names: readonly PropertyName[],
  numRuns: number,
): { id: string; property: PropertyName; run: number }[] {
  return names.flatMap((property) =>
    Array.from({ length: numRuns }, (_, run) => ({ id: `${property}#${run}`, property, run })),
  );
}

/**
 * `check --shard i/n` (and `check --results`, the 1/1 case): this shard's runs, each fast-check's
 * case of its index under the one seed, run alone and shrunk if it fails. A property stops at its
 * first failure here, as fc.check does; merge takes the earliest failure across the shards, so the
 * joined report is the unsharded one (the counts of the runs before it, its shrinking, its path).
 */
async function checkShard(
  names: PropertyName[],
  subject: Awaited<ReturnType<typeof resolveSubject>>,
  o: CheckFlags,
  { numRuns, maxShrinkRuns, seed }: { numRuns: number; maxShrinkRuns: number; seed: number },
  real: { server: ToxiproxyServer; timeScale: number } | undefined,
  run: { shard: Shard; argv: readonly string[]; backend: string; timeScale: number | undefined },
): Promise<number> {
  const items = checkItems(names, numRuns);
  const mine = shareOf(items, run.shard);
  const whole = run.shard.count === 1;
  const results: CheckRunResult[] = [];
  const reports: CheckReport[] = [];
  let failed = 0;
  for (const name of names) {
    const property = properties[name](subject as never, {
      ...(o.subject ? { subjectModule: o.subject } : {}),
      ...(real ? { real } : {}),
    });
    const runs = mine.filter((i) => i.property === name);
    let failure: CheckRunResult | undefined;
    let checked = 0;
    for (const item of runs) {
      if (failure) {
        results.push({ ...item, outcome: 'skipped' });
        continue;
      }
      const report = await checkProperty(property, {
        numRuns: 1,
        maxShrinkRuns,
        throwOnFailure: false,
        seed,
        path: String(item.run),
        ...(o.counterexamples ? { counterexamples: o.counterexamples } : {}),
      });
      const result: CheckRunResult = { ...item, outcome: report.passed ? 'passed' : 'failed', report };
      checked += report.checked;
      if (!report.passed) {
        failure = result;
        if (report.file)
          result.counterexample = { file: report.file, text: await readFile(report.file, 'utf8') };
      }
      results.push(result);
    }
    if (failure) failed++;
    if (whole) {
      // check --results: this is the whole check, so it prints what check prints.
      const { report } = joinCheckRuns(name, numRuns, (k) => results.find((r) => r.id === `${name}#${k}`));
      reports.push(report);
      if (!o.json) process.stderr.write(`${report.passed ? 'PASS' : 'FAIL'} ${name}: ${report.message}\n`);
    } else if (!o.json) {
      const done = runs.length - results.filter((r) => r.property === name && r.outcome === 'skipped').length;
      process.stderr.write(
        failure
          ? `FAIL ${name} (run ${failure.run}, shard ${formatShard(run.shard)}): ${failure.report!.message}\n`
          : `PASS ${name}: ${done} of ${numRuns} run(s) in shard ${formatShard(run.shard)} (${checked} fact(s) checked, fast-check seed ${seed})\n`,
      );
    }
  }
  const code = failed ? EXIT.fail : EXIT.pass;
  if (o.json) process.stdout.write(`${JSON.stringify(whole ? reports : results, null, 2)}\n`);
  await writeShardFile(o.results ?? defaultResultsPath(run.shard), {
    ...shardHead(
      'check',
      run.shard,
      run.argv,
      {
        properties: names,
        runs: numRuns,
        seed,
        maxShrinks: maxShrinkRuns,
        backend: run.backend,
        timeScale: run.timeScale ?? null,
        subject: o.subject ?? null,
        counterexamples: o.counterexamples ?? null,
      },
      items.map(({ id }) => ({ id })),
      code,
    ),
    results,
  });
  return code;
}

export function registerCheck(program: Command, setExit: (code: number) => void): void {
  program
    .command('check')
    .description(LAZY_COMMANDS.check.description)
    .argument('[properties]', 'all, or a comma-separated list', 'all')
    .option(
      '--subject <module|file.yaml>',
      'your Subject module, or a subject file of external programs (default: the reference implementation)',
    )
    .option(
      '-b, --backend <backend>',
      'sim (virtual time) or toxiproxy (real TCP: completeness, convergence, accuracy)',
      'sim',
    )
    .option('-t, --time-scale <factor>', 'toxiproxy: real ms per scenario ms (default 0.01)')
    .option('-n, --runs <n>', 'generated cases per property (default 20 on sim, 3 on toxiproxy)')
    .option(
      '-s, --seed <n|random>',
      `fast-check seed (default ${DEFAULT_CHECK_SEED}: the same cases every time; random to explore, printed)`,
    )
    .option('-p, --path <path>', 'with --seed: replay one fast-check counterexample')
    .option('--max-shrinks <n>', 'runs spent shrinking a failure (default 150 on sim, 20 on toxiproxy)')
    .option('--counterexamples <dir>', 'where shrunk counterexamples are written as scenario files')
    .option('--json', 'print the reports as JSON')
    .option(
      '--shard <i/n>',
      'run every n-th run (property by property, run index by run index), starting at the i-th; every shard draws the same cases from the same --seed; join the shards with flatline merge',
    )
    .option(
      '--results <file.json>',
      'write the result file for flatline merge (default with --shard: out/shard-<i>-of-<n>.json)',
    )
    .option('-w, --workers <n>', WORKERS_HELP)
    .action(async (spec: string, o: CheckFlags) => setExit(await checkCommand(spec, o)));
}
