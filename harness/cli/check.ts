/**
 * `flatline check` runs the property tests (harness/property) against a subject from the command
 * line, and `flatline replay --property P --seed N --path X` replays one fast-check counterexample.
 * A failure prints the violations, the seed/path and the flatline command, and writes the shrunk
 * timeline as a scenario file.
 */
import type { Command } from 'commander';
import { DEFAULT_TIME_SCALE } from '../backends.ts';
import { checkProperty, PROPERTY_NAMES, type PropertyName, properties } from '../property/index.ts';
import { SIM_ONLY } from '../property/properties.ts';
import { referenceSubject } from '../subjects/reference.ts';
import { resolveSubject } from '../subjects/registry.ts';
import type { ToxiproxyServer } from '../toxiproxy/launcher.ts';
import { EXIT, UsageError } from './exit.ts';

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

function integer(flag: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got "${value}"`);
  return n;
}

export async function checkCommand(spec: string, o: CheckFlags): Promise<number> {
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
  const seed = integer('--seed', o.seed, -0x80000000);
  if (o.path !== undefined && seed === undefined)
    throw new UsageError('--path needs the --seed it came from');
  if (o.path !== undefined && names.length !== 1)
    throw new UsageError('--path replays one property: name it');
  let server: ToxiproxyServer | undefined;
  if (backend === 'toxiproxy') {
    const { startToxiproxy } = await import('../toxiproxy/launcher.ts');
    server = await startToxiproxy();
  }
  try {
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

export function registerCheck(program: Command, setExit: (code: number) => void): void {
  program
    .command('check')
    .description(
      `property tests, on the simulator or on real TCP through Toxiproxy: ${PROPERTY_NAMES.join(', ')}`,
    )
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
    .option('-s, --seed <n>', 'fast-check seed (default random, printed on failure)')
    .option('-p, --path <path>', 'with --seed: replay one fast-check counterexample')
    .option('--max-shrinks <n>', 'runs spent shrinking a failure (default 150 on sim, 20 on toxiproxy)')
    .option('--counterexamples <dir>', 'where shrunk counterexamples are written as scenario files')
    .option('--json', 'print the reports as JSON')
    .action(async (spec: string, o: CheckFlags) => setExit(await checkCommand(spec, o)));
}
