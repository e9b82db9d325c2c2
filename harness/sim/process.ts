/**
 * The application process on a simulated host: its timers and the socket/server events it receives.
 * It can be paused (a long GC, a blocked event loop: nothing runs, what falls due waits and runs at
 * resume in order) and killed (a crash: its timers and pending events vanish). The kernel is not
 * part of the process: it keeps receiving, acknowledging and answering keepalive probes.
 */
import type { Scheduler, TimerRef, TimerTarget } from './clock.ts';

/** Something the process owns that must vanish with it (sockets, servers). */
export interface ProcessResource {
  /** The process died: drop everything without emitting anything. */
  kill(): void;
}

export class HostProcess implements TimerTarget<null> {
  alive = true;
  private pausedUntil = -1;
  private resumeRef: TimerRef | null = null;
  /** Work that fell due while paused, in the order it fell due. */
  private frozen: Array<() => void> = [];
  readonly timers = new Set<SimTimer>();
  readonly resources = new Set<ProcessResource>();
  /**
   * Runs the process's code inside its async context (harness/sim/virtual): set once the process is
   * a virtual process, so code using Node's own modules and globals finds its host in every callback.
   * Null for code that only uses the Runtime it was handed (no context needed, no cost).
   */
  scope: ((fn: () => void) => void) | null = null;

  constructor(
    readonly sched: Scheduler,
    readonly hostName: string,
    readonly epoch: number,
  ) {}

  get paused(): boolean {
    return this.pausedUntil >= 0;
  }

  /** Runs `fn` now, or at resume if paused; never if the process is dead. */
  run(fn: () => void): void {
    if (!this.alive) return;
    const scope = this.scope;
    const work = scope ? () => scope(fn) : fn;
    if (this.pausedUntil >= 0) this.frozen.push(work);
    else work();
  }

  /** Pauses until now + ms (extends a pause already in progress, never shortens it). */
  pause(ms: number): void {
    const until = this.sched.now() + ms;
    if (until <= this.pausedUntil) return;
    this.sched.cancel(this.resumeRef);
    this.pausedUntil = until;
    this.resumeRef = this.sched.at(this, ms, null);
  }

  /** Resume: everything that fell due during the pause runs now, in order. */
  onTimer(): void {
    this.resumeRef = null;
    this.pausedUntil = -1;
    this.sched.touched = true;
    const work = this.frozen;
    this.frozen = [];
    for (const fn of work) {
      if (!this.alive) return;
      if (this.pausedUntil >= 0) {
        // Something run at resume paused the process again (not possible from outside, but be exact).
        this.frozen.push(fn);
        continue;
      }
      fn();
    }
  }

  kill(): void {
    if (!this.alive) return;
    this.alive = false;
    this.sched.cancel(this.resumeRef);
    this.resumeRef = null;
    this.frozen = [];
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    for (const r of [...this.resources]) r.kill();
    this.resources.clear();
  }
}

/** Node's TIMEOUT_MAX: larger (or < 1, or not a number) delays become 1 ms, as in Node. */
const TIMEOUT_MAX = 2 ** 31 - 1;

export function nodeTimerDelay(ms: unknown): number {
  const after = Number(ms);
  if (!(after >= 1 && after <= TIMEOUT_MAX)) return 1;
  return Math.trunc(after);
}

/**
 * A process timer (setTimeout/setInterval through the host's Runtime). Intervals are re-armed after
 * the callback runs, `repeat` ms after it ran, as Node does — so after a pause an interval fires
 * once at resume, not once per missed period.
 */
export class SimTimer implements TimerTarget<null> {
  private handle: TimerRef | null = null;
  private cleared = false;
  private refed = true;

  constructor(
    private readonly proc: HostProcess,
    private readonly callback: () => void,
    private readonly delay: number,
    private readonly repeat: boolean,
  ) {}

  start(): this {
    if (!this.proc.alive) return this;
    this.proc.timers.add(this);
    this.handle = this.proc.sched.app(this, this.delay, null);
    return this;
  }

  onTimer(): void {
    this.handle = null;
    const proc = this.proc;
    proc.sched.touched = true;
    if (!proc.alive) return;
    if (proc.paused || proc.scope) proc.run(() => this.fire());
    else this.fire();
  }

  private fire(): void {
    if (this.cleared) return;
    if (!this.repeat) this.proc.timers.delete(this);
    this.callback.call(this);
    if (this.repeat && !this.cleared && this.proc.alive && this.handle === null) {
      this.handle = this.proc.sched.app(this, this.delay, null);
    }
  }

  cancel(): void {
    this.cleared = true;
    this.proc.sched.cancel(this.handle);
    this.handle = null;
    this.proc.timers.delete(this);
  }

  /** Node's timeout.refresh(): restart the countdown from now with the same delay. */
  refresh(): this {
    if (!this.proc.alive) return this;
    this.proc.sched.cancel(this.handle);
    this.cleared = false;
    this.proc.timers.add(this);
    this.handle = this.proc.sched.app(this, this.delay, null);
    return this;
  }

  // The Node Timeout surface subjects commonly touch. ref/unref change nothing on virtual time.
  ref(): this {
    this.refed = true;
    return this;
  }
  unref(): this {
    this.refed = false;
    return this;
  }
  hasRef(): boolean {
    return this.refed;
  }
  get active(): boolean {
    return this.handle !== null;
  }
}
