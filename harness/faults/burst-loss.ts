/**
 * Bursty loss, Gilbert–Elliott style: the path alternates between a good state (loss `goodLoss`) and a
 * bad one (loss `badLoss`), staying in each for an exponentially distributed time with mean `good` and
 * `bad`. Real links lose packets in bursts (Wi-Fi fades, a congested queue), and a burst is what trips
 * a heartbeat: independent loss at the same average rate is absorbed by TCP's retransmissions far
 * more easily. The fault opens with a burst. Each state's length and each packet's fate are drawn
 * from the run's seed, so a run replays exactly.
 *
 * It is built from the simulator's random loss (loss.ts's primitive), switched on the backend's
 * virtual clock: a new kind needs no change anywhere else (this file and its test).
 *
 * With badLoss < 1 the peer stays reachable (TCP resends what is lost) and any detection is a mistake;
 * with badLoss 1 a long enough burst is a real outage, found by the heartbeat — when depends on the
 * random burst lengths, so there is no closed-form bound.
 */
import { z } from 'zod';
import type { Direction } from '../model/index.ts';
import { directionSchema, duration } from '../scenario/fields.ts';
import type { LossHandle } from '../sim/faults.ts';
import { defineFault } from './kind.ts';
import { wireDirection } from './paths.ts';

export interface BurstLossFault {
  type: 'burst-loss';
  direction: Direction;
  /** Mean time in the good state, ms. */
  good: number;
  /** Mean time in the bad state (a burst), ms. */
  bad: number;
  goodLoss: number;
  badLoss: number;
}

const probability = (description: string) => z.number().min(0).max(1).meta({ description });

/** An exponentially distributed length with the given mean, in whole ms (at least 1). */
function exponential(mean: number, u: number): number {
  return Math.max(1, Math.round(-mean * Math.log(1 - u)));
}

export const burstLoss = defineFault({
  type: 'burst-loss',
  summary: 'Gilbert–Elliott bursty loss: good and bad states of random length, each with its loss rate',
  example: { type: 'burst-loss', good: '20s', bad: '2s', badLoss: 0.5 },
  placement: 'direct',
  requires: ['virtualTime'],
  schema: z.strictObject({
    type: z.literal('burst-loss'),
    direction: directionSchema.default('both'),
    good: duration('mean length of a good period (exponentially distributed)'),
    bad: duration('mean length of a burst, the bad state (exponentially distributed)'),
    goodLoss: probability('loss probability per packet in the good state (default 0)').default(0),
    badLoss: probability('loss probability per packet during a burst (default 1)').default(1),
  }),
  normalize: (p): BurstLossFault => p,
  toInput: (f, d) => ({ ...f, good: d(f.good), bad: d(f.bad) }),
  classify: (f) => (f.badLoss === 1 ? 'dead' : 'benign'),
  convention: () => 'C2',
  target: () => 'client↔server',
  describe: (f) =>
    `burst-loss ${f.direction} good ${f.good} ms @ ${f.goodLoss}, bad ${f.bad} ms @ ${f.badLoss}`,
  async apply(target, entry) {
    const f = entry.fault;
    const hosts = target.hosts!;
    const time = target.time!;
    const draw = target.random!(`burst-loss:${entry.id}`);
    let handles: LossHandle[] = [];
    let cancel: (() => void) | undefined;
    let healed = false;
    const enter = (bad: boolean): void => {
      for (const h of handles) h.heal();
      const p = bad ? f.badLoss : f.goodLoss;
      handles =
        p === 0
          ? []
          : target.clientHosts.map((c) =>
              hosts.loss(c, target.serverHost, { direction: wireDirection(f.direction), probability: p }),
            );
      cancel = time.schedule(exponential(bad ? f.bad : f.good, draw()), () => {
        if (!healed) enter(!bad);
      });
    };
    enter(true);
    return async () => {
      healed = true;
      cancel?.();
      for (const h of handles) h.heal();
      handles = [];
    };
  },
  looseBound: (f) =>
    f.badLoss === 1
      ? 'burst lengths are random: the outage that trips the heartbeat has no closed form'
      : undefined,
});
