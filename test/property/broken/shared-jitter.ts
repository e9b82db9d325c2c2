/**
 * Broken for noHammering (issue 15, class 4): the reconnect jitter is drawn once per process and
 * reused for every wait, so clients that lose the same server at the same moment wait exactly as
 * long as each other, attempt after attempt: the herd stays synchronised and hits the server in
 * lockstep (F13: uniform(0, J) drawn for each wait).
 *
 * The one draw comes from the seeded random() of the first client that needs it, so a run still
 * replays from its seed; every client of the process (all of a simulated herd) shares it.
 */

import { clientConfigFrom } from '../../../harness/subjects/reference.ts';
import { type BackoffPolicy, createBackoff } from '../../../impl/backoff.ts';
import { resolveClientConfig } from '../../../impl/config.ts';
import { brokenSubject } from './subject.ts';

/** The process-wide draw. */
let shared: number | undefined;

export const subject = brokenSubject({
  name: 'shared-jitter',
  backoff: (s): BackoffPolicy => {
    const inner = createBackoff(resolveClientConfig(clientConfigFrom({ backoff: s })).backoff);
    return {
      name: `${inner.name}-shared-jitter`,
      next: (n, random) => inner.next(n, () => (shared ??= random())),
      range: (n) => inner.range(n),
      reset: () => inner.reset(),
    };
  },
});
