/** The report flags shared by run, replay, sweep and report: --report, --junit, --markdown. */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type ReportFormat, renderReport } from '../../reports/index.ts';
import type { ScenarioResult, SweepResult } from '../result.ts';

export interface ReportFlags {
  report?: string;
  junit?: string;
  markdown?: string;
}

export async function writeReports(
  input: ScenarioResult[] | SweepResult,
  flags: ReportFlags,
  command: string,
): Promise<void> {
  const meta = { command, generatedAt: new Date().toISOString() };
  const wanted: [string | undefined, ReportFormat][] = [
    [flags.report, 'html'],
    [flags.junit, 'junit'],
    [flags.markdown, 'markdown'],
  ];
  for (const [path, format] of wanted) {
    if (!path) continue;
    const text = await renderReport(format, input, meta);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
    process.stderr.write(`wrote ${path}\n`);
  }
}
