/**
 * The one error a scenario problem surfaces as, from a YAML file or the builder: it says where (file,
 * line, column, path — or the builder call) and what was expected, for every problem found, not just
 * the first.
 */

import { printable, quote } from './text.ts';

export interface ScenarioIssue {
  /** The file as given, or `scenario('name')` for the builder. */
  file: string;
  /** 1-based; undefined when the problem has no place in a file (builder, unreadable file). */
  line?: number;
  column?: number;
  /** Where in the scenario: faults[1].fault.type; '' for the whole document. */
  path: string;
  message: string;
  /** The builder call that supplied the value, e.g. `.fault() #2`. */
  call?: string;
}

/**
 * `scenarios/x.yaml:12:7: faults[1].fault.type: expected one of …`. Whatever came from outside (the
 * file name, values quoted in the message) is printed with control, invisible and bidi characters
 * escaped, and each part cut to a length a terminal can show.
 */
export function formatIssue(issue: ScenarioIssue): string {
  const file = printable(issue.file, 200);
  const where =
    issue.line === undefined
      ? file
      : `${file}:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}`;
  const call = issue.call ? ` ${printable(issue.call, 200)}` : '';
  const path = issue.path ? ` ${printable(issue.path, 200)}:` : '';
  return `${where}${call}:${path} ${printable(issue.message, MAX_MESSAGE)}`;
}

/** Characters of one issue's message (the longest real ones list the keys a mapping accepts). */
const MAX_MESSAGE = 600;
/** Issues one error lists, whoever made it (the loader lists fewer per file). */
const MAX_ISSUES = 100;

export class ScenarioError extends Error {
  /** Every problem found, in file order. The fields below repeat the first one. */
  readonly issues: readonly ScenarioIssue[];
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly path: string;
  readonly detail: string;

  constructor(issues: readonly ScenarioIssue[]) {
    if (issues.length === 0) throw new TypeError('ScenarioError needs at least one issue');
    const listed =
      issues.length > MAX_ISSUES
        ? [
            ...issues.slice(0, MAX_ISSUES),
            { file: issues[0]!.file, path: '', message: `… and ${issues.length - MAX_ISSUES} more problems` },
          ]
        : issues;
    super(listed.map(formatIssue).join('\n'));
    this.name = 'ScenarioError';
    const first = issues[0]!;
    this.issues = issues;
    this.file = first.file;
    this.line = first.line;
    this.column = first.column;
    this.path = first.path;
    this.detail = first.message;
  }
}

/** Raised for a scenario the runner cannot run as asked (wrong backend, unknown subject, unsupported fault). */
export class RunError extends Error {
  constructor(
    readonly scenario: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`scenario ${quote(scenario)}: ${message}`, options);
    this.name = 'RunError';
  }
}
