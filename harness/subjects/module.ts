/**
 * `--subject ./my-subject.ts`: a user's implementation, loaded as a module that exports a Subject
 * (default export, or a named `subject`). TypeScript goes through tsx: the bin registers it when it
 * runs from flatline's sources; the compiled package registers it here, the first time a .ts module
 * is asked for, so a run without one never pays for it.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Subject } from '../backend.ts';
import { SubjectError } from './errors.ts';

const TYPESCRIPT = Symbol.for('flatline.typescript');
const TS_FILE = /\.[cm]?tsx?$/;

async function importModule(url: string): Promise<Record<string, unknown>> {
  const global = globalThis as { [TYPESCRIPT]?: boolean };
  if (TS_FILE.test(url) && !global[TYPESCRIPT]) {
    const { register } = await import('tsx/esm/api');
    register();
    global[TYPESCRIPT] = true;
  }
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    // A .ts file outside a "type": "module" package is CommonJS to Node, and the ESM-only loader the
    // bin registers cannot load it (ERR_REQUIRE_CYCLE_MODULE); tsx's tsImport compiles it either way.
    if ((e as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_CYCLE_MODULE') throw e;
    const { tsImport } = await import('tsx/esm/api');
    return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
  }
}

const isSubject = (x: unknown): boolean =>
  typeof (x as Record<string, unknown> | undefined)?.startServer === 'function' &&
  typeof (x as Record<string, unknown> | undefined)?.startClient === 'function';

export async function loadModuleSubject(path: string): Promise<Subject<never>> {
  const url = pathToFileURL(resolve(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(url);
  } catch (e) {
    throw new SubjectError(`--subject ${path}: cannot load the module: ${(e as Error).message}`);
  }
  let candidate = (mod.subject ?? mod.default) as Record<string, unknown> | undefined;
  // Loaded as CommonJS, the default export is module.exports: the ES exports sit one level down.
  if (!isSubject(candidate) && candidate && typeof candidate === 'object') {
    const inner = candidate.subject ?? candidate.default;
    if (isSubject(inner)) candidate = inner as Record<string, unknown>;
  }
  const missing = ['startServer', 'startClient'].filter((k) => typeof candidate?.[k] !== 'function');
  if (!candidate || missing.length) {
    throw new SubjectError(
      `--subject ${path}: expected a Subject as the default export or as "subject" ` +
        `(an object with name, startServer(runtime, address, config) and startClient(runtime, target, config)); missing ${missing.join(', ') || 'the export'}`,
    );
  }
  const user = candidate as unknown as Subject<unknown>;
  // A handle without close() would surface later as a TypeError deep in the runner's teardown.
  const checked = <T>(what: string, handle: T, needs: string): T => {
    const h = handle as Record<string, unknown> | undefined;
    if (typeof h?.close !== 'function' || (what === 'startServer' && typeof h.address !== 'object')) {
      throw new SubjectError(`--subject ${path}: ${what} must resolve to ${needs}, got ${typeof handle}`);
    }
    return handle;
  };
  return {
    name: typeof candidate.name === 'string' ? candidate.name : path,
    ...(candidate.usesNode === true ? { usesNode: true } : {}),
    ...(candidate.pinger === 'server' || candidate.pinger === 'client' ? { pinger: candidate.pinger } : {}),
    startServer: async (runtime, address, config) =>
      checked('startServer', await user.startServer(runtime, address, config), '{ address, close() }'),
    startClient: async (runtime, target, config) =>
      checked('startClient', await user.startClient(runtime, target, config), '{ close() }'),
  } as Subject<never>;
}
