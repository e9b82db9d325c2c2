/**
 * Broken for accuracy (issue 15, class 1): the server's read deadline is re-armed by pings only, not
 * by every received byte — business data does not count. A server whose read deadline R is shorter
 * than the ping period, healthy because the client's business messages arrive more often than R
 * (F4: any received byte re-arms it), drops that healthy connection R after the last ping.
 */
import type { Ping } from '../../../impl/protocol.ts';
import { HeartbeatServer, type HeartbeatServerOptions } from '../../../impl/server.ts';
import { brokenSubject, internals, onEachServerManager } from './subject.ts';

export class PingOnlyReadDeadlineServer extends HeartbeatServer {
  constructor(options: HeartbeatServerOptions) {
    super(options);
    onEachServerManager(this, (m) => {
      const inner = internals(m);
      const arm = inner.armReadDeadline.bind(m);
      const answer = inner.onPeerPing.bind(m);
      let armed = false;
      // start() arms it once; after that every chunk's re-arm is gone…
      inner.armReadDeadline = () => {
        if (armed) return;
        armed = true;
        arm();
      };
      // …and only a ping re-arms it.
      inner.onPeerPing = (ping: Ping) => {
        arm();
        answer(ping);
      };
    });
  }
}

export const subject = brokenSubject({
  name: 'ping-only-read-deadline',
  server: (o) => new PingOnlyReadDeadlineServer(o),
});
