/**
 * A partition between every client and the server (direct topology): one way or both, packets
 * dropped (TCP retransmits them later) or held and released in order at the heal, under the C1 cut
 * or C2 send-time convention (BOUNDS.md).
 */
import fc from 'fast-check';
import { z } from 'zod';
import type { Convention, Direction } from '../model/index.ts';
import { conventionSchema, directionSchema } from '../scenario/fields.ts';
import { defineFault } from './kind.ts';
import type { Model, Rho, Sides } from './mechanisms.ts';
import { legs, onEveryPath, wireDirection } from './paths.ts';

export interface PartitionFault {
  type: 'partition';
  direction: Direction;
  mode: 'drop' | 'hold';
  convention: Convention;
}

/**
 * A cut of `direction` under a convention, as both sides' mechanisms see it. Client pinger: a ping is
 * lost from t_k + d_u ≥ f (C1) or t_k ≥ f (C2) when up is cut; its pong from t_k + r ≥ f (C1) or
 * t_k + d_u ≥ f (C2) when down is cut. The server's pinger mirrors it.
 */
export function wireCut(m: Model, direction: Direction, convention: Convention): Sides {
  const { up, down } = legs(direction);
  const c1 = convention === 'C1';
  const larger = (a: Rho, b: Rho): Rho => (b.value > a.value ? b : a);
  const none = m.rho(false, false);
  const rhoClient = larger(
    up && c1 ? m.rho(true, false) : none,
    down ? (c1 ? m.rho(true, true) : m.rho(true, false)) : none,
  );
  const rhoServer = larger(
    down && c1 ? m.rho(false, true) : none,
    up ? (c1 ? m.rho(true, true) : m.rho(false, true)) : none,
  );
  return m.cut({ up, down, rhoClient, rhoServer, readSendTime: !c1 });
}

const partitionOf = (direction: Direction, convention: Convention): PartitionFault => ({
  type: 'partition',
  direction,
  mode: 'drop',
  convention,
});
const conventions = fc.constantFrom<Convention>('C1', 'C2');

export const partition = defineFault({
  type: 'partition',
  summary: 'cuts the client↔server path one way or both (drop or hold; C1 or C2)',
  example: { type: 'partition', direction: 'both' },
  placement: 'direct',
  schema: z.strictObject({
    type: z.literal('partition'),
    direction: directionSchema.default('both'),
    mode: z
      .enum(['drop', 'hold'])
      .default('drop')
      .meta({ description: 'drop bytes, or hold them and release at the heal' }),
    convention: conventionSchema.default('C1'),
  }),
  normalize: (p): PartitionFault => p,
  toInput: (f) => ({ ...f }),
  classify: () => 'dead',
  convention: (f) => f.convention,
  target: () => 'client↔server',
  describe: (f) => `partition ${f.direction} ${f.mode} ${f.convention}`,
  async apply(target, entry) {
    const { direction, mode, convention } = entry.fault;
    return onEveryPath(target, (c, s) => {
      const h = target.hosts!.partition(c, s, { direction: wireDirection(direction), mode, convention });
      return () => h.heal();
    });
  },
  detection: (entry, m) => wireCut(m, entry.fault.direction, entry.fault.convention),
  arbitraries: {
    // Both ways, dropped packets.
    partition: conventions.map((c) => partitionOf('both', c)),
    // One way only.
    'partition-one-way': fc
      .record({
        direction: fc.constantFrom<Direction>('client->server', 'server->client'),
        convention: conventions,
      })
      .map((p) => partitionOf(p.direction, p.convention)),
  },
});
