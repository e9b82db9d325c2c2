/**
 * Which host the running code belongs to. A host process is the application process of one host
 * seen through Node's own modules and globals: `node:net`, `node:http`, timers, Date, performance,
 * hrtime, Math.random and crypto's randomness all answer for that host while its code runs, so an
 * unmodified library (socket.io, mqtt.js, aedes…) runs on a backend's host as it would on a machine:
 * on the simulator, on virtual time and the simulated network; on the real backend, on loopback
 * with every duration scaled.
 *
 * The host travels with the code through every async continuation (AsyncLocalStorage). The runner
 * enters it when it starts or stops a subject, the simulator at each of its own entry points (a timer
 * firing, a socket event, an accept: HostProcess.scope), and promises, nextTick and real
 * setImmediate carry it on from there.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Runtime } from '../../impl/runtime.ts';

export interface HostProcessView {
  /** The host's name (`client-2`, `server`). */
  readonly host: string;
  /**
   * A simulated host: its network is the simulator's, so nothing may reach the real one. On the
   * real backend (false) the host's sockets are real loopback ones, and only time, randomness and
   * observation are the harness's.
   */
  readonly simulated: boolean;
  /** The host's net (observed by the harness), timers, wall clock and seeded randomness. */
  runtime: Runtime;
  /** Monotonic milliseconds (performance.now, hrtime): the backend's clock, never skewed. */
  monotonic(): number;
  /** The address a host name resolves to from here, or undefined for a name the backend lacks. */
  lookup(name: string): string | undefined;
  /** Runs `fn` when the process can (at once; a paused process at resume; a dead one never). */
  run(fn: () => void): void;
}

const storage = new AsyncLocalStorage<HostProcessView>();

/** The host process whose code is running now, if any. */
export function currentProcess(): HostProcessView | undefined {
  return storage.getStore();
}

/** Runs `fn` (and everything it starts) as code of `p`. */
export function runIn<T>(p: HostProcessView, fn: () => T): T {
  return storage.run(p, fn);
}
