/**
 * Durations as people write them in scenarios: "30s", "500ms", "2m", "1h", "1.5s", "1m30s", or a
 * plain number of milliseconds. Everything becomes whole milliseconds (the harness's time unit); a
 * value that is not a whole number of ms is rejected rather than rounded, so "1.0005s" never turns
 * silently into something else. Decimal arithmetic is exact (BigInt), so "1.1s" is 1100, not
 * 1100.0000000000002.
 */

import { quote } from './text.ts';

export class DurationError extends Error {
  readonly input: unknown;
  constructor(input: unknown, reason: string) {
    const shown = typeof input === 'string' ? quote(input) : String(JSON.stringify(input)).slice(0, 80);
    super(`invalid duration ${shown}: ${reason}`);
    this.name = 'DurationError';
    this.input = input;
  }
}

/** Microseconds per unit. */
const UNITS: Record<string, bigint> = {
  h: 3_600_000_000n,
  m: 60_000_000n,
  s: 1_000_000n,
  ms: 1_000n,
  us: 1n,
  µs: 1n,
};

const HINT = 'use ms, s, m or h, e.g. 30s, 500ms, 1.5s, 1m30s, or a number of ms';

/** The pattern the JSON Schema advertises to editors: number+unit pairs, or a quoted plain number. */
export const DURATION_PATTERN = '^\\s*\\+?((\\d+(\\.\\d+)?(h|ms|m|s|us|µs))+|\\d+(\\.\\d+)?)\\s*$';
/** The same with an optional minus (clock-skew offsets). */
export const SIGNED_DURATION_PATTERN = '^\\s*[-+]?((\\d+(\\.\\d+)?(h|ms|m|s|us|µs))+|\\d+(\\.\\d+)?)\\s*$';

export interface DurationOptions {
  /** Accept a leading minus (clock skew offsets). Default false. */
  allowNegative?: boolean;
  /** The unit plain numbers are in and the unit of the result. Default 'ms'. */
  unit?: 'ms' | 'us';
}

function toUnit(input: unknown, micros: bigint, unit: 'ms' | 'us'): number {
  if (unit === 'us') return Number(micros);
  if (micros % 1000n !== 0n) {
    const ms = Number(micros) / 1000;
    throw new DurationError(input, `it is ${ms} ms: durations are whole milliseconds`);
  }
  return Number(micros / 1000n);
}

/** Exact decimal × unit in µs, or undefined when the product is not a whole number of µs. */
function scaled(digits: string, unitMicros: bigint): bigint | undefined {
  const [whole = '0', frac = ''] = digits.split('.');
  const mantissa = BigInt(whole + frac) * unitMicros;
  const div = 10n ** BigInt(frac.length);
  return mantissa % div === 0n ? mantissa / div : undefined;
}

/**
 * Parses a duration into whole milliseconds (or microseconds with `unit: 'us'`). Numbers are taken
 * as already in that unit. Throws a DurationError that says what was wrong.
 */
export function parseDuration(input: unknown, options: DurationOptions = {}): number {
  const unit = options.unit ?? 'ms';
  const allowNegative = options.allowNegative ?? false;
  let micros: bigint;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw new DurationError(input, 'must be a finite number');
    if (input < 0 && !allowNegative) throw new DurationError(input, 'must not be negative');
    if (!Number.isInteger(input)) {
      throw new DurationError(
        input,
        `a plain number is whole ${unit === 'ms' ? 'milliseconds' : 'microseconds'}`,
      );
    }
    if (!Number.isSafeInteger(input)) throw new DurationError(input, 'is too large');
    return input;
  }
  if (typeof input !== 'string') {
    throw new DurationError(input, `expected a string or a number (${HINT})`);
  }
  let text = input.trim();
  if (text === '') throw new DurationError(input, `empty (${HINT})`);
  let negative = false;
  if (text.startsWith('-') || text.startsWith('+')) {
    negative = text.startsWith('-');
    text = text.slice(1);
    if (negative && !allowNegative) throw new DurationError(input, 'must not be negative');
  }
  if (/^\d+(\.\d+)?$/.test(text)) {
    // A quoted plain number: same meaning as an unquoted one.
    const value = scaled(text, unit === 'ms' ? 1000n : 1n);
    if (value === undefined)
      throw new DurationError(input, `a plain number is whole ${unit === 'ms' ? 'ms' : 'µs'}`);
    micros = value;
  } else {
    micros = 0n;
    const part = /(\d+(?:\.\d+)?)([a-zµ]+)/gy;
    let consumed = 0;
    for (let m = part.exec(text); m !== null; m = part.exec(text)) {
      const [, digits = '', name = ''] = m;
      const perUnit = UNITS[name];
      if (perUnit === undefined) throw new DurationError(input, `unknown unit ${quote(name, 20)} (${HINT})`);
      const value = scaled(digits, perUnit);
      if (value === undefined)
        throw new DurationError(input, `${quote(m[0], 40)} is finer than a microsecond`);
      micros += value;
      consumed = part.lastIndex;
    }
    if (consumed !== text.length || consumed === 0) {
      const rest = text.slice(consumed);
      const reason = /^\d+(\.\d+)?$/.test(rest)
        ? `${quote(rest, 40)} has no unit (${HINT})`
        : /\s/.test(rest)
          ? `no spaces inside a duration (${HINT})`
          : `cannot read ${quote(rest, 40)} (${HINT})`;
      throw new DurationError(input, reason);
    }
  }
  const result = toUnit(input, micros, unit);
  if (!Number.isSafeInteger(result)) throw new DurationError(input, 'is too large');
  return negative ? -result : result;
}

/** Milliseconds back to the shortest readable form: 90000 → "1m30s", 1500 → "1.5s", 250 → "250ms". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms === 0) return '0ms';
  if (!Number.isInteger(ms) || ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const rest = ms % 60_000;
  let out = '';
  if (h) out += `${h}h`;
  if (m) out += `${m}m`;
  if (rest) out += `${rest / 1000}s`;
  return out;
}
