/**
 * Scenario files named by a sweep (--scenario or the file's `scenarios:`), loaded with the scenario
 * loader. A selector that matches nothing is reported where it was written (the sweep file's line);
 * a problem inside a scenario file keeps that file's own line and column.
 */
import path from 'node:path';
import { ScenarioError, type ScenarioIssue } from '../scenario/errors.ts';
import { loadScenarios } from '../scenario/loader.ts';
import { SweepSpecError } from './errors.ts';
import type { SelectorRef } from './file.ts';
import type { FileScenario } from './scenarios.ts';

export async function loadScenarioSources(
  refs: readonly SelectorRef[],
  cwd = process.cwd(),
): Promise<FileScenario[]> {
  const out: FileScenario[] = [];
  const issues: ScenarioIssue[] = [];
  const shown = (ref: SelectorRef, file: string) => path.relative(cwd, path.resolve(ref.cwd, file)) || file;
  for (const ref of refs) {
    try {
      for (const { file, scenario } of await loadScenarios([ref.selector], { cwd: ref.cwd })) {
        out.push({ kind: 'file', file: shown(ref, file), scenario });
      }
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      for (const issue of e.issues) {
        if (issue.file === ref.selector && issue.line === undefined && ref.origin) {
          issues.push({ ...ref.origin, message: `${ref.selector}: ${issue.message}` });
        } else {
          issues.push({ ...issue, file: shown(ref, issue.file) });
        }
      }
    }
  }
  if (issues.length) throw new SweepSpecError(issues);
  // The same file named twice (a glob and its name) runs once.
  return out.filter((s, i) => out.findIndex((x) => x.file === s.file) === i);
}
