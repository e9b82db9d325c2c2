/**
 * `flatline merge <files…>`: joins the result files of `run|sweep|check --shard i/n --results …`
 * (shard.ts) into what the unsharded command prints and writes — the same --json, the same HTML,
 * JUnit and Markdown reports (through reports.ts), the same exit code (0/1). Exit 2 when the files
 * are not shards 1…n of one run: a shard missing or given twice, shards of different commands,
 * scenarios, seeds, options or flatline versions, or a file that is not a result file.
 *
 * The reports' command line is the shards' command without --shard/--results, followed by merge's
 * own output flags: `flatline run scenarios --report r.html` when the shards ran `flatline run
 * scenarios --shard i/3 --results …` and merge was given `--report r.html`.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import type { CheckReport } from '../property/check.ts';
import type { ScenarioResult, SweepCell } from '../result.ts';
import type { CheckRunResult } from './check.ts';
import { LAZY_COMMANDS } from './commands.ts';
import { EXIT, UsageError } from './exit.ts';
import { type ReportFlags, stringifyResults, writeReports } from './reports.ts';
import type { RunShardResult } from './run.ts';
import {
  expandFiles,
  FORMAT,
  flatlineVersion,
  formatShard,
  outputArgv,
  reviveNumbers,
  type ShardFileHead,
  shareOf,
} from './shard.ts';
import type { SweepShardPayload } from './sweep.ts';

export interface MergeFlags extends ReportFlags {
  json?: boolean;
  quiet?: boolean;
}

export function registerMerge(
  program: Command,
  setExit: (code: number) => void,
  argv: readonly string[] = process.argv.slice(2),
): Command {
  return program
    .command('merge')
    .description(LAZY_COMMANDS.merge.description)
    .argument('<files...>', 'the result files of shards 1…n (globs ok, e.g. "out/shard-*.json")')
    .option('--report <file.html>', 'write a self-contained HTML report (run, sweep)')
    .option('--junit <file.xml>', 'write JUnit XML (run, sweep)')
    .option('--markdown <file.md>', 'write a Markdown summary (run, sweep)')
    .option('--json', 'print the joined results as JSON on stdout, as the unsharded --json does')
    .option('-q, --quiet', 'no per-result lines')
    .addHelpText(
      'after',
      `
Every shard of the same command, i = 1…n, on any machines:
  flatline run scenarios --shard 2/3 --results out/shard-2.json     (also sweep …, check … --seed S)
then, wherever the files are gathered:
  flatline merge "out/shard-*.json" --report out/report.html --junit out/junit.xml --markdown out/summary.md
Exit codes: 0/1 as the unsharded command, 2 when a shard is missing, given twice, of another run
(command, scenarios, seeds, options, flatline version) or not a result file.`,
    )
    .action(async (files: string[], o: MergeFlags) => setExit(await mergeCommand(files, o, argv)));
}

interface Shard<P = unknown> {
  file: string;
  head: ShardFileHead;
  payload: P;
}

const shardSchema = z.object({
  format: z.literal(FORMAT),
  formatVersion: z.number(),
  flatline: z.string(),
  command: z.enum(['run', 'sweep', 'check']),
  shard: z.object({ index: z.number().int().min(1), count: z.number().int().min(1) }),
  argv: z.array(z.string()),
  options: z.record(z.string(), z.unknown()),
  items: z.array(z.object({ id: z.string(), digest: z.string().optional() })),
  environment: z.object({ node: z.string(), platform: z.string() }),
  exitCode: z.number(),
  results: z.array(z.object({ id: z.string() }).loose()),
  frame: z.unknown().optional(),
});

async function readShard(file: string): Promise<Shard> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the result file: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not a flatline result file (not JSON: ${(e as Error).message})`);
  }
  const parsed = shardSchema.safeParse(json);
  if (!parsed.success) {
    const format = (json as { format?: unknown } | null)?.format;
    throw new UsageError(
      format === FORMAT
        ? `${file}: not a valid flatline result file:\n${z.prettifyError(parsed.error)}`
        : `${file}: not a flatline result file (run, sweep or check with --shard i/n or --results writes one)`,
    );
  }
  const { results, frame, ...head } = parsed.data;
  if (head.formatVersion !== 1)
    throw new UsageError(`${file}: result file format ${head.formatVersion}; this flatline reads format 1`);
  if (head.shard.index > head.shard.count)
    throw new UsageError(`${file}: shard ${formatShard(head.shard)} is not a shard (i > n)`);
  return {
    file,
    head: head as ShardFileHead,
    payload: {
      results: reviveNumbers(results),
      ...(frame === undefined ? {} : { frame: reviveNumbers(frame) }),
    },
  };
}

const show = (v: unknown): string => (v === null || v === undefined ? 'none' : JSON.stringify(v));

function few(list: readonly string[]): string {
  return list.length <= 5 ? list.join(', ') : `${list.slice(0, 5).join(', ')} … (${list.length})`;
}

/** Why `b` is not a shard of the same run as `a`, or undefined. */
function difference(a: Shard, b: Shard): string | undefined {
  const A = a.head;
  const B = b.head;
  if (A.command !== B.command) return `${B.command} results, not ${A.command} results`;
  if (A.flatline !== B.flatline) return `written by flatline ${B.flatline}, not ${A.flatline}`;
  if (A.shard.count !== B.shard.count)
    return `split into ${B.shard.count} shards, not ${A.shard.count} (${formatShard(B.shard)} vs ${formatShard(A.shard)})`;
  const keys = [...new Set([...Object.keys(A.options), ...Object.keys(B.options)])];
  const options = keys.filter((k) => show(A.options[k]) !== show(B.options[k]));
  if (options.length) {
    return `different options: ${options
      .map((k) => `${k} ${show(B.options[k])} (vs ${show(A.options[k])})`)
      .join(', ')}`;
  }
  const ids = (h: ShardFileHead) => h.items.map((i) => i.id);
  const onlyB = ids(B).filter((id) => !ids(A).includes(id));
  const onlyA = ids(A).filter((id) => !ids(B).includes(id));
  const what = A.command === 'run' ? 'scenario files' : A.command === 'sweep' ? 'cells' : 'runs';
  if (onlyA.length || onlyB.length) {
    return `different ${what}: ${[
      onlyB.length ? `only in ${b.file}: ${few(onlyB)}` : '',
      onlyA.length ? `only in ${a.file}: ${few(onlyA)}` : '',
    ]
      .filter(Boolean)
      .join('; ')}`;
  }
  if (ids(A).join('\n') !== ids(B).join('\n')) return `the same ${what} in a different order`;
  const changed = B.items.filter((item, k) => item.digest !== A.items[k]!.digest).map((i) => i.id);
  if (changed.length) return `${few(changed)} differ (the file changed between the shards)`;
  if (A.command === 'sweep') {
    const frame = (s: Shard) => {
      const { replay: _, environment, ...rest } = (s.payload as SweepShardPayload).frame;
      const { node: _n, platform: _p, ...env } = environment;
      return JSON.stringify({ ...rest, environment: env });
    };
    if (frame(a) !== frame(b)) return 'a different sweep (grid, presets, goals or seeds)';
  }
  return undefined;
}

/** Checks that `shards` are shards 1…n of one run, each holding exactly its share; sorted by index. */
function verify(shards: Shard[]): Shard[] {
  const first = shards[0]!;
  for (const s of shards.slice(1)) {
    const why = difference(first, s);
    if (why) throw new UsageError(`${s.file} is not a shard of the same run as ${first.file}: ${why}`);
  }
  const here = flatlineVersion();
  if (first.head.flatline !== here) {
    throw new UsageError(
      `${first.file} was written by flatline ${first.head.flatline}, this is flatline ${here}: merge with the version that ran the shards`,
    );
  }
  const n = first.head.shard.count;
  const byIndex = new Map<number, Shard>();
  for (const s of shards) {
    const other = byIndex.get(s.head.shard.index);
    if (other)
      throw new UsageError(`shard ${formatShard(s.head.shard)} given twice: ${other.file} and ${s.file}`);
    byIndex.set(s.head.shard.index, s);
  }
  const missing = Array.from({ length: n }, (_, k) => k + 1).filter((i) => !byIndex.has(i));
  if (missing.length) {
    const got = [...byIndex.values()]
      .sort((a, b) => a.head.shard.index - b.head.shard.index)
      .map((s) => `${formatShard(s.head.shard)} from ${s.file}`);
    throw new UsageError(
      `missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')}: merge needs the result files of all ${n} shards (got ${got.join(', ')})`,
    );
  }
  const sorted = [...byIndex.values()].sort((a, b) => a.head.shard.index - b.head.shard.index);
  for (const s of sorted) {
    const expected = shareOf(s.head.items, s.head.shard).map((i) => i.id);
    const held = (s.payload as { results: { id: string }[] }).results.map((r) => r.id);
    const lacking = expected.filter((id) => !held.includes(id));
    const extra = held.filter((id) => !expected.includes(id));
    const twice = held.filter((id, k) => held.indexOf(id) !== k);
    if (lacking.length || extra.length || twice.length) {
      throw new UsageError(
        `${s.file} (shard ${formatShard(s.head.shard)}) does not hold exactly its share: ${[
          lacking.length ? `no result for ${few(lacking)}` : '',
          extra.length ? `results for ${few(extra)}, which belong to other shards` : '',
          twice.length ? `${few(twice)} twice` : '',
        ]
          .filter(Boolean)
          .join('; ')}`,
      );
    }
  }
  const machines = new Set(
    sorted.map((s) => `Node ${s.head.environment.node} on ${s.head.environment.platform}`),
  );
  if (machines.size > 1) {
    process.stderr.write(
      `flatline merge: note: the shards ran on different machines (${[...machines].join('; ')}); each result's environment says where it ran\n`,
    );
  }
  return sorted;
}

export async function mergeCommand(
  patterns: string[],
  o: MergeFlags,
  argv: readonly string[],
  /** Set by `--workers` (workers.ts): the user's own command line, as one process would show it. */
  pooled?: { command: string[]; seedLine?: string },
): Promise<number> {
  const files = await expandFiles(patterns);
  const shards = verify(await Promise.all(files.map(readShard)));
  const head = shards[0]!.head;
  const at = argv.indexOf('merge');
  // The command the shards ran, with merge's output flags: what an unsharded run would show.
  const command = pooled?.command ?? [...head.argv, ...outputArgv(at < 0 ? argv : argv.slice(at + 1))];
  const note = pooled ? '' : ` (${shards.length} shards)`;
  switch (head.command) {
    case 'run':
      return mergeRun(shards as Shard<{ results: RunShardResult[] }>[], o, command, note);
    case 'sweep':
      return mergeSweep(shards as Shard<SweepShardPayload>[], o, command);
    case 'check':
      return mergeCheck(shards as Shard<{ results: CheckRunResult[] }>[], o, pooled?.seedLine);
  }
}

async function mergeRun(
  shards: Shard<{ results: RunShardResult[] }>[],
  o: MergeFlags,
  command: string[],
  note: string,
): Promise<number> {
  const validate: typeof import('../../reports/validate.ts') = await import('../../reports/validate.ts');
  const byId = new Map<string, ScenarioResult>();
  for (const s of shards) {
    const results = s.payload.results.map((r) => r.result);
    try {
      validate.assertScenarioResults(results, 'its results');
    } catch (e) {
      throw new UsageError(`${s.file}: ${(e as Error).message}`);
    }
    for (const r of s.payload.results) byId.set(r.id, r.result);
  }
  const results = shards[0]!.head.items.map((i) => byId.get(i.id)!);
  const quiet = o.quiet || o.json === true;
  if (!quiet) {
    for (const r of results) {
      const worst = r.expectations.find((e) => !e.passed);
      const detail = worst ? `${worst.name}: ${worst.detail}` : `${r.expectations.length} expectation(s)`;
      process.stderr.write(
        `${r.passed ? 'PASS' : 'FAIL'} ${r.scenario} [${r.backend}, seed ${r.seed}]  ${detail}\n`,
      );
    }
  }
  if (o.json) process.stdout.write(stringifyResults(results));
  await writeReports(results, o, `flatline ${command.join(' ')}`);
  const failed = results.filter((r) => !r.passed).length;
  if (!quiet) process.stderr.write(`${results.length - failed} passed, ${failed} failed${note}\n`);
  return failed ? EXIT.fail : EXIT.pass;
}

async function mergeSweep(
  shards: Shard<SweepShardPayload>[],
  o: MergeFlags,
  command: string[],
): Promise<number> {
  const [{ assembleSweep }, { sweepSummary }, { shellQuote }] = await Promise.all([
    import('../sweep/engine.ts'),
    import('../sweep/text.ts'),
    import('../sweep/replay.ts'),
  ]);
  const validate: typeof import('../../reports/validate.ts') = await import('../../reports/validate.ts');
  const cells = new Map<number, SweepCell>();
  for (const s of shards) for (const r of s.payload.results) cells.set(r.index, r.cell);
  const line = command.map(shellQuote).join(' ');
  const frame = { ...shards[0]!.payload.frame, replay: `npx flatline ${line}` };
  let result: ReturnType<typeof assembleSweep>;
  try {
    result = assembleSweep(frame, cells);
    validate.assertSweepResult(result, 'the joined sweep');
  } catch (e) {
    throw new UsageError(`${shards.map((s) => s.file).join(', ')}: ${(e as Error).message}`);
  }
  if (o.json) process.stdout.write(stringifyResults(result));
  else process.stdout.write(sweepSummary(result));
  await writeReports(result, o, `flatline ${line}`);
  return result.recommendation.best ? EXIT.pass : EXIT.fail;
}

const runSchema = z.object({
  id: z.string(),
  property: z.string(),
  run: z.number().int().min(0),
  outcome: z.enum(['passed', 'failed', 'skipped']),
  report: z
    .object({
      passed: z.boolean(),
      numRuns: z.number(),
      cases: z.number(),
      checked: z.number(),
      message: z.string(),
    })
    .loose()
    .optional(),
  counterexample: z.object({ file: z.string(), text: z.string() }).optional(),
});

/**
 * Each property's report as the unsharded fc.check makes it (joinCheckRuns: the earliest failing
 * run across the shards, with its shrinking), printed as check prints it.
 */
async function mergeCheck(
  shards: Shard<{ results: CheckRunResult[] }>[],
  o: MergeFlags,
  firstLine?: string,
): Promise<number> {
  if (o.report || o.junit || o.markdown) {
    throw new UsageError(
      'merge: flatline check writes no HTML, JUnit or Markdown report, so neither does its merge: use --json (what check --json prints)',
    );
  }
  const runs = new Map<string, CheckRunResult>();
  for (const s of shards) {
    for (const r of s.payload.results) {
      const parsed = runSchema.safeParse(r);
      if (!parsed.success || (r.outcome !== 'skipped' && !r.report))
        throw new UsageError(`${s.file}: run ${r.id} is not a check result`);
      runs.set(r.id, r);
    }
  }
  const parsed = z
    .object({ properties: z.array(z.string()), runs: z.number().int().min(1), seed: z.number().int() })
    .safeParse(shards[0]!.head.options);
  if (!parsed.success) throw new UsageError(`${shards[0]!.file}: its options are not a check's`);
  const options = parsed.data;
  const { joinCheckRuns, seedLine } = await import('./check.ts');
  if (!o.json && !o.quiet) process.stderr.write(firstLine ?? seedLine(options.seed));
  const reports: CheckReport[] = [];
  let failed = 0;
  for (const property of options.properties) {
    const { report, failure } = joinCheckRuns(property, options.runs, (k) => runs.get(`${property}#${k}`));
    // The counterexample file the unsharded check would have written here.
    if (failure?.counterexample) {
      await mkdir(path.dirname(failure.counterexample.file), { recursive: true });
      await writeFile(failure.counterexample.file, failure.counterexample.text);
    }
    if (!report.passed) failed++;
    reports.push(report);
    if (!o.json && !o.quiet)
      process.stderr.write(`${report.passed ? 'PASS' : 'FAIL'} ${property}: ${report.message}\n`);
  }
  if (o.json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  return failed ? EXIT.fail : EXIT.pass;
}
