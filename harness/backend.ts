/**
 * The Backend and Subject seams (ARCHITECTURE.md). `sim` and `toxiproxy` implement Backend with the
 * same vocabulary, so a scenario, a property or a parity check never asks which one it runs on. What
 * only some backends can do (virtual time, faults on hosts, a deterministic trace) is declared in
 * `capabilities`: the runner and the fault kinds ask there, and never cast to a concrete backend.
 */
import type { Runtime } from '../impl/runtime.ts';
import type { BackendKind } from './model/index.ts';
import type { LatencyOptions, SimFaults } from './sim/simulation.ts';
import type { ReferenceConfig } from './subjects/reference-config.ts';
import type { Toxic, ToxicInput, ToxicPatch } from './toxics/vocabulary.ts';

export type { BackendKind };

export interface ProxySpec {
  name: string;
  /** `host:port` to listen on; port 0 picks a free one (read the resolved one from `listen`). */
  listen: string;
  /** `host:port` of the server behind the proxy. */
  upstream: string;
  enabled?: boolean;
}

/** Toxiproxy's proxy, on either backend. Every method fails with a FaultProxyError. */
export interface FaultProxy {
  readonly name: string;
  /** The resolved `host:port` clients dial. */
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  addToxic(toxic: ToxicInput): Promise<Toxic>;
  updateToxic(name: string, patch: ToxicPatch): Promise<Toxic>;
  removeToxic(name: string): Promise<void>;
  listToxics(): Promise<Toxic[]>;
  setEnabled(enabled: boolean): Promise<void>;
  /** Deletes the proxy: closes its listener and every connection through it. */
  remove(): Promise<void>;
}

export interface Backend {
  readonly kind: BackendKind;
  /** The Runtime for a process on the named host (on the real backend every host is loopback). */
  runtime(host: string): Runtime;
  createProxy(spec: ProxySpec): Promise<FaultProxy>;
  /** Milliseconds on the backend's clock: virtual on sim, real on toxiproxy. */
  now(): number;
  /**
   * Lets `ms` of scenario time pass: advances the virtual clock on sim; sleeps `ms × timeScale` of
   * real time on toxiproxy.
   */
  runFor(ms: number): Promise<void>;
  /** Scenario-time multiplier on real time: 1 on sim (virtual), e.g. 0.01 on toxiproxy. */
  readonly timeScale: number;
  /** Leaves nothing behind: proxies, child processes, sockets, timers. Idempotent. */
  close(): Promise<void>;
  /** What this backend can do beyond the common seam. */
  readonly capabilities: BackendCapabilities;
}

/**
 * Faults on hosts and on the wire between them (direct topology): partitions, loss, crash and
 * restart, pause, clock skew, NAT. The simulator has them; real TCP on loopback cannot make them.
 */
export type HostFaults = SimFaults;

/** Time the backend owns: the harness schedules on it and lets it run (the simulator's clock). */
export interface VirtualTime {
  /**
   * Calls `fn` after `ms` of backend time. Among callbacks due at the same instant, the one scheduled
   * first runs first (so a fault scheduled before the subjects start acts before anything they do
   * at that instant: BOUNDS.md C1). Returns a cancel function.
   */
  schedule(ms: number, fn: () => void): () => void;
  /** Lets time pass until `done()` holds or `limitMs` has passed; resolves to whether it held. */
  runUntil(done: () => boolean, limitMs: number): Promise<boolean>;
  /** Timers not yet fired (0 once everything has settled). */
  pendingTimers(): number;
  /** Open sockets, on one host or on all. */
  openSockets(host?: string): number;
  /** Timers the process on a host holds (what a subject left running shows here). */
  processTimers(host: string): number;
  /** Every host that exists so far. */
  hostNames(): string[];
}

/** The base delay and jitter of the wire between two hosts. */
export interface LinkShaping {
  setLatency(from: string, to: string, oneWayMs: number, opts?: LatencyOptions): void;
}

/**
 * Hosts as processes Node's own modules and globals can run in (harness/process): an unmodified
 * library's `net`, `http`, timers, Date and randomness answer for the host its code belongs to.
 */
export interface HostProcesses {
  /** Runs `fn` (and everything it starts) as code of `host`, whose Node modules use `runtime`. */
  run<T>(host: string, runtime: Runtime, fn: () => T): T;
}

export interface BackendCapabilities {
  readonly virtualTime?: VirtualTime;
  readonly hostProcesses?: HostProcesses;
  readonly hostFaults?: HostFaults;
  readonly links?: LinkShaping;
  /** A seeded random stream per component (same seed, same draws). */
  readonly random?: (component: string) => () => number;
  /** A hash of everything that happened, identical for the same seed and inputs. */
  readonly traceHash?: () => string;
}

/** The name of a capability a scenario may need; `proxy` is createProxy, which every backend has. */
export type Capability = 'proxy' | Exclude<keyof BackendCapabilities, 'random' | 'traceHash'>;

/** Whether a backend offers a capability. */
export function hasCapability(backend: Backend, c: Capability): boolean {
  return c === 'proxy' || backend.capabilities[c] !== undefined;
}

/** An address a subject listens on or dials. */
export interface Address {
  host: string;
  port: number;
}

export interface SubjectHandle {
  close(): Promise<void>;
  /** An OS process (external subjects): what crash and pause faults do to it. */
  process?: ProcessControl;
  /** Optional: events the subject chooses to report (state changes, deaths with reasons). */
  onEvent?(listener: (event: SubjectEvent) => void): void;
}

export interface ServerHandle extends SubjectHandle {
  /** The address actually bound (port 0 resolved). */
  readonly address: Address;
}

/** A subject-reported event; `type` is free-form, `death` and `state` are understood by the metrics. */
export interface SubjectEvent {
  type: string;
  side: 'client' | 'server';
  conn?: string;
  reason?: string;
  state?: string;
  [field: string]: unknown;
}

/** Faults on a real OS process and everything it started (its process group). */
export interface ProcessControl {
  /** SIGKILL: the kernel closes its sockets (FIN, or RST where unread data remains). */
  crash(): Promise<void>;
  /** SIGSTOP: it runs nothing; its kernel keeps receiving. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
}

/** What starting one process of an external subject needs (harness/external). */
export interface ExternalStart {
  side: 'client' | 'server';
  /** Its flatline host (server, client-2). */
  host: string;
  /** Where a server must listen. */
  listen?: Address;
  /** Where a client must connect. */
  upstream?: Address;
  /** The heartbeat settings of the run (scenario ms). */
  config: ReferenceConfig;
  /** Real ms per scenario ms. */
  timeScale: number;
  onEvent(event: SubjectEvent): void;
  /**
   * A failure after start: `fatal` ends the run (garbage on the event channel); otherwise the process
   * exited by itself (a failed verdict: the program died).
   */
  onFailure(error: Error, fatal: boolean): void;
}

export interface ExternalHandle extends SubjectHandle {
  process: ProcessControl;
  /** Stops it (stop signal, SIGKILL after the grace); resolves to whether SIGKILL was needed. */
  stop(): Promise<{ escalated: boolean }>;
  /** The error for a process that ignored its stop signal. */
  ignoredStop(): Error;
}

/**
 * Programs in any language that flatline runs as OS processes (a subject file): real sockets, so only
 * a real network; observed from the proxy side (and from their events when they report them).
 */
export interface ExternalProcesses {
  /** The subject file. */
  readonly file: string;
  /** scaled: it takes durations × time scale from flatline; real: it runs at real time (scale 1). */
  readonly time: 'scaled' | 'real';
  /** The settings the program really runs with, when the file states them (they replace the scenario's). */
  readonly config?: ReferenceConfig;
  /** Runs the file's build step, once per flatline process. */
  prepare(): Promise<void>;
  start(o: ExternalStart): Promise<ExternalHandle>;
}

/** How an implementation plugs in: the reference one in impl/ or a user's module (harness/subjects). */
export interface Subject<Config = Record<string, unknown>> {
  readonly name: string;
  /**
   * The subject's code uses Node's own modules and globals (node:net, node:http, timers, Date…), not
   * the Runtime it is handed: an unmodified library. The runner starts and stops it inside its host's
   * process (Backend capability `hostProcesses`), so those modules answer for that host.
   */
  readonly usesNode?: boolean;
  /** Which side sends the heartbeat's pings (default the client); reports draw who pings whom. */
  readonly pinger?: 'client' | 'server';
  /**
   * The subject is programs run as OS processes (a subject file): the runner starts them through
   * this instead of startServer/startClient, behind taps that observe them from outside.
   */
  readonly external?: ExternalProcesses;
  startServer(runtime: Runtime, address: Address, config: Config): Promise<ServerHandle>;
  startClient(runtime: Runtime, target: Address, config: Config): Promise<SubjectHandle>;
}
