/**
 * A NAT next to the client that forgets mappings idle longer than τ. Heartbeats refresh it; with
 * I > τ + r the gap between pings is enough, and the first ping after such a gap (the first or second
 * after f: the NAT maps open connections as of f) is dropped, or answered with an RST.
 */
import { z } from 'zod';
import { duration } from '../scenario/fields.ts';
import { defineFault } from './kind.ts';
import { isSome, type Mechanism } from './mechanisms.ts';
import { onEveryPath } from './paths.ts';

export interface NatFault {
  type: 'nat';
  idleTimeout: number;
  action: 'drop' | 'rst';
}

export const nat = defineFault({
  type: 'nat',
  summary: 'a NAT that forgets mappings idle longer than idleTimeout (drop or RST)',
  example: { type: 'nat', idleTimeout: '3s' },
  placement: 'direct',
  schema: z.strictObject({
    type: z.literal('nat'),
    idleTimeout: duration('mappings idle this long are forgotten'),
    action: z
      .enum(['drop', 'rst'])
      .default('drop')
      .meta({ description: 'what happens to packets of a forgotten mapping' }),
  }),
  normalize: (p): NatFault => p,
  toInput: (f, d) => ({ ...f, idleTimeout: d(f.idleTimeout) }),
  classify: () => 'dead',
  target: () => 'client↔server',
  async apply(target, entry) {
    const { idleTimeout, action } = entry.fault;
    return onEveryPath(target, (c, s) => {
      const h = target.hosts!.nat(c, s, { idleTimeout, action });
      return () => h.remove();
    });
  },
  detection(entry, m) {
    const tau = entry.fault.idleTimeout;
    if (m.I <= 0 || m.I - m.r <= tau) return undefined;
    const firstLost: Mechanism = {
      min: 0,
      max: 2 * m.I - 1,
      sure: true,
      why: `nat τ = ${tau} < I − r: the first ping after an idle gap leaves within [0, 2I)`,
    };
    const readDeadline = m.readDeadline(true);
    // The last ping that got through left up to I after f.
    const server = readDeadline && {
      ...readDeadline,
      max: readDeadline.max + m.I,
      why: `${readDeadline.why}, + I`,
    };
    if (entry.fault.action === 'rst') {
      return {
        client: [{ ...firstLost, why: `${firstLost.why}; the NAT answers it with an RST at once` }],
        server: [server].filter(isSome),
      };
    }
    // Every ping from the first lost one on is lost: the black-hole bound with ρ = 0, its first lost
    // ping up to one period later than the bound assumes.
    const pongs = m.clientPings(m.rho(false, false));
    const client = pongs && { ...pongs, max: pongs.max + m.I, why: `${pongs.why}, + I` };
    return { client: [client].filter(isSome), server: [server].filter(isSome) };
  },
});
