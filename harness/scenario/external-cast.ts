/**
 * The runner's side of an external subject (harness/external): its processes by host, the taps that
 * observe them from outside (a server's between the proxy and the server, one per client between the
 * client and the proxy), and what went wrong with them — a failure that ends the run (garbage on an
 * event channel), an exit nobody asked for (a failed verdict), a process that ignored its stop signal.
 */
import * as net from 'node:net';
import type {
  Address,
  ExternalHandle,
  ExternalProcesses,
  FaultProxy,
  ServerHandle,
  SubjectEvent,
  SubjectHandle,
} from '../backend.ts';
import { openTap, type Tap } from '../external/tap.ts';
import type { Recorder } from '../observe/recorder.ts';
import type { Side } from '../result.ts';
import type { ReferenceConfig } from '../subjects/reference-config.ts';
import type { Toxic, ToxicInput, ToxicPatch } from '../toxics/vocabulary.ts';

const LOOPBACK = '127.0.0.1';

/** A port nothing listens on right now (the program is told to listen there). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ host: LOOPBACK, port: 0 }, () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * The proxy as faults see it, with the client taps in step: a disabled proxy refuses connections, so
 * the taps in front of it stop listening too (a client must see the refusal, not a tap's accept).
 */
class TappedProxy implements FaultProxy {
  constructor(
    private readonly inner: FaultProxy,
    private readonly taps: () => Tap[],
  ) {}
  get name(): string {
    return this.inner.name;
  }
  get listen(): string {
    return this.inner.listen;
  }
  get upstream(): string {
    return this.inner.upstream;
  }
  get enabled(): boolean {
    return this.inner.enabled;
  }
  addToxic(toxic: ToxicInput): Promise<Toxic> {
    return this.inner.addToxic(toxic);
  }
  updateToxic(name: string, patch: ToxicPatch): Promise<Toxic> {
    return this.inner.updateToxic(name, patch);
  }
  removeToxic(name: string): Promise<void> {
    return this.inner.removeToxic(name);
  }
  listToxics(): Promise<Toxic[]> {
    return this.inner.listToxics();
  }
  async setEnabled(enabled: boolean): Promise<void> {
    if (enabled) {
      await this.inner.setEnabled(true);
      for (const tap of this.taps()) await tap.setListening(true);
    } else {
      for (const tap of this.taps()) await tap.setListening(false);
      await this.inner.setEnabled(false);
    }
  }
  remove(): Promise<void> {
    return this.inner.remove();
  }
}

export interface ExternalCastOptions {
  recorder: Recorder;
  config: ReferenceConfig;
  timeScale: number;
  /** The process on a host exited by itself: the runner treats it as dead. */
  died(host: string): void;
}

export class ExternalCast {
  private serverTap: Tap | undefined;
  private readonly clientTaps = new Map<string, Tap>();
  private serverPort: number | undefined;
  private readonly handles = new Map<string, ExternalHandle>();
  /** The first failure that ends the run. */
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  /** Processes that exited during the run without being asked to. */
  readonly exits: string[] = [];
  /** Processes that needed SIGKILL at the end. */
  readonly ignoredStop: Error[] = [];

  constructor(
    readonly external: ExternalProcesses,
    private readonly o: ExternalCastOptions,
  ) {}

  private started(
    host: string,
    side: Side,
    emit: (e: SubjectEvent) => void,
    where: { listen?: Address; upstream?: Address },
  ) {
    return this.external.start({
      side,
      host,
      ...where,
      config: this.o.config,
      timeScale: this.o.timeScale,
      onEvent: emit,
      onFailure: (error, fatal) => {
        if (fatal) {
          this.failure ??= error;
          this.wake?.();
        } else {
          this.exits.push(error.message);
          this.o.died(host);
        }
      },
    });
  }

  async startServer(host: string, emit: (e: SubjectEvent) => void): Promise<ServerHandle> {
    this.serverPort ??= await freePort();
    const listen = { host: LOOPBACK, port: this.serverPort };
    const handle = await this.started(host, 'server', emit, { listen });
    this.handles.set(host, handle);
    this.serverTap ??= await openTap({
      recorder: this.o.recorder,
      side: 'server',
      host,
      program: 'accepts',
      upstream: listen,
    });
    const address = this.serverTap.listen;
    return { address, close: () => handle.close(), process: handle.process };
  }

  async startClient(host: string, target: Address, emit: (e: SubjectEvent) => void): Promise<SubjectHandle> {
    let tap = this.clientTaps.get(host);
    if (!tap) {
      tap = await openTap({
        recorder: this.o.recorder,
        side: 'client',
        host,
        program: 'dials',
        upstream: target,
      });
      this.clientTaps.set(host, tap);
    }
    const handle = await this.started(host, 'client', emit, { upstream: tap.listen });
    this.handles.set(host, handle);
    return { close: () => handle.close(), process: handle.process };
  }

  /** The process on a host, for crash and pause. */
  process(host: string) {
    return this.handles.get(host)?.process;
  }

  wrapProxy(proxy: FaultProxy): FaultProxy {
    return new TappedProxy(proxy, () => [...this.clientTaps.values()]);
  }

  /** Stops a host's process at the end of the run, noting one that ignored its stop signal. */
  async stop(host: string): Promise<void> {
    const handle = this.handles.get(host);
    if (!handle) return;
    const { escalated } = await handle.stop();
    if (escalated) this.ignoredStop.push(handle.ignoredStop());
  }

  /** Throws the failure that ends the run, if any. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Waits for `p`, or until a failure ends the run (then throws it). */
  async until(p: Promise<void>): Promise<void> {
    this.check();
    const failed = new Promise<void>((resolve) => {
      this.wake = resolve;
    });
    await Promise.race([p, failed]);
    this.wake = undefined;
    this.check();
  }

  async closeTaps(): Promise<void> {
    for (const tap of this.clientTaps.values()) await tap.close();
    this.clientTaps.clear();
    await this.serverTap?.close();
    this.serverTap = undefined;
  }
}
