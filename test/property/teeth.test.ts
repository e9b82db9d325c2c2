/**
 * Each property has teeth: for each one, a deliberately broken variant of the reference
 * implementation (test/property/broken/) is caught — fc.check finds a counterexample that violates
 * exactly that property — while the reference passes the very same generated cases (same fast-check
 * seed, same number of runs) and the property checked real facts on them (not a vacuous pass).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import { type PropertyName, PropertyViolation, properties } from '../../harness/property/index.ts';
import { referenceSubject } from '../../harness/subjects/reference.ts';
import { subject as flatBackoff } from './broken/flat-backoff.ts';
import { subject as lateMiss } from './broken/late-miss.ts';
import { subject as leakyStop } from './broken/leaky-stop.ts';
import { subject as staleReadDeadline } from './broken/stale-read-deadline.ts';
import { subject as uncappedBackoff } from './broken/uncapped-backoff.ts';
import { subject as unseededJitter } from './broken/unseeded-jitter.ts';

interface Tooth {
  property: PropertyName;
  bug: string;
  broken: Subject<never>;
  /** What the violation must say: the property's own words, not an unrelated crash. */
  says: RegExp;
}

const TEETH: Tooth[] = [
  {
    property: 'completeness',
    bug: 'miss threshold off by one (dead at the N+1-th miss)',
    broken: lateMiss as Subject<never>,
    says: /^completeness: .* the client ended its connection .* outside \[\d+, \d+\] — client pong timeout/,
  },
  {
    property: 'accuracy',
    bug: 'server read deadline not re-armed by received pings',
    broken: staleReadDeadline as Subject<never>,
    says: /^accuracy: the server ended server#1 at \d+ ms with no fault \(reason read-deadline\)/,
  },
  {
    property: 'convergence',
    bug: 'reconnect backoff without its cap',
    broken: uncappedBackoff as Subject<never>,
    says: /^convergence after .*: the client's live connection .* connected Δ = \d+ ms after .* outside \[0, \d+\] — reconnect convergence/,
  },
  {
    property: 'noHammering',
    bug: 'reconnect backoff that never grows',
    broken: flatBackoff as Subject<never>,
    says: /^no hammering: .*: \d+ reconnect attempts in the \d+ ms .* more than \d+ — no hammering/,
  },
  {
    property: 'hygiene',
    bug: 'ping interval left running after stop',
    broken: leakyStop as Subject<never>,
    says: /^hygiene: when its close\(\) resolved at \d+ ms the client host still had [1-9]\d* timer\(s\)/,
  },
  {
    property: 'determinism',
    bug: 'reconnect jitter from Math.random instead of the seeded random()',
    broken: unseededJitter as Subject<never>,
    says: /^determinism: seed \d+ gave trace hashes .* first difference at observed event #\d+: ".* dial" vs ".* dial"/,
  },
];

/** Same generated cases for the broken variant and the reference. */
const SEED = 20_260_521;
const RUNS = 10;

describe('properties have teeth (a broken variant per property is caught; the reference passes the same cases)', () => {
  for (const t of TEETH) {
    it(`${t.property} catches "${t.bug}" (${t.broken.name}) and the reference passes`, async () => {
      const brokenProperty = properties[t.property](t.broken);
      const caught = await fc.check(brokenProperty, { seed: SEED, numRuns: RUNS, endOnFailure: true });
      expect(caught.failed, `${t.broken.name} was not caught in ${RUNS} cases`).toBe(true);
      const err = caught.errorInstance;
      expect(err).toBeInstanceOf(PropertyViolation);
      const violation = err as PropertyViolation;
      expect(violation.property).toBe(t.property);
      expect(violation.subject).toBe(t.broken.name);
      expect(
        violation.violations.some((v) => t.says.test(v)),
        violation.violations.join('\n'),
      ).toBe(true);

      const reference = properties[t.property](referenceSubject as Subject<never>);
      const held = await fc.check(reference, { seed: SEED, numRuns: RUNS });
      expect(held.failed, String((held.errorInstance as Error | null)?.message)).toBe(false);
      expect(held.numRuns).toBe(RUNS);
      expect(reference.flatline.tally.cases).toBeGreaterThanOrEqual(RUNS);
      expect(
        reference.flatline.tally.checked,
        'the property checked nothing: a vacuous pass',
      ).toBeGreaterThan(0);
    });
  }
});
