/**
 * Each property has teeth: for each one, a deliberately broken variant of the reference
 * implementation (test/property/broken/) is caught — fc.check finds a counterexample that violates
 * exactly that property — while the reference passes the very same generated cases (same fast-check
 * seed, same number of runs) and the property checked real facts on them (not a vacuous pass).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import { DEFAULT_CHECK_SEED } from '../../harness/cli/check.ts';
import { type PropertyName, PropertyViolation, properties } from '../../harness/property/index.ts';
import { referenceSubject } from '../../harness/subjects/reference.ts';
import { subject as flatBackoff } from './broken/flat-backoff.ts';
import { subject as lateMiss } from './broken/late-miss.ts';
import { subject as latestPongOnly } from './broken/latest-pong-only.ts';
import { subject as leakyStop } from './broken/leaky-stop.ts';
import { subject as noReconnectAfterReset } from './broken/no-reconnect-after-reset.ts';
import { subject as pingOnlyReadDeadline } from './broken/ping-only-read-deadline.ts';
import { subject as pongBehindBusiness } from './broken/pong-behind-business.ts';
import { subject as sharedJitter } from './broken/shared-jitter.ts';
import { subject as staleReadDeadline } from './broken/stale-read-deadline.ts';
import { subject as stickyBackoff } from './broken/sticky-backoff.ts';
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
    // Late, or not back at all by the time it is judged: either is past the convergence bound.
    says: /^convergence after .*: (the client's live connection .* connected Δ = \d+ ms after .* outside \[0, \d+\]|the client holds 0 live connections \(expected exactly 1\): not reconnected within \d+ ms of .*) — reconnect convergence/,
  },
  {
    property: 'noHammering',
    bug: 'reconnect backoff that never grows',
    broken: flatBackoff as Subject<never>,
    // Too many attempts, or (in a herd) every client retrying after the same unjittered wait.
    says: /^no hammering: .*: (\d+ reconnect attempts in the \d+ ms .* more than \d+ — no hammering|the clients on .* retried in lockstep)/,
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

/**
 * Issue 15: realistic one-line bugs that once escaped both the scenario library and `flatline check
 * all`. Each is caught by its property exactly as `flatline check all` runs it by default — fast-check
 * seed DEFAULT_CHECK_SEED, 20 runs — and the reference passes those very cases.
 */
const CHECK_RUNS = 20;

const ISSUE_15: Tooth[] = [
  {
    property: 'accuracy',
    bug: 'read deadline re-armed by pings only, not by business data',
    broken: pingOnlyReadDeadline as Subject<never>,
    says: /^accuracy: the server ended server#1 at \d+ ms with no fault \(reason read-deadline\)/,
  },
  {
    property: 'accuracy',
    bug: 'a valid pong answering an older ping (r > I) taken for a late one: the miss count never resets',
    broken: latestPongOnly as Subject<never>,
    says: /^accuracy: the client ended client#1 at \d+ ms with no fault \(reason heartbeat-timeout\)/,
  },
  {
    property: 'convergence',
    bug: 'backoff attempt count not reset after a successful connection',
    broken: stickyBackoff as Subject<never>,
    says: /^convergence after .*: backoff not started over — the client's connection .* had proved healthy \(a pong\), yet after its detection at \d+ ms its first retry waited \d+ ms, more than the first wait allows \(\d+ ms\)/,
  },
  {
    property: 'noHammering',
    bug: 'jitter drawn once per process: the herd stays synchronised',
    broken: sharedJitter as Subject<never>,
    says: /^no hammering: .*: the clients on client-\d and client-\d retried in lockstep — the same \d+ waits \[[\d, ]+\] ms after their detections/,
  },
  {
    property: 'convergence',
    bug: 'no reconnect after an ECONNRESET death',
    broken: noReconnectAfterReset as Subject<never>,
    // Never back: judged as no live connection, or as no retry at all after the reset death.
    says: /^convergence after crash-\d+ crash server .*: (the client holds 0 live connections \(expected exactly 1\): not reconnected within|backoff not started over — .* it had not retried by \d+ ms)/,
  },
  {
    property: 'accuracy',
    bug: 'pongs answered only after slow business handlers resolve',
    broken: pongBehindBusiness as Subject<never>,
    says: /^accuracy: the client ended client#1 at \d+ ms with no fault \(reason heartbeat-timeout\)/,
  },
];

describe(`issue 15 bugs are caught as \`flatline check all\` runs by default (seed ${DEFAULT_CHECK_SEED}, ${CHECK_RUNS} runs)`, () => {
  for (const t of ISSUE_15) {
    it(`${t.property} catches "${t.bug}" (${t.broken.name})`, async () => {
      const caught = await fc.check(properties[t.property](t.broken), {
        seed: DEFAULT_CHECK_SEED,
        numRuns: CHECK_RUNS,
        endOnFailure: true,
      });
      expect(caught.failed, `${t.broken.name} was not caught in ${CHECK_RUNS} cases`).toBe(true);
      const violation = caught.errorInstance as PropertyViolation;
      expect(violation).toBeInstanceOf(PropertyViolation);
      expect(violation.property).toBe(t.property);
      expect(violation.subject).toBe(t.broken.name);
      expect(
        violation.violations.some((v) => t.says.test(v)),
        violation.violations.join('\n'),
      ).toBe(true);
    });
  }

  for (const property of new Set(ISSUE_15.map((t) => t.property))) {
    it(`the reference passes the same ${CHECK_RUNS} ${property} cases, checking real facts`, async () => {
      const reference = properties[property](referenceSubject as Subject<never>);
      const held = await fc.check(reference, { seed: DEFAULT_CHECK_SEED, numRuns: CHECK_RUNS });
      expect(held.failed, String((held.errorInstance as Error | null)?.message)).toBe(false);
      expect(held.numRuns).toBe(CHECK_RUNS);
      expect(
        reference.flatline.tally.checked,
        'the property checked nothing: a vacuous pass',
      ).toBeGreaterThan(0);
    });
  }
});
