/**
 * Broken for accuracy: the server's read deadline is "re-armed" only when none is pending — so the
 * first one, armed at accept, is never pushed back by the pings that arrive, and the server drops
 * every healthy connection R after accepting it (F4: any received byte must re-arm the deadline).
 */
import { HeartbeatServer, type HeartbeatServerOptions } from '../../../impl/server.ts';
import { brokenSubject, internals, onEachServerManager } from './subject.ts';

export class StaleReadDeadlineServer extends HeartbeatServer {
  constructor(options: HeartbeatServerOptions) {
    super(options);
    onEachServerManager(this, (m) => {
      const inner = internals(m);
      const arm = inner.armReadDeadline.bind(m);
      inner.armReadDeadline = () => {
        if (inner.readTimer !== undefined) return;
        arm();
      };
    });
  }
}

export const subject = brokenSubject({
  name: 'stale-read-deadline',
  server: (o) => new StaleReadDeadlineServer(o),
});
