/**
 * `--subject ./my-subject.ts`: a user's implementation, loaded as a module that exports a Subject
 * (default export, or a named `subject`). TypeScript works because the bin registers tsx.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Subject } from '../backend.ts';
import { UsageError } from './exit.ts';

export async function loadSubject(path: string): Promise<Subject<never>> {
  const url = pathToFileURL(resolve(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--subject ${path}: cannot load the module: ${(e as Error).message}`);
  }
  const candidate = (mod.subject ?? mod.default) as Partial<Subject<never>> | undefined;
  const missing = ['startServer', 'startClient'].filter(
    (k) => typeof (candidate as Record<string, unknown> | undefined)?.[k] !== 'function',
  );
  if (!candidate || missing.length) {
    throw new UsageError(
      `--subject ${path}: expected a Subject as the default export or as "subject" ` +
        `(an object with name, startServer(runtime, address, config) and startClient(runtime, target, config)); missing ${missing.join(', ') || 'the export'}`,
    );
  }
  return { name: candidate.name ?? path, ...candidate } as Subject<never>;
}
