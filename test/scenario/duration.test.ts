import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DurationError, formatDuration, parseDuration } from '../../harness/scenario/duration.ts';

describe('parseDuration', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['1.1s', 1100],
    ['0.25m', 15_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1000us', 1],
    ['0', 0],
    ['250', 250],
    [' 30s ', 30_000],
    [750, 750],
    [0, 0],
  ])('%j → %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it('microseconds on request (slicer delay): numbers are µs, strings convert', () => {
    expect(parseDuration('1ms', { unit: 'us' })).toBe(1000);
    expect(parseDuration('500us', { unit: 'us' })).toBe(500);
    expect(parseDuration('500µs', { unit: 'us' })).toBe(500);
    expect(parseDuration(250, { unit: 'us' })).toBe(250);
  });

  it('negative only when allowed (clock skew)', () => {
    expect(parseDuration('-5s', { allowNegative: true })).toBe(-5000);
    expect(parseDuration(-20, { allowNegative: true })).toBe(-20);
    expect(() => parseDuration('-5s')).toThrow(/must not be negative/);
    expect(() => parseDuration(-1)).toThrow(/must not be negative/);
  });

  it.each([
    ['30x', /unknown unit "x"/],
    ['30 s', /no spaces inside a duration/],
    ['s', /cannot read "s"/],
    ['1m30', /"30" has no unit/],
    ['', /empty/],
    ['abc', /cannot read "abc"/],
    ['1.0005s', /it is 1000\.5 ms: durations are whole milliseconds/],
    ['500us', /it is 0\.5 ms/],
    ['30S', /unknown unit "S"|cannot read/],
    [1.5, /plain number is whole milliseconds/],
    [Number.NaN, /finite/],
    [Number.POSITIVE_INFINITY, /finite/],
    [true, /expected a string or a number/],
    [null, /expected a string or a number/],
  ])('rejects %j with a clear message', (input, message) => {
    try {
      parseDuration(input);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DurationError);
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).toContain(`invalid duration ${JSON.stringify(input)}`);
    }
  });

  it('formatDuration writes what parseDuration reads back', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(1500)).toBe('1.5s');
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(-5000)).toBe('-5s');
    fc.assert(
      fc.property(fc.integer({ min: -1e10, max: 1e10 }), (ms) => {
        expect(parseDuration(formatDuration(ms), { allowNegative: true })).toBe(ms);
      }),
    );
  });
});
