/**
 * The one place a Backend is made: `run`, `sweep`, parity, `check` and the runner all come here, so a
 * backend is configured the same way whichever command asks for it. The real backend's modules load
 * only when it is asked for (a simulator run never pays for them).
 */
import type { Backend } from './backend.ts';
import type { BackendKind } from './model/index.ts';
import type { SimBackend } from './sim/backend.ts';
import type { ToxiproxyServer } from './toxiproxy/launcher.ts';

export interface BackendOptions {
  /** Seed of the simulator's random streams (sim). */
  seed?: number;
  /** Keep every simulator trace event, not only the hash (sim; default false). */
  retainTrace?: boolean;
  /** Real ms per scenario ms (toxiproxy; default 0.01). */
  timeScale?: number;
  /** A running Toxiproxy to use (toxiproxy); without it the backend starts and stops its own. */
  server?: ToxiproxyServer;
}

export const DEFAULT_TIME_SCALE = 0.01;

export async function createBackend(kind: 'sim', o?: BackendOptions): Promise<SimBackend>;
export async function createBackend(kind: BackendKind, o?: BackendOptions): Promise<Backend>;
export async function createBackend(kind: BackendKind, o: BackendOptions = {}): Promise<Backend> {
  if (kind === 'sim') {
    const { createSimBackend } = await import('./sim/backend.ts');
    return createSimBackend({ seed: o.seed ?? 1, retainTrace: o.retainTrace ?? false });
  }
  const { createToxiproxyBackend } = await import('./toxiproxy/backend.ts');
  return createToxiproxyBackend({
    timeScale: o.timeScale ?? DEFAULT_TIME_SCALE,
    ...(o.server ? { server: o.server } : {}),
  });
}
