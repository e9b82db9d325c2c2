/**
 * Toxiproxy's `timeout` toxic. With timeout 0 it drops everything in its direction for as long as it
 * is on: a black hole that only the heartbeat finds. A `timeout` toxic passes EOF, so a close still
 * crosses it, and removing it closes every connection it was on (BOUNDS.md: the heal of a black-hole
 * through Toxiproxy is a FIN). With timeout > 0 it closes only after that long with no data in its
 * direction, which depends on the traffic: a heartbeat faster than that keeps the connection open.
 */
import fc from 'fast-check';
import { duration } from '../scenario/fields.ts';
import { exact, isSome, type Mechanism, shift } from './mechanisms.ts';
import { defineToxic, directions, proxyCut } from './toxic.ts';

export const timeout = defineToxic({
  type: 'timeout',
  summary: 'drops everything; closes after `timeout` ms without data, 0 never (Toxiproxy timeout)',
  example: { timeout: 0, stream: 'both' },
  attributes: {
    timeout: duration('drop everything; close after this long with no data (0: never close)').default(0),
  },
  durations: ['timeout'],
  classify: () => 'dead',
  detection(entry, m) {
    if ((entry.fault.attributes.timeout ?? 0) > 0) return undefined;
    const { up, down } = directions(entry.fault);
    const sides = proxyCut(m, up, down);
    const U = entry.until === undefined ? undefined : entry.until - entry.at;
    const heal: Mechanism | undefined =
      U === undefined
        ? undefined
        : { ...exact(U, 'the toxic is removed at the heal, closing the connection'), atHeal: true };
    return {
      client: [...sides.client, shift(heal, m.dd, 'its FIN reaches the client', m.jd)].filter(isSome),
      server: [...sides.server, heal].filter(isSome),
      clientToServer: m.du,
      serverToClient: m.dd,
    };
  },
  // Black holes through the proxy: nothing crosses, nothing closes; only the heartbeat finds them.
  arbitraries: Object.fromEntries(
    (['both', 'upstream', 'downstream'] as const).map((stream) => [
      `blackhole-${stream}`,
      fc.constant({ type: 'timeout' as const, stream, toxicity: 1, attributes: { timeout: 0 } }),
    ]),
  ),
  looseBound: (f) =>
    (f.attributes.timeout ?? 0) > 0
      ? 'a timeout toxic > 0 closes only after that long without data in its direction'
      : undefined,
});
