/**
 * What a configuration must achieve, and the verdict of one cell against each goal with the numbers
 * behind it. Goal names are the strings a SweepResult lists and every cell's verdicts repeat.
 *
 * - detectWithin: a statistic of T_D (p99 by default) at most a duration, and no dead-fault
 *   connection left undetected. Not applicable where no fault kills the path.
 * - maxFalseRate: λ_M at most n false detections per connection-hour. In a latency-step scenario
 *   the step is a deliberate stress, judged by tolerateLatency instead.
 * - tolerateLatency: added latency L must cause no false detection. Judged from BOUNDS.md's closed
 *   forms in every cell (L below the client's T − r_max and the server's R − I − 2J, worst case
 *   over the profile's jitter) and, in the latency-step scenario the sweep adds for it, measured
 *   (no false detection while the step is on).
 * - reconnectWithin: p99 reconnect time after the heal at most a duration, every detection followed
 *   by a reconnect.
 * - maxOverhead: heartbeat messages per connection-hour, both directions, at most n (F20).
 */

import type { Statistic } from '../observe/samples.ts';
import type { GoalVerdict, SweepConfig } from '../result.ts';
import { fmtMs } from './describe.ts';
import { bothWays, MSG_BOTH_WAYS, messageSplit } from './overhead.ts';
import type { Leg } from './profiles.ts';
import { latencyTolerance, pathExtremes } from './profiles.ts';
import type { CellQos, DetectSide } from './qos.ts';

export interface DetectGoal {
  stat: Statistic;
  within: number;
}

export interface SweepGoals {
  detectWithin: DetectGoal[];
  detectSide: DetectSide;
  maxFalseRate?: number;
  tolerateLatency?: number;
  reconnectWithin?: number;
  maxOverhead?: number;
}

const d = fmtMs;

function sideWords(side: DetectSide): string {
  return side === 'first' ? 'either side' : side;
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000);
}

export function detectGoalName(g: DetectGoal, side: DetectSide): string {
  return `${g.stat} detection (${sideWords(side)}) ≤ ${d(g.within)}`;
}
export const falseRateGoalName = (n: number) => `false detections ≤ ${num(n)} per conn·h`;
export const toleranceGoalName = (l: number) => `tolerates +${d(l)} latency`;
export const reconnectGoalName = (ms: number) => `p99 reconnect ≤ ${d(ms)}`;
export const overheadGoalName = (n: number) => `heartbeat ≤ ${num(n)} ${MSG_BOTH_WAYS}`;

/** The goals' names, in the order verdicts are listed. */
export function goalNames(g: SweepGoals): string[] {
  return [
    ...g.detectWithin.map((x) => detectGoalName(x, g.detectSide)),
    ...(g.maxFalseRate === undefined ? [] : [falseRateGoalName(g.maxFalseRate)]),
    ...(g.tolerateLatency === undefined ? [] : [toleranceGoalName(g.tolerateLatency)]),
    ...(g.reconnectWithin === undefined ? [] : [reconnectGoalName(g.reconnectWithin)]),
    ...(g.maxOverhead === undefined ? [] : [overheadGoalName(g.maxOverhead)]),
  ];
}

export interface CellContext {
  config: SweepConfig;
  /** The path the cell ran over (the profile's legs, or the scenario's own link). */
  path: { up: Leg; down: Leg };
  /** The cell's scenario is the latency step added for tolerateLatency. */
  latencyStep: boolean;
  runs: number;
}

function detectVerdict(goal: DetectGoal, side: DetectSide, q: CellQos): GoalVerdict {
  const name = detectGoalName(goal, side);
  if (!q.deadFaults)
    return { goal: name, met: true, why: 'not applicable: no fault in this scenario kills the path' };
  if (q.expectedDetections === 0) {
    return {
      goal: name,
      met: true,
      why: `not applicable: the ${sideWords(side)} has nothing to detect here`,
    };
  }
  if (q.undetected > 0 || !q.detection) {
    return {
      goal: name,
      met: false,
      why: `${q.undetected} of ${q.expectedDetections} dead-path connections never detected by the ${sideWords(side)} before the run ended`,
    };
  }
  const v = q.detection[goal.stat];
  const met = v <= goal.within;
  return {
    goal: name,
    met,
    why: `${goal.stat} T_D ${d(v)} ${met ? '≤' : '>'} ${d(goal.within)} (${q.detection.n} samples, max ${d(q.detection.max)})`,
  };
}

function falseRateVerdict(max: number, q: CellQos, c: CellContext): GoalVerdict {
  const name = falseRateGoalName(max);
  if (c.latencyStep) {
    return {
      goal: name,
      met: true,
      why: 'not applicable: this scenario adds latency on purpose (see the tolerance goal)',
    };
  }
  const met = q.falseDetectionRate <= max;
  return {
    goal: name,
    met,
    why: `λ_M ${num(q.falseDetectionRate)} ${met ? '≤' : '>'} ${num(max)} per conn·h (${q.falseDetections} false detection${q.falseDetections === 1 ? '' : 's'} in ${num(q.exposureHours)} conn·h)`,
  };
}

function toleranceVerdict(L: number, q: CellQos, c: CellContext): GoalVerdict {
  const name = toleranceGoalName(L);
  const tol = latencyTolerance(c.config, c.path);
  const { rMax, spread } = pathExtremes(c.path);
  const clientOk = L < tol.client;
  const serverOk = L < tol.server;
  const parts = [
    `client T − r_max = ${d(c.config.pongTimeout)} − ${d(rMax)} = ${d(tol.client)} ${clientOk ? '>' : '≤'} ${d(L)}`,
    `server R − I − 2J = ${d(c.config.readDeadline)} − ${d(c.config.interval)} − ${d(spread)} = ${d(tol.server)} ${serverOk ? '>' : '≤'} ${d(L)}`,
  ];
  let measuredOk = true;
  if (c.latencyStep) {
    measuredOk = q.falseDetections === 0;
    parts.push(
      `measured: ${q.falseDetections} false detection${q.falseDetections === 1 ? '' : 's'} with the +${d(L)} step in ${c.runs} run${c.runs === 1 ? '' : 's'}`,
    );
  }
  return { goal: name, met: clientOk && serverOk && measuredOk, why: parts.join('; ') };
}

function reconnectVerdict(within: number, q: CellQos): GoalVerdict {
  const name = reconnectGoalName(within);
  if (!q.deadFaults) return { goal: name, met: true, why: 'not applicable: nothing here needs a reconnect' };
  if (q.notReconnected > 0) {
    return {
      goal: name,
      met: false,
      why: `${q.notReconnected} detection${q.notReconnected === 1 ? '' : 's'} never followed by a reconnect before the run ended`,
    };
  }
  if (!q.reconnect) return { goal: name, met: true, why: 'not applicable: no reconnect was needed' };
  const met = q.reconnect.p99 <= within;
  return {
    goal: name,
    met,
    why: `p99 reconnect ${d(q.reconnect.p99)} ${met ? '≤' : '>'} ${d(within)} (${q.reconnect.n} samples)`,
  };
}

function overheadVerdict(max: number, q: CellQos): GoalVerdict {
  const name = overheadGoalName(max);
  const total = bothWays(q.overhead).messagesPerHour;
  const met = total <= max;
  return {
    goal: name,
    met,
    why: `${total} ${MSG_BOTH_WAYS} (${messageSplit(q.overhead)}) ${met ? '≤' : '>'} ${num(max)}`,
  };
}

/** One verdict per goal, in goalNames order. */
export function judgeCell(g: SweepGoals, q: CellQos, c: CellContext): GoalVerdict[] {
  return [
    ...g.detectWithin.map((x) => detectVerdict(x, g.detectSide, q)),
    ...(g.maxFalseRate === undefined ? [] : [falseRateVerdict(g.maxFalseRate, q, c)]),
    ...(g.tolerateLatency === undefined ? [] : [toleranceVerdict(g.tolerateLatency, q, c)]),
    ...(g.reconnectWithin === undefined ? [] : [reconnectVerdict(g.reconnectWithin, q)]),
    ...(g.maxOverhead === undefined ? [] : [overheadVerdict(g.maxOverhead, q)]),
  ];
}
