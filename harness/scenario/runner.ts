/**
 * Runs one scenario on either backend: starts the subject's server and clients behind the chosen
 * topology, plays the fault timeline on the backend's clock, tears everything down and turns what the
 * Recorder saw into a ScenarioResult. The runner owns the schedule (turmoil's rule: the harness, not
 * the subject, drives time).
 *
 * On the simulator every fault change is a timer created before the subjects start, so by the
 * creation-order rule a fault at f acts before everything else due at f (BOUNDS.md C1: deliveries
 * arriving at or after f are lost). Times in the result count from the start of the run, like the
 * scenario's own `at`s.
 *
 * Teardown closes the clients, the server and the proxy — every step runs even when one fails, and a
 * failure becomes a failed "clean teardown" verdict. On the simulator the clock keeps running while
 * things close (a paused process only closes at resume), then until every timer has fired (kernel
 * retransmissions, FIN timeouts), so nothing is left pending: a timer that never stops is a subject
 * leaking one, and is reported.
 */
import { createHash } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Runtime } from '../../impl/runtime.ts';
import {
  type Address,
  type Backend,
  type Capability,
  type FaultProxy,
  hasCapability,
  type ServerHandle,
  type Subject,
  type SubjectEvent,
  type SubjectHandle,
} from '../backend.ts';
import { createBackend } from '../backends.ts';
import type { FaultTarget, Heal } from '../faults/kind.ts';
import { capabilitiesFor, type FaultEntry, kindOf } from '../faults/registry.ts';
import type { BackendKind } from '../model/index.ts';
import { within } from '../observe/bounds.ts';
import { computeMetrics, faultWindows } from '../observe/metrics.ts';
import { Recorder } from '../observe/recorder.ts';
import { VirtualEscapeError } from '../process/errors.ts';
import type { Bound, ExpectationVerdict, ScenarioResult, Side } from '../result.ts';
import { SubjectError } from '../subjects/errors.ts';
import type { ReferenceConfig } from '../subjects/reference-config.ts';
import { BUILT_IN_SUBJECTS, subjectNamed } from '../subjects/registry.ts';
import { RunError } from './errors.ts';
import { evaluate } from './expectations.ts';
import { ExternalCast } from './external-cast.ts';
import { referenceConfigOf, type Scenario } from './schema.ts';

export interface RunOptions {
  backend: BackendKind;
  /** Seed of the run; default the scenario's, else 1. */
  seed?: number;
  /** toxiproxy only: real ms per scenario ms (default 0.01). */
  timeScale?: number;
  /** The implementation under test; default the built-in subject the scenario names. */
  subject?: Subject<never>;
  /** The file the scenario came from, for the replay command. */
  file?: string;
  /** Keep every simulator trace event (default false: the hash is kept either way). */
  retainTrace?: boolean;
  /**
   * A ready backend to use instead of creating one. The caller owns its close(); the runner still
   * removes its proxy and, on a simulator, drains it (so the caller can check nothing was left).
   */
  backendInstance?: Backend;
  /** Extra words for the replay command (e.g. --subject ./mine.ts). */
  replayExtra?: string;
  /** Hands over the run's Recorder as soon as it exists (property runs judge from its connections). */
  onRecorder?: (recorder: Recorder) => void;
  /**
   * Longest the simulator may run after the scenario to let connections finish closing (virtual ms,
   * default 1 000 000: more than Linux's 924.6 s retransmission give-up).
   */
  drainLimit?: number;
}

export { BUILT_IN_SUBJECTS, RunError };

const SERVER_HOST = 'server';
const PROXY_HOST = 'toxiproxy';
const SIM_SERVER_PORT = 7000;
const SIM_PROXY_PORT = 27000;
/** How long (virtual ms) closing one subject may take before it is reported as stuck. */
const CLOSE_LIMIT = 600_000;
/** How long (real ms) closing may take on the real backend. */
const REAL_CLOSE_LIMIT = 30_000;

function clientHost(i: number, n: number): string {
  return n === 1 ? 'client' : `client-${i + 1}`;
}

function parseHostPort(s: string): Address {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

/** What a backend is called in messages, and what to use instead of it for a capability it lacks. */
const INSTEAD: Record<Capability, string> = {
  proxy: 'a backend with a proxy',
  hostFaults: 'run it with --backend sim (faults on hosts and the wire need the simulator)',
  virtualTime: 'run it with --backend sim (it needs a virtual clock)',
  links: 'run it with --backend sim',
  hostProcesses: 'run it with --backend sim',
};

/**
 * Faults of a scenario that a backend cannot run, each with why and what to do instead. `backend`
 * is the backend itself, or a kind when none exists yet (what a fresh backend of that kind offers).
 * An external subject's processes take the kinds that signals can make (crash, pause) on any backend.
 */
export function unrunnableFaults(
  s: Scenario,
  backend: Backend | BackendKind,
  subject?: Subject<unknown>,
): string[] {
  const offers = (c: Capability): boolean =>
    typeof backend === 'string' ? c === 'proxy' || backend === 'sim' : hasCapability(backend, c);
  const kind = typeof backend === 'string' ? backend : backend.kind;
  const out: string[] = [];
  for (const entry of s.faults) {
    const faultKind = kindOf(entry.fault);
    const missing = capabilitiesFor(faultKind).filter((c) => !offers(c));
    if (missing.length === 0) continue;
    if (subject?.external && faultKind.onProcesses && missing.every((c) => c === 'hostFaults')) {
      const why = faultKind.onProcesses(entry.fault as never);
      if (why === undefined) continue;
      out.push(`fault "${entry.id}" (${entry.fault.type}) cannot run on real processes: ${why}`);
      continue;
    }
    // The simulator is no way out for programs it cannot run: say the fault is beyond both.
    const instead = subject?.external
      ? `the simulator has it but cannot run the programs of subject file ${subject.external.file}, so no backend can make this fault for them; drop it from the scenario`
      : INSTEAD[missing[0]!];
    out.push(
      `fault "${entry.id}" (${entry.fault.type}) cannot run on the ${kind} backend: it needs ${missing.join(' and ')}, which only the simulator has (Toxiproxy cannot make it); ${instead}`,
    );
  }
  return out;
}

/**
 * Everything that makes a scenario unrunnable as asked, found before anything starts: its subject,
 * and every fault the backend cannot run. Returns the subject.
 */
export function preflight(
  s: Scenario,
  o: Pick<RunOptions, 'backend' | 'subject' | 'backendInstance' | 'timeScale'>,
): Subject<unknown> {
  const subject = (o.subject ?? subjectNamed(s.subject)) as Subject<unknown> | undefined;
  if (!subject) {
    const known = Object.keys(BUILT_IN_SUBJECTS).join(', ');
    throw new RunError(
      s.name,
      `subject "${s.subject}" is not built in (built in: ${known}); pass your implementation with --subject <module>`,
    );
  }
  const backend = o.backendInstance ?? o.backend;
  const backendKind = typeof backend === 'string' ? backend : backend.kind;
  const external = subject.external;
  if (external) {
    if (backendKind === 'sim') {
      throw new RunError(
        s.name,
        `subject "${subject.name}" (subject file ${external.file}) runs as OS processes on real sockets, and the simulator cannot run them: it has no syscall-level simulation, only code that runs in flatline's own process (a Subject module, or a Node library). Run it with --backend toxiproxy (real TCP through Toxiproxy), or wrap a Node implementation as a Subject module to test it on virtual time`,
      );
    }
    if (!external.config && !referenceConfigOf(s)) {
      throw new RunError(
        s.name,
        `subject file ${external.file} takes the reference settings (interval, pongTimeout, …), but this scenario's config is for subject "${s.subject}": give the program's settings as config in the subject file`,
      );
    }
    const scale = typeof backend === 'string' ? o.timeScale : backend.timeScale;
    if (external.time === 'real' && scale !== undefined && scale !== 1) {
      throw new RunError(
        s.name,
        `subject file ${external.file} says time: real (the program runs at real time), so the run's time scale must be 1, not ${scale}: drop --time-scale, or make the program take scaled durations (time: scaled)`,
      );
    }
  }
  const refused = unrunnableFaults(s, backend, subject);
  if (refused.length) throw new RunError(s.name, refused.join('; '));
  const hasProcesses = typeof backend === 'string' ? true : hasCapability(backend, 'hostProcesses');
  if (subject.usesNode && !hasProcesses) {
    throw new RunError(
      s.name,
      `subject "${subject.name}" runs unmodified Node code, which needs host processes; the ${typeof backend === 'string' ? backend : backend.kind} backend has none yet: run it with --backend sim`,
    );
  }
  return subject;
}

function makeBackend(o: RunOptions, seed: number, subject: Subject<unknown>): Promise<Backend> {
  if (o.backendInstance) return Promise.resolve(o.backendInstance);
  // A program that runs at real time is run on a scenario clock that is real time.
  const timeScale = subject.external?.time === 'real' ? 1 : o.timeScale;
  return createBackend(o.backend, {
    seed,
    retainTrace: o.retainTrace ?? false,
    ...(timeScale === undefined ? {} : { timeScale }),
  });
}

/** The heartbeat settings of a run: the external program's own when its file states them. */
function runConfig(s: Scenario, subject: Subject<unknown>): ReferenceConfig | undefined {
  return subject.external?.config ?? referenceConfigOf(s);
}

/** The subjects of one run and how to (re)start them. */
class Cast {
  proxy: FaultProxy | undefined;
  server: ServerHandle | undefined;
  readonly clients: (SubjectHandle | undefined)[] = [];
  target: Address | undefined;
  /** Hosts whose process is dead (crashed, not restarted): their handles are gone with them. */
  readonly dead = new Set<string>();
  private readonly live = new Map<string, { live: boolean }>();
  /** The Runtime each host's current process was started with. */
  readonly runtimes = new Map<string, Runtime>();
  /** An external subject's processes and taps. */
  readonly ext: ExternalCast | undefined;

  constructor(
    readonly s: Scenario,
    readonly backend: Backend,
    readonly recorder: Recorder,
    readonly subject: Subject<unknown>,
    readonly clientHosts: string[],
  ) {
    const config = runConfig(s, subject);
    this.ext =
      subject.external && config
        ? new ExternalCast(subject.external, {
            recorder,
            config,
            timeScale: backend.timeScale,
            died: (host) => this.processDied(host),
          })
        : undefined;
  }

  get isSim(): boolean {
    return this.backend.kind === 'sim';
  }

  private runtime(side: Side, host: string): Runtime {
    return this.recorder.observe(this.backend.runtime(host), side, host);
  }

  /** Runs a subject's call as code of `host` when the subject uses Node's own modules. */
  onHost<T>(host: string, runtime: Runtime, fn: () => T): T {
    const processes = this.backend.capabilities.hostProcesses;
    return this.subject.usesNode && processes ? processes.run(host, runtime, fn) : fn();
  }

  /** Relays a handle's events until its process dies. */
  private listen(handle: SubjectHandle, side: Side, host: string): void {
    handle.onEvent?.(this.relay(side, host));
  }

  /** Where the events of a host's new process go: to the recorder, until that process dies. */
  private relay(side: Side, host: string): (e: SubjectEvent) => void {
    const flag = { live: true };
    this.live.set(host, flag);
    return (e) => {
      if (flag.live) this.recorder.subjectEvent(side, host, e);
    };
  }

  async startServer(): Promise<void> {
    const ext = this.ext;
    if (ext) {
      const relay = this.relay('server', SERVER_HOST);
      this.server = await this.started(SERVER_HOST, 'startServer', () => ext.startServer(SERVER_HOST, relay));
      this.dead.delete(SERVER_HOST);
      return;
    }
    const where = this.isSim
      ? { host: SERVER_HOST, port: SIM_SERVER_PORT }
      : { host: '127.0.0.1', port: this.server?.address.port ?? 0 };
    const runtime = this.runtime('server', SERVER_HOST);
    this.runtimes.set(SERVER_HOST, runtime);
    this.server = await this.started(SERVER_HOST, 'startServer', () =>
      this.onHost(SERVER_HOST, runtime, () => this.subject.startServer(runtime, where, this.s.config)),
    );
    this.dead.delete(SERVER_HOST);
    this.listen(this.server, 'server', SERVER_HOST);
  }

  async startClient(i: number): Promise<void> {
    const host = this.clientHosts[i]!;
    const ext = this.ext;
    if (ext) {
      const relay = this.relay('client', host);
      this.clients[i] = await this.started(host, 'startClient', () =>
        ext.startClient(host, this.target!, relay),
      );
      this.dead.delete(host);
      return;
    }
    const runtime = this.runtime('client', host);
    this.runtimes.set(host, runtime);
    const handle = await this.started(host, 'startClient', () =>
      this.onHost(host, runtime, () => this.subject.startClient(runtime, this.target!, this.s.config)),
    );
    this.clients[i] = handle;
    this.dead.delete(host);
    this.listen(handle, 'client', host);
  }

  /** A subject that fails to start is bad input: say which subject, on which host, in which call. */
  private async started<T>(host: string, call: string, start: () => Promise<T>): Promise<T> {
    try {
      return await start();
    } catch (e) {
      // An external process's error already names the subject file and the process.
      if (e instanceof RunError || (this.ext && e instanceof SubjectError)) throw e;
      throw new RunError(
        this.s.name,
        `subject "${this.subject.name}" failed in ${call} on host "${host}": ${(e as Error).message}`,
        { cause: e },
      );
    }
  }

  /** Closes a subject handle as code of its host. */
  closeOn(host: string, handle: SubjectHandle): Promise<void> {
    if (this.ext) return this.ext.stop(host);
    const runtime = this.runtimes.get(host);
    return runtime ? this.onHost(host, runtime, () => handle.close()) : handle.close();
  }

  /** Starts a side's processes again. */
  async restart(side: Side): Promise<void> {
    if (side === 'server') await this.startServer();
    else for (let i = 0; i < this.clientHosts.length; i++) await this.startClient(i);
  }

  /** The process on `host` died: nothing it does is observed any more, and its handle is gone. */
  processDied(host: string): Socket[] {
    const flag = this.live.get(host);
    if (flag) flag.live = false;
    this.dead.add(host);
    return this.recorder.processDied(host);
  }
}

/** What a fault acts on in this run (harness/faults/kind.ts). */
function targetOf(cast: Cast, entry: FaultEntry): FaultTarget {
  const { capabilities } = cast.backend;
  return {
    scenario: cast.s.name,
    ...(cast.proxy ? { proxy: cast.proxy } : {}),
    ...(capabilities.hostFaults ? { hosts: capabilities.hostFaults } : {}),
    ...(capabilities.virtualTime ? { time: capabilities.virtualTime } : {}),
    ...(capabilities.random ? { random: capabilities.random } : {}),
    ...(cast.ext ? { processes: (host: string) => cast.ext!.process(host) } : {}),
    serverHost: SERVER_HOST,
    clientHosts: cast.clientHosts,
    hostsOf: (side) => (side === 'server' ? [SERVER_HOST] : cast.clientHosts),
    span: (entry.until ?? cast.s.duration) - entry.at,
    processDied: (host) => cast.processDied(host),
    restart: (side) => cast.restart(side),
  };
}

async function applyFault(cast: Cast, entry: FaultEntry): Promise<Heal> {
  const kind = kindOf(entry.fault);
  if (kind.placement === 'proxy' && !cast.proxy) {
    throw new RunError(cast.s.name, `fault "${entry.id}" (${entry.fault.type}) needs the proxy topology`);
  }
  return kind.apply(targetOf(cast, entry), entry as never);
}

/** Sorted timeline of fault onsets and heals; a heal at the same instant as an onset goes first. */
function timeline(faults: FaultEntry[]): { t: number; kind: 'on' | 'off'; entry: FaultEntry }[] {
  const out = faults.flatMap((entry) => [
    { t: entry.at, kind: 'on' as const, entry },
    ...(entry.until === undefined ? [] : [{ t: entry.until, kind: 'off' as const, entry }]),
  ]);
  return out.sort((a, b) => a.t - b.t || (a.kind === b.kind ? 0 : a.kind === 'off' ? -1 : 1));
}

function configureLinks(backend: Backend, s: Scenario, clientHosts: string[]): void {
  const links = backend.capabilities.links;
  if (!links) return;
  const { up, down } = s.topology.link;
  // In the proxy topology the wire's delay sits on the client↔proxy leg; the proxy and the server
  // share a rack.
  const far = s.topology.kind === 'proxy' ? PROXY_HOST : SERVER_HOST;
  for (const c of clientHosts) {
    links.setLatency(c, far, up.latency, { jitter: up.jitter });
    links.setLatency(far, c, down.latency, { jitter: down.jitter });
  }
}

/** Waits for `p`, letting virtual time pass on the simulator (a paused process closes at resume). */
async function settle(backend: Backend, p: Promise<unknown>, what: string): Promise<void> {
  let done = false;
  let failure: unknown;
  const watched = p.then(
    () => {
      done = true;
    },
    (e) => {
      done = true;
      failure = e;
    },
  );
  const time = backend.capabilities.virtualTime;
  if (time) {
    await time.runUntil(() => done, CLOSE_LIMIT);
    if (!done) throw new Error(`${what} did not finish within ${CLOSE_LIMIT} ms of virtual time`);
  } else {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, REAL_CLOSE_LIMIT);
    });
    await Promise.race([watched, limit]);
    clearTimeout(timer);
    if (!done) throw new Error(`${what} did not finish within ${REAL_CLOSE_LIMIT} ms`);
  }
  await watched;
  if (failure !== undefined) throw failure;
}

async function teardown(
  cast: Cast,
  heals: Map<string, Heal>,
  ownsBackend: boolean,
  o: RunOptions,
): Promise<string[]> {
  const errors: string[] = [];
  const step = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await settle(cast.backend, fn(), what);
    } catch (e) {
      errors.push(`${what}: ${(e as Error).message}`);
    }
  };
  cast.recorder.markTeardown();
  for (let i = 0; i < cast.clients.length; i++) {
    const c = cast.clients[i];
    const host = cast.clientHosts[i]!;
    if (c && !cast.dead.has(host)) await step(`closing client ${host}`, () => cast.closeOn(host, c));
  }
  const server = cast.server;
  if (server && !cast.dead.has(SERVER_HOST))
    await step('closing the server', () => cast.closeOn(SERVER_HOST, server));
  const time = cast.backend.capabilities.virtualTime;
  if (time) {
    // Faults still on would hold the last packets (a FIN behind a partition) for ever; a kind may say
    // otherwise (a crashed host stays down: its peers' kernels give up on it by themselves).
    for (const [id, heal] of heals) {
      const entry = cast.s.faults.find((f) => f.id === id);
      if (entry && kindOf(entry.fault).healAtTeardown === false) continue;
      await step(`healing fault "${id}" after the run`, heal);
    }
  }
  const ext = cast.ext;
  if (ext) await step('closing the taps', () => ext.closeTaps());
  const proxy = cast.proxy;
  if (proxy) await step('removing the proxy', () => proxy.remove());
  if (time) {
    const limit = o.drainLimit ?? 1_000_000;
    const drained = await time.runUntil(() => time.pendingTimers() === 0, limit);
    if (!drained) {
      errors.push(
        `${time.pendingTimers()} timer(s) still pending ${limit} ms after the subjects were closed (a timer or socket left running)`,
      );
    }
    const open = time.openSockets();
    if (open > 0) errors.push(`${open} socket(s) still open after the subjects were closed`);
  }
  if (ownsBackend) {
    try {
      await cast.backend.close();
    } catch (e) {
      errors.push(`closing the backend: ${(e as Error).message}`);
    }
  }
  return errors;
}

export async function runScenario(s: Scenario, o: RunOptions): Promise<ScenarioResult> {
  const seed = o.seed ?? s.seed ?? 1;
  const subject = preflight(s, o);
  // A build (go build…) before anything starts: its failure leaves nothing to clean up.
  await subject.external?.prepare();
  const backend = await makeBackend(o, seed, subject);
  const ownsBackend = !o.backendInstance;
  let start = backend.now();
  const recorder = new Recorder(() => backend.now() - start);
  o.onRecorder?.(recorder);
  const clientHosts = Array.from({ length: s.clients }, (_, i) => clientHost(i, s.clients));
  const cast = new Cast(s, backend, recorder, subject, clientHosts);
  const heals = new Map<string, Heal>();
  // Unmodified Node code may reach for an unvirtualised API from a promise or a tick, where the
  // error cannot propagate into the run: catch those, and end the run with them.
  const escapes = subject.usesNode ? watchEscapes() : undefined;
  const step = async (kind: 'on' | 'off', entry: FaultEntry): Promise<void> => {
    if (kind === 'on') heals.set(entry.id, await applyFault(cast, entry));
    else {
      const heal = heals.get(entry.id);
      heals.delete(entry.id);
      await heal?.();
    }
  };

  let end = 0;
  let teardownErrors: string[] = [];
  // Fault timers not yet fired when the run stops early must not fire during teardown.
  const faultTimers: (() => void)[] = [];
  const cancelFaults = (): void => {
    for (const cancel of faultTimers.splice(0)) cancel();
  };
  try {
    configureLinks(backend, s, clientHosts);
    // With virtual time every fault change is a timer created before the subjects start (C1).
    const time = backend.capabilities.virtualTime;
    const pending: Promise<void>[] = [];
    let faultError: RunError | undefined;
    if (time) {
      for (const { t, kind, entry } of timeline(s.faults)) {
        const cancel = time.schedule(start + t - backend.now(), () => {
          pending.push(
            step(kind, entry).catch((e: Error) => {
              faultError ??= new RunError(
                s.name,
                `${kind === 'on' ? 'applying' : 'healing'} fault "${entry.id}" (${entry.fault.type}) at ${t} ms: ${e.message}`,
              );
            }),
          );
        });
        faultTimers.push(cancel);
      }
    }
    await cast.startServer();
    const serverAddress = cast.server!.address;
    if (s.topology.kind === 'proxy') {
      const proxy = await backend.createProxy({
        name: `flatline-${s.name}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60),
        listen: cast.isSim ? `${PROXY_HOST}:${SIM_PROXY_PORT}` : '127.0.0.1:0',
        upstream: `${cast.isSim ? SERVER_HOST : serverAddress.host}:${serverAddress.port}`,
      });
      cast.proxy = cast.ext ? cast.ext.wrapProxy(proxy) : proxy;
      cast.target = parseHostPort(cast.proxy.listen);
    } else {
      cast.target = cast.isSim ? { host: SERVER_HOST, port: serverAddress.port } : serverAddress;
    }
    // On a real backend a fault at 0 must be in place before any client connects (a reset_peer
    // that arms every connection, say); on the simulator its timer fires before any accept.
    const plan = timeline(s.faults);
    const real = async (t: number, kind: 'on' | 'off', entry: FaultEntry): Promise<void> => {
      try {
        await step(kind, entry);
      } catch (e) {
        throw new RunError(
          s.name,
          `${kind === 'on' ? 'applying' : 'healing'} fault "${entry.id}" (${entry.fault.type}) at ${t} ms: ${(e as Error).message}`,
        );
      }
    };
    if (!time) while (plan[0] && plan[0].t <= 0) await real(0, plan[0].kind, plan.shift()!.entry);
    for (let i = 0; i < clientHosts.length; i++) await cast.startClient(i);
    if (cast.ext) {
      // Programs take real time to start (a runtime to load, a binary to map): the scenario begins
      // when the last one is ready, as it does for in-process subjects, which start at once.
      const late = backend.now() - start;
      start += late;
      recorder.shift(late);
    }

    if (time) {
      await backend.runFor(start + s.duration - backend.now());
      await Promise.all(pending);
      if (faultError) throw faultError;
    } else {
      // An external program's failure (garbage on its event channel) ends the run at once.
      const runFor = (ms: number): Promise<void> =>
        cast.ext ? cast.ext.until(backend.runFor(ms)) : backend.runFor(ms);
      for (const { t, kind, entry } of plan) {
        const wait = start + t - backend.now();
        if (wait > 0) await runFor(wait);
        await real(t, kind, entry);
      }
      const rest = start + s.duration - backend.now();
      if (rest > 0) await runFor(rest);
    }
    end = backend.now() - start;
    escapes?.check();
    cast.ext?.check();
  } catch (e) {
    // The run itself failed: still leave nothing behind, then report the first cause.
    cancelFaults();
    await teardown(cast, heals, ownsBackend, o).catch(() => {});
    escapes?.stop();
    throw e;
  }
  cancelFaults();
  teardownErrors = await teardown(cast, heals, ownsBackend, o);
  escapes?.stop();
  escapes?.check();
  // A program that ignored its stop signal was killed (nothing is left), and is bad input: say so.
  const ignored = cast.ext?.ignoredStop[0];
  if (ignored) throw ignored;

  const config = runConfig(s, subject);
  const metrics = computeMetrics({
    recorder,
    faults: s.faults,
    end,
    serverHost: SERVER_HOST,
    topology: s.topology.kind,
    ...(config ? { bounds: { config, link: s.topology.link } } : {}),
    ...(subject.pinger ? { pinger: subject.pinger } : {}),
  });

  if (backend.kind === 'toxiproxy') widenForRealNetwork(metrics, backend.timeScale);

  const runEvents = recorder.runEvents();
  const subjectEvents = runEvents
    .filter((e) => e.kind === 'subject' && e.event)
    .map((e) => ({
      t: e.t,
      side: e.side,
      host: e.host,
      type: e.event!.type,
      ...(e.event!.state === undefined ? {} : { state: String(e.event!.state) }),
      ...(e.event!.reason === undefined ? {} : { reason: String(e.event!.reason) }),
    }));
  const dials = runEvents.filter((e) => e.kind === 'dial').map((e) => ({ t: e.t, host: e.host }));
  const exposed = [...recorder.connections.values()]
    .filter((c) => c.connected !== undefined && c.connected <= end)
    .map((c) => ({
      side: c.side,
      socket: c.conn,
      connected: c.connected!,
      ended: endOfRun(recorder, c.conn),
    }));
  const expectations: ExpectationVerdict[] = s.expect.map((e) =>
    evaluate(e, {
      measured: metrics,
      faults: s.faults,
      config,
      subjectEvents,
      dials,
      connections: exposed,
      end,
    }),
  );
  for (const message of teardownErrors)
    expectations.push({ name: 'clean teardown', passed: false, detail: message });
  for (const message of cast.ext?.exits ?? [])
    expectations.push({ name: 'process stays up', passed: false, detail: message });

  const traceHash = backend.capabilities.traceHash?.() ?? observedHash(recorder);
  const replay = [
    'npx flatline run',
    o.file ?? `<${s.name}.yaml>`,
    `--backend ${backend.kind}`,
    `--seed ${seed}`,
    ...(backend.kind === 'toxiproxy' ? [`--time-scale ${backend.timeScale}`] : []),
    ...(o.replayExtra ? [o.replayExtra] : []),
  ].join(' ');
  const { herd, ...measured } = metrics;
  const result: ScenarioResult = {
    scenario: s.name,
    backend: backend.kind,
    seed,
    timeScale: backend.timeScale,
    traceHash,
    passed: expectations.every((e) => e.passed),
    duration: s.duration,
    config: s.config as Record<string, unknown>,
    faults: faultWindows(s.faults),
    ...measured,
    expectations,
    replay,
    environment: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      backend: backend.kind,
      timeScale: String(backend.timeScale),
      subject: subject.name,
    },
  };
  if (herd.length > 0) result.herd = herd;
  if (subject.pinger && subject.pinger !== 'client') result.pinger = subject.pinger;
  if (o.file) result.file = o.file;
  return result;
}

/**
 * VirtualEscapeErrors thrown where nothing awaits them (a promise, a nextTick of library code) are
 * kept and rethrown by check(); any other unhandled error goes on to Node's own handling.
 */
function watchEscapes(): { check(): void; stop(): void } {
  let caught: VirtualEscapeError | undefined;
  const onError = (e: unknown): void => {
    if (e instanceof VirtualEscapeError) {
      caught ??= e;
      return;
    }
    stop();
    process.nextTick(() => {
      throw e;
    });
  };
  const stop = (): void => {
    process.off('unhandledRejection', onError);
    process.off('uncaughtException', onError);
  };
  process.on('unhandledRejection', onError);
  process.on('uncaughtException', onError);
  return {
    check() {
      if (caught) throw caught;
    },
    stop,
  };
}

/** When a socket ended during the run proper (not in teardown), if it did. */
function endOfRun(recorder: Recorder, socket: string): number | undefined {
  const stop = recorder.teardownFrom ?? recorder.events.length;
  for (let i = 0; i < stop; i++) {
    const e = recorder.events[i]!;
    if (e.conn !== socket) continue;
    if (e.kind === 'close' || e.kind === 'error' || e.kind.startsWith('local-')) return e.t;
    if (e.kind === 'subject' && e.event?.type === 'death') return e.t;
  }
  return undefined;
}

/**
 * Real runs are not reproducible to the millisecond, so their hash covers the order and kind of
 * what was observed, not the timestamps.
 */
function observedHash(recorder: Recorder): string {
  const h = createHash('sha256');
  for (const e of recorder.runEvents()) h.update(`${e.side}|${e.kind}|${e.event?.type ?? ''}\n`);
  return h.digest('hex');
}

/**
 * Real-network tolerance, in real milliseconds: timer and scheduling lateness on a loaded machine
 * plus a Toxiproxy API call (5–20 ms here) before a fault takes effect. The bounds are exact on the
 * simulator; on the toxiproxy backend every detection and reconnect bound is widened by this much
 * (in scenario ms: REAL_EPSILON_MS / timeScale), and the bound's `why` says so.
 */
export const REAL_EPSILON_MS = 50;

export function widenForRealNetwork(
  metrics: {
    detections: { delta: number; bound: Bound; withinBound: boolean }[];
    reconnects: { delta: number; bound: Bound; withinBound: boolean }[];
  },
  timeScale: number,
): void {
  const epsilon = Math.ceil(REAL_EPSILON_MS / timeScale);
  const widen = (x: { delta: number; bound: Bound; withinBound: boolean }): void => {
    x.bound = {
      min: Math.max(0, x.bound.min - epsilon),
      max: x.bound.max + epsilon,
      why: `${x.bound.why} ± ε ${epsilon} (real network: ${REAL_EPSILON_MS} real ms at ×${timeScale})`,
    };
    x.withinBound = within(x.bound, x.delta);
  };
  metrics.detections.forEach(widen);
  metrics.reconnects.forEach(widen);
}
