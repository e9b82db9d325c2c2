/**
 * Broken for accuracy (issue 15, class 2): a pong counts only if it answers the latest ping. When
 * the round trip is longer than the ping interval (r > I, still well inside the pong timeout T), the
 * next ping has left before each pong arrives, so every valid pong is taken for a late one: its ping
 * still times out, the miss count is never reset, and a healthy connection dies after N misses
 * (F5: each ping is matched with its own pong by `seq`).
 */
import { HeartbeatClient, type HeartbeatClientOptions } from '../../../impl/client.ts';
import type { Pong } from '../../../impl/protocol.ts';
import { brokenSubject, internals, onEachClientManager } from './subject.ts';

export class LatestPongOnlyClient extends HeartbeatClient {
  constructor(options: HeartbeatClientOptions) {
    super(options);
    onEachClientManager(this, (m) => {
      const inner = internals(m);
      const onPong = inner.onPong.bind(m);
      inner.onPong = (pong: Pong) => {
        if (pong.seq !== inner.seq) return; // the bug: "not the ping I just sent, so it is late"
        onPong(pong);
      };
    });
  }
}

export const subject = brokenSubject({
  name: 'latest-pong-only',
  client: (o) => new LatestPongOnlyClient(o),
});
