/**
 * The Runtime a process on a simulated host gets (impl/runtime.ts): the host's `net`, timers on the
 * run's clock that belong to the process (frozen while it is paused, gone when it crashes), the
 * host's skewed now(), the host's share of the seeded generator, and a logger.
 */
import type { Logger, LogRecord, Runtime, TimerHandle } from '../../impl/runtime.ts';
import type { SimContext } from './context.ts';
import type { SimHost } from './host.ts';
import { createSimNet, type SimNet } from './net.ts';
import { nodeTimerDelay, SimTimer } from './process.ts';

export interface SimRuntime extends Runtime {
  readonly net: SimNet;
  readonly host: string;
}

function asTimer(h: TimerHandle | undefined): SimTimer | null {
  return (h as unknown) instanceof SimTimer ? (h as unknown as SimTimer) : null;
}

function validateCallback(cb: unknown): asserts cb is () => void {
  if (typeof cb !== 'function') {
    const e = new TypeError(`The "callback" argument must be of type function. Received ${typeof cb}`);
    Object.defineProperty(e, 'code', { value: 'ERR_INVALID_ARG_TYPE', enumerable: true });
    throw e;
  }
}

export function createSimRuntime(
  ctx: SimContext,
  host: SimHost,
  random: () => number,
  logger: Logger,
): SimRuntime {
  const proc = host.process;
  return {
    host: host.name,
    net: createSimNet(ctx, host, proc),
    setTimeout(callback, ms) {
      validateCallback(callback);
      return new SimTimer(proc, callback, nodeTimerDelay(ms), false).start() as unknown as TimerHandle;
    },
    clearTimeout(handle) {
      asTimer(handle)?.cancel();
    },
    setInterval(callback, ms) {
      validateCallback(callback);
      return new SimTimer(proc, callback, nodeTimerDelay(ms), true).start() as unknown as TimerHandle;
    },
    clearInterval(handle) {
      asTimer(handle)?.cancel();
    },
    now: () => ctx.sched.now() + host.skew,
    random,
    logger,
  };
}

/** Keeps a host's log records (retrievable through Simulation.logs). */
export function recordingLogger(records: LogRecord[] | null): Logger {
  return {
    log(record) {
      records?.push(record);
    },
  };
}
