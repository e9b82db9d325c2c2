/**
 * Broken for completeness: the miss threshold is compared with `>` where `≥` was meant, so the
 * client declares the peer dead at the (N+1)-th consecutive miss — one ping period past the
 * BOUNDS.md black-hole bound [T − ρ, T − ρ + I) + (N−1)·I.
 */
import { HeartbeatClient, type HeartbeatClientOptions } from '../../../impl/client.ts';
import { HealthTracker } from '../../../impl/health.ts';
import { brokenSubject, onEachClientManager } from './subject.ts';

/** HealthTracker with the off-by-one: dead only after one more miss than configured. */
class LateHealthTracker extends HealthTracker {
  constructor(suspectAfter: number, missThreshold: number) {
    super(suspectAfter, missThreshold + 1);
  }
}

export class LateMissClient extends HeartbeatClient {
  constructor(options: HeartbeatClientOptions) {
    super(options);
    onEachClientManager(this, (m) => {
      (m as unknown as { health: HealthTracker }).health = new LateHealthTracker(
        m.settings.suspectAfter,
        m.settings.missThreshold,
      );
    });
  }
}

export const subject = brokenSubject({ name: 'late-miss', client: (o) => new LateMissClient(o) });
