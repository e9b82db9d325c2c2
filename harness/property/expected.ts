/**
 * What BOUNDS.md promises for one generated fault, in the numbers of one case: which side must
 * detect it and within which bound (harness/faults/bounds.ts, the computation scenarios use), how
 * fast the client must be back, and how many reconnect attempts an outage allows.
 */
import { expectedDetections as detectionsOf, type ExpectedDetection } from '../faults/bounds.ts';
import type { FaultEntry } from '../faults/registry.ts';
import { noHammering, reconnectConvergence, worstWait } from '../observe/bounds.ts';
import type { Bound } from '../result.ts';
import type { PropertyCase } from './case.ts';

export type { ExpectedDetection };

function wire(c: PropertyCase): Wire {
  const du = c.link.up.latency;
  const dd = c.link.down.latency;
  return { du, dd, ju: c.link.up.jitter, jd: c.link.down.jitter, r: du + dd };
}

interface Wire {
  du: number;
  dd: number;
  ju: number;
  jd: number;
  r: number;
}

/**
 * The detections a fault must produce, side by side (empty: nobody is expected to notice): the one
 * computation scenarios use too (harness/faults/bounds.ts), in the case's numbers, jitter included.
 */
export function expectedDetections(c: PropertyCase, entry: FaultEntry): ExpectedDetection[] {
  return detectionsOf(entry, { config: c.config, link: c.link, remaining: c.duration - entry.at });
}

/**
 * BOUNDS.md reconnect convergence: from the heal (or the detection, if later) to the next connection,
 * at most A_max + W_cap + H, with A_max the connect timeout (a black-holed attempt runs that long)
 * and H the handshake, one round trip at its slowest.
 */
export function convergenceBound(c: PropertyCase): Bound {
  const w = wire(c);
  const b = reconnectConvergence({
    backoff: c.config.backoff,
    attemptMax: c.config.connectTimeout,
    handshake: w.r + w.ju + w.jd,
  });
  // An attempt already under way at the heal can finish its handshake at once: only the max binds.
  return { ...b, min: 0, why: `${b.why}; min 0: an attempt in flight at the heal completes early` };
}

/**
 * BOUNDS.md no hammering over an outage of `outage` ms counted from the client's detection. Every
 * attempt during these outages is black-holed, so each lasts the connect timeout: A_min = that.
 * Counts attempts started (the last one may still be in flight at the heal).
 */
export function hammeringBound(c: PropertyCase, outage: number): Bound {
  return noHammering({
    backoff: c.config.backoff,
    outage,
    attemptMin: c.config.connectTimeout,
    count: 'started',
  });
}

/** The longest single reconnect wait of the case's backoff (W_cap). */
export function worstBackoffWait(c: PropertyCase): number {
  return worstWait(c.config.backoff);
}
