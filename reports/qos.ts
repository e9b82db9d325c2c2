/**
 * Chen–Toueg–Aguilera QoS metrics (BOUNDS.md) for one run, from its false detections. A "mistake" is
 * a false detection; when it ends is decided exactly as a sweep decides it (harness/sweep/qos.ts
 * mistakesOf: the client has a connection again, or the end of the run), so a run report and the
 * sweep cell it belongs to quote the same T_M.
 */
import { mistakeDurations, mistakeRecurrenceTimes } from '../harness/observe/bounds.ts';
import type { ScenarioResult } from '../harness/result.ts';
import { mistakesOf } from '../harness/sweep/qos.ts';
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
  const mistakes = mistakesOf(result);
  const durations = mistakeDurations(mistakes, result.duration);
  const recurrences = mistakeRecurrenceTimes(mistakes);
  const meanMistakeDuration = mean(durations);
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
    mistakeDurations: durations,
    recurrences,
    meanMistakeDuration,
    meanRecurrence,
    mistakeRatePerHour,
    queryAccuracy,
  };
}
