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
import type { Address, Backend, FaultProxy, ServerHandle, Subject, SubjectHandle } from '../backend.ts';
import { within } from '../observe/bounds.ts';
import { computeMetrics, faultWindows } from '../observe/metrics.ts';
import { Recorder } from '../observe/recorder.ts';
import type { Bound, ExpectationVerdict, ScenarioResult, Side } from '../result.ts';
import type { SimBackend } from '../sim/backend.ts';
import type { Simulation } from '../sim/simulation.ts';
import { referenceSubject } from '../subjects/reference.ts';
import { evaluate } from './expectations.ts';
import { type FaultEntry, isSimFault, referenceConfigOf, type Scenario, toxicInputs } from './schema.ts';

export type BackendChoice = 'sim' | 'toxiproxy';

export interface RunOptions {
  backend: BackendChoice;
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
  /**
   * Longest the simulator may run after the scenario to let connections finish closing (virtual ms,
   * default 1 000 000: more than Linux's 924.6 s retransmission give-up).
   */
  drainLimit?: number;
}

/** Raised for a scenario the runner cannot run as asked (wrong backend, unknown subject, unsupported fault). */
export class RunError extends Error {
  constructor(
    readonly scenario: string,
    message: string,
  ) {
    super(`scenario "${scenario}": ${message}`);
    this.name = 'RunError';
  }
}

/** Subjects a scenario can name without --subject. */
export const BUILT_IN_SUBJECTS: Readonly<Record<string, Subject<never>>> = {
  reference: referenceSubject as Subject<never>,
};

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

/** Everything that makes a scenario unrunnable as asked, found before anything starts. */
function preflight(s: Scenario, o: RunOptions): Subject<unknown> {
  const subject = (o.subject ?? BUILT_IN_SUBJECTS[s.subject]) as Subject<unknown> | undefined;
  if (!subject) {
    const known = Object.keys(BUILT_IN_SUBJECTS).join(', ');
    throw new RunError(
      s.name,
      `subject "${s.subject}" is not built in (built in: ${known}); pass your implementation with --subject <module>`,
    );
  }
  const backend = o.backendInstance?.kind ?? o.backend;
  for (const entry of s.faults) {
    const f = entry.fault;
    if (backend !== 'sim' && isSimFault(f)) {
      throw new RunError(
        s.name,
        `fault "${entry.id}" (${f.type}) exists only on the sim backend (Toxiproxy cannot make it); run it with --backend sim`,
      );
    }
  }
  return subject;
}

async function makeBackend(o: RunOptions, seed: number): Promise<Backend> {
  if (o.backendInstance) return o.backendInstance;
  if (o.backend === 'sim') {
    const { createSimBackend } = await import('../sim/backend.ts');
    return createSimBackend({ seed, retainTrace: o.retainTrace ?? false });
  }
  const { createToxiproxyBackend } = await import('../toxiproxy/backend.ts');
  return createToxiproxyBackend({ timeScale: o.timeScale ?? 0.01 });
}

function simOf(backend: Backend): Simulation | undefined {
  return (backend as Partial<SimBackend>).sim;
}

type Heal = () => Promise<void>;

/** The subjects of one run and how to (re)start them. */
class Cast {
  proxy: FaultProxy | undefined;
  server: ServerHandle | undefined;
  readonly clients: (SubjectHandle | undefined)[] = [];
  target: Address | undefined;
  /** Hosts whose process is dead (crashed, not restarted): their handles are gone with them. */
  readonly dead = new Set<string>();
  private readonly live = new Map<string, { live: boolean }>();

  constructor(
    readonly s: Scenario,
    readonly backend: Backend,
    readonly recorder: Recorder,
    readonly subject: Subject<unknown>,
    readonly clientHosts: string[],
  ) {}

  get isSim(): boolean {
    return this.backend.kind === 'sim';
  }

  private runtime(side: Side, host: string): Runtime {
    return this.recorder.observe(this.backend.runtime(host), side, host);
  }

  /** Relays a handle's events until its process dies. */
  private listen(handle: SubjectHandle, side: Side, host: string): void {
    const flag = { live: true };
    this.live.set(host, flag);
    handle.onEvent?.((e) => {
      if (flag.live) this.recorder.subjectEvent(side, host, e);
    });
  }

  async startServer(): Promise<void> {
    const where = this.isSim
      ? { host: SERVER_HOST, port: SIM_SERVER_PORT }
      : { host: '127.0.0.1', port: this.server?.address.port ?? 0 };
    this.server = await this.subject.startServer(this.runtime('server', SERVER_HOST), where, this.s.config);
    this.dead.delete(SERVER_HOST);
    this.listen(this.server, 'server', SERVER_HOST);
  }

  async startClient(i: number): Promise<void> {
    const host = this.clientHosts[i]!;
    const handle = await this.subject.startClient(this.runtime('client', host), this.target!, this.s.config);
    this.clients[i] = handle;
    this.dead.delete(host);
    this.listen(handle, 'client', host);
  }

  /** The process on `host` died: nothing it does is observed any more, and its handle is gone. */
  processDied(host: string): Socket[] {
    const flag = this.live.get(host);
    if (flag) flag.live = false;
    this.dead.add(host);
    return this.recorder.processDied(host);
  }
}

function directionOf(d: 'both' | 'client->server' | 'server->client'): 'both' | 'a->b' | 'b->a' {
  return d === 'both' ? 'both' : d === 'client->server' ? 'a->b' : 'b->a';
}

async function applyFault(cast: Cast, entry: FaultEntry): Promise<Heal> {
  const { s, backend, clientHosts } = cast;
  const f = entry.fault;
  if (!isSimFault(f)) {
    const proxy = cast.proxy;
    if (!proxy) throw new RunError(s.name, `fault "${entry.id}" (${f.type}) needs the proxy topology`);
    if (f.type === 'proxy-down') {
      await proxy.setEnabled(false);
      return () => proxy.setEnabled(true);
    }
    const inputs = toxicInputs(f);
    for (const t of inputs) await proxy.addToxic(t);
    return async () => {
      for (const t of inputs) await proxy.removeToxic(t.name);
    };
  }
  const sim = simOf(backend);
  if (!sim) throw new RunError(s.name, `fault "${entry.id}" (${f.type}) needs the sim backend`);
  const hostsOf = (h: Side) => (h === 'server' ? [SERVER_HOST] : clientHosts);
  const pairs = clientHosts.map((c) => [c, SERVER_HOST] as const);
  switch (f.type) {
    case 'partition': {
      const handles = pairs.map(([a, b]) =>
        sim.faults.partition(a, b, {
          direction: directionOf(f.direction),
          mode: f.mode,
          convention: f.convention,
        }),
      );
      return async () => {
        for (const h of handles) h.heal();
      };
    }
    case 'crash': {
      const hosts = hostsOf(f.host);
      for (const h of hosts) {
        const open = cast.processDied(h);
        // A process that dies on a live OS has its sockets closed by the kernel: FIN, or RST.
        if (f.close === 'fin') for (const socket of open) socket.destroy();
        if (f.close === 'rst') for (const socket of open) socket.resetAndDestroy();
        sim.faults.crash(h);
        // The OS stays up: its empty kernel refuses new connections and resets stray packets.
        if (f.close !== 'none') sim.faults.restart(h);
      }
      return async () => {
        // A restarted machine runs its service again, as an init system would.
        for (const h of hosts) if (f.close === 'none') sim.faults.restart(h);
        if (f.host === 'server') await cast.startServer();
        else for (let i = 0; i < clientHosts.length; i++) await cast.startClient(i);
      };
    }
    case 'pause': {
      const span = (entry.until ?? s.duration) - entry.at;
      for (const h of hostsOf(f.host)) sim.faults.pause(h, span);
      return async () => {};
    }
    case 'clock-skew': {
      const hosts = hostsOf(f.host);
      for (const h of hosts) sim.faults.setSkew(h, f.offset);
      return async () => {
        for (const h of hosts) sim.faults.setSkew(h, 0);
      };
    }
    case 'nat': {
      const handles = pairs.map(([a, b]) =>
        sim.faults.nat(a, b, { idleTimeout: f.idleTimeout, action: f.action }),
      );
      return async () => {
        for (const h of handles) h.remove();
      };
    }
    case 'loss': {
      // Drawn per packet from the run's seed; `retransmitAfter` is the path's RTO floor (rto_min).
      const handles = pairs.map(([a, b]) =>
        sim.faults.loss(a, b, {
          direction: directionOf(f.direction),
          probability: f.probability,
          rtoMin: f.retransmitAfter,
        }),
      );
      return async () => {
        for (const h of handles) h.heal();
      };
    }
  }
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
  const sim = simOf(backend);
  if (!sim) return;
  const { up, down } = s.topology.link;
  // In the proxy topology the wire's delay sits on the client↔proxy leg; the proxy and the server
  // share a rack.
  const far = s.topology.kind === 'proxy' ? PROXY_HOST : SERVER_HOST;
  for (const c of clientHosts) {
    sim.setLatency(c, far, up.latency, { jitter: up.jitter });
    sim.setLatency(far, c, down.latency, { jitter: down.jitter });
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
  const sim = simOf(backend);
  if (sim) {
    await sim.runUntil(() => done, CLOSE_LIMIT);
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
    if (c && !cast.dead.has(host)) await step(`closing client ${host}`, () => c.close());
  }
  const server = cast.server;
  if (server && !cast.dead.has(SERVER_HOST)) await step('closing the server', () => server.close());
  const sim = simOf(cast.backend);
  if (sim) {
    // Faults still on would hold the last packets (a FIN behind a partition) for ever; a crashed host
    // stays down (its peers' kernels give up on it by themselves).
    for (const [id, heal] of heals) {
      const entry = cast.s.faults.find((f) => f.id === id);
      if (entry?.fault.type === 'crash') continue;
      await step(`healing fault "${id}" after the run`, heal);
    }
  }
  const proxy = cast.proxy;
  if (proxy) await step('removing the proxy', () => proxy.remove());
  if (sim) {
    const limit = o.drainLimit ?? 1_000_000;
    const drained = await sim.runUntil(() => sim.pendingTimers() === 0, limit);
    if (!drained) {
      errors.push(
        `${sim.pendingTimers()} timer(s) still pending ${limit} ms after the subjects were closed (a timer or socket left running)`,
      );
    }
    const open = sim.openSockets();
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
  const backend = await makeBackend(o, seed);
  const ownsBackend = !o.backendInstance;
  const start = backend.now();
  const recorder = new Recorder(() => backend.now() - start);
  const clientHosts = Array.from({ length: s.clients }, (_, i) => clientHost(i, s.clients));
  const cast = new Cast(s, backend, recorder, subject, clientHosts);
  const heals = new Map<string, Heal>();
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
  const faultTimers: ReturnType<Simulation['clock']['setTimeout']>[] = [];
  const cancelFaults = (): void => {
    const sim = simOf(backend);
    for (const id of faultTimers.splice(0)) sim?.clock.clearTimeout(id);
  };
  try {
    configureLinks(backend, s, clientHosts);
    const sim = simOf(backend);
    const pending: Promise<void>[] = [];
    let faultError: RunError | undefined;
    if (sim) {
      for (const { t, kind, entry } of timeline(s.faults)) {
        const id = sim.clock.setTimeout(
          () => {
            pending.push(
              step(kind, entry).catch((e: Error) => {
                faultError ??= new RunError(
                  s.name,
                  `${kind === 'on' ? 'applying' : 'healing'} fault "${entry.id}" (${entry.fault.type}) at ${t} ms: ${e.message}`,
                );
              }),
            );
          },
          start + t - sim.now(),
        );
        faultTimers.push(id);
      }
    }
    await cast.startServer();
    const serverAddress = cast.server!.address;
    if (s.topology.kind === 'proxy') {
      cast.proxy = await backend.createProxy({
        name: `flatline-${s.name}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60),
        listen: cast.isSim ? `${PROXY_HOST}:${SIM_PROXY_PORT}` : '127.0.0.1:0',
        upstream: `${cast.isSim ? SERVER_HOST : serverAddress.host}:${serverAddress.port}`,
      });
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
    if (!sim) while (plan[0] && plan[0].t <= 0) await real(0, plan[0].kind, plan.shift()!.entry);
    for (let i = 0; i < clientHosts.length; i++) await cast.startClient(i);

    if (sim) {
      await backend.runFor(start + s.duration - sim.now());
      await Promise.all(pending);
      if (faultError) throw faultError;
    } else {
      for (const { t, kind, entry } of plan) {
        const wait = start + t - backend.now();
        if (wait > 0) await backend.runFor(wait);
        await real(t, kind, entry);
      }
      const rest = start + s.duration - backend.now();
      if (rest > 0) await backend.runFor(rest);
    }
    end = backend.now() - start;
  } catch (e) {
    // The run itself failed: still leave nothing behind, then report the first cause.
    cancelFaults();
    await teardown(cast, heals, ownsBackend, o).catch(() => {});
    throw e;
  }
  cancelFaults();
  teardownErrors = await teardown(cast, heals, ownsBackend, o);

  const config = referenceConfigOf(s);
  const metrics = computeMetrics({
    recorder,
    faults: s.faults,
    end,
    serverHost: SERVER_HOST,
    topology: s.topology.kind,
    ...(config ? { bounds: { config, topology: s.topology } } : {}),
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

  const sim = simOf(backend);
  const traceHash = sim ? sim.trace.hash() : observedHash(recorder);
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
  if (o.file) result.file = o.file;
  return result;
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
