/**
 * From what the user wrote — a sweep file, flags, or both (flags win field by field) — to a
 * resolved SweepSpec. Problems in the file and in the flags are reported together.
 */
import path from 'node:path';
import type { ScenarioIssue } from '../scenario/errors.ts';
import { SweepSpecError } from './errors.ts';
import { type FileParts, loadSweepFile, type SelectorRef } from './file.ts';
import { type FlagParts, parseFlags, type SweepFlags } from './flags.ts';
import { loadScenarioSources } from './sources.ts';
import { mergeParts, resolveSpec, type SweepSpec } from './sweep-spec.ts';

export interface BuildSpecInput {
  /** The sweep file, if one was given. */
  file?: string;
  flags?: SweepFlags;
  /** Base of --scenario paths (default the working directory). */
  cwd?: string;
}

export async function buildSpec(input: BuildSpecInput): Promise<SweepSpec> {
  const cwd = input.cwd ?? process.cwd();
  const issues: ScenarioIssue[] = [];
  let fromFile: FileParts | undefined;
  let fromFlags: FlagParts | undefined;
  if (input.file !== undefined) {
    try {
      fromFile = await loadSweepFile(input.file);
    } catch (e) {
      if (!(e instanceof SweepSpecError)) throw e;
      issues.push(...e.issues);
    }
  }
  try {
    fromFlags = parseFlags(input.flags ?? {});
  } catch (e) {
    if (!(e instanceof SweepSpecError)) throw e;
    issues.push(...e.issues);
  }
  if (issues.length || !fromFlags) throw new SweepSpecError(issues);
  const selectors: SelectorRef[] = fromFlags.scenarioSelectors.length
    ? fromFlags.scenarioSelectors.map((selector) => ({ selector, cwd }))
    : (fromFile?.scenarioSelectors ?? []);
  const parts = mergeParts(fromFile?.parts ?? {}, fromFlags.parts);
  if (selectors.length) parts.scenarios = await loadScenarioSources(selectors, cwd);
  if (parts.name === undefined && input.file !== undefined) {
    parts.name = path.basename(input.file).replace(/\.ya?ml$/i, '');
  }
  return resolveSpec(parts);
}
