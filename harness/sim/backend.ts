/**
 * The `sim` Backend (harness/backend.ts): a Simulation behind the same interface as the Toxiproxy
 * backend. Virtual time, so timeScale is 1 and runFor advances the clock instead of sleeping.
 */

import type { Runtime } from '../../impl/runtime.ts';
import type { Backend, FaultProxy, ProxySpec } from '../backend.ts';
import { createSimProxy } from './proxy/index.ts';
import { Simulation, type SimulationOptions } from './simulation.ts';

export interface SimBackendOptions {
  seed: number;
  retainTrace?: boolean;
  latency?: number;
  tcp?: SimulationOptions['tcp'];
}

/** The simulator backend; `sim` is there for tests and tools that look inside (the runner never does). */
export type SimBackend = Backend & { readonly sim: Simulation };

export function createSimBackend(opts: SimBackendOptions): SimBackend {
  const sim = new Simulation(opts);
  const proxies: FaultProxy[] = [];
  let closed = false;
  return {
    kind: 'sim',
    timeScale: 1,
    sim,
    runtime(host: string): Runtime {
      return sim.runtime(host);
    },
    async createProxy(spec: ProxySpec): Promise<FaultProxy> {
      const proxy = await createSimProxy(sim, spec);
      proxies.push(proxy);
      return proxy;
    },
    now: () => sim.now(),
    runFor: (ms: number) => sim.runFor(ms),
    capabilities: {
      virtualTime: {
        schedule(ms, fn) {
          const id = sim.clock.setTimeout(fn, ms);
          return () => sim.clock.clearTimeout(id);
        },
        runUntil: (done, limitMs) => sim.runUntil(done, limitMs),
        pendingTimers: () => sim.pendingTimers(),
        openSockets: (host) => sim.openSockets(host),
        processTimers: (host) => sim.host(host).process.timers.size,
        hostNames: () => sim.hostNames(),
      },
      hostFaults: sim.faults,
      hostProcesses: { run: (host, runtime, fn) => sim.onHost(host, fn, runtime) },
      links: { setLatency: (from, to, ms, opts) => sim.setLatency(from, to, ms, opts) },
      random: (component) => sim.random(component),
      traceHash: () => sim.trace.hash(),
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const p of proxies.splice(0)) {
        try {
          await p.remove();
        } catch {
          // Already removed by the scenario: nothing left to undo.
        }
      }
      await sim.close();
    },
  };
}
