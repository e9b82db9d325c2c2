/**
 * Whether the real-network suites run, in one place:
 * - TOXIPROXY_URL set, or toxiproxy-server in tools/bin or on PATH: they run.
 * - Neither, with CI set (CI=true): they run anyway and fail, saying how to get Toxiproxy — CI must
 *   never pass by skipping.
 * - Neither, outside CI: they are skipped, with one loud console.warn per test process.
 *
 * Each test file gets its own Toxiproxy (launched in beforeAll on a free port, stopped in afterAll):
 * files run in parallel forks, and a private server means no shared state (a POST /reset, a crash, a
 * disabled proxy) can leak between files, with no lock files or cross-process coordination. A launch
 * costs ~0.2 s. With TOXIPROXY_URL every file shares that one server, which is safe because every
 * proxy name carries the pid and a counter, and cleanup removes only the proxies a file created.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import {
  createToxiproxyBackend,
  type ToxiproxyBackend,
  type ToxiproxyBackendOptions,
} from '../../harness/toxiproxy/backend.ts';
import { ToxiproxyClient } from '../../harness/toxiproxy/client.ts';
import {
  findToxiproxyBinary,
  HOW_TO_GET_TOXIPROXY,
  startToxiproxy,
  type ToxiproxyServer,
} from '../../harness/toxiproxy/launcher.ts';

export const inCI = ((): boolean => {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci !== '' && ci !== 'false' && ci !== '0';
})();

export interface Availability {
  /** The suites run (possibly to fail, in CI). */
  run: boolean;
  /** Where Toxiproxy comes from; undefined when there is none. */
  source: 'url' | 'binary' | undefined;
  /** A launchable binary, for tests that must start their own server even when TOXIPROXY_URL is set. */
  binary: string | undefined;
  /** Why Toxiproxy is missing, with what to do. */
  missing: string | undefined;
}

function detect(): Availability {
  const binary = findToxiproxyBinary();
  const url = process.env.TOXIPROXY_URL;
  const source = url ? 'url' : binary ? 'binary' : undefined;
  return {
    run: source !== undefined || inCI,
    source,
    binary,
    missing:
      source === undefined
        ? `Toxiproxy not found (no TOXIPROXY_URL, no toxiproxy-server in tools/bin or on PATH): ${HOW_TO_GET_TOXIPROXY}`
        : undefined,
  };
}

export const availability = detect();

let warned = false;
function warnSkipped(): void {
  if (warned) return;
  warned = true;
  console.warn(
    `\n⚠️  SKIPPING real-network Toxiproxy tests: ${availability.missing} (with CI=true they fail instead)\n`,
  );
}

/** `describe` for suites that need Toxiproxy (any source). */
export function describeToxiproxy(name: string, body: () => void): void {
  if (availability.run) {
    describe(name, body);
  } else {
    warnSkipped();
    describe.skip(name, body);
  }
}

/** `describe` for suites that launch toxiproxy-server themselves, so need the binary. */
export function describeWithBinary(name: string, body: () => void): void {
  if (availability.binary !== undefined || inCI) {
    describe(name, body);
  } else {
    warnSkipped();
    describe.skip(name, body);
  }
}

/** The binary, or the error CI should show when it is missing. */
export function requireBinary(): string {
  if (availability.binary === undefined) {
    throw new Error(
      `toxiproxy-server is required here (CI=${process.env.CI ?? ''}): ${HOW_TO_GET_TOXIPROXY}`,
    );
  }
  return availability.binary;
}

async function requireServer(): Promise<ToxiproxyServer> {
  if (availability.source === undefined) {
    throw new Error(`Toxiproxy is required when CI is set, but: ${availability.missing}`);
  }
  return startToxiproxy();
}

/** One Toxiproxy for this file: started before its tests, stopped after (if launched). */
export function useToxiproxyServer(): () => ToxiproxyServer {
  let server: ToxiproxyServer | undefined;
  beforeAll(async () => {
    server = await requireServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  return () => {
    if (!server) throw new Error('Toxiproxy is not running (its beforeAll failed)');
    return server;
  };
}

/** A typed client on this file's Toxiproxy; proxies it created are removed after each test. */
export function useToxiproxyClient(getServer: () => ToxiproxyServer): () => ToxiproxyClient {
  let client: ToxiproxyClient | undefined;
  afterEach(async () => {
    await client?.removeCreatedProxies();
  });
  return () => {
    client ??= new ToxiproxyClient({ url: getServer().url });
    return client;
  };
}

/** A toxiproxy Backend on this file's Toxiproxy; its proxies are removed after each test. */
export function useToxiproxyBackend(
  getServer: () => ToxiproxyServer,
  options: Omit<ToxiproxyBackendOptions, 'server' | 'url'> = {},
): () => ToxiproxyBackend {
  let backend: ToxiproxyBackend | undefined;
  beforeAll(async () => {
    backend = await createToxiproxyBackend({ ...options, server: getServer() });
  });
  afterEach(async () => {
    await backend?.removeProxies();
  });
  afterAll(async () => {
    await backend?.close();
  });
  return () => {
    if (!backend) throw new Error('the toxiproxy backend was not created (its beforeAll failed)');
    return backend;
  };
}

/** Whether a process exists and is not a zombie (a zombie has exited; only its entry is left). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Linux: the state letter follows the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<number> {
  const start = performance.now();
  while (!condition()) {
    if (performance.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return performance.now() - start;
}
