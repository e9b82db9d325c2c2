/**
 * From the runs of one sweep cell (one configuration on one scenario and latency profile, over every
 * seed) to the Chen–Toueg–Aguilera QoS numbers of BOUNDS.md:
 *
 * - T_D detection time: Δ from the onset of each fault that kills the path ("dead" faults,
 *   harness/observe/fault-bounds.ts) to its detection by the judged side. Side `client` (default)
 *   and `server` give one sample per connection open at the onset; `first` gives one per fault and
 *   run, the earlier of the two sides. A connection open at the onset that its side never closed is
 *   an undetected crash.
 * - λ_M mistake rate: false detections (a side ended a connection while the peer was alive) per
 *   connection-hour, over the whole observation: Σ mistakes / Σ (clients × run duration).
 * - T_MR mistake recurrence: between consecutive false detections of one run.
 * - T_M mistake duration: false detection → the client has a connection again (its next
 *   connection opens); cut at the end of the run when it never does. A server-side mistake is
 *   charged to the client whose connection closed first after it (the one that heard the close).
 * - P_A query accuracy: 1 − (time wrongly suspected) / (connection time observed).
 * - reconnect time: Δ from the heal (or the detection, if later) to the client being ready again.
 * - overhead (F20): heartbeat messages and bytes per connection-hour, mean over the runs.
 */

import { type MistakeObservation, mistakeDurations, mistakeRecurrenceTimes } from '../observe/bounds.ts';
import { faultClass } from '../observe/fault-bounds.ts';
import type { ConnectionLane, Overhead, SampleStats, ScenarioResult, Side } from '../result.ts';
import type { FaultEntry, Scenario } from '../scenario/schema.ts';
import { summarize } from './stats.ts';

export type DetectSide = Side | 'first';
export const DETECT_SIDES: readonly DetectSide[] = ['client', 'server', 'first'];

const HOUR = 3_600_000;

/** One run of a cell: the scenario exactly as it ran, and what came out. */
export interface CellRun {
  seed: number;
  scenario: Scenario;
  result: ScenarioResult;
}

export interface CellQos {
  /** Any fault in the scenario kills the path (a detection is expected). */
  deadFaults: boolean;
  detectionSamples: number[];
  detection?: SampleStats;
  /** Detections expected (connections open at a dead fault's onset, per the judged side). */
  expectedDetections: number;
  undetected: number;
  reconnectSamples: number[];
  reconnect?: SampleStats;
  /** Client detections of a dead fault with no reconnect before the run ended. */
  notReconnected: number;
  falseDetections: number;
  /** Connection-hours observed (clients × duration, summed over runs). */
  exposureHours: number;
  /** λ_M per connection-hour. */
  falseDetectionRate: number;
  mistakeDuration?: SampleStats;
  mistakeRecurrence?: SampleStats;
  /** P_A. */
  queryAccuracy: number;
  overhead: { client: Overhead; server: Overhead };
}

function connectedAt(lane: ConnectionLane): number | undefined {
  return lane.events.find((e) => e.kind === 'connect')?.t;
}

/** Client connections established by the onset and not yet closed before it. */
function openAt(lanes: readonly ConnectionLane[], t: number): ConnectionLane[] {
  return lanes.filter((l) => {
    const c = connectedAt(l);
    return c !== undefined && c <= t && (l.closed === undefined || l.closed >= t);
  });
}

/** A side cannot detect a fault that stopped that side's own host. */
function sideCanDetect(entry: FaultEntry, side: Side): boolean {
  const f = entry.fault as { type: string; host?: string };
  return !((f.type === 'crash' || f.type === 'pause') && f.host === side);
}

interface DetectionCount {
  samples: number[];
  expected: number;
}

function detectionsOf(run: CellRun, side: DetectSide): DetectionCount {
  const out: DetectionCount = { samples: [], expected: 0 };
  for (const entry of run.scenario.faults) {
    if (faultClass(entry) !== 'dead') continue;
    const open = openAt(run.result.lanes, entry.at).length;
    const mine = run.result.detections.filter((d) => d.fault === entry.id);
    if (side === 'first') {
      if (open === 0) continue;
      out.expected += 1;
      if (mine.length > 0) out.samples.push(Math.min(...mine.map((d) => d.delta)));
      continue;
    }
    if (!sideCanDetect(entry, side)) continue;
    out.expected += open;
    out.samples.push(...mine.filter((d) => d.side === side).map((d) => d.delta));
  }
  return out;
}

/** T_M observations of one run (see the header for how trust is restored). */
export function mistakesOf(result: ScenarioResult): MistakeObservation[] {
  const lanes = result.lanes;
  const nextConnection = (client: string, after: number): number | undefined => {
    const next = lanes
      .filter((l) => l.client === client && l.opened >= after && connectedAt(l) !== undefined)
      .map((l) => connectedAt(l)!);
    return next.length ? Math.min(...next) : undefined;
  };
  return result.falseDetections.map((m) => {
    let client: string | undefined;
    let from = m.at;
    const own = lanes.find((l) => l.conn === m.conn);
    if (own) client = own.client;
    else {
      // A server-side mistake: the client lane that closed first at or after it heard the close.
      const heard = lanes
        .filter((l) => l.closed !== undefined && l.closed >= m.at && (connectedAt(l) ?? Infinity) <= m.at)
        .sort((a, b) => a.closed! - b.closed!)[0];
      if (heard) {
        client = heard.client;
        from = heard.closed!;
      }
    }
    const restoredAt = client === undefined ? undefined : nextConnection(client, from);
    return restoredAt === undefined ? { at: m.at } : { at: m.at, restoredAt };
  });
}

function meanOverhead(results: readonly ScenarioResult[], side: Side): Overhead {
  if (results.length === 0) return { messagesPerHour: 0, bytesPerHour: 0 };
  const sum = results.reduce(
    (acc, r) => ({
      messagesPerHour: acc.messagesPerHour + r.overhead[side].messagesPerHour,
      bytesPerHour: acc.bytesPerHour + r.overhead[side].bytesPerHour,
    }),
    { messagesPerHour: 0, bytesPerHour: 0 },
  );
  return {
    messagesPerHour: Math.round(sum.messagesPerHour / results.length),
    bytesPerHour: Math.round(sum.bytesPerHour / results.length),
  };
}

/** Folds a cell's runs into its QoS numbers. */
export function cellQos(runs: readonly CellRun[], side: DetectSide): CellQos {
  const detection: number[] = [];
  const reconnect: number[] = [];
  const durations: number[] = [];
  const recurrences: number[] = [];
  let expected = 0;
  let notReconnected = 0;
  let falseDetections = 0;
  let exposure = 0;
  let wrong = 0;
  let deadFaults = false;
  for (const run of runs) {
    const { result, scenario } = run;
    if (scenario.faults.some((f) => faultClass(f) === 'dead')) deadFaults = true;
    const d = detectionsOf(run, side);
    detection.push(...d.samples);
    expected += d.expected;
    reconnect.push(...result.reconnects.map((r) => r.delta));
    const clientDetections = result.detections.filter((x) => x.side === 'client').length;
    notReconnected += Math.max(0, clientDetections - result.reconnects.length);
    const mistakes = mistakesOf(result);
    falseDetections += mistakes.length;
    const tm = mistakeDurations(mistakes, result.duration);
    durations.push(...tm);
    wrong += tm.reduce((a, b) => a + b, 0);
    recurrences.push(...mistakeRecurrenceTimes(mistakes));
    exposure += scenario.clients * result.duration;
  }
  const exposureHours = exposure / HOUR;
  const out: CellQos = {
    deadFaults,
    detectionSamples: [...detection].sort((a, b) => a - b),
    expectedDetections: expected,
    undetected: Math.max(0, expected - detection.length),
    reconnectSamples: [...reconnect].sort((a, b) => a - b),
    notReconnected,
    falseDetections,
    exposureHours,
    falseDetectionRate: exposure > 0 ? falseDetections / exposureHours : 0,
    queryAccuracy: exposure > 0 ? 1 - wrong / exposure : 1,
    overhead: {
      client: meanOverhead(
        runs.map((r) => r.result),
        'client',
      ),
      server: meanOverhead(
        runs.map((r) => r.result),
        'server',
      ),
    },
  };
  const det = summarize(detection);
  if (det) out.detection = det;
  const rec = summarize(reconnect);
  if (rec) out.reconnect = rec;
  const tm = summarize(durations);
  if (tm) out.mistakeDuration = tm;
  const tmr = summarize(recurrences);
  if (tmr) out.mistakeRecurrence = tmr;
  return out;
}
