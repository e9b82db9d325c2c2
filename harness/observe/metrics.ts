/**
 * From what was observed to what it means: per-side detections of each fault (time after onset,
 * reason, bound), reconnects after heal, false detections, heartbeat overhead and the swimlanes.
 *
 * "Side X detected the fault" (ARCHITECTURE.md, Observation): X closed or destroyed its end of a
 * connection that was open at the onset, or reported a death — whichever came first. This needs no
 * cooperation from the subject; a subject's death events only sharpen the reason.
 */
import type {
  ConnectionLane,
  Detection,
  FalseDetection,
  FaultWindow,
  LaneEvent,
  Overhead,
  Reconnect,
  Side,
} from '../result.ts';
import type { FaultEntry } from '../scenario/schema.ts';
import { within } from './bounds.ts';
import { type BoundContext, detectionBound, faultClass, reconnectBound } from './fault-bounds.ts';
import type { ObservedConnection, ObservedEvent, Recorder } from './recorder.ts';

export interface MetricsInput {
  recorder: Recorder;
  faults: FaultEntry[];
  duration: number;
  /** Instant the subjects were started (time before it is set-up). */
  start: number;
  /** Instant teardown began: ends after it are not detections. */
  end: number;
  clientHosts: string[];
  serverHost: string;
  bounds?: BoundContext;
}

export interface Metrics {
  detections: Detection[];
  falseDetections: FalseDetection[];
  reconnects: Reconnect[];
  overhead: { client: Overhead; server: Overhead };
  lanes: ConnectionLane[];
}

interface End {
  side: Side;
  host: string;
  conn: string;
  at: number;
  reason: string;
}

/** The reason a side gives for an end: its own death event at that instant, else what the socket saw. */
function reasonOf(conn: ObservedConnection, events: ObservedEvent[], deaths: ObservedEvent[]): string {
  const death = deaths.find(
    (d) =>
      d.host === conn.host &&
      d.t <= (conn.ended ?? Number.POSITIVE_INFINITY) &&
      d.t >= conn.opened &&
      !d.event?.usedFor,
  );
  if (death?.event) {
    (death.event as { usedFor?: string }).usedFor = conn.conn;
    return String(death.event.reason ?? 'death');
  }
  const mine = events.filter((e) => e.conn === conn.conn);
  const err = mine.find((e) => e.kind === 'error');
  if (err?.code === 'ECONNRESET') return 'reset';
  if (err?.code === 'ETIMEDOUT') return 'keepalive';
  if (err?.code === 'EPIPE') return 'write-error';
  if (err) return `error ${err.code}`;
  const firstLocal = mine.find((e) => e.kind.startsWith('local-'));
  const remoteEnd = mine.find((e) => e.kind === 'end');
  if (remoteEnd && (!firstLocal || remoteEnd.t <= firstLocal.t)) return 'fin';
  if (firstLocal) return 'closed';
  return 'close';
}

function ends(input: MetricsInput): End[] {
  const { recorder } = input;
  const deaths = recorder.events.filter((e) => e.kind === 'subject' && e.event?.type === 'death');
  const out: End[] = [];
  for (const conn of recorder.connections.values()) {
    if (conn.ended === undefined || conn.ended >= input.end) continue;
    // A dial that never connected is a failed attempt, not a detection.
    const connected =
      conn.side === 'server' || recorder.events.some((e) => e.conn === conn.conn && e.kind === 'connect');
    if (!connected) continue;
    out.push({
      side: conn.side,
      host: conn.host,
      conn: conn.conn,
      at: conn.ended,
      reason: reasonOf(conn, recorder.events, deaths),
    });
  }
  return out.sort((a, b) => a.at - b.at);
}

export function faultWindows(faults: FaultEntry[]): FaultWindow[] {
  return faults.map((f) => {
    const { type, ...rest } = f.fault as { type: string } & Record<string, unknown>;
    const target =
      'stream' in rest
        ? `proxy ${String(rest.stream)}`
        : 'host' in rest
          ? `host ${String(rest.host)}`
          : 'client↔server';
    const convention = (rest as { convention?: 'C1' | 'C2' }).convention;
    const w: FaultWindow = { id: f.id, type, at: f.at, target, attributes: rest };
    if (f.until !== undefined) w.until = f.until;
    if (convention) w.convention = convention;
    return w;
  });
}

export function computeMetrics(input: MetricsInput): Metrics {
  const { recorder, faults } = input;
  const all = ends(input);
  const claimed = new Set<string>();
  const detections: Detection[] = [];
  const grace = input.bounds
    ? Math.max(
        input.bounds.config.interval * input.bounds.config.missThreshold + input.bounds.config.pongTimeout,
        input.bounds.config.readDeadline,
      )
    : 0;

  // Ends that belong to a dead fault: the first end, per connection open at the onset, after it.
  for (const entry of faults) {
    const windowEnd = (entry.until ?? input.end) + grace;
    const isDead = faultClass(entry) === 'dead';
    for (const e of all) {
      if (claimed.has(e.conn) || e.at < entry.at || e.at > windowEnd) continue;
      const conn = recorder.connections.get(e.conn)!;
      if (conn.opened > entry.at) {
        // Opened during the fault (a reconnect attempt that died again): part of the outage.
        if (isDead && e.at <= (entry.until ?? input.end)) claimed.add(e.conn);
        continue;
      }
      if (!isDead) continue;
      claimed.add(e.conn);
      const bound = input.bounds
        ? detectionBound(entry, e.side, { ...input.bounds, remaining: input.end - entry.at })
        : undefined;
      const delta = e.at - entry.at;
      const b = bound ?? {
        min: 0,
        max: input.end - entry.at,
        why: `no bound: the ${e.side} is not expected to detect this fault`,
      };
      detections.push({
        side: e.side,
        conn: e.conn,
        reason: e.reason,
        at: e.at,
        fault: entry.id,
        delta,
        bound: b,
        withinBound: within(b, delta),
      });
    }
  }
  // Everything else that ended a live connection is a mistake: the peer was alive.
  const falseDetections: FalseDetection[] = all
    .filter((e) => !claimed.has(e.conn) && initiatedLocally(recorder, e.conn))
    .map((e) => ({ side: e.side, conn: e.conn, reason: e.reason, at: e.at }));

  return {
    detections,
    falseDetections,
    reconnects: reconnects(input, detections),
    overhead: {
      client: overhead(recorder, 'client', input.end),
      server: overhead(recorder, 'server', input.end),
    },
    lanes: lanes(input, detections),
  };
}

/** True when this side ended the connection itself rather than hearing the peer's close. */
function initiatedLocally(recorder: Recorder, conn: string): boolean {
  const mine = recorder.events.filter((e) => e.conn === conn);
  const local = mine.find((e) => e.kind.startsWith('local-'));
  const remote = mine.find((e) => e.kind === 'end' || e.kind === 'error');
  return local !== undefined && (remote === undefined || local.t < remote.t);
}

function reconnects(input: MetricsInput, detections: Detection[]): Reconnect[] {
  const { recorder } = input;
  const out: Reconnect[] = [];
  const bound = input.bounds ? reconnectBound(input.bounds) : undefined;
  for (const d of detections) {
    if (d.side !== 'client') continue;
    const host = recorder.connections.get(d.conn)!.host;
    const entry = input.faults.find((f) => f.id === d.fault)!;
    const from = Math.max(d.at, entry.until ?? input.end);
    // Converged: the subject says it is ready again, or (for subjects that say nothing) a socket
    // connected and stayed up until the end of the run.
    const ready = recorder.events.find(
      (e) =>
        e.host === host &&
        e.kind === 'subject' &&
        e.t >= d.at &&
        e.event?.type === 'ready' &&
        e.t >= (entry.until ?? 0),
    );
    const connect = recorder.events.find(
      (e) =>
        e.host === host &&
        e.kind === 'connect' &&
        e.t >= from &&
        recorder.connections.get(e.conn)?.ended === undefined,
    );
    const at = ready?.t ?? connect?.t;
    if (at === undefined) continue;
    const attempts = recorder.events.filter(
      (e) => e.host === host && e.kind === 'dial' && e.t > d.at && e.t <= at,
    ).length;
    const delta = at - from;
    const b = bound ?? { min: 0, max: Number.POSITIVE_INFINITY, why: 'no bound for this subject' };
    out.push({ client: host, at, delta, attempts, bound: b, withinBound: within(b, delta) });
  }
  return out;
}

function overhead(recorder: Recorder, side: Side, end: number): Overhead {
  let writes = 0;
  let bytes = 0;
  let lifetime = 0;
  for (const c of recorder.connections.values()) {
    if (c.side !== side) continue;
    writes += c.writesOut;
    bytes += c.bytesOut;
    lifetime += (c.ended ?? end) - c.opened;
  }
  const hours = lifetime / 3_600_000;
  return hours > 0
    ? { messagesPerHour: Math.round(writes / hours), bytesPerHour: Math.round(bytes / hours) }
    : { messagesPerHour: 0, bytesPerHour: 0 };
}

function lanes(input: MetricsInput, detections: Detection[]): ConnectionLane[] {
  const { recorder } = input;
  const byConn = new Map<string, LaneEvent[]>();
  for (const e of recorder.events) {
    if (e.side !== 'client' || e.kind === 'subject') continue;
    const list = byConn.get(e.conn) ?? [];
    const kind: LaneEvent['kind'] | undefined =
      e.kind === 'data-out'
        ? 'ping'
        : e.kind === 'data-in'
          ? 'pong'
          : e.kind === 'connect'
            ? 'connect'
            : e.kind === 'end'
              ? 'fin'
              : e.kind === 'error'
                ? e.code === 'ECONNRESET'
                  ? 'rst'
                  : 'error'
                : e.kind === 'close'
                  ? 'close'
                  : undefined;
    if (!kind) continue;
    const ev: LaneEvent = { t: e.t, kind, side: 'client' };
    if (e.kind === 'error' && e.code) ev.label = e.code;
    list.push(ev);
    byConn.set(e.conn, list);
  }
  for (const d of detections) {
    const list = byConn.get(d.conn);
    if (list) list.push({ t: d.at, kind: 'detect', side: d.side, label: d.reason });
  }
  const out: ConnectionLane[] = [];
  for (const [conn, events] of byConn) {
    const c = recorder.connections.get(conn)!;
    const lane: ConnectionLane = {
      conn,
      client: c.host,
      opened: c.opened,
      events: events.sort((a, b) => a.t - b.t),
    };
    if (c.closed !== undefined) lane.closed = c.closed;
    out.push(lane);
  }
  return out;
}
