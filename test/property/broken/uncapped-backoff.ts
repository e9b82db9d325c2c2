/**
 * Broken for convergence: the reconnect backoff forgets its cap (F13 says min(b·2ⁿ, c)), so after a
 * long outage the client sleeps b·mⁿ — far past the convergence bound A_max + W_cap + H — before it
 * tries again.
 */
import type { BackoffPolicy } from '../../../impl/backoff.ts';
import { brokenSubject, nominal } from './subject.ts';

export const subject = brokenSubject({
  name: 'uncapped-backoff',
  backoff: (s): BackoffPolicy => {
    const jitter = s.policy === 'seed' ? s.jitter : 0;
    return {
      name: 'uncapped',
      next: (n, random) => Math.round(nominal(s, n) + random() * jitter),
      range: (n) => ({ min: Math.round(nominal(s, n)), max: Math.round(nominal(s, n) + jitter) }),
      reset() {},
    };
  },
});
