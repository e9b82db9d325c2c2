/**
 * Runs one scenario on either backend: starts the subject's server and clients behind the chosen
 * topology, plays the fault timeline on the backend's clock, tears everything down and turns what the
 * Recorder saw into a ScenarioResult. The runner owns the schedule (turmoil's rule: the harness, not
 * the subject, drives time).
 */
import { createHash } from 'node:crypto';
import type { Runtime } from '../../impl/runtime.ts';
import type { Address, Backend, FaultProxy, ServerHandle, Subject, SubjectHandle } from '../backend.ts';
import { computeMetrics, faultWindows } from '../observe/metrics.ts';
import { Recorder } from '../observe/recorder.ts';
import type { ExpectationVerdict, ScenarioResult } from '../result.ts';
import type { SimBackend } from '../sim/backend.ts';
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
  /** The implementation under test; default the reference subject. */
  subject?: Subject<never>;
  /** The file the scenario came from, for the replay command. */
  file?: string;
  /** Keep every simulator trace event (default false: the hash is kept either way). */
  retainTrace?: boolean;
  /** A ready backend to use instead of creating one (the caller then owns its close()). */
  backendInstance?: Backend;
  /** Extra words for the replay command (e.g. --subject ./mine.ts). */
  replayExtra?: string;
}

/** Raised for a scenario the chosen backend cannot run (e.g. a sim-only fault on toxiproxy). */
export class RunError extends Error {
  constructor(
    readonly scenario: string,
    message: string,
  ) {
    super(`scenario "${scenario}": ${message}`);
    this.name = 'RunError';
  }
}

const SERVER_HOST = 'server';
const PROXY_HOST = 'toxiproxy';
const SIM_SERVER_PORT = 7000;
const SIM_PROXY_PORT = 27000;

function clientHost(i: number, n: number): string {
  return n === 1 ? 'client' : `client-${i + 1}`;
}

function parseHostPort(s: string): Address {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
}

async function makeBackend(s: Scenario, o: RunOptions, seed: number): Promise<Backend> {
  if (o.backendInstance) return o.backendInstance;
  if (o.backend === 'sim') {
    const { createSimBackend } = await import('../sim/backend.ts');
    return createSimBackend({ seed, retainTrace: o.retainTrace ?? false });
  }
  const sim = s.faults.find((f) => isSimFault(f.fault));
  if (sim) {
    throw new RunError(
      s.name,
      `fault "${sim.id}" (${sim.fault.type}) exists only on the sim backend; run with --backend sim`,
    );
  }
  const { createToxiproxyBackend } = await import('../toxiproxy/backend.ts');
  return createToxiproxyBackend({ timeScale: o.timeScale ?? 0.01 });
}

/** The simulator behind a sim backend, for faults Toxiproxy cannot make. */
function simOf(backend: Backend, s: Scenario, entry: FaultEntry) {
  const sim = (backend as Partial<SimBackend>).sim;
  if (!sim) throw new RunError(s.name, `fault "${entry.id}" (${entry.fault.type}) needs the sim backend`);
  return sim;
}

interface Running {
  backend: Backend;
  proxy: FaultProxy | undefined;
  server: ServerHandle | undefined;
  clients: (SubjectHandle | undefined)[];
  startServer(): Promise<void>;
  startClient(i: number): Promise<void>;
}

type Heal = () => Promise<void>;

async function applyFault(s: Scenario, r: Running, entry: FaultEntry, clientHosts: string[]): Promise<Heal> {
  const f = entry.fault;
  if (!isSimFault(f)) {
    if (!r.proxy) throw new RunError(s.name, `fault "${entry.id}" (${f.type}) needs the proxy topology`);
    const proxy = r.proxy;
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
  const sim = simOf(r.backend, s, entry);
  const pairs = clientHosts.map((c) => [c, SERVER_HOST] as const);
  switch (f.type) {
    case 'partition': {
      const direction = f.direction === 'both' ? 'both' : f.direction === 'client->server' ? 'a->b' : 'b->a';
      const handles = pairs.map(([a, b]) =>
        sim.faults.partition(a, b, { direction, mode: f.mode, convention: f.convention }),
      );
      return async () => handles.forEach((h) => h.heal());
    }
    case 'crash': {
      const hosts = f.host === 'server' ? [SERVER_HOST] : clientHosts;
      for (const h of hosts) sim.faults.crash(h);
      return async () => {
        for (const h of hosts) sim.faults.restart(h);
        // A restarted machine runs its service again, as an init system would.
        if (f.host === 'server') await r.startServer();
        else for (let i = 0; i < clientHosts.length; i++) await r.startClient(i);
      };
    }
    case 'pause': {
      const hosts = f.host === 'server' ? [SERVER_HOST] : clientHosts;
      const span = (entry.until ?? s.duration) - entry.at;
      for (const h of hosts) sim.faults.pause(h, span);
      return async () => {};
    }
    case 'clock-skew': {
      const hosts = f.host === 'server' ? [SERVER_HOST] : clientHosts;
      for (const h of hosts) sim.faults.setSkew(h, f.offset);
      return async () => hosts.forEach((h) => sim.faults.setSkew(h, 0));
    }
    case 'nat': {
      const handles = pairs.map(([a, b]) =>
        sim.faults.nat(a, b, { idleTimeout: f.idleTimeout, action: f.action }),
      );
      return async () => handles.forEach((h) => h.remove());
    }
    case 'loss': {
      const faults = sim.faults as unknown as {
        loss?: (a: string, b: string, o: object) => { heal(): void };
      };
      if (!faults.loss)
        throw new RunError(s.name, `fault "${entry.id}": the simulator has no loss model yet`);
      const direction = f.direction === 'both' ? 'both' : f.direction === 'client->server' ? 'a->b' : 'b->a';
      const handles = pairs.map(([a, b]) =>
        faults.loss!(a, b, { direction, probability: f.probability, retransmitAfter: f.retransmitAfter }),
      );
      return async () => handles.forEach((h) => h.heal());
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
  const sim = (backend as Partial<SimBackend>).sim;
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

export async function runScenario(s: Scenario, o: RunOptions): Promise<ScenarioResult> {
  const seed = o.seed ?? s.seed ?? 1;
  const subject = (o.subject ?? referenceSubject) as Subject<unknown>;
  if (s.subject !== 'reference' && !o.subject) {
    throw new RunError(s.name, `subject "${s.subject}" is not built in: pass --subject <module>`);
  }
  const backend = await makeBackend(s, o, seed);
  const ownsBackend = !o.backendInstance;
  const recorder = new Recorder(() => backend.now());
  const clientHosts = Array.from({ length: s.clients }, (_, i) => clientHost(i, s.clients));
  configureLinks(backend, s, clientHosts);
  const isSim = backend.kind === 'sim';
  const watch = (runtime: Runtime, side: 'client' | 'server', host: string): Runtime =>
    recorder.observe(runtime, side, host);
  const listen = (handle: SubjectHandle, side: 'client' | 'server', host: string): void =>
    handle.onEvent?.((e) => recorder.subjectEvent(side, host, e));

  let target: Address | undefined;
  const running: Running = {
    backend,
    proxy: undefined,
    server: undefined,
    clients: [],
    async startServer() {
      const rt = watch(backend.runtime(SERVER_HOST), 'server', SERVER_HOST);
      const where = isSim
        ? { host: SERVER_HOST, port: SIM_SERVER_PORT }
        : { host: '127.0.0.1', port: running.server?.address.port ?? 0 };
      running.server = await subject.startServer(rt, where, s.config);
      listen(running.server, 'server', SERVER_HOST);
    },
    async startClient(i) {
      const host = clientHosts[i]!;
      const handle = await subject.startClient(
        watch(backend.runtime(host), 'client', host),
        target!,
        s.config,
      );
      running.clients[i] = handle;
      listen(handle, 'client', host);
    },
  };

  const start = backend.now();
  let end = start;
  const errors: string[] = [];
  try {
    await running.startServer();
    const serverAddress = running.server!.address;
    if (s.topology.kind === 'proxy') {
      running.proxy = await backend.createProxy({
        name: `flatline-${s.name}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 60),
        listen: isSim ? `${PROXY_HOST}:${SIM_PROXY_PORT}` : '127.0.0.1:0',
        upstream: `${isSim ? SERVER_HOST : serverAddress.host}:${serverAddress.port}`,
      });
      target = parseHostPort(running.proxy.listen);
    } else {
      target = isSim ? { host: SERVER_HOST, port: serverAddress.port } : serverAddress;
    }
    for (let i = 0; i < clientHosts.length; i++) await running.startClient(i);

    const heals = new Map<string, Heal>();
    const step = async (kind: 'on' | 'off', entry: FaultEntry): Promise<void> => {
      if (kind === 'on') heals.set(entry.id, await applyFault(s, running, entry, clientHosts));
      else await heals.get(entry.id)?.();
    };
    const sim = (backend as Partial<SimBackend>).sim;
    if (sim) {
      // Fault changes are timers created now, before any subject timer due at the same instant, so
      // by the creation-order rule a fault at f acts before everything else at f (BOUNDS.md C1:
      // deliveries arriving at or after f are lost).
      const pending: Promise<void>[] = [];
      for (const { t, kind, entry } of timeline(s.faults)) {
        sim.clock.setTimeout(
          () => {
            pending.push(step(kind, entry));
          },
          start + t - sim.now(),
        );
      }
      await backend.runFor(start + s.duration - sim.now());
      await Promise.all(pending);
    } else {
      for (const { t, kind, entry } of timeline(s.faults)) {
        const wait = start + t - backend.now();
        if (wait > 0) await backend.runFor(wait);
        await step(kind, entry);
      }
      const rest = start + s.duration - backend.now();
      if (rest > 0) await backend.runFor(rest);
    }
    end = backend.now();
  } finally {
    // Teardown in reverse order; every step runs even when one fails.
    for (const c of running.clients)
      await c?.close().catch((e: Error) => errors.push(`client close: ${e.message}`));
    await running.server?.close().catch((e: Error) => errors.push(`server close: ${e.message}`));
    if (ownsBackend) await backend.close().catch((e: Error) => errors.push(`backend close: ${e.message}`));
  }

  const config = referenceConfigOf(s);
  // Times in the result are relative to the start of the run, like the scenario's own `at`s.
  const shifted = s.faults.map((f) => ({
    ...f,
    at: f.at + start,
    ...(f.until === undefined ? {} : { until: f.until + start }),
  }));
  const metrics = computeMetrics({
    recorder,
    faults: shifted,
    duration: s.duration,
    start,
    end,
    clientHosts,
    serverHost: SERVER_HOST,
    ...(config ? { bounds: { config, topology: s.topology, remaining: s.duration } } : {}),
  });
  const rel = (t: number) => t - start;
  for (const d of metrics.detections) d.at = rel(d.at);
  for (const d of metrics.falseDetections) d.at = rel(d.at);
  for (const r of metrics.reconnects) r.at = rel(r.at);
  for (const l of metrics.lanes) {
    l.opened = rel(l.opened);
    if (l.closed !== undefined) l.closed = rel(l.closed);
    for (const e of l.events) e.t = rel(e.t);
  }

  const subjectEvents = recorder.events
    .filter((e) => e.kind === 'subject' && e.event)
    .map((e) => ({
      t: rel(e.t),
      side: e.side,
      type: e.event!.type,
      state: e.event!.state as string | undefined,
      reason: e.event!.reason,
    }));
  const expectations: ExpectationVerdict[] = s.expect.map((e) =>
    evaluate(e, {
      measured: metrics,
      faults: s.faults,
      config,
      subjectEvents,
      attempts: (from, to) =>
        recorder.events.filter((x) => x.kind === 'dial' && rel(x.t) > from && rel(x.t) <= to).length,
    }),
  );
  for (const message of errors) expectations.push({ name: 'clean teardown', passed: false, detail: message });

  const sim = (backend as Partial<SimBackend>).sim;
  const traceHash = sim ? sim.trace.hash() : observedHash(recorder);
  const replay = [
    'npx flatline run',
    o.file ?? `<${s.name}.yaml>`,
    `--backend ${backend.kind}`,
    `--seed ${seed}`,
    ...(backend.kind === 'toxiproxy' ? [`--time-scale ${backend.timeScale}`] : []),
    ...(o.replayExtra ? [o.replayExtra] : []),
  ].join(' ');
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
    ...metrics,
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
  if (o.file) result.file = o.file;
  return result;
}

/**
 * Real runs are not reproducible to the millisecond, so their hash covers the order and kind of
 * what was observed, not the timestamps.
 */
function observedHash(recorder: Recorder): string {
  const h = createHash('sha256');
  for (const e of recorder.events) h.update(`${e.side}|${e.kind}|${e.event?.type ?? ''}\n`);
  return h.digest('hex');
}
