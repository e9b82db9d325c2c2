/**
 * A host crashes. `close: none`: the machine vanishes silently (no FIN, no RST) and reboots at the
 * heal; what reaches it from the onset on is lost, what it sent before still arrives. `fin`/`rst`: the
 * process dies on a live OS, whose kernel closes its sockets (FIN or RST reach the peer one way later),
 * then refuses new connections and resets stray packets until the service restarts at the heal.
 */
import fc from 'fast-check';
import { z } from 'zod';
import type { Side } from '../model/index.ts';
import { sideSchema } from '../scenario/fields.ts';
import { defineFault } from './kind.ts';
import { exact, isSome } from './mechanisms.ts';

export interface CrashFault {
  type: 'crash';
  host: Side;
  close: 'none' | 'fin' | 'rst';
  /** C1 only: what reaches the dead host from the onset on is lost; what it sent before still arrives. */
  convention: 'C1';
}

const silent = (host: Side): CrashFault => ({ type: 'crash', host, close: 'none', convention: 'C1' });
/** The process dies on a live OS, whose kernel resets (RST) or closes (FIN) its connections. */
const closing = (host: Side) =>
  fc.constantFrom<'rst' | 'fin'>('rst', 'fin').map((close): CrashFault => ({ ...silent(host), close }));

export const crash = defineFault({
  type: 'crash',
  summary: 'a host crashes (silently, or its OS sends FIN/RST) and restarts at the heal',
  example: { type: 'crash', host: 'server' },
  placement: 'direct',
  schema: z.strictObject({
    type: z.literal('crash'),
    host: sideSchema,
    close: z.enum(['none', 'fin', 'rst']).default('none').meta({
      description: 'what the peer sees: none (host vanished silently), fin or rst (process died, OS alive)',
    }),
    // A dead host cannot take delivery of what was sent to it before it died, so C2 has no meaning
    // here; the field stays (C1 only) so files that spell the convention out keep loading.
    convention: z.literal('C1').default('C1').meta({
      description:
        'C1 only: what reaches the crashed host from the onset on is lost; what it sent before still arrives',
    }),
  }),
  normalize: (p): CrashFault => p,
  toInput: (f) => ({ ...f }),
  classify: () => 'dead',
  convention: () => 'C1',
  target: (f) => `host ${f.host}`,
  stops: (f) => f.host,
  describe: (f) => `crash ${f.host} (close ${f.close})`,
  // A crashed host stays down after the run: its peers' kernels give up on it by themselves.
  healAtTeardown: false,
  // SIGKILL of a real process: its kernel closes the sockets (FIN; RST where unread data remains).
  // A machine that vanishes silently is beyond a signal.
  onProcesses: (f) =>
    f.close === 'fin'
      ? undefined
      : `a real process can only be crashed with SIGKILL, after which its kernel closes its sockets: use close: fin (close: ${f.close} needs --backend sim)`,
  async apply(target, entry) {
    const f = entry.fault;
    const hosts = target.hostsOf(f.host);
    if (!target.hosts && target.processes) {
      for (const h of hosts) {
        target.processDied(h);
        await target.processes(h)?.crash();
      }
      return () => target.restart(f.host);
    }
    const faults = target.hosts!;
    for (const h of hosts) {
      const open = target.processDied(h);
      // A process that dies on a live OS has its sockets closed by the kernel: FIN, or RST.
      if (f.close === 'fin') for (const socket of open) socket.destroy();
      if (f.close === 'rst') for (const socket of open) socket.resetAndDestroy();
      faults.crash(h);
      // The OS stays up: its empty kernel refuses new connections and resets stray packets.
      if (f.close !== 'none') faults.restart(h);
    }
    return async () => {
      for (const h of hosts) if (f.close === 'none') faults.restart(h);
      await target.restart(f.host);
    };
  },
  detection(entry, m) {
    const f = entry.fault;
    if (f.close !== 'none') {
      const d = f.host === 'server' ? m.dd : m.du;
      const j = f.host === 'server' ? m.jd : m.ju;
      const closed = exact(
        d,
        `${f.host} process died, its ${f.close.toUpperCase()} arrives after the one-way delay`,
        j,
      );
      return f.host === 'server' ? { client: [closed], server: [] } : { client: [], server: [closed] };
    }
    // Silent: what reaches the dead host from f on is lost; what it sent before f still arrives.
    if (f.host === 'server')
      return { client: [m.clientPings(m.rho(true, false))].filter(isSome), server: [] };
    return { client: [], server: [m.readDeadline(true), m.serverPings(m.rho(false, true))].filter(isSome) };
  },
  arbitraries: {
    'crash-server': fc.constant(silent('server')),
    'crash-client': fc.constant(silent('client')),
    'crash-server-closing': closing('server'),
    'crash-client-closing': closing('client'),
  },
});
