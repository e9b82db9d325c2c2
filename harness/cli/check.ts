/**
 * `flatline check` runs the property tests (harness/property) against a subject from the command
 * line, and `flatline replay --property P --seed N --path X` replays one fast-check counterexample.
 * A failure prints the violations, the seed/path and the flatline command, and writes the shrunk
 * timeline as a scenario file.
 */
import type { Command } from 'commander';
import { checkProperty, PROPERTY_NAMES, type PropertyName, properties } from '../property/index.ts';
import { referenceSubject } from '../subjects/reference.ts';
import { resolveSubject } from '../subjects/registry.ts';
import { EXIT, UsageError } from './exit.ts';

export interface CheckFlags {
  subject?: string;
  runs?: string;
  seed?: string;
  path?: string;
  counterexamples?: string;
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
  const subject = o.subject ? await resolveSubject(o.subject) : referenceSubject;
  const numRuns = integer('--runs', o.runs, 1) ?? 20;
  const seed = integer('--seed', o.seed, -0x80000000);
  if (o.path !== undefined && seed === undefined)
    throw new UsageError('--path needs the --seed it came from');
  if (o.path !== undefined && names.length !== 1)
    throw new UsageError('--path replays one property: name it');
  let failed = 0;
  const reports = [];
  for (const name of names) {
    const property = properties[name](subject as never, o.subject ? { subjectModule: o.subject } : {});
    const report = await checkProperty(property, {
      numRuns,
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
    .description(`property tests on the simulator: ${PROPERTY_NAMES.join(', ')}`)
    .argument('[properties]', 'all, or a comma-separated list', 'all')
    .option('--subject <module>', 'a module exporting your Subject (default: the reference implementation)')
    .option('-n, --runs <n>', 'generated cases per property (default 20)')
    .option('-s, --seed <n>', 'fast-check seed (default random, printed on failure)')
    .option('-p, --path <path>', 'with --seed: replay one fast-check counterexample')
    .option('--counterexamples <dir>', 'where shrunk counterexamples are written as scenario files')
    .option('--json', 'print the reports as JSON')
    .action(async (spec: string, o: CheckFlags) => setExit(await checkCommand(spec, o)));
}
