/**
 * Broken for no hammering: the backoff's attempt counter is never advanced, so every reconnect
 * waits the first wait b — an outage draws attempts at a steady rate instead of backing off (F13).
 */
import type { BackoffPolicy } from '../../../impl/backoff.ts';
import { brokenSubject } from './subject.ts';

export const subject = brokenSubject({
  name: 'flat-backoff',
  backoff: (s): BackoffPolicy => ({
    name: 'flat',
    next: () => Math.round(s.base),
    range: () => ({ min: Math.round(s.base), max: Math.round(s.base) }),
    reset() {},
  }),
});
