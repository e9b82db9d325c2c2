/**
 * Reads a subject file with positions: every problem is reported as FILE:LINE:COLUMN, its path in
 * the file and what was expected, all at once, in one SubjectError (exit 2).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { formatPath, friendlyIssues } from '../scenario/issues.ts';
import { parseYamlSource, unreadable } from '../scenario/loader.ts';
import { SubjectError } from '../subjects/errors.ts';
import { type SubjectFile, subjectFileSchema } from './schema.ts';

export interface LoadedSubjectFile {
  /** The path as given (for messages and replay commands). */
  file: string;
  /** Its directory, absolute: cwd and command paths are relative to it. */
  dir: string;
  spec: SubjectFile;
}

export function parseSubjectFile(text: string, file: string): LoadedSubjectFile {
  const source = parseYamlSource(text, file);
  const lines = (
    issues: { line?: number | undefined; column?: number | undefined; path: string; message: string }[],
  ) =>
    issues.map((i) => `  ${file}:${i.line ?? 1}:${i.column ?? 1}${i.path ? ` ${i.path}` : ''}: ${i.message}`);
  if (source.issues.length) {
    throw new SubjectError(`subject file ${file} is not valid YAML:\n${lines(source.issues).join('\n')}`);
  }
  if (source.value === null || source.value === undefined) {
    throw new SubjectError(
      `subject file ${file} is empty: it needs at least name, time, server and client (docs/external-subjects.md)`,
    );
  }
  const parsed = subjectFileSchema.safeParse(source.value, { reportInput: true });
  if (!parsed.success) {
    const raw = parsed.error.issues.map((zi) => ({
      path: zi.path as (string | number)[],
      message: zi.message,
      zod: zi,
    }));
    const issues = friendlyIssues(raw, source.value, subjectFileSchema)
      .map((i) => ({ ...source.locate(i.path, i.atKey), path: formatPath(i.path), message: i.message }))
      .sort((a, b) => a.line - b.line || a.column - b.column);
    throw new SubjectError(
      `subject file ${file} has ${issues.length === 1 ? 'a problem' : `${issues.length} problems`}:\n${lines(issues).join('\n')}`,
    );
  }
  return { file, dir: path.resolve(path.dirname(file)), spec: parsed.data };
}

export async function loadSubjectFile(file: string): Promise<LoadedSubjectFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new SubjectError(`--subject ${file}: cannot read the subject file: ${unreadable(e)}`);
  }
  return parseSubjectFile(text, file);
}
