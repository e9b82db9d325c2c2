/**
 * The `flatline` command: run, replay, report (and sweep). Argument parsing is commander's; every
 * command has --help. Exit codes: 0 pass, 1 an expectation or property failed, 2 bad input,
 * 3 infrastructure unreachable (Toxiproxy), 130 interrupted.
 */
import { readFile } from 'node:fs/promises';
import { Command, CommanderError, Help, Option } from 'commander';
import { commandOf, LAZY_COMMANDS, type LazyCommand, WORKERS_HELP } from './commands.ts';
import { describeError, EXIT, exitCodeFor, UsageError } from './exit.ts';
import { parseResultsJson, writeReports } from './reports.ts';
import { onInterrupt, openResources } from './resources.ts';

const argv = process.argv.slice(2);
const defaultTerm = (c: Command): string => new Help().subcommandTerm(c);
let exitCode: number = EXIT.pass;

const backendOption = () =>
  new Option(
    '-b, --backend <backend>',
    'sim (virtual time), toxiproxy (real TCP), or both (parity: run each Toxiproxy-expressible scenario on both and compare)',
  ).default('sim');
const reportOptions = (c: Command): Command =>
  c
    .option('--report <file.html>', 'write a self-contained HTML report')
    .option('--junit <file.xml>', 'write JUnit XML (one test case per expectation)')
    .option('--markdown <file.md>', 'write a Markdown summary for a pull-request comment');

const program = new Command()
  .name('flatline')
  .description('Deterministic network-simulation test harness for heartbeat mechanisms.')
  .showHelpAfterError()
  .exitOverride()
  // A stand-in for a command not loaded has no options of its own; list it as the real one reads.
  .configureHelp({
    subcommandTerm: (c) =>
      c.name() in LAZY_COMMANDS
        ? `${c.name()} [options] ${LAZY_COMMANDS[c.name() as LazyCommand].args}`
        : defaultTerm(c),
  });

reportOptions(
  program
    .command('run')
    .description('run scenario files on the simulator or on real TCP through Toxiproxy')
    .argument('<scenarios...>', 'scenario files, directories or globs (e.g. "scenarios/*.yaml")')
    .addOption(backendOption())
    .option('-s, --seed <n>', 'seed of the run (default: the scenario’s, else 1)')
    .option('-t, --time-scale <factor>', 'toxiproxy: real ms per scenario ms, e.g. 0.01 (default 0.01)')
    .option('--json', 'print the results as a JSON array on stdout')
    .option(
      '--subject <name|module|file.yaml>',
      'what runs: a built-in (reference, socket.io, mqtt, grpc, nats), a module exporting your Subject, or a subject file of programs in any language (docs/external-subjects.md; --backend toxiproxy) (default: reference)',
    )
    .option('-q, --quiet', 'no progress output')
    .option(
      '--shard <i/n>',
      'run every n-th scenario file (sorted by path) from the i-th; join with flatline merge',
    )
    .option(
      '--results <file.json>',
      'write the result file for flatline merge (--shard: out/shard-<i>-of-<n>.json)',
    )
    .option('-w, --workers <n>', WORKERS_HELP),
).action(async (patterns: string[], o) => {
  const { runCommand } = await import('./run.ts');
  exitCode = await runCommand(patterns, o, argv);
});

reportOptions(
  program
    .command('replay')
    .description('re-run a counterexample or scenario file exactly (its seed is inside it, or give --seed)')
    .argument('[file]', 'a counterexample written by a property test, or any scenario file')
    .option('-s, --seed <n>', 'override the seed (with --property: the fast-check seed)')
    .option('--property <name>', 'replay a property counterexample: the property (with --seed and --path)')
    .option('-p, --path <path>', 'the fast-check path printed by the failure')
    .option('--json', 'print the result as JSON')
    .option('--subject <module>', 'a module exporting your Subject'),
).action(async (file: string | undefined, o) => {
  if (o.property || o.path) {
    // A fast-check counterexample: property + seed + path.
    if (!o.property || o.seed === undefined || o.path === undefined) {
      throw new UsageError('replay of a property needs --property, --seed and --path together');
    }
    const { checkCommand } = await import('./check.ts');
    exitCode = await checkCommand(o.property, {
      seed: o.seed,
      path: o.path,
      subject: o.subject,
      json: o.json,
    });
    return;
  }
  if (!file)
    throw new UsageError('replay needs a counterexample/scenario file, or --property, --seed and --path');
  const { runCommand } = await import('./run.ts');
  exitCode = await runCommand([file], { ...o, backend: 'sim' }, argv);
});

// check, sweep and merge load their machinery (fast-check, the sweep engine, zod schemas) only when
// they run or show their own help; otherwise a one-line stand-in keeps them in the command list.
const setExit = (code: number): void => {
  exitCode = code;
};
const invoked = commandOf(argv);
for (const name of Object.keys(LAZY_COMMANDS) as LazyCommand[]) {
  if (name === invoked) {
    if (name === 'check') (await import('./check.ts')).registerCheck(program, setExit);
    else if (name === 'sweep') (await import('./sweep.ts')).registerSweep(program, setExit);
    else (await import('./merge.ts')).registerMerge(program, setExit);
  } else {
    program.command(name).argument(LAZY_COMMANDS[name].args).description(LAZY_COMMANDS[name].description);
  }
}

reportOptions(
  program
    .command('report')
    .description('re-render reports from a results JSON file (from run --json or sweep)')
    .argument('<results.json>', 'results written by flatline'),
).action(async (file: string, o) => {
  if (!o.report && !o.junit && !o.markdown)
    throw new UsageError('report: give --report, --junit and/or --markdown');
  let input: unknown;
  try {
    input = parseResultsJson(await readFile(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file}: cannot read results JSON: ${(e as Error).message}`);
  }
  // Not reports/index.ts: the renderers bring vega, seconds to load, for nothing if the file is bad.
  const reports: typeof import('../../reports/validate.ts') = await import('../../reports/validate.ts');
  if (!reports.isSweepResult(input)) {
    try {
      reports.assertScenarioResults(input);
    } catch (e) {
      throw new UsageError(`${file}: not flatline results: ${(e as Error).message}`);
    }
  }
  await writeReports(input as never, o, `flatline ${argv.join(' ')}`);
});

// `flatline … | head` closes our stdout early: that is the reader's choice, not a crash.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

let interrupted = false;
async function interrupt(signal: NodeJS.Signals): Promise<void> {
  if (interrupted) return;
  interrupted = true;
  // The run may now fail on what is being closed under it: a subject's timer dialing through a closed
  // backend throws from a callback. That is not the run's outcome, and must not cut the cleanup short.
  process.exitCode = EXIT.interrupted;
  process.on('uncaughtException', () => {});
  process.on('unhandledRejection', () => {});
  process.stderr.write(`\nflatline: ${signal}: stopping, cleaning up…\n`);
  for (const save of onInterrupt) await save(signal).catch(() => {});
  for (const r of [...openResources].reverse()) await r.close().catch(() => {});
  process.exit(EXIT.interrupted);
}
process.on('SIGINT', () => void interrupt('SIGINT'));
process.on('SIGTERM', () => void interrupt('SIGTERM'));

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (interrupted) {
    // interrupt() is cleaning up and exits 130; an error from the half-closed run is noise.
  } else if (e instanceof CommanderError) {
    // --help and --version exit 0; a usage mistake is bad input.
    exitCode = e.exitCode === 0 ? EXIT.pass : EXIT.badInput;
  } else {
    process.stderr.write(`flatline: ${describeError(e)}\n`);
    exitCode = exitCodeFor(e);
  }
}
if (!interrupted) {
  for (const r of [...openResources].reverse()) await r.close().catch(() => {});
  process.exitCode = exitCode;
}
