/**
 * The real backend as parity runs it: the same Toxiproxy, the same sockets and timers, with two
 * differences from the simulator removed because they are not about the network.
 *
 * 1. Setup takes no scenario time. On the simulator, starting the server, creating the proxy and
 *    dialing the first connection cost zero virtual ms, so the first ping leaves at t = 0. On the
 *    real backend the same steps cost real time (an HTTP call to create the proxy, a listen, a dial;
 *    10–35 real ms measured on a busy 2-core machine, i.e. 1–3.5 scenario seconds at ×0.01), which
 *    shifts every ping against the fault timeline. Here the scenario clock stands still until the
 *    runner first lets time pass (its first runFor: everything before it is set-up), then runs at the
 *    backend's pace from where it stood. Fault onsets are then measured from the same instant the
 *    simulator measures them from.
 * 2. The subject's randomness is the simulator's. Each host's Runtime draws random() from the stream
 *    the simulator gives that host (`host:<name>` of the run's seed), so a reconnect backoff draws
 *    the same jitter on both backends whenever the attempts happen in the same order. What
 *    Toxiproxy itself randomizes (latency jitter, toxicity) stays random (TOXICS.md).
 *
 * Everything else — proxies, toxics, close() — is the wrapped backend's. Each call that changes a
 * proxy (a fault's onset or heal) is timed: on the real backend it is an HTTP request to Toxiproxy,
 * and the fault acts somewhere inside that window, so its length is part of the measurement's
 * uncertainty (parity adds it to the tolerance).
 */
import type { Runtime } from '../../impl/runtime.ts';
import type { Backend, FaultProxy, ProxySpec } from '../backend.ts';
import { RandomSource } from '../sim/rng.ts';

/** One proxy change and when it ran, in scenario ms of the aligned clock. */
export interface FaultCall {
  proxy: string;
  call: 'addToxic' | 'updateToxic' | 'removeToxic' | 'setEnabled' | 'remove';
  start: number;
  end: number;
}

export interface AlignedBackendOptions {
  /** The run's seed: the simulator's per-host random streams are derived from it. */
  seed: number;
}

/** A Backend that forwards to `inner` with set-up excluded from scenario time and seeded subjects. */
export class AlignedBackend implements Backend {
  readonly kind: Backend['kind'];
  readonly timeScale: number;
  readonly capabilities: Backend['capabilities'];
  private readonly random: RandomSource;
  private readonly runtimes = new Map<string, Runtime>();
  /** Every proxy change made through this backend. */
  readonly faultCalls: FaultCall[] = [];
  /** Scenario time shown while set-up runs; undefined until now() is first read. */
  private frozenAt: number | undefined;
  /** Real backend time − scenario time, fixed when the run proper begins. */
  private offset = 0;
  private running = false;

  constructor(
    readonly inner: Backend,
    options: AlignedBackendOptions,
  ) {
    if (!Number.isInteger(options.seed)) {
      throw new TypeError(`AlignedBackend: seed must be an integer, got ${String(options.seed)}`);
    }
    this.kind = inner.kind;
    this.timeScale = inner.timeScale;
    this.capabilities = inner.capabilities;
    this.random = new RandomSource(options.seed);
  }

  /** Scenario ms that set-up took on the wrapped backend (0 until the run proper begins). */
  get setupTime(): number {
    return this.offset;
  }

  runtime(host: string): Runtime {
    let runtime = this.runtimes.get(host);
    if (!runtime) {
      runtime = { ...this.inner.runtime(host), random: this.random.stream(`host:${host}`) };
      this.runtimes.set(host, runtime);
    }
    return runtime;
  }

  async createProxy(spec: ProxySpec): Promise<FaultProxy> {
    return this.timed(await this.inner.createProxy(spec));
  }

  /** Longest fault onset or heal (proxy change other than its removal), real ms; 0 when none. */
  get longestFaultCall(): number {
    return this.faultCalls
      .filter((c) => c.call !== 'remove')
      .reduce((m, c) => Math.max(m, (c.end - c.start) * this.timeScale), 0);
  }

  private timed(proxy: FaultProxy): FaultProxy {
    const time = async <T>(call: FaultCall['call'], work: () => Promise<T>): Promise<T> => {
      const start = this.now();
      try {
        return await work();
      } finally {
        this.faultCalls.push({ proxy: proxy.name, call, start, end: this.now() });
      }
    };
    return {
      get name() {
        return proxy.name;
      },
      get listen() {
        return proxy.listen;
      },
      get upstream() {
        return proxy.upstream;
      },
      get enabled() {
        return proxy.enabled;
      },
      addToxic: (toxic) => time('addToxic', () => proxy.addToxic(toxic)),
      updateToxic: (name, patch) => time('updateToxic', () => proxy.updateToxic(name, patch)),
      removeToxic: (name) => time('removeToxic', () => proxy.removeToxic(name)),
      listToxics: () => proxy.listToxics(),
      setEnabled: (enabled) => time('setEnabled', () => proxy.setEnabled(enabled)),
      remove: () => time('remove', () => proxy.remove()),
    } as FaultProxy;
  }

  now(): number {
    if (this.running) return this.inner.now() - this.offset;
    this.frozenAt ??= this.inner.now();
    return this.frozenAt;
  }

  runFor(ms: number): Promise<void> {
    this.begin();
    return this.inner.runFor(ms);
  }

  /** Set-up is over: from here scenario time advances with the wrapped backend's. */
  begin(): void {
    if (this.running) return;
    const real = this.inner.now();
    this.offset = real - (this.frozenAt ?? real);
    this.running = true;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
