/**
 * writeReport: renders by the file's extension and writes it, creating parent directories.
 *   .html / .htm → renderRunHtml or renderSweepHtml (by the input's shape)
 *   .xml         → renderJunit (runs: a suite per result; a sweep: a suite per configuration)
 *   .json        → renderJson
 *   .md          → renderMarkdown
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import type { ScenarioResult, SweepResult } from '../harness/result.ts';
import { ReportError } from './errors.ts';
import type { ReportMeta } from './html/page.ts';
import { renderRunHtml } from './html/run.ts';
import { renderSweepHtml } from './html/sweep.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import { isSweepResult } from './validate.ts';

export type ReportFormat = 'html' | 'junit' | 'json' | 'markdown';

export function formatFor(path: string): ReportFormat {
  const ext = extname(path).toLowerCase();
  switch (ext) {
    case '.html':
    case '.htm':
      return 'html';
    case '.xml':
      return 'junit';
    case '.json':
      return 'json';
    case '.md':
    case '.markdown':
      return 'markdown';
    default:
      throw new ReportError(
        'unknown-format',
        `cannot tell the report format of '${path}' from its extension '${ext}': use .html, .xml (JUnit), .json or .md`,
      );
  }
}

export async function renderReport(
  format: ReportFormat,
  input: ScenarioResult[] | SweepResult,
  meta: ReportMeta = {},
): Promise<string> {
  const sweep = isSweepResult(input);
  switch (format) {
    case 'html':
      return sweep ? renderSweepHtml(input, meta) : renderRunHtml(input, meta);
    case 'junit':
      return renderJunit(input, meta.title);
    case 'json':
      return renderJson(input);
    case 'markdown':
      return renderMarkdown(input, meta.title === undefined ? {} : { title: meta.title });
  }
}

/** Renders `input` in the format `path`'s extension names and writes it; returns the format. */
export async function writeReport(
  path: string,
  input: ScenarioResult[] | SweepResult,
  meta: ReportMeta = {},
): Promise<ReportFormat> {
  const format = formatFor(path);
  const text = await renderReport(format, input, meta);
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text, 'utf8');
  } catch (err) {
    throw new ReportError(
      'write-failed',
      `could not write the ${format} report to '${path}': ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return format;
}
