/**
 * `flatline sweep`: run a grid of heartbeat configurations through fault scenarios, latency profiles
 * and seeds, report the QoS of each (T_D, λ_M, T_M, T_MR, P_A, reconnect time, overhead, latency
 * tolerance) and recommend the cheapest configuration that meets the goals.
 * Exit codes: 0 a configuration meets the goals, 1 none does, 2 bad input, 3 Toxiproxy unreachable.
 * `--shard i/n` runs every n-th cell (all its seeds) and writes a result file; the recommendation,
 * the reports and the verdict come from `flatline merge` of all n (engine.ts: plan, cells, assemble).
 *
 * The lead registers it with one line: `registerSweep(program, (code) => { exitCode = code; })`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Command, Option } from 'commander';
import type { Backend, Subject } from '../backend.ts';
import { createBackend } from '../backends.ts';
import { SCENARIO_SCHEMA_PATH } from '../package-root.ts';
import type { SweepCell } from '../result.ts';
import { formatDuration } from '../scenario/duration.ts';
import { scenarioToYaml } from '../scenario/serialize.ts';
import { REFERENCE_DEFAULTS } from '../subjects/reference-config.ts';
import { resolveSubject } from '../subjects/registry.ts';
import { buildSpec } from '../sweep/build.ts';
import { describeConfig, fmtMs } from '../sweep/describe.ts';
import {
  assembleSweep,
  type CellDetail,
  checkRunnable,
  planSweep,
  runSweepCells,
  type SweepFrame,
} from '../sweep/engine.ts';
import type { SweepFlags } from '../sweep/flags.ts';
import { PRESETS } from '../sweep/presets.ts';
import { BUILTIN_PROFILES } from '../sweep/profiles.ts';
import { shellQuote } from '../sweep/replay.ts';
import { BUILTIN_DESCRIPTIONS, BUILTIN_SCENARIOS, scenarioName } from '../sweep/scenarios.ts';
import { checkBudget, runCount, type SweepSpec } from '../sweep/sweep-spec.ts';
import { presetList, profileList, sweepSummary } from '../sweep/text.ts';
import type { ToxiproxyServer } from '../toxiproxy/launcher.ts';
import { LAZY_COMMANDS, WORKERS_HELP } from './commands.ts';
import { EXIT, UsageError } from './exit.ts';
import { createProgress } from './progress.ts';
import { type ReportFlags, stringifyResults, writeReports } from './reports.ts';
import { openResources, parseBackend } from './run.ts';
import {
  defaultResultsPath,
  digest,
  formatShard,
  parseShard,
  type Shard,
  shardHead,
  shardOf,
  withoutWorkers,
  writeShardFile,
} from './shard.ts';
import { parseWorkers, runInWorkers, workerCount } from './workers.ts';

export interface SweepCommandOptions extends SweepFlags, ReportFlags {
  /** The sweep file (the command's argument). */
  spec?: string;
  backend?: string;
  /** Processes to spread the cells over (default: the cores on the simulator). */
  workers?: string;
  timeScale?: string;
  subject?: string;
  json?: boolean;
  quiet?: boolean;
  listPresets?: boolean;
  listProfiles?: boolean;
  dryRun?: boolean;
  emitScenarios?: string;
  /** `i/n`: run every n-th cell of the sweep, starting at the i-th. */
  shard?: string;
  /** Write the result file (JSON) that `flatline merge` joins. */
  results?: string;
}

/** What `sweep --shard`/`--results` writes beside the head: the frame and this shard's cells. */
export interface SweepShardPayload {
  frame: SweepFrame;
  results: { id: string; index: number; cell: SweepCell }[];
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Wraps a help line at `width`, continuation lines indented by `indent`. */
function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '  ';
  for (const word of text.split(' ')) {
    if (line.length + word.length + 1 > width && line.trim()) {
      lines.push(line.trimEnd());
      line = ' '.repeat(indent);
    }
    line += `${word} `;
  }
  lines.push(line.trimEnd());
  return lines.join('\n');
}

const HELP_AFTER = `
Value lists (every grid option):
  5s,10s,30s      a list                       2s..10s/5    5 values, both ends included
  2s..10s:2s      from 2s in steps of 2s       1s..64s*2    doubling: 1s, 2s, 4s … 64s
  0.3x, 1.5x      a multiple of the interval I (--pong-timeout and --read-deadline only)
  1..5, 1..9:2    whole numbers (--miss-threshold, --seeds)
  Durations: 500ms, 1.5s, 1m30s, or a plain number of ms. With no grid option the grid is
  --interval 5s,15s,30s --pong-timeout 2s,5s,10s; an axis not given takes the reference default
  (I ${formatDuration(REFERENCE_DEFAULTS.interval)}, T ${formatDuration(REFERENCE_DEFAULTS.pongTimeout)}, R 1.5x, N ${REFERENCE_DEFAULTS.missThreshold}, backoff seed:1s:1m:2:1s).

Backoff (repeat --backoff for several): policy[:base[:cap[:multiplier[:jitter]]]]
  seed (min(b·2ⁿ, c) + uniform(0, J), jitter a duration), grpc (β(1±j), jitter a fraction),
  full, equal, decorrelated — e.g. seed:500ms:30s, grpc:1s:2m:1.6:0.2.

Fault scenarios (--fault, comma-separated; --scenario adds scenario files):
${BUILTIN_SCENARIOS.map((n) => wrap(`${n.padEnd(13)} ${BUILTIN_DESCRIPTIONS[n]}`, 98, 16)).join('\n')}
  Fault onsets are offset by a seed-derived fraction of I so the seeds sample the ping phase
  (--fixed-phase keeps scenario files' times as written).

Latency profiles (--latency, comma-separated; see --list-profiles):
  ${BUILTIN_PROFILES.map((p) => p.name).join(', ')}, as-written (a scenario file's own link),
  40ms/300ms (round-trip p50/p99), 20ms+-5ms (per leg latency ± jitter), office=40ms/300ms (named).
  A p50/p99 profile becomes per-leg L = p50/2 and the smallest jitter J whose round-trip p99 reaches
  the target (≈ (p99 − p50)/1.717), on the wire (sim) or as latency toxics (toxiproxy).

Goals (a configuration must meet all of them in every cell):
  --detect-within 30s | p99:30s,max:45s   statistic of T_D (min, median, p99, max; default p99)
  --max-false-rate 0.1                   λ_M: false detections per connection-hour
  --tolerate-latency 800ms               no false detection with that much added latency: BOUNDS.md
                                         client T − r_max and server R − I − 2J must exceed it,
                                         and a latency-step scenario checks it (0: healthy on the path)
  --reconnect-within 1m                  p99 reconnect time after the heal
  --max-overhead 720                     heartbeat messages per connection-hour, both directions
  With no goal: no false detections.

Presets (--preset <ids> or all; --list-presets), run as extra cells beside the grid:
${wrap(PRESETS.map((p) => p.id).join(', '), 98, 2)}
  real-world settings mapped onto I/T/R/N/backoff, each with a note on what it approximates.

A sweep file (flatline sweep sweep.yaml) holds the same (grid, faults, scenarios, latency, seeds,
goals, presets); flags override it. Exit codes: 0 a configuration meets the goals, 1 none does,
2 bad input, 3 Toxiproxy unreachable.

Examples:
  flatline sweep --interval 5s,10s,30s --pong-timeout 2s..10s/3 --detect-within 30s --max-false-rate 0.1
  flatline sweep --latency lan,mobile --tolerate-latency 800ms --preset grpc,mqtt,socketio --report out/sweep.html
  flatline sweep sweep.yaml --seeds 20 --json > sweep.json`;

/** Adds `flatline sweep` to the program; `setExit` receives the exit code. */
export function registerSweep(
  program: Command,
  setExit: (code: number) => void,
  argv: readonly string[] = process.argv.slice(2),
): Command {
  const command = program
    .command('sweep')
    .description(LAZY_COMMANDS.sweep.description)
    .argument('[sweep.yaml]', 'a sweep file (flags override it)')
    .option('--interval <list>', 'ping interval I, e.g. 5s,10s,30s or 5s..30s/6')
    .option('--pong-timeout <list>', 'pong timeout T, e.g. 2s..10s/5 or 0.3x')
    .option('--read-deadline <list>', 'server read deadline R, e.g. 45s or 1.5x (default 1.5x)')
    .option('--miss-threshold <list>', 'miss threshold N, e.g. 1,2,3 (default 3)')
    .option(
      '--backoff <spec>',
      'reconnect backoff policy[:base[:cap[:multiplier[:jitter]]]] (repeatable)',
      collect,
    )
    .option(
      '--fault <names>',
      `built-in fault scenarios: ${BUILTIN_SCENARIOS.join(', ')} (default black-hole)`,
    )
    .option('--scenario <file>', 'a scenario file, directory or glob (repeatable)', collect)
    .option('--latency <profiles>', 'latency profiles: names, p50/p99 or L+-J (default lan)')
    .option('--seeds <n|list>', 'seeds per cell: a count (5 → 1…5) or a list (3,17,42) (default 5)')
    .option('-s, --seed <n>', 'one seed')
    .option('--fixed-phase', 'do not offset fault onsets by a seed-derived fraction of the interval')
    .option('--detect-within <goal>', 'goal: T_D statistic at most, e.g. 30s or p99:30s,max:45s')
    .addOption(
      new Option('--detect-side <side>', 'whose detection T_D measures').choices([
        'client',
        'server',
        'first',
      ]),
    )
    .option('--max-false-rate <n>', 'goal: false detections per connection-hour at most n')
    .option('--tolerate-latency <duration>', 'goal: no false detection with this much added latency')
    .option('--reconnect-within <duration>', 'goal: p99 reconnect time after the heal')
    .option('--max-overhead <n>', 'goal: heartbeat messages per connection-hour at most n')
    .option('--preset <names>', 'also run real-world presets (comma-separated, or all)')
    .option('--presets-only', 'run only the presets (no grid); recommend among them')
    .option('--list-presets', 'list the presets and what each mapping approximates')
    .option('--list-profiles', 'list the latency profiles')
    .option('--name <name>', 'name of the sweep in reports')
    .option('--max-runs <n>', 'refuse sweeps of more runs than this (default 2000)')
    .option('--dry-run', 'print the plan (configurations, scenarios, profiles, runs) and stop')
    .addOption(
      new Option('-b, --backend <backend>', 'sim (virtual time) or toxiproxy (real TCP, slow)').default(
        'sim',
      ),
    )
    .option('-t, --time-scale <factor>', 'toxiproxy: real ms per scenario ms (default 0.01)')
    .option('--subject <module>', 'a module exporting your Subject (it gets the reference config keys)')
    .option('--emit-scenarios <dir>', 'write each cell’s worst run as a scenario file (for flatline run)')
    .option('--json', 'print the SweepResult as JSON on stdout')
    .option(
      '--shard <i/n>',
      'run every n-th cell (configuration × scenario × profile, all seeds), starting at the i-th; join the shards with flatline merge',
    )
    .option(
      '--results <file.json>',
      'write the result file for flatline merge (default with --shard: out/shard-<i>-of-<n>.json)',
    )
    .option('--report <file.html>', 'write a self-contained HTML report')
    .option('--junit <file.xml>', 'write JUnit XML')
    .option('--markdown <file.md>', 'write a Markdown summary')
    .option('-q, --quiet', 'no progress output')
    .option('-w, --workers <n>', WORKERS_HELP)
    .addHelpText('after', HELP_AFTER)
    .action(async (spec: string | undefined, o: SweepCommandOptions) => {
      setExit(await sweepCommand({ ...o, ...(spec === undefined ? {} : { spec }) }, [...argv]));
    });
  return command;
}

function parseTimeScale(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 1)
    throw new UsageError(`--time-scale must be a number in (0, 1], got "${value}"`);
  return n;
}

function plan(spec: SweepSpec): string {
  const lines = [
    `sweep "${spec.name}": ${runCount(spec)} runs`,
    `configurations (${spec.configs.length}):`,
    ...spec.configs.map((c) => `  ${describeConfig(c.config)}`),
    ...(spec.presets.length
      ? [
          `presets (${spec.presets.length}):`,
          ...spec.presets.map((p) => `  ${p.id}: ${describeConfig(p.config)}`),
        ]
      : []),
    `scenarios: ${spec.scenarios.map(scenarioName).join(', ')}`,
    `latency profiles: ${spec.profiles.map((p) => p.label).join('; ')}`,
    `seeds: ${spec.seeds.length <= 20 ? spec.seeds.join(', ') : `${spec.seeds.slice(0, 20).join(', ')} … (${spec.seeds.length})`}`,
    `fault phase: ${spec.phase ? 'seed-derived offset' : 'fixed'}`,
  ];
  return `${lines.join('\n')}\n`;
}

function slugOf(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 100);
}

async function emit(dir: string, d: CellDetail): Promise<void> {
  const c = d.cell.config;
  const name = slugOf(
    `I${formatDuration(c.interval)}-T${formatDuration(c.pongTimeout)}-R${formatDuration(c.readDeadline)}-N${c.missThreshold}-${c.backoff.variant}-${d.cell.scenario}-${d.cell.latencyProfile.split(' ')[0]}-seed${d.worst.seed}`,
  );
  const file = path.join(dir, `${name}.yaml`);
  await mkdir(dir, { recursive: true });
  await writeFile(
    file,
    scenarioToYaml(d.worst.scenario, {
      schemaPath: path.relative(dir, SCENARIO_SCHEMA_PATH),
      comment: `Written by flatline sweep: the worst seed (${d.worst.seed}) of the cell\n${describeConfig(c)} · ${d.cell.scenario} · ${d.cell.latencyProfile}\nReplay: npx flatline run ${file}`,
    }),
  );
  process.stderr.write(`wrote ${file} (replay: npx flatline run ${file})\n`);
}

export async function sweepCommand(o: SweepCommandOptions, argv: readonly string[]): Promise<number> {
  if (o.listPresets) {
    process.stdout.write(o.json ? `${JSON.stringify(PRESETS, null, 2)}\n` : presetList());
    return EXIT.pass;
  }
  if (o.listProfiles) {
    process.stdout.write(o.json ? `${JSON.stringify(BUILTIN_PROFILES, null, 2)}\n` : profileList());
    return EXIT.pass;
  }
  const shard = o.shard === undefined ? undefined : parseShard(o.shard);
  if (shard && (o.json || o.report || o.junit || o.markdown)) {
    throw new UsageError(
      `sweep --shard ${formatShard(shard)} runs a part of the cells, and the recommendation needs them all: --json, --report, --junit and --markdown go to flatline merge`,
    );
  }
  const chosen = parseBackend(o.backend ?? 'sim');
  if (chosen === 'both') throw new UsageError('sweep runs on one backend: --backend sim or toxiproxy');
  const backend = chosen;
  const timeScale = parseTimeScale(o.timeScale);
  if (timeScale !== undefined && backend === 'sim') {
    throw new UsageError(
      '--time-scale applies to --backend toxiproxy only (the simulator runs on virtual time)',
    );
  }
  const subject: Subject<never> | undefined = o.subject ? await resolveSubject(o.subject) : undefined;
  const spec = await buildSpec({ ...(o.spec === undefined ? {} : { file: o.spec }), flags: o });
  checkBudget(spec);
  checkRunnable(spec, { backend, ...(subject ? { subject } : {}) });
  if (o.dryRun) {
    process.stdout.write(plan(spec));
    return EXIT.pass;
  }

  const cellCount = runCount(spec) / spec.seeds.length;
  const workers = workerCount(parseWorkers(o.workers), {
    items: cellCount,
    realTime: backend !== 'sim',
    sharded: shard !== undefined || o.results !== undefined,
  });
  if (workers > 1) {
    return runInWorkers({
      command: 'sweep',
      argv,
      workers,
      items: cellCount,
      flags: {
        ...(o.report ? { report: o.report } : {}),
        ...(o.junit ? { junit: o.junit } : {}),
        ...(o.markdown ? { markdown: o.markdown } : {}),
        ...(o.json ? { json: true } : {}),
        ...(o.quiet ? { quiet: true } : {}),
      },
    });
  }
  const quiet = o.quiet === true || o.json === true;
  const progress = createProgress(process.stderr, quiet);
  let server: ToxiproxyServer | undefined;
  if (backend === 'toxiproxy') {
    const { startToxiproxy } = await import('../toxiproxy/launcher.ts');
    server = await startToxiproxy();
    openResources.add(server);
  }
  const started = performance.now();
  let layout: ReturnType<typeof planSweep>;
  let cells: Map<number, SweepCell>;
  try {
    const newBackend = server
      ? async (): Promise<Backend> => {
          const b = await createBackend('toxiproxy', {
            server: server!,
            ...(timeScale === undefined ? {} : { timeScale }),
          });
          openResources.add(b);
          return b;
        }
      : undefined;
    const runOptions: Parameters<typeof planSweep>[1] = {
      backend,
      ...(timeScale === undefined ? {} : { timeScale }),
      ...(subject ? { subject, subjectPath: o.subject! } : {}),
      ...(newBackend
        ? {
            newBackend,
            closeBackend: async (b: Backend) => {
              openResources.delete(b);
              await b.close();
            },
          }
        : {}),
      replay: `npx flatline ${withoutWorkers(argv).map(shellQuote).join(' ')}`,
      progress: {
        start: (cells) => progress.start(cells),
        run: (label) => progress.step(label),
        cell: (label, cell) => {
          const failed = cell.goals.filter((g) => !g.met);
          progress.done(
            label,
            failed.length === 0,
            failed.length
              ? failed.map((g) => `${g.goal}: ${g.why}`).join('; ')
              : `p99 T_D ${cell.detection ? fmtMs(cell.detection.p99) : '—'} · ${cell.falseDetectionRate.toFixed(2)} false/conn·h`,
          );
        },
      },
      ...(o.emitScenarios ? { onCell: (d: CellDetail) => emit(o.emitScenarios!, d) } : {}),
    };
    layout = planSweep(spec, runOptions);
    cells = await runSweepCells(
      spec,
      runOptions,
      layout,
      (i) => !shard || shardOf(i, shard.count) === shard.index,
    );
  } finally {
    progress.finish();
    if (server) {
      await server.close();
      openResources.delete(server);
    }
  }
  const shardFile = (which: Shard, code: number) =>
    writeShardFile(o.results ?? defaultResultsPath(which), {
      ...shardHead(
        'sweep',
        which,
        argv,
        {
          backend,
          timeScale: timeScale ?? null,
          subject: o.subject ?? null,
          // The resolved sweep (grid, presets, scenario files as parsed, profiles, seeds, goals).
          spec: digest(spec),
        },
        layout.cells.map((c) => ({ id: `${c.index}: ${c.label}` })),
        code,
      ),
      frame: layout.frame,
      results: [...cells].map(([index, cell]) => ({
        id: `${index}: ${layout.cells[index]!.label}`,
        index,
        cell,
      })),
    } satisfies SweepShardPayload & Record<string, unknown>);
  if (shard) {
    // The verdict needs every cell: merge gives it. The shard did its part.
    await shardFile(shard, EXIT.pass);
    if (!o.quiet)
      process.stderr.write(
        `shard ${formatShard(shard)}: ${cells.size} of ${layout.cells.length} cell(s), ${cells.size * spec.seeds.length} runs in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );
    return EXIT.pass;
  }
  const result = assembleSweep(layout.frame, cells);
  const code = result.recommendation.best ? EXIT.pass : EXIT.fail;
  if (o.results !== undefined) await shardFile({ index: 1, count: 1 }, code);
  if (o.json) process.stdout.write(stringifyResults(result));
  else {
    process.stdout.write(sweepSummary(result));
    if (!o.quiet)
      process.stderr.write(
        `${runCount(spec)} runs in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );
  }
  const command = `flatline ${withoutWorkers(argv).map(shellQuote).join(' ')}`;
  await writeReports(
    result,
    {
      ...(o.report ? { report: o.report } : {}),
      ...(o.markdown ? { markdown: o.markdown } : {}),
      ...(o.junit ? { junit: o.junit } : {}),
    },
    command,
  );
  return code;
}
