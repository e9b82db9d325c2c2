/**
 * The one error a bad sweep specification surfaces as, from a flag or a sweep file: every problem
 * found, each with where it is (file:line:column and the path inside the file, or the flag) and what
 * was expected. It is a ScenarioError so the CLI maps it to exit code 2 like any other bad input.
 */
import { ScenarioError, type ScenarioIssue } from '../scenario/errors.ts';

/** The "file" of a problem found in a command-line flag. */
export const COMMAND_LINE = 'command line';

export class SweepSpecError extends ScenarioError {
  override name = 'SweepSpecError';
}

/** A problem with one flag, e.g. `flagError('--interval', 'invalid duration "5x"')`. */
export function flagError(flag: string, message: string): SweepSpecError {
  return new SweepSpecError([{ file: COMMAND_LINE, path: flag, message }]);
}

export function specError(issues: ScenarioIssue[]): SweepSpecError {
  return new SweepSpecError(issues);
}

/**
 * A problem found while reading one value, before it is known where the value came from; `index`
 * names the list item at fault when the value was a list.
 */
export class ValueError extends Error {
  override name = 'ValueError';
  constructor(
    message: string,
    readonly index?: number,
  ) {
    super(message);
  }
}
