/**
 * Broken for convergence (issue 15, class 3): a successful connection resets the backoff policy but
 * not the attempt counter, so the first reconnect after a later outage waits as if the earlier
 * outage's attempts had never ended — b·mⁿ (up to the cap) instead of the first wait b (F13: the
 * backoff starts over once a connection proved healthy).
 */

import type { BackoffPolicy } from '../../../impl/backoff.ts';
import { HeartbeatClient, type HeartbeatClientOptions } from '../../../impl/client.ts';
import { brokenSubject } from './subject.ts';

interface ClientInternals {
  resetBackoff(why: string): void;
  policy: BackoffPolicy;
  retries: number;
}

export class StickyBackoffClient extends HeartbeatClient {
  constructor(options: HeartbeatClientOptions) {
    super(options);
    const self = this as unknown as ClientInternals;
    // impl/client.ts's resetBackoff without its `this.retries = 0`.
    self.resetBackoff = () => {
      self.policy.reset();
    };
  }
}

export const subject = brokenSubject({ name: 'sticky-backoff', client: (o) => new StickyBackoffClient(o) });
