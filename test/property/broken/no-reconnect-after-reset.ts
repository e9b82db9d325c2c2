/**
 * Broken for convergence (issue 15, class 5): a connection that died of a reset (RST, ECONNRESET)
 * schedules no reconnect — only the other deaths do — so a client whose server process died on a
 * live OS (its kernel resets the connection) stays disconnected for good (F13: reconnect after every
 * death; F15 tells the reasons apart for reporting, not to pick which deaths to survive).
 */
import type { DeathReason } from '../../../impl/classify.ts';
import { HeartbeatClient, type HeartbeatClientOptions } from '../../../impl/client.ts';
import type { Death, HeartbeatManager } from '../../../impl/heartbeat.ts';
import { brokenSubject } from './subject.ts';

interface ClientInternals {
  onDeath(manager: HeartbeatManager, death: Death): void;
  retire(manager: HeartbeatManager): void;
  fire(event: 'death', death: Death): void;
  scheduleRetry(after: DeathReason): void;
  lastReason: DeathReason | undefined;
}

export class NoReconnectAfterResetClient extends HeartbeatClient {
  constructor(options: HeartbeatClientOptions) {
    super(options);
    const self = this as unknown as ClientInternals;
    // impl/client.ts's onDeath, with the one-line bug.
    self.onDeath = (manager, death) => {
      self.retire(manager);
      self.lastReason = death.reason;
      self.fire('death', death);
      if (death.reason !== 'reset') self.scheduleRetry(death.reason);
    };
  }
}

export const subject = brokenSubject({
  name: 'no-reconnect-after-reset',
  client: (o) => new NoReconnectAfterResetClient(o),
});
