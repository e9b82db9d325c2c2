/**
 * From what was observed to what it means: per-side detections of each fault (time after onset,
 * reason, bound), reconnects after heal, false detections, heartbeat overhead and the swimlanes.
 *
 * "Side X detected the fault" (ARCHITECTURE.md, Observation): X closed or destroyed its end of a
 * connection that was established at the onset, or reported a death for it — whichever came first.
 * This needs no cooperation from the subject; a subject's death events (tied to their socket by the
 * Recorder, never by guessing from timestamps) only sharpen the reason.
 *
 * Every end of an established connection is exactly one of:
 * - a detection of fault F: the connection was established at F's onset and ended inside F's window
 *   (from the onset to the later of its heal and the end of the side's bound, plus a grace of the
 *   slowest mechanism, since a fault's effects can outlast its heal); with several candidates, the
 *   latest onset wins;
 * - part of an outage: the connection was established while a fault that kills connections was on
 *   (a reconnect attempt that died again) — neither a detection nor a mistake;
 * - a false detection: this side decided on its own (a timeout of its own, or it closed first) while
 *   no such fault explains it — BOUNDS.md's "mistake";
 * - collateral: the peer closed it (a FIN or RST from a live peer): the peer's decision, counted on
 *   the peer's side.
 *
 * Heartbeat overhead (F20) is messages and bytes per connection-hour on a side's established
 * connections, business traffic left out. When the subject reports its own counters — one `sent`
 * event per message handed to the socket, with its `class` (the reference subject does) — it counts
 * the heartbeat protocol's messages: pings, pongs, and the control frames (the hello that opens each
 * connection, a bye), never business ones. A subject that reports none is measured at the socket:
 * every write counts, which is the same number as long as it sends no business traffic.
 */

import { type BoundContext, detectionBound, reconnectBound } from '../faults/bounds.ts';
import { faultClass, kindOf } from '../faults/registry.ts';
import type {
  Bound,
  ConnectionLane,
  Detection,
  FalseDetection,
  FaultWindow,
  HerdSummary,
  LaneEvent,
  Overhead,
  Reconnect,
  Side,
} from '../result.ts';
import type { FaultEntry } from '../scenario/schema.ts';
import { within } from './bounds.ts';
import type { ObservedConnection, ObservedEvent, Recorder } from './recorder.ts';

export interface MetricsInput {
  recorder: Recorder;
  /** The fault timeline, in scenario time (the recorder's clock counts from the start of the run). */
  faults: FaultEntry[];
  /** Scenario time at which teardown began: nothing after it is measured. */
  end: number;
  serverHost: string;
  /** How client and server sockets pair up: by ports (direct) or in order of accept (proxy). */
  topology: 'proxy' | 'direct';
  /** The reference subject's config, for bounds; without it detections carry no bound. */
  bounds?: Omit<BoundContext, 'remaining'>;
  /** Which side sends the pings (socket.io's server does); default the client. */
  pinger?: Side;
}

export interface Metrics {
  detections: Detection[];
  falseDetections: FalseDetection[];
  reconnects: Reconnect[];
  herd: HerdSummary[];
  overhead: { client: Overhead; server: Overhead };
  lanes: ConnectionLane[];
}

/** Death reasons (F15) that are this side's own decision, as opposed to hearing the peer or the path. */
const OWN_DECISIONS = new Set([
  'heartbeat-timeout',
  'read-deadline',
  'write-deadline',
  'keepalive',
  'protocol-error',
  // The reference server drops a peer that does not read (impl/: backpressure).
  'backpressure',
]);

interface End {
  side: Side;
  host: string;
  socket: string;
  lane: string;
  connected: number;
  at: number;
  reason: string;
  /** This side decided (a deadline of its own, or it closed before hearing anything). */
  own: boolean;
}

/** What the run saw, indexed once. */
class Observed {
  readonly events: ObservedEvent[];
  readonly bySocket = new Map<string, ObservedEvent[]>();
  readonly established: ObservedConnection[];
  /** Server socket → the client socket it pairs with. */
  readonly pairs = new Map<string, string>();

  constructor(
    readonly recorder: Recorder,
    topology: 'proxy' | 'direct',
  ) {
    this.events = recorder.runEvents();
    for (const e of this.events) {
      if (e.conn === undefined) continue;
      const list = this.bySocket.get(e.conn) ?? [];
      list.push(e);
      this.bySocket.set(e.conn, list);
    }
    // Established during the run proper: a connect (or accept) that teardown did not bring about.
    this.established = [...recorder.connections.values()].filter((c) =>
      this.of(c.conn).some((e) => e.kind === 'connect' || e.kind === 'accept'),
    );
    if (topology === 'direct') this.pairByPorts();
    else this.pairInOrder();
  }

  of(socket: string): ObservedEvent[] {
    return this.bySocket.get(socket) ?? [];
  }

  lane(c: ObservedConnection): string {
    return c.side === 'client' ? c.conn : (this.pairs.get(c.conn) ?? c.conn);
  }

  /** End to end TCP: the server's remote address and port are the client's local ones. */
  private pairByPorts(): void {
    const clients = new Map<string, string>();
    for (const c of this.established) {
      if (c.side === 'client') clients.set(`${c.localAddress}:${c.localPort}`, c.conn);
    }
    for (const s of this.established) {
      if (s.side !== 'server') continue;
      const c = clients.get(`${s.remoteAddress}:${s.remotePort}`);
      if (c) this.pairs.set(s.conn, c);
    }
  }

  /**
   * Through a proxy the two TCP connections share no address. The proxy dials the server when it
   * accepts a client, so the server accepts in the order the clients connected: each server socket
   * pairs with the earliest unpaired client socket that connected no later and was still open.
   * Exact when every client leg has the same delay; with jitter two clients connecting within the
   * jitter of each other may be swapped (this only moves a lane, never a measurement).
   */
  private pairInOrder(): void {
    const clients = this.established
      .filter((c) => c.side === 'client')
      .sort((a, b) => a.connected! - b.connected!);
    const taken = new Set<string>();
    const servers = this.established
      .filter((c) => c.side === 'server')
      .sort((a, b) => a.connected! - b.connected!);
    for (const s of servers) {
      const c = clients.find(
        (c) =>
          !taken.has(c.conn) && c.connected! <= s.connected! && (this.endOf(c) ?? Infinity) >= s.connected!,
      );
      if (!c) continue;
      taken.add(c.conn);
      this.pairs.set(s.conn, c.conn);
    }
  }

  private readonly ends = new Map<string, number | undefined>();

  /** When this side's end of the socket ended during the run, if it did. */
  endOf(c: ObservedConnection): number | undefined {
    if (this.ends.has(c.conn)) return this.ends.get(c.conn);
    let at: number | undefined;
    for (const e of this.of(c.conn)) {
      const ends =
        e.kind === 'close' ||
        e.kind === 'error' ||
        e.kind === 'local-end' ||
        e.kind === 'local-destroy' ||
        e.kind === 'local-reset' ||
        (e.kind === 'subject' && e.event?.type === 'death');
      if (ends) {
        at = e.t;
        break;
      }
    }
    this.ends.set(c.conn, at);
    return at;
  }
}

/** F15 reason from the socket alone, for subjects that report no deaths. */
function socketReason(events: ObservedEvent[]): string {
  const err = events.find((e) => e.kind === 'error');
  const firstLocal = events.find((e) => e.kind.startsWith('local-'));
  const remoteEnd = events.find((e) => e.kind === 'end');
  if (err && (!firstLocal || err.seq < firstLocal.seq)) {
    if (err.code === 'ECONNRESET') return 'reset';
    if (err.code === 'ETIMEDOUT') return 'keepalive';
    if (err.code === 'EPIPE') return 'write-error';
    return `error ${err.code}`;
  }
  if (remoteEnd && (!firstLocal || remoteEnd.seq < firstLocal.seq)) return 'fin';
  if (firstLocal) return 'closed';
  return 'close';
}

/** True when this side ended the connection before hearing anything from the peer or the path. */
function closedFirst(events: ObservedEvent[]): boolean {
  const local = events.find((e) => e.kind.startsWith('local-'));
  const remote = events.find((e) => e.kind === 'end' || e.kind === 'error');
  return local !== undefined && (remote === undefined || local.seq < remote.seq);
}

function ends(o: Observed): End[] {
  const out: End[] = [];
  for (const c of o.established) {
    const events = o.of(c.conn);
    const at = o.endOf(c);
    if (at === undefined) continue;
    const death = events.find((e) => e.kind === 'subject' && e.event?.type === 'death');
    const reason = death ? String(death.event?.reason ?? 'death') : socketReason(events);
    out.push({
      side: c.side,
      host: c.host,
      socket: c.conn,
      lane: o.lane(c),
      connected: c.connected!,
      at,
      reason,
      own: death ? OWN_DECISIONS.has(reason) : closedFirst(events),
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

export function faultWindows(faults: FaultEntry[]): FaultWindow[] {
  return faults.map((f) => {
    const kind = kindOf(f.fault);
    const { type, ...attributes } = f.fault as { type: string } & Record<string, unknown>;
    const w: FaultWindow = { id: f.id, type, at: f.at, target: kind.target(f.fault as never), attributes };
    if (f.until !== undefined) w.until = f.until;
    const convention = kind.convention?.(f.fault as never);
    if (convention) w.convention = convention;
    return w;
  });
}

export function computeMetrics(input: MetricsInput): Metrics {
  const o = new Observed(input.recorder, input.topology);
  const all = ends(o);
  const dead = input.faults.filter((f) => faultClass(f) === 'dead');
  const config = input.bounds?.config;
  const r = input.bounds ? input.bounds.link.up.latency + input.bounds.link.down.latency : 0;
  // How long after the later of heal and bound a fault's effect can still surface: the slowest
  // mechanism of the reference subject, plus a round trip.
  const grace = config
    ? Math.max(
        config.interval * config.missThreshold + config.pongTimeout,
        config.readDeadline,
        config.writeDeadline,
      ) +
      2 * r
    : 0;
  const boundOf = (f: FaultEntry, side: Side): Bound | undefined =>
    input.bounds ? detectionBound(f, side, { ...input.bounds, remaining: input.end - f.at }) : undefined;
  // A fault's effects can surface after its heal, by at most the slowest mechanism (a ping lost just
  // before the heal still times out after it). Bounds are not used here: some are open-ended.
  const windowEnd = (f: FaultEntry): number => (f.until ?? input.end) + grace;

  const detections: Detection[] = [];
  const falseDetections: FalseDetection[] = [];
  for (const e of all) {
    const cause = dead
      .filter((f) => e.connected <= f.at && f.at <= e.at && e.at <= windowEnd(f))
      .sort((a, b) => b.at - a.at)[0];
    if (cause) {
      const delta = e.at - cause.at;
      const bound = boundOf(cause, e.side) ?? {
        min: 0,
        max: input.end - cause.at,
        why: `no bound: the ${e.side} is not expected to detect ${cause.fault.type}${config ? '' : ' (no reference config)'}`,
      };
      detections.push({
        side: e.side,
        conn: e.lane,
        reason: e.reason,
        at: e.at,
        fault: cause.id,
        delta,
        bound,
        withinBound: within(bound, delta),
        socket: e.socket,
      });
      continue;
    }
    const outage = dead.some(
      (f) => f.at < e.connected && e.connected <= (f.until ?? input.end) && e.at <= windowEnd(f),
    );
    if (outage || !e.own) continue;
    falseDetections.push({ side: e.side, conn: e.lane, reason: e.reason, at: e.at, socket: e.socket });
  }

  const reconnects = findReconnects(o, input, detections, grace);
  return {
    detections,
    falseDetections,
    reconnects,
    herd: herdOf(reconnects),
    overhead: {
      client: overhead(o, 'client', input.end),
      server: overhead(o, 'server', input.end),
    },
    lanes: lanes(o, detections, reconnects, input.pinger ?? 'client'),
  };
}

/**
 * Per client and fault: the first time the client is usable again after its detection — the first
 * connection established after it that proved healthy (its first pong came back; for subjects that
 * report no pongs, it stayed up for the grace period or to the end of the run), timed at the
 * subject's `ready` on it (else its connect). A connection that comes up while the fault still
 * swallows pings dies again and does not count. Counted from the heal, or from the detection when
 * the client reconnected before the heal or detected after it.
 */
function findReconnects(
  o: Observed,
  input: MetricsInput,
  detections: Detection[],
  grace: number,
): Reconnect[] {
  const out: Reconnect[] = [];
  const bound = input.bounds ? reconnectBound({ ...input.bounds, remaining: input.end }) : undefined;
  const seen = new Set<string>();
  const reportsPongs = o.events.some(
    (e) => e.kind === 'subject' && e.side === 'client' && e.event?.type === 'pong',
  );
  const stable = Math.max(grace, 1);
  const healthy = (c: ObservedConnection): boolean => {
    if (reportsPongs) return o.of(c.conn).some((e) => e.kind === 'subject' && e.event?.type === 'pong');
    const ended = o.endOf(c);
    return ended === undefined || ended - c.connected! >= stable;
  };
  const clientDetections = detections.filter((d) => d.side === 'client').sort((a, b) => a.at - b.at);
  for (const d of clientDetections) {
    const host = o.recorder.connections.get(d.socket ?? d.conn)?.host;
    if (host === undefined || seen.has(`${host}|${d.fault}`)) continue;
    seen.add(`${host}|${d.fault}`);
    const fault = input.faults.find((f) => f.id === d.fault)!;
    const next = o.established
      .filter((c) => c.host === host && c.side === 'client' && c.connected! >= d.at)
      .sort((a, b) => a.connected! - b.connected!)
      .find(healthy);
    if (!next) continue;
    const ready = o.of(next.conn).find((e) => e.kind === 'subject' && e.event?.type === 'ready');
    const readyAt = ready?.t ?? next.connected!;
    const heal = fault.until;
    // A connection that came up while the fault was still on is usable from the heal, unless it
    // already proved healthy before it (the fault did not touch new connections).
    const provenEarly =
      heal !== undefined &&
      o.of(next.conn).some((e) => e.kind === 'subject' && e.event?.type === 'pong' && e.t < heal);
    const afterHeal = heal !== undefined && heal >= d.at && !provenEarly;
    const at = afterHeal ? Math.max(readyAt, heal) : readyAt;
    const from = afterHeal ? heal : d.at;
    const attempts = o.events.filter(
      (e) => e.host === host && e.kind === 'dial' && e.t > d.at && e.t <= at,
    ).length;
    let b = bound ?? {
      min: 0,
      max: input.end - from,
      why: `no closed form for this subject: [0, end of run] = [0, ${input.end - from}]`,
    };
    // A connection whose handshake began before the heal (accepted by the kernel of a paused server,
    // or up through a stalled proxy) is usable as soon as the path is back: the best case is then 0.
    if (afterHeal && next.opened < heal) {
      b = { ...b, min: 0, why: `${b.why}; best case 0: its handshake began before the heal` };
    }
    const delta = at - from;
    out.push({
      client: host,
      at,
      delta,
      attempts,
      bound: b,
      withinBound: within(b, delta),
      fault: fault.id,
      after: afterHeal ? 'heal' : 'detection',
    });
  }
  return out;
}

function herdOf(reconnects: Reconnect[]): HerdSummary[] {
  const byFault = new Map<string, number[]>();
  for (const r of reconnects) {
    if (r.fault === undefined) continue;
    const list = byFault.get(r.fault) ?? [];
    list.push(r.delta);
    byFault.set(r.fault, list);
  }
  const out: HerdSummary[] = [];
  for (const [fault, deltas] of byFault) {
    if (deltas.length < 2) continue;
    const sorted = [...deltas].sort((a, b) => a - b);
    const first = sorted[0]!;
    const last = sorted[sorted.length - 1]!;
    // Nearest-rank median: a value some client actually measured.
    const p50 = sorted[Math.ceil(sorted.length / 2) - 1]!;
    out.push({ fault, clients: sorted.length, first, last, p50, spread: last - first });
  }
  return out;
}

function overhead(o: Observed, side: Side, end: number): Overhead {
  let writes = 0;
  let bytes = 0;
  let lifetime = 0;
  const counters = o.events.some((e) => e.kind === 'subject' && e.side === side && e.event?.type === 'sent');
  for (const c of o.established) {
    if (c.side !== side) continue;
    for (const e of o.of(c.conn)) {
      if (counters) {
        if (e.kind !== 'subject' || e.event?.type !== 'sent' || e.event.class === 'business') continue;
        writes += 1;
        bytes += typeof e.event.bytes === 'number' ? e.event.bytes : 0;
      } else if (e.kind === 'data-out') {
        writes += 1;
        bytes += e.bytes ?? 0;
      }
    }
    lifetime += (o.endOf(c) ?? end) - c.connected!;
  }
  const hours = lifetime / 3_600_000;
  return hours > 0
    ? { messagesPerHour: Math.round(writes / hours), bytesPerHour: Math.round(bytes / hours) }
    : { messagesPerHour: 0, bytesPerHour: 0 };
}

/**
 * Socket events drawn on a lane. Bytes the pinger sends are pings and bytes its peer sends are pongs,
 * on both rows: with a client pinger the server row's bytes in are pings, with a server pinger (socket.io)
 * its bytes out are.
 */
function laneKind(e: ObservedEvent, pinger: Side): LaneEvent['kind'] | undefined {
  switch (e.kind) {
    case 'data-out':
      return e.side === pinger ? 'ping' : 'pong';
    case 'data-in':
      return e.side === pinger ? 'pong' : 'ping';
    case 'connect':
      return 'connect';
    case 'end':
      return 'fin';
    case 'error':
      return e.code === 'ECONNRESET' ? 'rst' : 'error';
    case 'close':
      return 'close';
    case 'subject':
      return e.event?.type === 'state' || e.event?.type === 'miss' ? 'state' : undefined;
    default:
      return undefined;
  }
}

function laneEvent(e: ObservedEvent, pinger: Side): LaneEvent | undefined {
  const kind = laneKind(e, pinger);
  if (!kind) return undefined;
  const ev: LaneEvent = { t: e.t, kind, side: e.side };
  if (e.kind === 'error' && e.code) ev.label = e.code;
  if (e.kind === 'subject') {
    ev.label =
      e.event?.type === 'miss'
        ? `miss #${String(e.event.seq ?? '?')}`
        : String(e.event?.state ?? e.event?.type);
  }
  return ev;
}

function lanes(
  o: Observed,
  detections: Detection[],
  reconnects: Reconnect[],
  pinger: Side,
): ConnectionLane[] {
  const out = new Map<string, ConnectionLane>();
  const laneOf = (c: ObservedConnection): ConnectionLane => {
    const id = o.lane(c);
    let lane = out.get(id);
    if (!lane) {
      const owner = o.recorder.connections.get(id)!;
      lane = {
        conn: id,
        client: owner.side === 'client' ? owner.host : `(unpaired ${owner.host})`,
        opened: owner.connected!,
        events: [],
      };
      const closed = o.endOf(owner);
      if (closed !== undefined) lane.closed = closed;
      out.set(id, lane);
    }
    return lane;
  };
  // When the subject reports its pongs, bytes the client receives at another instant (the server's
  // hello, its own pings under F10) are drawn as data rather than as pongs.
  const reportsPongs = o.events.some(
    (e) => e.kind === 'subject' && e.side === 'client' && e.event?.type === 'pong',
  );
  for (const c of o.established) {
    const lane = laneOf(c);
    const events = o.of(c.conn);
    const pongAt = new Set(
      events.filter((e) => e.kind === 'subject' && e.event?.type === 'pong').map((e) => e.t),
    );
    for (const e of events) {
      const ev = laneEvent(e, pinger);
      if (!ev) continue;
      if (reportsPongs && e.kind === 'data-in' && e.side === 'client' && !pongAt.has(e.t)) ev.kind = 'data';
      lane.events.push(ev);
    }
  }
  for (const d of detections) {
    out.get(d.conn)?.events.push({ t: d.at, kind: 'detect', side: d.side, label: d.reason });
  }
  for (const r of reconnects) {
    // The client's newest lane alive at that instant: the connection it reconnected on.
    const lane = [...out.values()]
      .filter((l) => l.client === r.client && l.opened <= r.at && (l.closed ?? Infinity) >= r.at)
      .sort((a, b) => b.opened - a.opened)[0];
    lane?.events.push({
      t: r.at,
      kind: 'reconnect',
      side: 'client',
      label: `${r.delta} ms after the ${r.after}`,
    });
  }
  for (const lane of out.values()) lane.events.sort((a, b) => a.t - b.t);
  return [...out.values()].sort((a, b) => a.opened - b.opened || a.conn.localeCompare(b.conn));
}
