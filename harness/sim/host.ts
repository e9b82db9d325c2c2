/**
 * A simulated host: a name, an IPv4 address, a kernel (TCP endpoints, listeners, ports) and the
 * current application process. Crash kills the process and wipes the kernel silently; restart
 * brings up an empty kernel (which answers packets for connections it does not know with RST) and
 * a fresh process.
 */
import type { SimContext } from './context.ts';
import { SimError } from './errors.ts';
import { Kernel } from './kernel.ts';
import { HostProcess } from './process.ts';

/** Addresses for hosts in creation order: TEST-NET-1, then TEST-NET-2 and TEST-NET-3 (RFC 5737). */
const NETS = ['192.0.2.', '198.51.100.', '203.0.113.'];

export function hostAddress(index: number): string {
  const net = NETS[Math.floor(index / 254)];
  if (net === undefined)
    throw new SimError('SIM_TOO_MANY_HOSTS', `at most ${NETS.length * 254} hosts are supported`);
  return `${net}${(index % 254) + 1}`;
}

export class SimHost {
  readonly address: string;
  /** Crashed and not yet restarted: packets to it are lost, it sends nothing. */
  down = false;
  /** Offset added to this host's Runtime.now() (clock skew); timer durations are unaffected. */
  skew = 0;
  kernel: Kernel;
  process: HostProcess;
  /** Incremented at each restart; kernels and processes carry the epoch they belong to. */
  epoch = 0;
  /** Sockets of this host's processes not yet closed (for hygiene checks). */
  readonly openSockets = new Set<object>();

  constructor(
    readonly ctx: SimContext,
    readonly name: string,
    readonly index: number,
  ) {
    this.address = hostAddress(index);
    this.kernel = new Kernel(ctx, this, this.epoch);
    this.process = new HostProcess(ctx.sched, name, this.epoch);
  }

  /** Silent death: no FIN, no RST; timers, sockets, listeners and in-kernel state vanish. */
  crash(): void {
    if (this.down) throw new SimError('SIM_HOST_DOWN', `host '${this.name}' is already down`);
    this.down = true;
    this.process.kill();
    this.kernel.wipe();
  }

  restart(): void {
    if (!this.down)
      throw new SimError('SIM_HOST_UP', `host '${this.name}' is not down; crash it before restarting it`);
    this.down = false;
    this.epoch++;
    this.kernel = new Kernel(this.ctx, this, this.epoch);
    this.process = new HostProcess(this.ctx.sched, this.name, this.epoch);
  }

  /** Addresses this host answers to when dialed or bound. */
  ownsAddress(addr: string): boolean {
    return addr === this.address || addr === '127.0.0.1';
  }
}
