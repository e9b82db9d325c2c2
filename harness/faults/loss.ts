/**
 * Random packet loss between every client and the server, drawn per packet at send time (C2) from
 * the run's seed. It only delays: TCP resends every lost segment one RTO later (doubling while it
 * keeps being lost), so the peer stays reachable and a detection is a mistake, however heavy the loss
 * — unless nothing gets through at all: probability 1 is a C2 partition that drops.
 */
import { z } from 'zod';
import type { Direction } from '../model/index.ts';
import { directionSchema, duration } from '../scenario/fields.ts';
import { defineFault } from './kind.ts';
import { wireCut } from './partition.ts';
import { onEveryPath, wireDirection } from './paths.ts';

/** Random loss, drawn per packet at send time (C2) from the run's seed; TCP retransmits. */
export interface LossFault {
  type: 'loss';
  direction: Direction;
  probability: number;
  /** The path's RTO floor while the loss lasts (Linux route rto_min), ms; 200 = the kernel's own. */
  retransmitAfter: number;
}

export const loss = defineFault({
  type: 'loss',
  summary: 'random packet loss with `probability`, drawn from the seed; TCP retransmits',
  example: { type: 'loss', probability: 0.2 },
  placement: 'direct',
  schema: z.strictObject({
    type: z.literal('loss'),
    direction: directionSchema.default('both'),
    probability: z.number().min(0).max(1).meta({
      description:
        'probability that each packet sent in the direction (data, ACK, SYN, FIN…) is lost, drawn from the run’s seed; TCP resends what is lost',
    }),
    retransmitAfter: duration(
      'RTO floor of the lossy path while the loss lasts (Linux route rto_min): a lost segment is resent srtt + max(this, 4·rttvar) after its retransmission timer started, doubling while it keeps being lost; from the next RTT sample on (default 200ms, the kernel’s own floor)',
    ).default(200),
  }),
  normalize: (p): LossFault => p,
  toInput: (f, d) => ({ ...f, retransmitAfter: d(f.retransmitAfter) }),
  classify: (f) => (f.probability === 1 ? 'dead' : 'benign'),
  // Drawn at send time: C2, though the fault does not say so.
  convention: () => 'C2',
  target: () => 'client↔server',
  async apply(target, entry) {
    const f = entry.fault;
    // `retransmitAfter` is the path's RTO floor (rto_min).
    return onEveryPath(target, (c, s) => {
      const h = target.hosts!.loss(c, s, {
        direction: wireDirection(f.direction),
        probability: f.probability,
        rtoMin: f.retransmitAfter,
      });
      return () => h.heal();
    });
  },
  detection: (entry, m) =>
    entry.fault.probability === 1 ? wireCut(m, entry.fault.direction, 'C2') : undefined,
});
