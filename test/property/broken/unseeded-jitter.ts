/**
 * Broken for determinism: the reconnect jitter of the seed formula (min(b·2ⁿ, c) + uniform(0, J))
 * draws from Math.random instead of the Runtime's seeded random(), so two runs with the same seed
 * reconnect at different times.
 */
import type { BackoffPolicy } from '../../../impl/backoff.ts';
import { brokenSubject, nominal } from './subject.ts';

export const subject = brokenSubject({
  name: 'unseeded-jitter',
  backoff: (s): BackoffPolicy => {
    const beta = (n: number) => Math.min(s.cap, nominal(s, n));
    // Jitter even when the policy has none, so that every reconnect shows the bug.
    const jitter = Math.max(s.policy === 'seed' ? s.jitter : 0, s.base);
    return {
      name: 'unseeded',
      next: (n) => Math.round(beta(n) + Math.random() * jitter),
      range: (n) => ({ min: Math.round(beta(n)), max: Math.round(beta(n) + jitter) }),
      reset() {},
    };
  },
});
