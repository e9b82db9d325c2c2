/**
 * Toxiproxy's `limit_data` toxic: closes the connection once `bytes` have passed. With bytes 0 the
 * first chunk after f in its direction closes both sockets; with more, when depends on the traffic.
 */
import { nonNegativeInt } from '../scenario/fields.ts';
import type { Mechanism } from './mechanisms.ts';
import { defineToxic, proxyCloses } from './toxic.ts';

export const limitData = defineToxic({
  type: 'limit_data',
  summary: 'closes the connection after `bytes` bytes (Toxiproxy limit_data)',
  example: { bytes: 0 },
  attributes: { bytes: nonNegativeInt('bytes allowed per connection before it is closed').default(0) },
  classify: () => 'dead',
  detection(entry, m) {
    if ((entry.fault.attributes.bytes ?? 0) !== 0) return undefined;
    const closeAt: Mechanism = {
      min: 0,
      max: m.I - 1,
      sure: m.I > 0,
      why: 'limit_data 0: the first chunk after f, within [0, I)',
    };
    const closes = proxyCloses(m, closeAt);
    return { client: [closes.client], server: [closes.server], clientToServer: m.du, serverToClient: m.dd };
  },
  looseBound: (f) =>
    (f.attributes.bytes ?? 0) !== 0
      ? 'limit_data > 0 closes when the byte budget is spent, which depends on the traffic'
      : undefined,
});
