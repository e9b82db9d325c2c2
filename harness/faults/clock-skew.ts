/**
 * Clock skew: a host's wall clock (Date) jumps by `offset` while its monotonic clock runs on. A
 * heartbeat that measures time with the monotonic clock notices nothing: benign.
 */
import { z } from 'zod';
import type { Side } from '../model/index.ts';
import { sideSchema, time } from '../scenario/fields.ts';
import { defineFault } from './kind.ts';

export interface ClockSkewFault {
  type: 'clock-skew';
  host: Side;
  offset: number;
}

export const clockSkew = defineFault({
  type: 'clock-skew',
  summary: 'shifts a host’s wall clock by `offset` (monotonic time runs on)',
  example: { type: 'clock-skew', host: 'client', offset: '1h' },
  placement: 'direct',
  schema: z.strictObject({
    type: z.literal('clock-skew'),
    host: sideSchema,
    offset: time({ allowNegative: true, description: 'added to the host’s wall clock, may be negative' }),
  }),
  normalize: (p): ClockSkewFault => p,
  toInput: (f, d) => ({ ...f, offset: d(f.offset) }),
  classify: () => 'benign',
  target: (f) => `host ${f.host}`,
  async apply(target, entry) {
    const hosts = target.hostsOf(entry.fault.host);
    for (const h of hosts) target.hosts!.setSkew(h, entry.fault.offset);
    return async () => {
      for (const h of hosts) target.hosts!.setSkew(h, 0);
    };
  },
});
