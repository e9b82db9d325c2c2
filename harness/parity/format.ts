/**
 * Parity rows as text: a fixed-width table (field, sim, toxiproxy, tolerance) for terminals and test
 * failures, and a one-line summary per scenario.
 */
import type { ParityRow } from '../result.ts';
import type { ParityRun } from './run.ts';

const COLUMNS = ['field', 'sim', 'toxiproxy', 'tolerance'] as const;
const MAX_WIDTH = { field: 48, sim: 40, toxiproxy: 40, tolerance: 90 } as const;

function cell(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat.padEnd(width);
}

/** A table of `rows` (all of them; pass a filtered list for a diff). */
export function formatParityTable(rows: readonly ParityRow[], options: { mark?: boolean } = {}): string {
  if (rows.length === 0) return '(no rows)';
  const width = Object.fromEntries(
    COLUMNS.map((c) => [
      c,
      Math.min(MAX_WIDTH[c], Math.max(c.length, ...rows.map((r) => r[c].replace(/\s+/g, ' ').length))),
    ]),
  ) as Record<(typeof COLUMNS)[number], number>;
  const mark = options.mark ?? false;
  const line = (values: Record<(typeof COLUMNS)[number], string>, flag: string) =>
    `${mark ? `${flag} ` : ''}${COLUMNS.map((c) => cell(values[c], width[c])).join(' │ ')}`.trimEnd();
  const header = line({ field: 'field', sim: 'sim', toxiproxy: 'toxiproxy', tolerance: 'tolerance' }, ' ');
  const rule = `${mark ? '  ' : ''}${COLUMNS.map((c) => '─'.repeat(width[c])).join('─┼─')}`;
  return [header, rule, ...rows.map((r) => line(r, r.agree ? ' ' : '✗'))].join('\n');
}

/** The rows that disagree, as a table headed by a count; empty string when everything agrees. */
export function formatParityDiff(rows: readonly ParityRow[]): string {
  const bad = rows.filter((r) => !r.agree);
  if (bad.length === 0) return '';
  const scenarios = [...new Set(bad.map((r) => r.scenario))];
  return [
    `${scenarios.join(', ')}: ${bad.length} of ${rows.length} parity row(s) disagree between sim and toxiproxy`,
    formatParityTable(bad),
  ].join('\n');
}

/** "parity-blackhole-both: agree (23 rows, ×0.01, seed 7)" or the diff. */
export function formatParityRun(run: ParityRun): string {
  const head = `${run.scenario}: ${run.agree ? 'agree' : 'DISAGREE'} (${run.rows.length} rows, toxiproxy ×${run.timeScale} — ${run.timeScaleWhy}; seed ${run.seed})`;
  return run.agree ? head : `${head}\n${formatParityDiff(run.rows)}`;
}
