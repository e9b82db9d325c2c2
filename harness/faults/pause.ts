/**
 * A process pause (a GC pause, a blocked event loop): the paused process sends nothing and runs
 * nothing until f + U; its kernel keeps receiving, and at resume everything that fell due runs in
 * order. The other side sees a black hole that lifts when the resumed side's answer arrives: its
 * mechanism counts only if due by then (the tie rule: a deadline due at the arrival instant fires
 * first).
 */
import { z } from 'zod';
import type { Side } from '../model/index.ts';
import { duration, sideSchema } from '../scenario/fields.ts';
import { defineFault } from './kind.ts';
import { isSome, type Mechanism } from './mechanisms.ts';

/** The pause's length is the entry's until − at. */
export interface PauseFault {
  type: 'pause';
  host: Side;
}

export const pause = defineFault({
  type: 'pause',
  summary: 'pauses a process (GC, blocked event loop) for the fault’s length',
  example: { type: 'pause', host: 'server' },
  placement: 'direct',
  schema: z.strictObject({
    type: z.literal('pause'),
    host: sideSchema,
    for: duration('how long the process is paused (or give until on the entry)').optional(),
  }),
  normalize: (p): PauseFault => ({ type: 'pause', host: p.host }),
  toInput: (f) => ({ ...f }),
  lengthOf: (p) => p.for,
  classify: () => 'dead',
  target: (f) => `host ${f.host}`,
  stops: (f) => f.host,
  // SIGSTOP / SIGCONT of the process group: the model is the same (the kernel keeps receiving).
  onProcesses: () => undefined,
  async apply(target, entry) {
    const hosts = target.hostsOf(entry.fault.host);
    if (!target.hosts && target.processes) {
      for (const h of hosts) target.processes(h)?.pause();
      return async () => {
        for (const h of hosts) target.processes!(h)?.resume();
      };
    }
    for (const h of hosts) target.hosts!.pause(h, target.span);
    return async () => {};
  },
  detection(entry, m) {
    const U = (entry.until ?? entry.at + m.c.remaining) - entry.at;
    const lifted = (mech: Mechanism | undefined, answeredBy: number): Mechanism | undefined => {
      if (!mech || mech.min > answeredBy) return undefined;
      return {
        min: mech.min,
        max: Math.min(mech.max, answeredBy),
        sure: mech.sure && mech.max <= answeredBy,
        why: `${mech.why}; the answer after the pause arrives at ${answeredBy}`,
      };
    };
    if (entry.fault.host === 'server') {
      // Pings reaching the server from f on are answered at f + U: the pongs are back at U + d_d.
      const own = lifted(m.clientPings(m.rho(true, false)), U + m.dd);
      return {
        client: [own].filter(isSome),
        server: [],
        clientToServer: m.du,
        resume: { side: 'server', at: U },
      };
    }
    // The client's last ping left before f and arrived d_u later; at resume it pings at once.
    const own = [
      lifted(m.readDeadline(true), U + m.du),
      lifted(m.serverPings(m.rho(false, true)), U + m.du),
    ].filter(isSome);
    return { client: [], server: own, serverToClient: m.dd, resume: { side: 'client', at: U } };
  },
});
