/**
 * Verdicts: each expectation of a scenario checked against the metrics of its run. One function per
 * expectation type; each returns a verdict whose detail says what was measured against what.
 *
 * `detect` is about every connection, not just one: each connection of the side that was established
 * when the fault began must be detected (in time, for the right reason). In a run with many clients a
 * single slow client fails it.
 */

import { faultClass } from '../faults/registry.ts';
import { noHammering } from '../observe/bounds.ts';
import type { Detection, ExpectationVerdict, ScenarioResult, Side } from '../result.ts';
import type { ReferenceConfig } from '../subjects/reference-config.ts';
import type {
  DetectExpectation,
  Expectation,
  FalseDetectionExpectation,
  GaveUpExpectation,
  MaxAttemptsExpectation,
  ReconnectExpectation,
  StateExpectation,
} from './expectation-schema.ts';
import type { FaultEntry } from './schema.ts';

type Measured = Pick<ScenarioResult, 'detections' | 'reconnects' | 'falseDetections' | 'overhead'>;

export interface ExpectationContext {
  measured: Measured;
  faults: FaultEntry[];
  config: ReferenceConfig | undefined;
  /** Events the subject reported during the run, scenario time. */
  subjectEvents: { t: number; side: Side; host: string; type: string; state?: string; reason?: string }[];
  /** Connect attempts (dials) of the clients, scenario time. */
  dials: { t: number; host: string }[];
  /** Every established connection: its side, socket id, and when it connected and ended (during the run). */
  connections: { side: Side; socket: string; connected: number; ended: number | undefined }[];
  /** Scenario time at which the run ended. */
  end: number;
}

const sidesOf = (side: string): Side[] =>
  side === 'both' || side === 'either' ? ['client', 'server'] : [side as Side];

/** The faults an expectation is about: the one it names, else every fault that kills connections. */
function targetFaults(ctx: ExpectationContext, id: string | undefined): FaultEntry[] {
  if (id) return ctx.faults.filter((f) => f.id === id);
  return ctx.faults.filter((f) => faultClass(f) === 'dead');
}

function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? `${ms} ms` : '∞';
}

function name(e: Expectation): string {
  const bits = Object.entries(e)
    .filter(([k, v]) => k !== 'type' && !(k === 'tolerance' && v === 0))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('|') : String(v)}`);
  return `${e.type}${bits.length ? ` (${bits.join(', ')})` : ''}`;
}

function verdictOf(e: Expectation, passed: boolean, detail: string): ExpectationVerdict {
  return { name: name(e), passed, detail };
}

/** Sockets of `side` established at the onset of `f` and still open then. */
function exposed(ctx: ExpectationContext, f: FaultEntry, side: Side): string[] {
  return ctx.connections
    .filter((c) => c.side === side && c.connected <= f.at && (c.ended === undefined || c.ended >= f.at))
    .map((c) => c.socket);
}

function detect(e: DetectExpectation, ctx: ExpectationContext): ExpectationVerdict {
  const faults = targetFaults(ctx, e.fault);
  if (faults.length === 0)
    return verdictOf(e, false, 'no fault of a kind that should be detected in this scenario');
  const inTime = (x: Detection): boolean =>
    e.within === 'bound'
      ? x.delta >= x.bound.min - e.tolerance && x.delta <= x.bound.max + e.tolerance
      : x.delta <= e.within + e.tolerance;
  const limit = e.within === 'bound' ? 'bound' : `within ${e.within}`;
  const tol = e.tolerance ? ` ± ${e.tolerance}` : '';
  const lines: string[] = [];
  let ok = true;
  for (const f of faults) {
    const perSide = sidesOf(e.side).map((side) => {
      const sockets = exposed(ctx, f, side);
      const found = ctx.measured.detections.filter((x) => x.fault === f.id && x.side === side);
      if (sockets.length === 0) return { ok: false, text: `${side}: no connection was open at the onset` };
      const problems: string[] = [];
      const seen: string[] = [];
      for (const socket of sockets) {
        const d = found.find((x) => (x.socket ?? x.conn) === socket);
        if (!d) {
          problems.push(`${socket} not detected`);
          continue;
        }
        const text = `${socket} ${d.reason} after ${d.delta} ms (${limit === 'bound' ? `bound [${d.bound.min}, ${fmtMs(d.bound.max)}]` : limit}${tol})`;
        if (!inTime(d)) problems.push(`${text}: out of time`);
        else if (e.reason && !e.reason.includes(d.reason))
          problems.push(
            `${text}: reason not ${e.reason.join('|')}${
              d.reason === 'closed'
                ? ' (the subject closed the connection itself without reporting why; a death event with its reason, on the event channel of an external subject, names the mechanism)'
                : ''
            }`,
          );
        else seen.push(text);
      }
      const text = `${side}: ${[...problems, ...seen].join('; ')}`;
      return { ok: problems.length === 0, text };
    });
    const fOk = e.side === 'either' ? perSide.some((s) => s.ok) : perSide.every((s) => s.ok);
    ok &&= fOk;
    lines.push(`${f.id}: ${perSide.map((s) => s.text).join(' / ')}`);
  }
  return verdictOf(e, ok, lines.join(' // '));
}

function falseDetection(e: FalseDetectionExpectation, ctx: ExpectationContext): ExpectationVerdict {
  const fault = e.fault ? ctx.faults.find((f) => f.id === e.fault) : undefined;
  const found = ctx.measured.falseDetections.filter(
    (x) =>
      sidesOf(e.side).includes(x.side) &&
      (!fault || x.at >= fault.at) &&
      (e.within === undefined || x.at - (fault?.at ?? 0) <= e.within),
  );
  return verdictOf(
    e,
    found.length > 0,
    found.length > 0
      ? `expected mistake seen: ${found.map((x) => `${x.side} ${x.socket ?? x.conn} ${x.reason} at ${x.at}`).join('; ')}`
      : `expected a false detection${e.side === 'either' ? '' : ` by the ${e.side}`}, saw none`,
  );
}

function reconnect(e: ReconnectExpectation, ctx: ExpectationContext): ExpectationVerdict {
  const m = ctx.measured;
  const faults = targetFaults(ctx, e.fault);
  const lines: string[] = [];
  let ok = true;
  let any = false;
  for (const f of faults) {
    const clients = new Map<string, Detection>();
    for (const d of m.detections) {
      if (d.side !== 'client' || d.fault !== f.id) continue;
      const host = hostOf(d.socket ?? d.conn);
      if (!clients.has(host)) clients.set(host, d);
    }
    for (const [host, d] of clients) {
      any = true;
      const r = m.reconnects.find(
        (x) => x.client === host && (x.fault === undefined || x.fault === f.id) && x.at >= d.at,
      );
      if (!r) {
        ok = false;
        lines.push(`${f.id}: ${host} never reconnected after its detection at ${d.at}`);
        continue;
      }
      const good =
        e.within === 'bound' ? r.delta <= r.bound.max + e.tolerance : r.delta <= e.within + e.tolerance;
      ok &&= good;
      lines.push(
        `${f.id}: ${host} reconnected ${r.delta} ms after the ${r.after ?? 'heal'} in ${r.attempts} attempt(s) (${e.within === 'bound' ? `bound ≤ ${fmtMs(r.bound.max)}` : `within ${e.within}`}${e.tolerance ? ` + ${e.tolerance}` : ''})${good ? '' : ': too late'}`,
      );
    }
  }
  if (!any) return verdictOf(e, false, 'no client detected the fault, so there is no reconnect to measure');
  return verdictOf(e, ok, lines.join('; '));
}

/** `client-2#3` → `client-2`. */
function hostOf(socket: string): string {
  const i = socket.lastIndexOf('#');
  return i < 0 ? socket : socket.slice(0, i);
}

/**
 * At most n connect attempts per client while the fault is on, counted from that client's detection
 * to the heal. With n: bound, BOUNDS.md's no-hammering limit for that outage (attempts begun, so the
 * one in flight at the heal counts).
 */
function maxAttempts(e: MaxAttemptsExpectation, ctx: ExpectationContext): ExpectationVerdict {
  const faults = targetFaults(ctx, e.fault);
  const lines: string[] = [];
  let ok = true;
  for (const f of faults) {
    const to = f.until ?? ctx.end;
    const detections = ctx.measured.detections.filter((d) => d.side === 'client' && d.fault === f.id);
    const hosts = [...new Set(ctx.dials.map((d) => d.host))];
    for (const host of hosts) {
      const det = detections.find((d) => hostOf(d.socket ?? d.conn) === host);
      const from = det?.at ?? f.at;
      const n = ctx.dials.filter((d) => d.host === host && d.t > from && d.t <= to).length;
      let limit: number;
      let why = '';
      if (e.n === 'bound') {
        if (!ctx.config) {
          lines.push(`${f.id}: no bound without the reference config`);
          ok = false;
          continue;
        }
        const b = noHammering({
          backoff: ctx.config.backoff,
          outage: Math.max(0, Math.floor(to - from)),
          attemptMin: 0,
          count: 'started',
        });
        limit = b.max;
        why = ` (${b.why})`;
      } else limit = e.n;
      ok &&= n <= limit;
      lines.push(`${f.id}: ${host} made ${n} attempt(s) in (${from}, ${to}], limit ${limit}${why}`);
    }
  }
  if (lines.length === 0) return verdictOf(e, true, 'no client attempted to connect during the faults');
  return verdictOf(e, ok, lines.join('; '));
}

function gaveUp(e: GaveUpExpectation, ctx: ExpectationContext): ExpectationVerdict {
  const fault = e.fault ? ctx.faults.find((f) => f.id === e.fault) : undefined;
  const from = fault?.at ?? 0;
  const g = ctx.subjectEvents.find(
    (x) => x.type === 'giveup' && x.t >= from && (e.within === undefined || x.t - from <= e.within),
  );
  return verdictOf(e, g !== undefined, g ? `${g.host} gave up at ${g.t}` : 'never gave up');
}

function state(e: StateExpectation, ctx: ExpectationContext): ExpectationVerdict {
  const fault = e.fault ? ctx.faults.find((f) => f.id === e.fault) : undefined;
  const from = fault?.at ?? 0;
  const s = ctx.subjectEvents.find(
    (x) =>
      x.type === 'state' &&
      x.side === e.side &&
      x.state === e.state &&
      x.t >= from &&
      (e.within === undefined || x.t - from <= e.within),
  );
  return verdictOf(
    e,
    s !== undefined,
    s ? `${s.host} reached ${e.state} at ${s.t}` : `${e.side} never reached ${e.state}`,
  );
}

export function evaluate(e: Expectation, ctx: ExpectationContext): ExpectationVerdict {
  const m = ctx.measured;
  switch (e.type) {
    case 'detect':
      return detect(e, ctx);
    case 'noFalseDetection': {
      const bad = m.falseDetections.filter((x) => sidesOf(e.side).includes(x.side));
      return verdictOf(
        e,
        bad.length === 0,
        bad.length === 0
          ? 'no false detection'
          : bad.map((x) => `${x.side} ${x.socket ?? x.conn} ${x.reason} at ${x.at}`).join('; '),
      );
    }
    case 'falseDetection':
      return falseDetection(e, ctx);
    case 'reconnect':
      return reconnect(e, ctx);
    case 'maxAttempts':
      return maxAttempts(e, ctx);
    case 'gaveUp':
      return gaveUp(e, ctx);
    case 'state':
      return state(e, ctx);
    case 'overhead': {
      const o = m.overhead[e.side];
      const okM = e.messagesPerHour === undefined || o.messagesPerHour <= e.messagesPerHour;
      const okB = e.bytesPerHour === undefined || o.bytesPerHour <= e.bytesPerHour;
      const limits = [
        e.messagesPerHour === undefined ? undefined : `≤ ${e.messagesPerHour} messages/h`,
        e.bytesPerHour === undefined ? undefined : `≤ ${e.bytesPerHour} bytes/h`,
      ].filter((x) => x !== undefined);
      return verdictOf(
        e,
        okM && okB,
        `${e.side}: ${o.messagesPerHour} messages/h, ${o.bytesPerHour} bytes/h per connection (limit ${limits.join(', ')})`,
      );
    }
  }
}
