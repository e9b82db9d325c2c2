import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createBackoff, nominalWait } from '../../impl/backoff.ts';
import { type BackoffPolicyName, resolveBackoff } from '../../impl/config.ts';

const randoms = fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), {
  minLength: 1,
  maxLength: 30,
});

function feed(values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
}

describe('F13 reconnect backoff policies (BOUNDS.md wait table)', () => {
  it('seed formula: min(b·2ⁿ, c) + uniform(0, J) with b = 1 s, c = 60 s, J = 1 s', () => {
    const p = createBackoff(resolveBackoff({}));
    expect(p.next(0, () => 0)).toBe(1_000);
    expect(p.next(0, () => 0.999_999)).toBe(2_000);
    expect(p.next(3, () => 0.5)).toBe(8_000 + 500);
    expect(p.next(6, () => 0)).toBe(60_000);
    expect(p.next(40, () => 0)).toBe(60_000);
    expect(p.range(5)).toEqual({ min: 32_000, max: 33_000 });
  });

  it('reaches the cap after ⌈log_m(c/b)⌉ attempts', () => {
    const s = resolveBackoff({});
    const firstCapped = [...Array(20).keys()].find((n) => nominalWait(s, n) === s.cap);
    expect(firstCapped).toBe(Math.ceil(Math.log(s.cap / s.base) / Math.log(s.multiplier)));
  });

  it('gRPC: 1 s × 1.6ⁿ, cap 120 s, ±20 %', () => {
    const p = createBackoff(resolveBackoff({ policy: 'grpc' }));
    expect(p.next(0, () => 0.5)).toBe(1_000);
    expect(p.next(0, () => 0)).toBe(800);
    expect(p.next(2, () => 0.5)).toBe(2_560);
    expect(p.range(20)).toEqual({ min: 96_000, max: 144_000 });
  });

  it('decorrelated: grows from b up to 3× the previous wait, and resets', () => {
    const p = createBackoff(resolveBackoff({ policy: 'decorrelated' }));
    expect(p.range(0)).toEqual({ min: 1_000, max: 3_000 });
    expect(p.next(0, () => 0.999_999)).toBe(3_000);
    expect(p.range(1)).toEqual({ min: 1_000, max: 9_000 });
    p.reset();
    expect(p.range(0)).toEqual({ min: 1_000, max: 3_000 });
  });

  const policies: BackoffPolicyName[] = ['seed', 'full', 'equal', 'decorrelated', 'grpc'];
  it.each(policies)(
    '%s: every wait is an integer inside its BOUNDS.md range and never above W_cap',
    (policy) => {
      fc.assert(
        fc.property(
          randoms,
          fc.integer({ min: 1, max: 5_000 }),
          fc.integer({ min: 1, max: 20 }),
          (rs, base, k) => {
            const s = resolveBackoff({ policy, base, cap: base * k });
            const p = createBackoff(s);
            const random = feed(rs);
            const wCap =
              policy === 'seed'
                ? s.cap + s.jitter
                : policy === 'grpc'
                  ? Math.round(s.cap * (1 + s.jitterFraction))
                  : s.cap;
            for (let n = 0; n < 25; n++) {
              const { min, max } = p.range(n);
              const w = p.next(n, random);
              // Plain checks: expect() inside hundreds of runs is slow; fast-check reports the case.
              if (!Number.isInteger(w) || w < min || w > max || w > wCap) {
                throw new Error(`attempt ${n}: wait ${w} outside [${min}, ${max}] (W_cap ${wCap})`);
              }
            }
          },
        ),
        { numRuns: 150, seed: 42 },
      );
    },
  );
});
