/**
 * Toxiproxy's `reset_peer` toxic: nothing happens until the first chunk reaches it after f (the next
 * ping upstream, or its pong downstream: both reach the proxy at t_k + d_u), then `timeout`, then the
 * proxy closes both sockets (RST when accepted while a reset_peer toxic existed, else FIN). The chunk
 * is dropped and the stage stops reading, so meanwhile the pong timeout runs as for a black hole.
 */
import fc from 'fast-check';
import { duration } from '../scenario/fields.ts';
import type { Mechanism } from './mechanisms.ts';
import { defineToxic, directions, proxyCloses, proxyCut } from './toxic.ts';

export const resetPeer = defineToxic({
  type: 'reset_peer',
  summary: 'closes the connection with an RST `timeout` ms after the next chunk (Toxiproxy reset_peer)',
  example: { timeout: '500ms' },
  attributes: {
    timeout: duration(
      'wait after the first chunk, then close (RST if accepted while the toxic existed)',
    ).default(0),
  },
  durations: ['timeout'],
  classify: () => 'dead',
  arbitraries: {
    'reset-peer': fc.constant({
      type: 'reset_peer' as const,
      stream: 'upstream' as const,
      toxicity: 1,
      attributes: { timeout: 0 },
    }),
  },
  detection(entry, m) {
    const t = entry.fault.attributes.timeout ?? 0;
    const { up, down } = directions(entry.fault);
    const closeAt: Mechanism = {
      min: t,
      max: t + m.I - 1,
      sure: m.I > 0,
      why: `reset_peer: the first chunk after f within [0, I), then timeout ${t}`,
    };
    const sides = proxyCut(m, up, down);
    const closes = proxyCloses(m, closeAt);
    return {
      client: [...sides.client, closes.client],
      server: [...sides.server, closes.server],
      // A stalled stage reads no EOF: a close crosses only the direction without the toxic.
      ...(up ? {} : { clientToServer: m.du }),
      ...(down ? {} : { serverToClient: m.dd }),
    };
  },
});
