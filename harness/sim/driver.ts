/**
 * Advances virtual time. Streams emit many of their events on process.nextTick and code awaits
 * promises, so after firing a timer that reached application code the driver lets those queues
 * drain before the next timer fires:
 * - between timers due at the same instant, a nextTick hop (all queued ticks, then the microtasks
 *   queued before it) — cheap, and what Node does between two timer callbacks — whenever an
 *   application timer is involved; consecutive simulator events of one instant share one drain;
 * - before moving to a later instant, a macrotask boundary (setImmediate, queued once the ticks have
 *   run), the only point at which Node guarantees both queues are empty.
 * Events that only touched simulator state (an ACK, a kernel timer with nothing to do) need no drain.
 */
import type { Scheduler } from './clock.ts';
import { SimError } from './errors.ts';

const tickHop = (): Promise<void> => new Promise((resolve) => process.nextTick(resolve));
/**
 * A macrotask boundary queued only once every tick (nested ones too) has run: so whatever those
 * ticks handed to setImmediate runs before the driver goes on.
 */
const settledHop = (): Promise<void> =>
  new Promise((resolve) => process.nextTick(() => queueMicrotask(() => setImmediate(resolve))));

export class Driver {
  private running = false;
  /**
   * Extra macrotask boundaries at the end of an instant. Code on host processes (harness/process)
   * runs Node internals that chain immediates (an HTTP/2 session flushes through native ones): one
   * boundary would let time move on before the chain's last write. Set by the simulation once a host
   * process exists; 1 (the default) costs the Runtime-only subjects nothing.
   */
  hops = 1;
  /** Application timers fired so far (simulator events are counted by the scheduler). */
  fired = 0;

  constructor(
    private readonly sched: Scheduler,
    /** Work owed at the end of every instant (deferred ACKs); may schedule events at this instant. */
    private readonly endOfInstant: () => void = () => {},
  ) {}

  async runFor(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new SimError(
        'SIM_BAD_ARGUMENT',
        `runFor(ms): ms must be a finite number >= 0, got ${String(ms)}`,
      );
    }
    await this.run(this.sched.now() + ms, null);
  }

  async runUntil(pred: () => boolean, limitMs: number): Promise<boolean> {
    if (typeof pred !== 'function')
      throw new SimError('SIM_BAD_ARGUMENT', 'runUntil(pred, limitMs): pred must be a function');
    if (typeof limitMs !== 'number' || !Number.isFinite(limitMs) || limitMs < 0) {
      throw new SimError(
        'SIM_BAD_ARGUMENT',
        `runUntil(pred, limitMs): limitMs must be a finite number >= 0, got ${String(limitMs)}`,
      );
    }
    return this.run(this.sched.now() + limitMs, pred);
  }

  /** Drains pending ticks/microtasks and fires what is due now, without advancing time. */
  async settle(): Promise<void> {
    await this.run(this.sched.now(), null);
  }

  private async run(target: number, pred: (() => boolean) | null): Promise<boolean> {
    if (this.running) {
      throw new SimError(
        'SIM_BAD_ARGUMENT',
        'the simulation is already running (runFor/runUntil/settle are not re-entrant)',
      );
    }
    this.running = true;
    const sched = this.sched;
    const clock = sched.clock;
    try {
      // Work the caller queued before calling us (a connect, a write) happens at the current instant.
      await settledHop();
      if (pred?.()) return true;
      let instant = clock.now;
      let dirty = false;
      for (;;) {
        let due = sched.nextDue();
        if (due !== instant) {
          // Leaving an instant: everything it started must have run before time moves on.
          if (dirty) {
            for (let i = 0; i < this.hops; i++) await settledHop();
            dirty = false;
            due = sched.nextDue();
          }
          if (due !== instant) {
            this.endOfInstant();
            due = sched.nextDue();
          }
          if (due !== instant) {
            if (pred?.()) return true;
            if (due === undefined || due > target) break;
            instant = due;
          }
        }
        const internal = sched.nextIsInternal();
        sched.touched = !internal;
        clock.next();
        if (!internal) this.fired++;
        if (sched.touched) {
          dirty = true;
          // Node runs the tick queue between two timer callbacks: do the same around application
          // timers. Between two simulator events of one instant (packet arrivals on different
          // sockets) the queues drain once at the end of the instant instead.
          if (sched.nextDue() === instant && (!internal || !sched.nextIsInternal())) await tickHop();
        }
      }
      if (clock.now < target) clock.tick(target - clock.now);
      return pred ? pred() : false;
    } finally {
      this.running = false;
    }
  }
}
