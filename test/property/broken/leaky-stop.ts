/**
 * Broken for hygiene: stopping a connection's heartbeat drops the ping interval's handle before the
 * timers are cleared, so the interval keeps ticking after stop() (F16: shutdown clears every timer).
 */
import { HeartbeatClient, type HeartbeatClientOptions } from '../../../impl/client.ts';
import { brokenSubject, internals, onEachClientManager } from './subject.ts';

export class LeakyStopClient extends HeartbeatClient {
  constructor(options: HeartbeatClientOptions) {
    super(options);
    onEachClientManager(this, (m) => {
      const inner = internals(m);
      const finish = inner.finish.bind(m);
      inner.finish = (reason) => {
        inner.pinger = undefined;
        finish(reason);
      };
    });
  }
}

export const subject = brokenSubject({ name: 'leaky-stop', client: (o) => new LeakyStopClient(o) });
