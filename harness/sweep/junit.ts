/**
 * Sweep JUnit is rendered by reports/junit.ts: renderJunit takes a SweepResult as well as runs, and
 * writeReport / renderReport('junit', sweep) use it. This alias is left only because
 * harness/cli/sweep.ts still imports it; once the CLI passes --junit to writeReports like the other
 * report flags, delete this file.
 */
export { renderJunit as renderSweepJunit } from '../../reports/junit.ts';
