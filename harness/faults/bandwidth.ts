/**
 * Toxiproxy's `bandwidth` toxic. Rate 0 holds its first chunk for ever and reads nothing behind it
 * (no EOF either): the writer's buffers fill, and once they are full a heartbeat write stays queued
 * and the write deadline W (F2) fires — when depends on how much the side writes, so it may fire from
 * W on. At the heal the held data and any close behind it go through. Any other rate only slows.
 */
import { nonNegativeInt } from '../scenario/fields.ts';
import { isSome, type Mechanism } from './mechanisms.ts';
import { defineToxic, directions, proxyCut } from './toxic.ts';

export const bandwidth = defineToxic({
  type: 'bandwidth',
  summary: 'limits the rate to `rate` KB/s; 0 holds data until removed (Toxiproxy bandwidth)',
  example: { rate: 0, stream: 'upstream' },
  attributes: { rate: nonNegativeInt('KB/s (1 KB = 1000 B); 0 holds data until removed').default(0) },
  classify: (f) => (f.attributes.rate === 0 ? 'dead' : 'benign'),
  detection(entry, m) {
    if (entry.fault.attributes.rate !== 0) return undefined;
    const { up, down } = directions(entry.fault);
    const sides = proxyCut(m, up, down);
    const U = entry.until === undefined ? undefined : entry.until - entry.at;
    const W = m.c.config.writeDeadline;
    const writeStall = (who: string): Mechanism | undefined =>
      W > 0
        ? {
            min: W,
            max: m.c.remaining,
            sure: false,
            why: `${who} write deadline (F2) once its buffers are full: from W = ${W}`,
          }
        : undefined;
    const heal = (d: number, spread: number): Mechanism | undefined =>
      U === undefined
        ? undefined
        : {
            min: U + d - spread,
            max: U + d + spread,
            sure: false,
            atHeal: true,
            why: `held data and closes released at the heal (+${d})`,
          };
    return {
      ...sides,
      client: [...sides.client, up ? writeStall('client') : undefined, heal(m.dd, m.jd)].filter(isSome),
      server: [...sides.server, down ? writeStall('server') : undefined, heal(0, 0)].filter(isSome),
    };
  },
});
