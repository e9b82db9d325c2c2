/**
 * What the library subjects share: loading a library that may not be installed (a clear error naming
 * it and how to install it), and relaying events to the harness. A library subject runs the library
 * unmodified, with its own documented heartbeat settings taken from the scenario config; it uses
 * Node's own modules (`usesNode`), so on the simulator the library's sockets, timers and clocks are
 * its host's (harness/process).
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:net';
import { join } from 'node:path';
import type { Address, SubjectEvent } from '../../backend.ts';
import { SubjectError } from '../errors.ts';

/** Resolves libraries from the user's project (the working directory), where they install them. */
const projectRequire = createRequire(join(process.cwd(), 'package.json'));
const ownRequire = createRequire(import.meta.url);
/** Module files the previous fresh load brought in: the next one loads its own copies. */
let lastLoaded = new Set<string>();

/**
 * Loads a CommonJS library afresh for one host's process, as a new process would: module-level
 * state (socket.io-client's manager cache, ws's pool of random mask bytes, id counters) belongs to
 * one process and must not carry from one run, or one host, into the next. ESM-only libraries
 * (aedes) are imported once per Node process; their module state is shared.
 */
export async function loadLibrary<T>(
  subject: string,
  name: string,
  format: 'cjs' | 'esm' = 'cjs',
): Promise<T> {
  try {
    if (format === 'esm') return (await import(name)) as T;
    const req = resolvable(projectRequire, name) ? projectRequire : ownRequire;
    for (const key of lastLoaded) delete req.cache[key];
    const before = new Set(Object.keys(req.cache));
    const mod = req(name) as T;
    lastLoaded = new Set(Object.keys(req.cache).filter((k) => !before.has(k)));
    return mod;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      if (!(e as Error).message.includes(name)) throw e;
      throw new SubjectError(
        `subject "${subject}" runs the library "${name}", which is not installed: npm i -D ${name}`,
      );
    }
    throw new SubjectError(`subject "${subject}": loading "${name}" failed: ${(e as Error).message}`);
  }
}

/** Keeps a handle's events until the harness listens, then relays them (none are lost before onEvent). */
export class EventRelay {
  private readonly seen: SubjectEvent[] = [];
  private listener: ((e: SubjectEvent) => void) | undefined;

  emit(e: SubjectEvent): void {
    if (this.listener) this.listener(e);
    else this.seen.push(e);
  }

  onEvent = (listener: (e: SubjectEvent) => void): void => {
    this.listener = listener;
    for (const e of this.seen.splice(0)) listener(e);
  };
}

function resolvable(req: NodeJS.Require, name: string): boolean {
  try {
    req.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Listens on the address the harness gives, and resolves to the one actually bound (port 0 resolved). */
export function listenOn(server: Server, address: Address): Promise<Address> {
  return new Promise<Address>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      const bound = server.address();
      resolve({ host: address.host, port: typeof bound === 'object' && bound ? bound.port : address.port });
    });
  });
}
