/**
 * The Backend and Subject seams (ARCHITECTURE.md). `sim` and `toxiproxy` implement Backend with the
 * same vocabulary, so a scenario, a property or a parity check never asks which one it runs on.
 */
import type { Runtime } from '../impl/runtime.ts';
import type { Toxic, ToxicInput, ToxicPatch } from './toxics/spec.ts';

export type BackendKind = 'sim' | 'toxiproxy';

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
}

/** An address a subject listens on or dials. */
export interface Address {
  host: string;
  port: number;
}

export interface SubjectHandle {
  close(): Promise<void>;
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

/** How an implementation plugs in: the reference one in impl/, a user's, or (later) an external process. */
export interface Subject<Config = Record<string, unknown>> {
  readonly name: string;
  startServer(runtime: Runtime, address: Address, config: Config): Promise<ServerHandle>;
  startClient(runtime: Runtime, target: Address, config: Config): Promise<SubjectHandle>;
}
