/**
 * A Simulation: one seed, one fake clock, hosts by name, the wire between them, the trace, and the
 * faults. Everything a run does happens on its clock; `runFor` moves it.
 */
import type FakeTimers from '@sinonjs/fake-timers';
import type { Logger, LogRecord, Runtime } from '../../impl/runtime.ts';
import { type HostProcessView, runIn } from '../process/context.ts';
import { Scheduler } from './clock.ts';
import { type SimContext, type TcpParams, tcpParams } from './context.ts';
import { Driver } from './driver.ts';
import { SimError } from './errors.ts';
import {
  type Convention,
  checkDelay,
  Loss,
  type LossHandle,
  type LossOptions,
  Nat,
  type NatHandle,
  type NatOptions,
  Partition,
  type PartitionHandle,
  type PartitionOptions,
} from './faults.ts';
import { SimHost } from './host.ts';
import { RandomSource } from './rng.ts';
import { createSimRuntime, recordingLogger, type SimRuntime } from './runtime.ts';
import type { Endpoint } from './tcp.ts';
import { Trace, type TraceEvent, type TraceEventInput } from './trace.ts';
import { Wire } from './wire.ts';
import '../process/install.ts';
import type { HostProcess } from './process.ts';

export interface SimulationOptions {
  seed: number;
  /** Keep every trace event in memory (default true). False keeps only the running hash. */
  retainTrace?: boolean;
  /** Default one-way latency between two different hosts, ms (default 0). */
  latency?: number;
  /** Kernel TCP settings (buffer sizes, RTO bounds…); Linux defaults otherwise. */
  tcp?: Partial<TcpParams>;
}

export interface LatencyOptions {
  /** Each packet's delay is latency ± jitter (uniform integer, seeded), never reordering. */
  jitter?: number;
  /** Also set the reverse direction (b→a) to the same values. Default false: a→b only. */
  bothWays?: boolean;
}

export interface SimTrace {
  record(e: TraceEventInput): void;
  hash(): string;
  events(): readonly TraceEvent[];
  readonly count: number;
}

export interface SimFaults {
  partition(a: string, b: string, opts?: PartitionOptions): PartitionHandle;
  /** Random loss between a and b (C2: drawn per packet at send time, seeded); TCP retransmits. */
  loss(a: string, b: string, opts: LossOptions): LossHandle;
  crash(host: string): void;
  restart(host: string): void;
  pause(host: string, ms: number): void;
  setSkew(host: string, offsetMs: number): void;
  nat(a: string, b: string, opts: NatOptions): NatHandle;
}

/** Macrotask boundaries per instant once Node's own modules run on a host (see Driver.hops). */
const HOST_PROCESS_HOPS = 4;

export class Simulation {
  readonly seed: number;
  readonly clock: FakeTimers.Clock;
  readonly trace: SimTrace;
  readonly faults: SimFaults;
  /** @internal shared with the simulator's components */
  readonly ctx: SimContext;
  private readonly sched: Scheduler;
  private readonly driver: Driver;
  private readonly rng: RandomSource;
  private readonly wire: Wire;
  private readonly traceImpl: Trace;
  private readonly hosts = new Map<string, SimHost>();
  private readonly hostList: SimHost[] = [];
  private readonly byAddress = new Map<string, SimHost>();
  private readonly logRecords = new Map<string, LogRecord[]>();
  private readonly views = new WeakMap<HostProcess, HostProcessView>();
  /** Loss faults installed so far: each gets its own random stream. */
  private lossCount = 0;
  private closed = false;

  constructor(opts: SimulationOptions) {
    if (opts === null || typeof opts !== 'object')
      throw new SimError('SIM_BAD_ARGUMENT', 'new Simulation({ seed }) needs options');
    if (!Number.isInteger(opts.seed)) {
      throw new SimError('SIM_BAD_ARGUMENT', `seed must be an integer, got ${String(opts.seed)}`);
    }
    const latency = checkDelay('latency', opts.latency ?? 0);
    this.seed = opts.seed;
    this.sched = new Scheduler();
    this.clock = this.sched.clock;
    this.rng = new RandomSource(opts.seed);
    this.traceImpl = new Trace(() => this.sched.now(), opts.retainTrace ?? true);
    this.trace = this.traceImpl;
    this.wire = new Wire(
      latency,
      (c) => this.rng.stream(c),
      (i) => this.hostList[i] as SimHost,
    );
    const acks: Endpoint[] = [];
    this.ctx = {
      sched: this.sched,
      acks,
      trace: this.traceImpl,
      wire: this.wire,
      tcp: tcpParams(opts.tcp),
      hosts: {
        byName: (n) => this.hosts.get(n),
        byAddress: (a) => this.byAddress.get(a),
      },
    };
    this.wire.attach(this.ctx);
    this.driver = new Driver(this.sched, () => {
      if (acks.length === 0) return;
      const owing = acks.splice(0);
      for (const ep of owing) ep.flushAck();
    });
    this.faults = this.makeFaults();
  }

  now(): number {
    return this.sched.now();
  }

  /** The host called `name`, created (with the next free address) if it does not exist yet. */
  host(name: string): SimHost {
    if (typeof name !== 'string' || name.length === 0) {
      throw new SimError('SIM_BAD_ARGUMENT', `host name must be a non-empty string, got ${String(name)}`);
    }
    let h = this.hosts.get(name);
    if (!h) {
      if (name === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':')) {
        throw new SimError('SIM_BAD_ARGUMENT', `'${name}' is an address, not a host name`);
      }
      h = new SimHost(this.ctx, name, this.hostList.length);
      this.hosts.set(name, h);
      this.hostList.push(h);
      this.byAddress.set(h.address, h);
    }
    return h;
  }

  /** An existing host, or a SimError naming it (faults never create hosts). */
  existingHost(name: string, where: string): SimHost {
    const h = typeof name === 'string' ? this.hosts.get(name) : undefined;
    if (!h) {
      const known = [...this.hosts.keys()].join(', ') || 'none';
      throw new SimError('SIM_UNKNOWN_HOST', `${where}: unknown host '${String(name)}' (known: ${known})`);
    }
    return h;
  }

  hostNames(): string[] {
    return [...this.hosts.keys()];
  }

  /** The Runtime for the process currently running on `host` (created if the host is new). */
  runtime(host: string, opts: { logger?: Logger } = {}): SimRuntime {
    if (this.closed) throw new SimError('SIM_CLOSED', 'the simulation is closed');
    const h = this.host(host);
    if (h.down) throw new SimError('SIM_HOST_DOWN', `host '${host}' is down (crashed); restart it first`);
    let logger = opts.logger;
    if (!logger) {
      let records: LogRecord[] | null = null;
      if (this.traceImpl.retained) {
        records = this.logRecords.get(host) ?? [];
        this.logRecords.set(host, records);
      }
      logger = recordingLogger(records);
    }
    return createSimRuntime(this.ctx, h, this.rng.stream(`host:${host}`), logger);
  }

  /**
   * The process of `host` as Node's own modules see it (harness/process): the host's current process,
   * made on first use (a restart makes a new one). `runtime` replaces the Runtime its modules use,
   * e.g. one whose net the harness observes.
   */
  hostProcess(host: string, runtime?: Runtime): HostProcessView {
    const h = this.existingHost(host, 'hostProcess');
    if (h.down) throw new SimError('SIM_HOST_DOWN', `host '${host}' is down (crashed); restart it first`);
    const proc = h.process;
    let view = this.views.get(proc);
    if (!view) {
      const made: HostProcessView = {
        host,
        simulated: true,
        runtime: createSimRuntime(
          this.ctx,
          h,
          this.rng.stream(`process:${host}#${h.epoch}`),
          recordingLogger(null),
        ),
        monotonic: () => this.sched.now(),
        lookup: (name) => this.hosts.get(name)?.address ?? (this.byAddress.has(name) ? name : undefined),
        run: (fn) => proc.run(fn),
      };
      view = made;
      this.views.set(proc, made);
      this.driver.hops = HOST_PROCESS_HOPS;
      proc.scope = (fn) => runIn(made, fn);
    }
    if (runtime) view.runtime = runtime;
    return view;
  }

  /** Runs `fn` as code of `host`'s process: everything it starts belongs to that host. */
  onHost<T>(host: string, fn: () => T, runtime?: Runtime): T {
    return runIn(this.hostProcess(host, runtime), fn);
  }

  /** Log records written through a host's default logger (kept only while the trace is retained). */
  logs(host: string): readonly LogRecord[] {
    return this.logRecords.get(host) ?? [];
  }

  setLatency(a: string, b: string, oneWayMs: number, opts: LatencyOptions = {}): void {
    const ha = this.existingOrNew(a);
    const hb = this.existingOrNew(b);
    const latency = checkDelay('setLatency: oneWayMs', oneWayMs);
    const jitter = checkDelay('setLatency: jitter', opts.jitter ?? 0);
    this.wire.setLatency(ha, hb, Math.trunc(latency), Math.trunc(jitter));
    if (opts.bothWays) this.wire.setLatency(hb, ha, Math.trunc(latency), Math.trunc(jitter));
    this.traceImpl.record({ kind: 'latency', a, b, latency, jitter, bothWays: Boolean(opts.bothWays) });
    // A longer path may now outlast the retransmission timeout: let every open connection re-check.
    for (const h of [ha, hb]) for (const ep of h.kernel.endpoints) ep.lossNotice();
  }

  private existingOrNew(name: string): SimHost {
    return this.host(name);
  }

  /** Uniform in [0, 1), deterministic per (seed, component); the same stream for the same name. */
  random(component: string): () => number {
    if (typeof component !== 'string')
      throw new SimError('SIM_BAD_ARGUMENT', 'random(component): component must be a string');
    return this.rng.stream(component);
  }

  runFor(ms: number): Promise<void> {
    return this.driver.runFor(ms);
  }

  runUntil(pred: () => boolean, limitMs: number): Promise<boolean> {
    return this.driver.runUntil(pred, limitMs);
  }

  settle(): Promise<void> {
    return this.driver.settle();
  }

  /** Timers still scheduled on the clock: subjects' timers, in-flight packets, kernel timers. */
  pendingTimers(): number {
    return this.sched.pending();
  }

  /** Sockets (of live processes) not yet closed, on one host or all. */
  openSockets(host?: string): number {
    if (host !== undefined) return this.existingHost(host, 'openSockets').openSockets.size;
    let n = 0;
    for (const h of this.hostList) n += h.openSockets.size;
    return n;
  }

  /** Counters for benchmarks: timers fired, packets sent, trace events. */
  stats(): { timersFired: number; packets: number; traceEvents: number } {
    return {
      timersFired: this.driver.fired + this.sched.firedEvents,
      packets: this.wire.sent,
      traceEvents: this.traceImpl.count,
    };
  }

  /** Destroys every socket and server, clears every timer. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const h of this.hostList) {
      for (const r of [...h.process.resources]) {
        const destroyable = r as { destroy?: () => void; destroyAll?: () => void; close?: () => void };
        if (typeof destroyable.destroyAll === 'function') {
          destroyable.destroyAll();
          destroyable.close?.();
        } else if (typeof destroyable.destroy === 'function') destroyable.destroy();
      }
    }
    // Let the close events run, then silence everything that is left.
    await new Promise((r) => setImmediate(r));
    for (const h of this.hostList) {
      h.process.kill();
      h.kernel.wipe();
    }
    this.clearAllTimers();
    await new Promise((r) => setImmediate(r));
    this.clearAllTimers();
  }

  private clearAllTimers(): void {
    this.sched.clearAll();
  }

  private makeFaults(): SimFaults {
    const trace = this.traceImpl;
    const wire = this.wire;
    return {
      partition: (a, b, opts = {}) => {
        const ha = this.existingHost(a, 'faults.partition');
        const hb = this.existingHost(b, 'faults.partition');
        if (ha === hb)
          throw new SimError(
            'SIM_BAD_ARGUMENT',
            `faults.partition: a host cannot be partitioned from itself ('${a}')`,
          );
        const direction = opts.direction ?? 'both';
        if (!['both', 'a->b', 'b->a'].includes(direction)) {
          throw new SimError(
            'SIM_BAD_ARGUMENT',
            `faults.partition: direction must be 'both', 'a->b' or 'b->a', got '${direction}'`,
          );
        }
        const mode = opts.mode ?? 'drop';
        if (mode !== 'drop' && mode !== 'hold') {
          throw new SimError(
            'SIM_BAD_ARGUMENT',
            `faults.partition: mode must be 'drop' or 'hold', got '${String(mode)}'`,
          );
        }
        const convention: Convention = opts.convention ?? 'C1';
        if (convention !== 'C1' && convention !== 'C2') {
          throw new SimError(
            'SIM_BAD_ARGUMENT',
            `faults.partition: convention must be 'C1' or 'C2', got '${String(convention)}'`,
          );
        }
        const p = new Partition(this.ctx, ha, hb, direction, mode, convention);
        wire.faults.push(p);
        trace.record({ kind: 'fault.on', fault: 'partition', a, b, direction, mode, convention });
        return { convention, heal: () => p.heal(wire) };
      },
      loss: (a, b, opts) => {
        const ha = this.existingHost(a, 'faults.loss');
        const hb = this.existingHost(b, 'faults.loss');
        if (ha === hb)
          throw new SimError('SIM_BAD_ARGUMENT', `faults.loss: a and b must be different hosts ('${a}')`);
        if (!opts || typeof opts !== 'object')
          throw new SimError('SIM_BAD_ARGUMENT', 'faults.loss: options { probability } are required');
        const { probability } = opts;
        if (typeof probability !== 'number' || !(probability >= 0 && probability <= 1)) {
          throw new SimError(
            'SIM_BAD_ARGUMENT',
            `faults.loss: probability must be a number in [0, 1], got ${String(probability)}`,
          );
        }
        const direction = opts.direction ?? 'both';
        if (!['both', 'a->b', 'b->a'].includes(direction)) {
          throw new SimError(
            'SIM_BAD_ARGUMENT',
            `faults.loss: direction must be 'both', 'a->b' or 'b->a', got '${String(direction)}'`,
          );
        }
        const rtoMin = opts.rtoMin === undefined ? undefined : checkDelay('faults.loss: rtoMin', opts.rtoMin);
        const n = ++this.lossCount;
        const loss = new Loss(
          this.ctx,
          ha,
          hb,
          direction,
          probability,
          rtoMin === undefined ? undefined : Math.trunc(rtoMin),
          this.rng.stream(`loss:${a}<->${b}#${n}`),
        );
        wire.faults.push(loss);
        trace.record({ kind: 'fault.on', fault: 'loss', a, b, direction, probability, rtoMin });
        return { convention: 'C2', heal: () => loss.heal(wire) };
      },
      crash: (host) => {
        const h = this.existingHost(host, 'faults.crash');
        h.crash();
        trace.record({ kind: 'fault.on', fault: 'crash', host });
      },
      restart: (host) => {
        const h = this.existingHost(host, 'faults.restart');
        h.restart();
        trace.record({ kind: 'fault.off', fault: 'crash', host });
      },
      pause: (host, ms) => {
        const h = this.existingHost(host, 'faults.pause');
        checkDelay('faults.pause: ms', ms);
        if (ms <= 0) throw new SimError('SIM_BAD_ARGUMENT', `faults.pause: ms must be > 0, got ${ms}`);
        if (h.down) throw new SimError('SIM_HOST_DOWN', `faults.pause: host '${host}' is down`);
        h.process.pause(Math.trunc(ms));
        trace.record({ kind: 'fault.on', fault: 'pause', host, ms });
      },
      setSkew: (host, offsetMs) => {
        const h = this.existingHost(host, 'faults.setSkew');
        if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs)) {
          throw new SimError(
            'SIM_BAD_ARGUMENT',
            `faults.setSkew: offsetMs must be a finite number, got ${String(offsetMs)}`,
          );
        }
        h.skew = offsetMs;
        trace.record({ kind: 'fault.on', fault: 'skew', host, offset: offsetMs });
      },
      nat: (a, b, opts) => {
        const ha = this.existingHost(a, 'faults.nat');
        const hb = this.existingHost(b, 'faults.nat');
        if (ha === hb)
          throw new SimError('SIM_BAD_ARGUMENT', `faults.nat: a and b must be different hosts ('${a}')`);
        if (!opts || typeof opts !== 'object')
          throw new SimError('SIM_BAD_ARGUMENT', 'faults.nat: options { idleTimeout, action } are required');
        checkDelay('faults.nat: idleTimeout', opts.idleTimeout);
        if (opts.action !== 'drop' && opts.action !== 'rst') {
          throw new SimError(
            'SIM_BAD_ARGUMENT',
            `faults.nat: action must be 'drop' or 'rst', got '${String(opts.action)}'`,
          );
        }
        const nat = new Nat(this.ctx, ha, hb, { idleTimeout: opts.idleTimeout, action: opts.action });
        wire.faults.push(nat);
        trace.record({
          kind: 'fault.on',
          fault: 'nat',
          a,
          b,
          idleTimeout: opts.idleTimeout,
          action: opts.action,
        });
        return { remove: () => nat.remove(wire) };
      },
    };
  }
}
