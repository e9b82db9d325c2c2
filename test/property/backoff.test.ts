/**
 * Every backoff policy a user can configure, each with its own cases: noHammering judges each
 * reconnect wait after a healthy connection against the policy's interval for w_k (F13, BOUNDS.md),
 * so a policy the shared random mix rarely draws — or a cap, multiplier or jitter it rarely reaches —
 * still meets the verdict every run. Short bases and caps, so that an outage spans many waits and
 * reaches the cap. Fixed fast-check seed: the same cases every run (and for every mutant when
 * `npm run mutation` runs this suite; see docs/MUTATION.md).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import { properties } from '../../harness/property/index.ts';
import { referenceSubject } from '../../harness/subjects/reference.ts';
import { BACKOFF_POLICIES } from '../../harness/subjects/reference-config.ts';

const SEED = 20_261_208;
const RUNS = 6;

describe('noHammering judges each reconnect wait against the configured backoff policy', () => {
  for (const policy of BACKOFF_POLICIES) {
    it(`the reference keeps every wait inside ${policy}'s interval (seed ${SEED}, ${RUNS} cases)`, async () => {
      const property = properties.noHammering(referenceSubject as Subject<never>, {
        arbitrary: {
          backoffPolicies: [policy],
          backoffBase: { min: 50, max: 800 },
          backoffCapExtra: { min: 0, max: 3000 },
          connectTimeout: { min: 1000, max: 2000 },
          clients: { min: 2, max: 3 },
          minFaults: 2,
          length: { min: 30_000, max: 60_000 },
          duration: 150_000,
        },
      });
      const held = await fc.check(property, { seed: SEED, numRuns: RUNS });
      expect(held.failed, String((held.errorInstance as Error | null)?.message)).toBe(false);
      expect(held.numRuns).toBe(RUNS);
      expect(property.flatline.tally.checked, 'no wait was judged: a vacuous pass').toBeGreaterThan(RUNS);
    });
  }
});
