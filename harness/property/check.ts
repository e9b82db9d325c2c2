/**
 * checkProperty: fc.check with what a failing heartbeat property needs to be useful — the
 * violations in words, fast-check's seed and path, the `flatline run` command, and the shrunk case
 * written out as a scenario file that replays the same run.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import fc from 'fast-check';
import { SCENARIO_SCHEMA_PATH } from '../package-root.ts';
import type { Scenario } from '../scenario/schema.ts';
import { scenarioToYaml } from '../scenario/serialize.ts';
import { describeCase, type PropertyCase } from './case.ts';
import { type FlatlineProperty, listViolations, PropertyViolation } from './properties.ts';

/** Where counterexamples go unless told otherwise (relative to the working directory). */
export const DEFAULT_COUNTEREXAMPLE_DIR = 'test-artifacts/counterexamples';

export interface CheckOptions {
  /** Cases to try (default 20). */
  numRuns?: number;
  /** fast-check seed (default: random, printed on failure). */
  seed?: number;
  /** fast-check path, with `seed`, to replay a counterexample directly. */
  path?: string;
  /**
   * Directory for the shrunk counterexample's scenario file; false writes nothing. Default: the
   * FLATLINE_COUNTEREXAMPLES environment variable, else test-artifacts/counterexamples.
   */
  counterexamples?: string | false;
  /** Runs spent shrinking after the first failure before settling for what was found (default 150). */
  maxShrinkRuns?: number;
  /** Report the first failing case without shrinking (default false). */
  endOnFailure?: boolean;
  /** Throw a PropertyCheckFailure when the property fails (default true). */
  throwOnFailure?: boolean;
}

export interface CheckReport {
  property: string;
  subject: string;
  passed: boolean;
  /** fast-check's seed of this check. */
  seed: number;
  numRuns: number;
  numShrinks: number;
  /** Cases run and facts checked (a passing check with checked 0 said nothing). */
  cases: number;
  checked: number;
  /** On failure: the shrunk case and what it broke. */
  counterexample?: PropertyCase;
  violations?: string[];
  /** fast-check's path to the counterexample (replay with `seed` and `path`). */
  path?: string;
  /** The scenario file written, if any. */
  file?: string;
  /** Commands that reproduce the failure. */
  replay?: { fastCheck: string; flatline: string };
  message: string;
}

/** The property failed; `report` has the counterexample, the replay commands and the file. */
export class PropertyCheckFailure extends Error {
  constructor(readonly report: CheckReport) {
    super(report.message);
    this.name = 'PropertyCheckFailure';
  }
}

/** Stops spending runs on shrinking once `budget` runs have followed the first failure. */
function shrinkBudget(budget: number): fc.Plugin<[PropertyCase]> {
  return () => {
    let failed = false;
    let spent = 0;
    return {
      decorateRun: (nested) => async (value) => {
        if (failed && ++spent > budget) return null;
        const out = await nested(value);
        if (out !== null) failed = true;
        return out;
      },
    };
  };
}

function counterexampleDir(option: string | false | undefined): string | undefined {
  if (option === false) return undefined;
  return option ?? process.env.FLATLINE_COUNTEREXAMPLES ?? DEFAULT_COUNTEREXAMPLE_DIR;
}

/** Writes the case as a scenario file headed by what it broke and how to replay it. */
export function counterexampleFile(property: FlatlineProperty, c: PropertyCase, dir: string): string {
  return join(dir, `${property.flatline.scenario(c).name}-seed${c.seed}.yaml`);
}

/** The flatline command that replays a counterexample file. */
export function replayCommand(property: FlatlineProperty, c: PropertyCase, file: string): string {
  const extra = property.flatline.replayExtra;
  return [
    `npx flatline run ${file} ${property.flatline.replayBackend} --seed ${c.seed}`,
    ...(extra ? [extra] : []),
  ].join(' ');
}

/**
 * Writes the case as a scenario file headed by `comment`, with `expect` (the violated facts as
 * expectations, so `flatline run` fails on it too). Returns the file's path.
 */
export async function writeCounterexample(
  property: FlatlineProperty,
  c: PropertyCase,
  dir: string,
  comment: string,
  expect: Scenario['expect'] = [],
): Promise<string> {
  const scenario = property.flatline.scenario(c, expect);
  await mkdir(dir, { recursive: true });
  const file = counterexampleFile(property, c, dir);
  // The editor's schema, relative to the file: the repository's, or the installed package's.
  const schemaPath = relative(resolve(dir), SCENARIO_SCHEMA_PATH);
  await writeFile(file, scenarioToYaml(scenario, { comment, schemaPath }));
  return file;
}

/** The report of a check that held (also how `flatline merge` joins the runs of a sharded check). */
export function heldReport(
  base: Pick<CheckReport, 'property' | 'subject' | 'seed' | 'numRuns' | 'numShrinks' | 'cases' | 'checked'>,
): CheckReport {
  return {
    ...base,
    passed: true,
    message: `flatline property ${base.property} held for subject "${base.subject}" over ${base.numRuns} case(s) (${base.checked} fact(s) checked, fast-check seed ${base.seed})`,
  };
}

/**
 * Runs the property over `numRuns` generated cases (fc.check), and on failure reports the shrunk
 * counterexample with the fast-check seed/path, the `flatline run` command and the scenario file.
 */
export async function checkProperty(
  property: FlatlineProperty,
  options: CheckOptions = {},
): Promise<CheckReport> {
  const info = property.flatline;
  if (!info) throw new TypeError('checkProperty: expected a property made by properties.<name>(subject)');
  const before = { ...info.tally };
  const params: fc.Parameters<[PropertyCase]> = {
    numRuns: options.numRuns ?? 20,
    endOnFailure: options.endOnFailure ?? false,
    plugins: [shrinkBudget(options.maxShrinkRuns ?? 150)],
  };
  if (options.seed !== undefined) params.seed = options.seed;
  if (options.path !== undefined) params.path = options.path;
  const details = await fc.check(property, params);
  const base = {
    property: info.name,
    subject: info.subject.name,
    seed: details.seed,
    numRuns: details.numRuns,
    numShrinks: details.numShrinks,
    cases: info.tally.cases - before.cases,
    checked: info.tally.checked - before.checked,
  };
  if (!details.failed) return heldReport(base);
  const c = details.counterexample?.[0];
  const err = details.errorInstance;
  const violations =
    err instanceof PropertyViolation ? err.violations : [err instanceof Error ? err.message : String(err)];
  const report: CheckReport = { ...base, passed: false, violations, message: '' };
  const lines = [
    `flatline property ${info.name} failed for subject "${info.subject.name}" (${info.summary})`,
    listViolations(violations),
  ];
  if (details.counterexample === null || c === undefined) {
    lines.push(
      details.interrupted
        ? '  (interrupted before a counterexample was found)'
        : '  (no counterexample: too many skipped cases)',
    );
  } else {
    report.counterexample = c;
    report.path = details.counterexamplePath;
    const fastCheck = `checkProperty(properties.${info.name}(subject), { seed: ${details.seed}, path: ${JSON.stringify(details.counterexamplePath)} })`;
    lines.push(
      `  case (after ${details.numShrinks} shrink(s)): ${describeCase(c)}`,
      `  replay with fast-check: ${fastCheck}`,
    );
    const dir = counterexampleDir(options.counterexamples);
    const file = dir === undefined ? `<${info.scenario(c).name}.yaml>` : counterexampleFile(property, c, dir);
    const flatline = replayCommand(property, c, file);
    if (dir !== undefined) {
      const comment = [
        `Counterexample found by flatline property ${info.name} for subject "${info.subject.name}":`,
        ...violations.slice(0, 8).map((v) => `- ${v}`),
        ...(violations.length > 8 ? [`… and ${violations.length - 8} more`] : []),
        `fast-check: seed ${details.seed}, path "${details.counterexamplePath}" (${details.numShrinks} shrinks)`,
        `replay: ${flatline}`,
      ].join('\n');
      const expect = err instanceof PropertyViolation ? err.expect : [];
      report.file = await writeCounterexample(property, c, dir, comment, expect);
    }
    lines.push(`  replay with flatline:   ${flatline}`);
    if (report.file) lines.push(`  counterexample written to ${report.file}`);
    report.replay = { fastCheck, flatline };
  }
  report.message = lines.join('\n');
  if (options.throwOnFailure ?? true) throw new PropertyCheckFailure(report);
  return report;
}
