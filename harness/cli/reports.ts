/** The report flags shared by run, replay, sweep and report: --report, --junit, --markdown. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ScenarioResult, SweepResult } from '../result.ts';

export interface ReportFlags {
  report?: string;
  junit?: string;
  markdown?: string;
}

/**
 * Results as `--json` prints them. JSON has no ±Infinity or NaN (an open bound would become null and
 * fail re-rendering), so they are written as strings, as reports/json.ts does.
 */
export function stringifyResults(results: ScenarioResult[] | SweepResult): string {
  return `${JSON.stringify(
    results,
    (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value),
    2,
  )}\n`;
}

const NON_FINITE: Readonly<Record<string, number>> = {
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
  NaN: Number.NaN,
};

/** The inverse of stringifyResults (and of reports/json.ts): "Infinity" and friends become numbers again. */
export function parseResultsJson(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) =>
    typeof value === 'string' && value in NON_FINITE ? NON_FINITE[value] : value,
  );
}

/**
 * When reports say they were made: now, or SOURCE_DATE_EPOCH (whole seconds since 1970, the
 * reproducible-builds convention) when it is set, so that two runs — or a `flatline merge` and the
 * unsharded run — write byte-identical reports.
 */
export function generatedAt(env: NodeJS.ProcessEnv = process.env): string {
  const epoch = env.SOURCE_DATE_EPOCH?.trim();
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return new Date().toISOString();
}

export async function writeReports(
  input: ScenarioResult[] | SweepResult,
  flags: ReportFlags,
  command: string,
  /** Why these results are not all the command would have produced (an interrupted run). */
  incomplete?: string,
): Promise<void> {
  const wanted = [
    [flags.report, 'html'],
    [flags.junit, 'junit'],
    [flags.markdown, 'markdown'],
  ] as const;
  if (!wanted.some(([path]) => path)) return;
  // Loaded only when a report is asked for: the HTML renderer brings vega, seconds of start-up.
  const { renderReport } = await import('../../reports/index.ts');
  const meta = {
    command,
    generatedAt: generatedAt(),
    ...(incomplete ? { title: `flatline — INCOMPLETE: ${incomplete}` } : {}),
  };
  for (const [path, format] of wanted) {
    if (!path) continue;
    const text = await renderReport(format, input, meta);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    process.stderr.write(`wrote ${path}\n`);
  }
}
