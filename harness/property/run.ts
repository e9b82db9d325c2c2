/**
 * Runs one property case on the simulator through the scenario runner, and keeps what the
 * properties need beyond the ScenarioResult: every connection of each side as seen at the Runtime
 * boundary (our own Recorder, so no property depends on how the metrics attribute ends to faults),
 * the subject's events with their virtual times, the open sockets at chosen instants, and the
 * timers and sockets each host still holds after the subject was stopped.
 */
import type { Runtime } from '../../impl/runtime.ts';
import type { Address, ServerHandle, Subject, SubjectEvent, SubjectHandle, VirtualTime } from '../backend.ts';
import { createBackend } from '../backends.ts';
import { kindOf } from '../faults/registry.ts';
import { Recorder } from '../observe/recorder.ts';
import type { ScenarioResult, Side } from '../result.ts';
import { REAL_EPSILON_MS, runScenario } from '../scenario/runner.ts';
import type { Scenario } from '../scenario/schema.ts';
import type { ToxiproxyServer } from '../toxiproxy/launcher.ts';
import { caseScenario, type PropertyCase } from './case.ts';

/** The hosts the runner uses for one client in the direct topology. */
export const CLIENT_HOST = 'client';
export const SERVER_HOST = 'server';

/** The client hosts of a case: `client` alone, or `client-1` … `client-n` for a herd (the runner's names). */
export function clientHosts(c: PropertyCase): string[] {
  const n = c.clients ?? 1;
  return n === 1 ? [CLIENT_HOST] : Array.from({ length: n }, (_, i) => `client-${i + 1}`);
}
/** Virtual ms the runner may drain after teardown (see runCase). */
const DRAIN_LIMIT = 1_100_000;

export interface TimedEvent extends SubjectEvent {
  /** Virtual time the harness received it. */
  t: number;
  host: string;
}

/** Open sockets per host at one instant, taken before anything else due at that instant runs. */
export interface Snapshot {
  t: number;
  sockets: Record<string, number>;
}

/** What a host still holds once the subject's close() promise has resolved. */
export interface Leftover {
  host: string;
  /** Virtual time close() resolved. */
  t: number;
  timers: number;
  sockets: number;
}

export interface CaseRun {
  case: PropertyCase;
  scenario: Scenario;
  result: ScenarioResult;
  recorder: Recorder;
  events: TimedEvent[];
  snapshots: Map<number, Snapshot>;
  leftovers: Leftover[];
  /**
   * Scenario ms every bound is widened by: 0 on the simulator (exact), the runner's real-network ε
   * (REAL_EPSILON_MS at the time scale) on Toxiproxy.
   */
  tolerance: number;
  /**
   * Real runs: when teardown began. A real timer may wake a little before the run's last instant, so
   * what teardown closed counts as closed at the run's end, as on the simulator.
   */
  teardownAt?: number;
}

/** Cases on real TCP through a running Toxiproxy, in scenario time scaled by `timeScale`. */
export interface RealCaseBackend {
  server: ToxiproxyServer;
  timeScale: number;
}

export interface RunCaseOptions {
  /** Scenario name (reports, replay command, counterexample file). */
  name: string;
  description?: string;
  /** Instants (ms from the start) at which to count open sockets per host. */
  checkpoints?: readonly number[];
  /** Extra words for the replay command, e.g. `--subject ./mine.ts`. */
  replayExtra?: string;
  /** Run on real Toxiproxy instead of the simulator (no hygiene or determinism there). */
  real?: RealCaseBackend;
}

/**
 * Wraps a subject so that its sockets go through our Recorder and its events are kept with times;
 * listeners the runner adds get every event too, including those emitted before they subscribed.
 */
function observeSubject(
  subject: Subject<never>,
  recorder: Recorder,
  events: TimedEvent[],
  now: () => number,
  time: VirtualTime,
  leftovers: Leftover[],
): Subject<unknown> {
  const inner = subject as unknown as Subject<unknown>;
  const hostOf = (runtime: Runtime, fallback: string) => (runtime as { host?: string }).host ?? fallback;
  const relay = (handle: SubjectHandle, host: string): SubjectHandle => {
    const seen: SubjectEvent[] = [];
    const listeners: ((e: SubjectEvent) => void)[] = [];
    handle.onEvent?.((e) => {
      events.push({ ...e, t: now(), host });
      seen.push(e);
      for (const l of listeners) l(e);
    });
    const wrapped: SubjectHandle = {
      // "After stop" is the instant close() resolves: count what the host still holds right then,
      // before the runner lets the clock run on (a leaked one-shot timer would fire and vanish).
      close: async () => {
        await handle.close();
        leftovers.push({
          host,
          t: now(),
          timers: time.processTimers(host),
          sockets: time.openSockets(host),
        });
      },
    };
    if (handle.onEvent) {
      wrapped.onEvent = (listener) => {
        listeners.push(listener);
        for (const e of seen) listener(e);
      };
    }
    return wrapped;
  };
  return {
    name: subject.name,
    async startServer(runtime: Runtime, address: Address, config: unknown): Promise<ServerHandle> {
      const host = hostOf(runtime, SERVER_HOST);
      const handle = await inner.startServer(recorder.observe(runtime, 'server', host), address, config);
      return { ...relay(handle, host), address: handle.address };
    },
    async startClient(runtime: Runtime, target: Address, config: unknown): Promise<SubjectHandle> {
      const host = hostOf(runtime, CLIENT_HOST);
      const handle = await inner.startClient(recorder.observe(runtime, 'client', host), target, config);
      return relay(handle, host);
    },
  };
}

export async function runCase(
  subject: Subject<never>,
  c: PropertyCase,
  options: RunCaseOptions,
): Promise<CaseRun> {
  const scenario = caseScenario(c, {
    name: options.name,
    ...(options.description === undefined ? {} : { description: options.description }),
  });
  if (options.real) return runRealCase(subject, c, scenario, options, options.real);
  const backend = await createBackend('sim', { seed: c.seed, retainTrace: false });
  const time = backend.capabilities.virtualTime!;
  const now = () => backend.now();
  const recorder = new Recorder(now);
  const events: TimedEvent[] = [];
  const snapshots = new Map<number, Snapshot>();
  // Created before the runner's fault timers, so at a fault's onset the count is taken first.
  for (const t of new Set(options.checkpoints ?? [])) {
    if (t < 0 || t > c.duration) continue;
    time.schedule(t, () => {
      const sockets: Record<string, number> = {};
      for (const h of time.hostNames()) sockets[h] = time.openSockets(h);
      snapshots.set(t, { t, sockets });
    });
  }
  const leftovers: Leftover[] = [];
  try {
    const result = await runScenario(scenario, {
      backend: 'sim',
      seed: c.seed,
      subject: observeSubject(subject, recorder, events, now, time, leftovers) as Subject<never>,
      backendInstance: backend,
      // Towards a host that crashed for good, a kernel retransmits until Linux's give-up (924.6 s
      // after the oldest unacknowledged byte), checked when the 120 s RTO next fires: up to
      // ~1045 s after the teardown. The drain must outlast that, or it reports a leak that is not.
      drainLimit: DRAIN_LIMIT,
      ...(options.replayExtra ? { replayExtra: options.replayExtra } : {}),
    });
    return { case: c, scenario, result, recorder, events, snapshots, leftovers, tolerance: 0 };
  } finally {
    await backend.close();
  }
}

/**
 * One case on real TCP through Toxiproxy: the runner's own Recorder is the observation (it watches
 * an in-process subject's sockets, and an external subject's through its taps), and the socket
 * counts at the checkpoints are read from its connections afterwards. Nothing is left to count after
 * stop on a real network, so there are no leftovers.
 */
async function runRealCase(
  subject: Subject<never>,
  c: PropertyCase,
  scenario: Scenario,
  options: RunCaseOptions,
  real: RealCaseBackend,
): Promise<CaseRun> {
  const backend = await createBackend('toxiproxy', { server: real.server, timeScale: real.timeScale });
  let recorder: Recorder | undefined;
  try {
    const result = await runScenario(scenario, {
      backend: 'toxiproxy',
      subject,
      backendInstance: backend,
      onRecorder: (r) => {
        recorder = r;
      },
      ...(options.replayExtra ? { replayExtra: options.replayExtra } : {}),
    });
    const r = recorder!;
    const events: TimedEvent[] = r
      .runEvents()
      .filter((e) => e.kind === 'subject' && e.event)
      .map((e) => ({ ...e.event!, t: e.t, host: e.host }));
    const teardownAt = r.teardownFrom === undefined ? undefined : (r.events[r.teardownFrom]?.t ?? c.duration);
    const snapshots = new Map<number, Snapshot>();
    for (const t of new Set(options.checkpoints ?? [])) {
      const sockets: Record<string, number> = {};
      for (const conn of r.connections.values()) {
        const closed =
          conn.closed !== undefined && (teardownAt === undefined || conn.closed < teardownAt)
            ? conn.closed
            : undefined;
        const open = conn.opened <= t && (closed === undefined || closed > t);
        sockets[conn.host] = (sockets[conn.host] ?? 0) + (open ? 1 : 0);
      }
      snapshots.set(t, { t, sockets });
    }
    return {
      case: c,
      scenario,
      result,
      recorder: r,
      events,
      snapshots,
      leftovers: [],
      tolerance: Math.ceil(REAL_EPSILON_MS / backend.timeScale),
      ...(teardownAt === undefined ? {} : { teardownAt }),
    };
  } finally {
    await backend.close();
  }
}

/** One connection of one side, from the harness's own observation. */
export interface Session {
  conn: string;
  side: Side;
  host: string;
  /** Dial or accept. */
  opened: number;
  /** TCP connected (client), or accepted (server); undefined for a dial that never connected. */
  connected: number | undefined;
  /** First instant this side knew it was over (close, error, its own end/destroy), or its crash. */
  ended: number | undefined;
  /** Ended by a crash of its host, not by anything the subject did. */
  vanished?: boolean;
}

/**
 * Every connection of one side (of one host, if given). A crash kills the process silently, so its
 * sockets never report an end: those still open at the crash end there (`vanished`).
 */
export function sessions(run: CaseRun, side: Side, host?: string): Session[] {
  const connectAt = new Map<string, number>();
  for (const e of run.recorder.events) {
    if (e.kind === 'connect' && e.conn !== undefined && !connectAt.has(e.conn)) connectAt.set(e.conn, e.t);
  }
  // A fault that stops this side's process (a crash) ends its sessions silently.
  const crashes = run.case.faults
    .filter(
      (f) => kindOf(f.fault).healAtTeardown === false && kindOf(f.fault).stops?.(f.fault as never) === side,
    )
    .map((f) => f.at);
  return [...run.recorder.connections.values()]
    .filter((c) => c.side === side && (host === undefined || c.host === host))
    .map((c) => {
      const crash = crashes.find((t) => t >= c.opened && (c.ended === undefined || c.ended > t));
      const byTeardown = run.teardownAt !== undefined && c.ended !== undefined && c.ended >= run.teardownAt;
      const s: Session = {
        conn: c.conn,
        side: c.side,
        host: c.host,
        opened: c.opened,
        connected: side === 'server' ? c.opened : connectAt.get(c.conn),
        ended: crash ?? (byTeardown ? Math.max(c.ended!, run.case.duration) : c.ended),
      };
      if (crash !== undefined) s.vanished = true;
      return s;
    });
}

/** Dials the clients (or the client on `host`) made in (from, to]. */
export function dials(run: CaseRun, from: number, to: number, host?: string): number {
  return run.recorder.events.filter(
    (e) =>
      e.side === 'client' &&
      e.kind === 'dial' &&
      e.t > from &&
      e.t <= to &&
      (host === undefined || e.host === host),
  ).length;
}
