/**
 * Broken for accuracy (issue 15, class 6): the server answers a ping only after the business
 * handlers of the messages that arrived before it have resolved — the pong waits its turn in the
 * business queue. A handler slower than the client's pong timeout (or a backlog of them) makes
 * healthy pings miss, and the client declares a live server dead (F4: answer every ping at once;
 * F6: slow business processing must never make the heartbeat misjudge liveness).
 */
import type { Ping } from '../../../impl/protocol.ts';
import { HeartbeatServer, type HeartbeatServerOptions } from '../../../impl/server.ts';
import { brokenSubject, internals, onEachServerManager } from './subject.ts';

export class PongBehindBusinessServer extends HeartbeatServer {
  constructor(options: HeartbeatServerOptions) {
    super(options);
    onEachServerManager(this, (m) => {
      const inner = internals(m);
      const answer = inner.onPeerPing.bind(m);
      inner.onPeerPing = (ping: Ping) => {
        inner.businessChain = inner.businessChain.then(() => answer(ping));
      };
    });
  }
}

export const subject = brokenSubject({
  name: 'pong-behind-business',
  server: (o) => new PongBehindBusinessServer(o),
});
