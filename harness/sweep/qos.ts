/**
 * From the runs of one sweep cell (one configuration on one scenario and latency profile, over every
 * seed) to the Chen–Toueg–Aguilera QoS numbers of BOUNDS.md. The metrics themselves (estimators and
 * edge cases) are harness/observe/qos.ts: a cell is the pooled observation of its runs (Σ windows,
 * Σ mistakes, Σ mistake time), so a cell of one run quotes what that run's report quotes. This file
 * only decides what each run contributes:
 *
 * - T_D detection time: Δ from the onset of each fault that kills the path ("dead" faults,
 *   faultClass in harness/faults/registry.ts) to its detection by the judged side. Side `client`
 *   (default) and `server` give one crash per connection open at the onset; `first` gives one per
 *   fault and run, the earlier of the two sides. A connection open at the onset that its side never closed is
 *   an undetected crash (counted per fault).
 * - mistakes: the run's false detections, with trust restored as observe/qos.ts mistakesOf says;
 *   the observation window is the run, one detector per client, so W is in connection-hours and
 *   λ_M = Σ mistakes / Σ (clients × run duration), P_A = 1 − Σ T_M / Σ (clients × run duration).
 * - T_MR samples: the gaps between consecutive false detections of one run (never across runs).
 * - reconnect time: Δ from the heal (or the detection, if later) to the client being ready again.
 * - overhead (F20): heartbeat messages and bytes per connection-hour, mean over the runs.
 */

import { faultClass } from '../faults/registry.ts';
import { type CrashObservation, type QosObservation, qosMetrics, runObservation } from '../observe/qos.ts';
import { summarize } from '../observe/samples.ts';
import type { ConnectionLane, Overhead, SampleStats, ScenarioResult, Side } from '../result.ts';
import type { FaultEntry, Scenario } from '../scenario/schema.ts';

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

interface RunCrashes {
  crashes: CrashObservation[];
  /** Connections open at a dead fault's onset (per the judged side). */
  expected: number;
}

/**
 * The crashes of one run for the judged side: one per detection of a dead fault by that side, plus
 * one undetected crash per connection open at the onset that no detection of that fault accounts for.
 */
function crashesOf(run: CellRun, side: DetectSide): RunCrashes {
  const out: RunCrashes = { crashes: [], expected: 0 };
  for (const entry of run.scenario.faults) {
    if (faultClass(entry) !== 'dead') continue;
    const open = openAt(run.result.lanes, entry.at).length;
    const mine = run.result.detections.filter((d) => d.fault === entry.id);
    let deltas: number[];
    if (side === 'first') {
      if (open === 0) continue;
      out.expected += 1;
      deltas = mine.length > 0 ? [Math.min(...mine.map((d) => d.delta))] : [];
      if (deltas.length === 0) out.crashes.push({ at: entry.at });
    } else {
      if (!sideCanDetect(entry, side)) continue;
      out.expected += open;
      deltas = mine.filter((d) => d.side === side).map((d) => d.delta);
      for (let i = deltas.length; i < open; i++) out.crashes.push({ at: entry.at });
    }
    out.crashes.push(...deltas.map((delta) => ({ at: entry.at, detectedAt: entry.at + delta })));
  }
  return out;
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
  const reconnect: number[] = [];
  const observations: QosObservation[] = [];
  let expected = 0;
  let notReconnected = 0;
  let deadFaults = false;
  for (const run of runs) {
    const { result, scenario } = run;
    if (scenario.faults.some((f) => faultClass(f) === 'dead')) deadFaults = true;
    const c = crashesOf(run, side);
    expected += c.expected;
    observations.push({ ...runObservation(result, scenario.clients), crashes: c.crashes });
    reconnect.push(...result.reconnects.map((r) => r.delta));
    const clientDetections = result.detections.filter((x) => x.side === 'client').length;
    notReconnected += Math.max(0, clientDetections - result.reconnects.length);
  }
  const m = qosMetrics(observations);
  const detection = m.detection.values;
  const out: CellQos = {
    deadFaults,
    detectionSamples: [...detection].sort((a, b) => a - b),
    expectedDetections: expected,
    undetected: m.detection.undetected,
    reconnectSamples: [...reconnect].sort((a, b) => a - b),
    notReconnected,
    falseDetections: m.mistakes,
    exposureHours: m.exposure / HOUR,
    falseDetectionRate: m.mistakesPerHour,
    queryAccuracy: m.queryAccuracy,
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
  const tm = summarize(m.mistakeDuration.values);
  if (tm) out.mistakeDuration = tm;
  const tmr = summarize(m.mistakeRecurrence.gaps);
  if (tmr) out.mistakeRecurrence = tmr;
  return out;
}
