/**
 * Readers for the single values of a sweep spec that flags and the sweep file share: goals, seeds,
 * rates. Each throws ValueError with a message that says what was expected.
 */

import { STATISTICS, type Statistic } from '../observe/samples.ts';
import { parseDuration } from '../scenario/duration.ts';
import { didYouMean } from '../scenario/issues.ts';
import { parseCountAxis } from './axis.ts';
import { ValueError } from './errors.ts';
import type { DetectGoal } from './goals.ts';
import { DETECT_SIDES, type DetectSide } from './qos.ts';

export const MAX_SEEDS = 10_000;

const STAT_ALIASES: Record<string, Statistic> = { p50: 'median', p100: 'max', p0: 'min' };

export function parseStatistic(word: string): Statistic {
  const w = word.trim().toLowerCase();
  const s = STAT_ALIASES[w] ?? w;
  if (!(STATISTICS as readonly string[]).includes(s)) {
    const guess = didYouMean(w, [...STATISTICS, ...Object.keys(STAT_ALIASES)]);
    throw new ValueError(
      `unknown statistic "${w}"${guess ? ` (did you mean "${guess}"?)` : ''}: use ${STATISTICS.join(', ')} (or p50)`,
    );
  }
  return s as Statistic;
}

export function parsePositiveDuration(
  value: string | number,
  what: string,
  options: { zero?: boolean } = {},
): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (e) {
    throw new ValueError(`${what}: ${(e as Error).message}`);
  }
  if (ms <= 0 && !(options.zero && ms === 0)) {
    throw new ValueError(`${what} must be more than 0 ms, got ${JSON.stringify(value)}`);
  }
  return ms;
}

/** `30s` (the p99), `p99:30s`, `max=1m`, or several: `median:10s,max:45s`. */
export function parseDetectGoals(text: string): DetectGoal[] {
  const out: DetectGoal[] = [];
  for (const item of text.split(',')) {
    const t = item.trim();
    const m = /^([A-Za-z]\w*)\s*[:=]\s*(.+)$/.exec(t);
    const goal: DetectGoal = m
      ? { stat: parseStatistic(m[1]!), within: parsePositiveDuration(m[2]!, 'the detection goal') }
      : { stat: 'p99', within: parsePositiveDuration(t, 'the detection goal') };
    if (out.some((g) => g.stat === goal.stat))
      throw new ValueError(`the ${goal.stat} detection goal is given twice`);
    out.push(goal);
  }
  return out;
}

export function parseDetectSide(word: string): DetectSide {
  const w = word.trim().toLowerCase();
  const s = w === 'either' || w === 'any' ? 'first' : w;
  if (!(DETECT_SIDES as readonly string[]).includes(s)) {
    const guess = didYouMean(w, [...DETECT_SIDES, 'either']);
    throw new ValueError(
      `unknown side "${w}"${guess ? ` (did you mean "${guess}"?)` : ''}: use client, server or first (the earlier of the two)`,
    );
  }
  return s as DetectSide;
}

/** A non-negative number, optionally written per hour ("0.5", "0.5/h"). */
export function parseRate(
  value: string | number,
  what: string,
  options: { positive?: boolean } = {},
): number {
  const text =
    typeof value === 'number' ? String(value) : value.trim().replace(/\s*(\/h|per\s*h(our)?)$/i, '');
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0 || (options.positive && n === 0)) {
    throw new ValueError(
      `${what} must be a number ${options.positive ? '> 0' : '≥ 0'} (per connection-hour), got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** A count (`5` → seeds 1…5) or a list/range of seeds (`3,17,42`, `100..119`). */
export function parseSeeds(value: string | number | readonly (string | number)[]): number[] {
  if (typeof value === 'number' || (typeof value === 'string' && /^\s*\d+\s*$/.test(value))) {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_SEEDS) {
      throw new ValueError(
        `a seed count must be a whole number in 1…${MAX_SEEDS}, got ${JSON.stringify(value)}`,
      );
    }
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  const seeds = parseCountAxis(value, { min: 0 });
  const big = seeds.find((s) => s > 0xffff_ffff);
  if (big !== undefined) throw new ValueError(`seed ${big} is larger than 2³² − 1`);
  if (seeds.length > MAX_SEEDS) throw new ValueError(`${seeds.length} seeds; at most ${MAX_SEEDS}`);
  return seeds;
}

export function parseSeed(value: string): number {
  if (!/^\s*\d+\s*$/.test(value) || Number(value) > 0xffff_ffff) {
    throw new ValueError(`a seed is a whole number in 0…2³² − 1, got ${JSON.stringify(value)}`);
  }
  return Number(value);
}

export function parseMaxRuns(value: string | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new ValueError(`expected a whole number ≥ 1, got ${JSON.stringify(value)}`);
  return n;
}
