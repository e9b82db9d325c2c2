/**
 * The value lists a sweep axis takes, on the command line and in a sweep file:
 *
 *   5s,10s,30s        a list
 *   2s..10s/5         5 values, evenly spaced, both ends included (2s, 4s, 6s, 8s, 10s)
 *   2s..10s:2s        from 2s in steps of 2s up to 10s
 *   1s..60s*2         from 1s, each value twice the one before, up to 60s (1s, 2s, 4s … 32s)
 *   1.5x              relative to the interval I (pong timeout and read deadline only): R = 1.5·I
 *   1..5, 1..9:2      whole numbers (miss threshold, seeds); a range of whole numbers steps by 1
 *
 * Items combine with commas (`5s,10s..30s/3`). Durations are anything parseDuration reads (500ms,
 * 1.5s, 1m30s, or a plain number of ms) and end up whole milliseconds (evenly spaced values are
 * rounded to the ms). The result is deduplicated and sorted: absolute values ascending, then
 * relative ones.
 */
import { DurationError, parseDuration } from '../scenario/duration.ts';
import { ValueError } from './errors.ts';

/** A duration in ms, or a multiple of the interval I. */
export type DurationValue = number | { times: number };

/** Largest number of values one axis may expand to (a typo like 1ms..1h:1ms would make millions). */
export const MAX_AXIS_VALUES = 1000;

const RANGE = /^(.+?)\.\.(.+?)(?:([/:*])(.+))?$/;
const RELATIVE = /^(\d+(?:\.\d+)?)x$/i;

type Scalar = { value: number; relative: boolean };

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function durationScalar(text: string | number, relativeAllowed: boolean): Scalar {
  if (typeof text === 'string') {
    const m = RELATIVE.exec(text.trim());
    if (m) {
      if (!relativeAllowed) {
        throw new ValueError(
          `"${text}": a multiple of the interval is allowed for pong timeout and read deadline only`,
        );
      }
      const factor = Number(m[1]);
      if (!(factor > 0)) throw new ValueError(`"${text}": the multiple of the interval must be more than 0`);
      return { value: factor, relative: true };
    }
  }
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (e) {
    if (e instanceof DurationError) throw new ValueError(e.message);
    throw e;
  }
  if (ms <= 0) throw new ValueError(`${JSON.stringify(text)}: must be more than 0 ms`);
  return { value: ms, relative: false };
}

function countScalar(text: string | number, min: number): Scalar {
  const s = typeof text === 'number' ? String(text) : text.trim();
  if (!/^\d+$/.test(s)) throw new ValueError(`expected a whole number, got ${JSON.stringify(text)}`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new ValueError(`${s} is too large`);
  if (n < min) throw new ValueError(`must be ≥ ${min}, got ${n}`);
  return { value: n, relative: false };
}

function tooMany(item: string, n: number): ValueError {
  return new ValueError(`"${item}" expands to ${n} values; at most ${MAX_AXIS_VALUES} per axis`);
}

/** Expands one list item (a value or a range) into scalars. */
function expandItem(
  item: string | number,
  scalar: (t: string | number) => Scalar,
  integers: boolean,
): Scalar[] {
  if (typeof item === 'number') return [scalar(item)];
  const text = item.trim();
  if (text === '') throw new ValueError('empty value (two commas in a row, or a trailing comma?)');
  const m = RANGE.exec(text);
  if (!m) return [scalar(text)];
  const [, fromText = '', toText = '', op, stepText] = m;
  const from = scalar(fromText);
  const to = scalar(toText);
  if (from.relative !== to.relative) {
    throw new ValueError(
      `"${text}": both ends of a range must be durations, or both multiples of the interval`,
    );
  }
  if (to.value < from.value) throw new ValueError(`"${text}": the range goes down (${toText} < ${fromText})`);
  const relative = from.relative;
  // Relative factors keep their fraction; ms and counts are whole.
  const make = (v: number): Scalar => ({ value: relative ? round6(v) : Math.round(v), relative });
  if (op === undefined) {
    if (!integers) {
      throw new ValueError(
        `"${text}": say which values: ${fromText}..${toText}/n (n values), ${fromText}..${toText}:step or ${fromText}..${toText}*factor`,
      );
    }
    const n = to.value - from.value + 1;
    if (n > MAX_AXIS_VALUES) throw tooMany(text, n);
    return Array.from({ length: n }, (_, i) => make(from.value + i));
  }
  if (op === '/') {
    const n = Number(stepText);
    if (!Number.isInteger(n) || n < 2) {
      throw new ValueError(
        `"${text}": after / comes how many values (a whole number ≥ 2), got "${stepText}"`,
      );
    }
    if (n > MAX_AXIS_VALUES) throw tooMany(text, n);
    return Array.from({ length: n }, (_, i) => make(from.value + ((to.value - from.value) * i) / (n - 1)));
  }
  if (op === ':') {
    const step = relative
      ? durationScalar(stepText ?? '', true)
      : integers
        ? countScalar(stepText ?? '', 1)
        : durationScalar(stepText ?? '', false);
    if (step.relative !== relative) {
      throw new ValueError(`"${text}": the step must be in the same unit as the range`);
    }
    const n = Math.floor(round6((to.value - from.value) / step.value)) + 1;
    if (n > MAX_AXIS_VALUES) throw tooMany(text, n);
    return Array.from({ length: n }, (_, i) => make(from.value + i * step.value));
  }
  const factor = Number(stepText);
  if (!Number.isFinite(factor) || factor <= 1) {
    throw new ValueError(`"${text}": after * comes the growth factor, a number > 1, got "${stepText}"`);
  }
  const out: Scalar[] = [];
  for (let v = from.value; v <= to.value * (1 + 1e-9); v *= factor) {
    out.push(make(v));
    if (out.length > MAX_AXIS_VALUES) throw tooMany(text, out.length);
  }
  return out;
}

/** The items of an axis as written: a comma-separated string, a number, or a list of either. */
export type AxisInput = string | number | readonly (string | number)[];

function items(input: AxisInput): { item: string | number; index?: number }[] {
  if (Array.isArray(input)) {
    if (input.length === 0) throw new ValueError('the list is empty');
    return input.map((item, index) => ({ item, index }));
  }
  if (typeof input === 'number') return [{ item: input }];
  const text = input as string;
  if (text.trim() === '') throw new ValueError('no values given');
  return text.split(',').map((item) => ({ item }));
}

function collect(input: AxisInput, expand: (item: string | number) => Scalar[]): Scalar[] {
  const out: Scalar[] = [];
  for (const { item, index } of items(input)) {
    try {
      out.push(...expand(item));
    } catch (e) {
      if (e instanceof ValueError && index !== undefined) throw new ValueError(e.message, index);
      throw e;
    }
  }
  if (out.length > MAX_AXIS_VALUES)
    throw new ValueError(`${out.length} values; at most ${MAX_AXIS_VALUES} per axis`);
  const seen = new Set<string>();
  const unique = out.filter((s) => {
    const key = `${s.relative ? 'x' : ''}${s.value}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => Number(a.relative) - Number(b.relative) || a.value - b.value);
}

/** A duration axis; `relative` allows multiples of the interval (`1.5x`). Throws ValueError. */
export function parseDurationAxis(input: AxisInput, options: { relative?: boolean } = {}): DurationValue[] {
  const relative = options.relative ?? false;
  return collect(input, (item) => expandItem(item, (t) => durationScalar(t, relative), false)).map((s) =>
    s.relative ? { times: s.value } : s.value,
  );
}

/** A whole-number axis (miss threshold, seeds), each value ≥ `min`. Throws ValueError. */
export function parseCountAxis(input: AxisInput, options: { min?: number } = {}): number[] {
  const min = options.min ?? 1;
  return collect(input, (item) => expandItem(item, (t) => countScalar(t, min), true)).map((s) => s.value);
}

/** The value in ms for interval I. */
export function resolveDuration(v: DurationValue, interval: number): number {
  return typeof v === 'number' ? v : Math.round(v.times * interval);
}

/** How a value is written back (canonical flags): "7.5s" or "1.5x". */
export function formatDurationValue(v: DurationValue, format: (ms: number) => string): string {
  return typeof v === 'number' ? format(v) : `${v.times}x`;
}
