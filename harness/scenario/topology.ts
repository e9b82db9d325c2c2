/**
 * The topology of a scenario: proxy (client ↔ Toxiproxy ↔ server) or direct (end-to-end TCP over a
 * simulated wire), and the wire's base latency and jitter each way.
 */
import { z } from 'zod';
import { duration } from './fields.ts';

export interface LinkLeg {
  /** One-way base delay of the path, ms (before any fault). */
  latency: number;
  /** ± jitter on that delay, ms. */
  jitter: number;
}

export interface Topology {
  /** proxy: client ↔ proxy ↔ server, Toxiproxy's toxics; direct: end-to-end TCP over a faulty wire. */
  kind: 'proxy' | 'direct';
  /** The wire between client and server: up = client→server, down = server→client. */
  link: { up: LinkLeg; down: LinkLeg };
}

const legSchema = z.strictObject({
  latency: duration('one-way base delay (default 0)').default(0),
  jitter: duration('± jitter on it (default 0)').default(0),
});

export const topologySchema = z
  .union([
    z.enum(['proxy', 'direct']),
    z.strictObject({
      kind: z.enum(['proxy', 'direct']),
      latency: duration('one-way base delay of the wire, both directions (default 0)').optional(),
      jitter: duration('± jitter of the wire, both directions (default 0)').optional(),
      up: legSchema.optional().meta({ description: 'client→server leg, overriding latency/jitter' }),
      down: legSchema.optional().meta({ description: 'server→client leg, overriding latency/jitter' }),
    }),
  ])
  .default('proxy')
  .transform((t): Topology => {
    if (typeof t === 'string')
      return { kind: t, link: { up: { latency: 0, jitter: 0 }, down: { latency: 0, jitter: 0 } } };
    const leg = (own: LinkLeg | undefined): LinkLeg =>
      own ?? { latency: t.latency ?? 0, jitter: t.jitter ?? 0 };
    return { kind: t.kind, link: { up: leg(t.up), down: leg(t.down) } };
  })
  .meta({
    description:
      'proxy (default): client ↔ Toxiproxy ↔ server, faults are toxics; direct: end-to-end TCP over a simulated wire, for sim-only faults',
  });
