/**
 * The one error a scenario problem surfaces as, from a YAML file or the builder: it says where (file,
 * line, column, path — or the builder call) and what was expected, for every problem found, not just
 * the first.
 */

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

/** `scenarios/x.yaml:12:7: faults[1].fault.type: expected one of …` */
export function formatIssue(issue: ScenarioIssue): string {
  const where =
    issue.line === undefined
      ? issue.file
      : `${issue.file}:${issue.line}${issue.column === undefined ? '' : `:${issue.column}`}`;
  const call = issue.call ? ` ${issue.call}` : '';
  const path = issue.path ? ` ${issue.path}:` : '';
  return `${where}${call}:${path} ${issue.message}`;
}

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
    super(issues.map(formatIssue).join('\n'));
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
    super(`scenario "${scenario}": ${message}`, options);
    this.name = 'RunError';
  }
}
