/**
 * Chen–Toueg–Aguilera QoS metrics (BOUNDS.md) for one run, from its false detections. A "mistake" is
 * a false detection; it lasts until the same client has a connection again (the next lane of that
 * client opening at or after the mistake), or to the end of the run when it never does.
 */
import type { ScenarioResult } from '../harness/result.ts';
import { mean } from './stats.ts';

export interface RunQos {
  mistakes: number;
  /** T_M per mistake, ms. */
  mistakeDurations: number[];
  /** T_MR between consecutive mistakes, ms. */
  recurrences: number[];
  /** E(T_M), ms; NaN without mistakes. */
  meanMistakeDuration: number;
  /** E(T_MR), ms; NaN with fewer than two mistakes. */
  meanRecurrence: number;
  /** λ_M = 1/E(T_MR), per hour; 0 with no mistakes, NaN with exactly one. */
  mistakeRatePerHour: number;
  /** P_A = 1 − E(T_M)/E(T_MR); 1 without mistakes, NaN when E(T_MR) is undefined. */
  queryAccuracy: number;
}

export function runQos(result: ScenarioResult): RunQos {
  const clientOf = new Map(result.lanes.map((l) => [l.conn, l.client]));
  const mistakes = [...result.falseDetections].sort((a, b) => a.at - b.at);
  const mistakeDurations = mistakes.map((m) => {
    const client = clientOf.get(m.conn) ?? m.conn;
    const next = result.lanes
      .filter((l) => l.client === client && l.conn !== m.conn && l.opened >= m.at)
      .reduce<number | undefined>(
        (best, l) => (best === undefined || l.opened < best ? l.opened : best),
        undefined,
      );
    return (next ?? result.duration) - m.at;
  });
  const recurrences: number[] = [];
  for (let i = 1; i < mistakes.length; i++) recurrences.push(mistakes[i]!.at - mistakes[i - 1]!.at);
  const meanMistakeDuration = mean(mistakeDurations);
  const meanRecurrence = mean(recurrences);
  let mistakeRatePerHour: number;
  let queryAccuracy: number;
  if (mistakes.length === 0) {
    mistakeRatePerHour = 0;
    queryAccuracy = 1;
  } else {
    mistakeRatePerHour = meanRecurrence > 0 ? 3_600_000 / meanRecurrence : Number.NaN;
    queryAccuracy = meanRecurrence > 0 ? 1 - meanMistakeDuration / meanRecurrence : Number.NaN;
  }
  return {
    mistakes: mistakes.length,
    mistakeDurations,
    recurrences,
    meanMistakeDuration,
    meanRecurrence,
    mistakeRatePerHour,
    queryAccuracy,
  };
}
