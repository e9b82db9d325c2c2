/**
 * Advances virtual time. Streams emit many of their events on process.nextTick and code awaits
 * promises, so after firing an event that reached application code the driver lets those queues
 * drain before the next one fires, as Node does between two timer callbacks:
 * - it runs as a chain of steps, each in a real `setImmediate` callback queued in batches: Node runs
 *   the immediates of one batch one after the other in one pass of its event loop and drains the
 *   nextTick and microtask queues completely between two of them (what it does between any two
 *   callbacks), so a step boundary is a full drain without an event-loop turn;
 * - between events of the same instant it takes a step boundary whenever an application timer is
 *   involved; consecutive simulator events of one instant share one drain;
 * - before moving to a later instant, after a full drain, it looks whether anything queued a
 *   `setImmediate` during the instant; if so (or once Node's own modules run on a host, see `hops`)
 *   it takes a macrotask boundary — a `setImmediate` queued once every tick has run — so those
 *   immediates run before time moves on. Otherwise time moves on at once.
 * Events that only touched simulator state (an ACK, a kernel timer with nothing to do) need no drain.
 */
import { realTimers } from '../process/originals.ts';
import type { Scheduler } from './clock.ts';
import { SimError } from './errors.ts';

/** Node's Immediate, with the links of the queue it sits in (lib/internal/timers.js, ImmediateList). */
type LinkedImmediate = NodeJS.Immediate & { _idleNext?: unknown; _idlePrev?: unknown };

const noop = (): void => {};
/**
 * Node's own setImmediate/clearImmediate: the globals are dispatchers once harness/process is
 * installed, which would look up the running host on every step.
 */
const setImmediate = realTimers.setImmediate;
const clearImmediate = realTimers.clearImmediate;

/**
 * Whether Node's immediates expose their queue links, so the driver can see whether something was
 * queued after its own (Node 20–24: yes). Without them every instant that reached application code
 * ends with a macrotask boundary.
 */
const LINKS = ((): boolean => {
  const a = setImmediate(noop) as LinkedImmediate;
  const b = setImmediate(noop) as LinkedImmediate;
  const ok = a._idleNext === b && b._idlePrev === a && b._idleNext === null;
  clearImmediate(a);
  clearImmediate(b);
  return ok;
})();

/** Immediates per batch: the first batch of a run is small (a short run wastes little), then it doubles. */
const FIRST_BATCH = 8;
const MAX_BATCH = 512;

export class Driver {
  private running = false;
  /**
   * Macrotask boundaries at the end of an instant that reached application code. Code on host
   * processes (harness/process) runs Node internals that chain immediates (an HTTP/2 session flushes
   * through native ones, which the driver cannot see): then every such instant ends with `hops`
   * boundaries. Set by the simulation once a host process exists; with 1 (the default) an instant
   * ends with a boundary only when something queued an immediate.
   */
  hops = 1;
  /** Application timers fired so far (simulator events are counted by the scheduler). */
  fired = 0;

  // The run in progress.
  private target = 0;
  private pred: (() => boolean) | null = null;
  private instant = 0;
  private dirty = false;
  /** Application code ran since the last step boundary. */
  private undrained = false;
  private resolveRun: (v: boolean) => void = noop;
  private rejectRun: (e: unknown) => void = noop;
  private hopsLeft = 0;

  /** Step immediates queued (one batch); `tokens[tokenAt]` is the next to run. */
  private tokens: LinkedImmediate[] = [];
  private tokenAt = 0;
  private batch = FIRST_BATCH;
  /** The driver is waiting for its next step immediate. */
  private waiting = false;
  private readonly onToken = (): void => {
    this.tokenAt++;
    if (!this.waiting) return;
    this.waiting = false;
    this.step();
  };
  private readonly onHop = (): void => {
    if (--this.hopsLeft > 0) this.queueHop();
    else this.refill();
  };
  private readonly afterTicks = (): void => {
    queueMicrotask(this.afterMicrotasks);
  };
  private readonly afterMicrotasks = (): void => {
    if (this.hopsLeft > 1) setImmediate(this.onHop);
    else {
      this.hopsLeft = 0;
      this.refill();
    }
  };

  constructor(
    private readonly sched: Scheduler,
    /** Work owed at the end of every instant (deferred ACKs); may schedule events at this instant. */
    private readonly endOfInstant: () => void = () => {},
  ) {}

  runFor(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      return Promise.reject(
        new SimError('SIM_BAD_ARGUMENT', `runFor(ms): ms must be a finite number >= 0, got ${String(ms)}`),
      );
    }
    return this.run(this.sched.now() + ms, null).then(noop);
  }

  runUntil(pred: () => boolean, limitMs: number): Promise<boolean> {
    if (typeof pred !== 'function')
      return Promise.reject(
        new SimError('SIM_BAD_ARGUMENT', 'runUntil(pred, limitMs): pred must be a function'),
      );
    if (typeof limitMs !== 'number' || !Number.isFinite(limitMs) || limitMs < 0) {
      return Promise.reject(
        new SimError(
          'SIM_BAD_ARGUMENT',
          `runUntil(pred, limitMs): limitMs must be a finite number >= 0, got ${String(limitMs)}`,
        ),
      );
    }
    return this.run(this.sched.now() + limitMs, pred);
  }

  /** Drains pending ticks/microtasks and fires what is due now, without advancing time. */
  settle(): Promise<void> {
    return this.run(this.sched.now(), null).then(noop);
  }

  private run(target: number, pred: (() => boolean) | null): Promise<boolean> {
    if (this.running) {
      return Promise.reject(
        new SimError(
          'SIM_BAD_ARGUMENT',
          'the simulation is already running (runFor/runUntil/settle are not re-entrant)',
        ),
      );
    }
    this.running = true;
    return new Promise<boolean>((resolve, reject) => {
      this.target = target;
      this.pred = pred;
      this.resolveRun = resolve;
      this.rejectRun = reject;
      this.instant = this.sched.now();
      this.dirty = false;
      this.undrained = false;
      this.batch = FIRST_BATCH;
      this.started = false;
      // Work the caller queued before calling us (a connect, a write) happens at the current instant.
      this.hop(1);
    });
  }

  private started = false;

  /** Runs events until a drain is needed (then the next step immediate goes on), or the run ends. */
  private step(): void {
    const sched = this.sched;
    try {
      if (!this.started) {
        this.started = true;
        if (this.pred?.()) {
          this.finish(true);
          return;
        }
      }
      for (;;) {
        let due = sched.nextDue();
        if (due !== this.instant) {
          // Leaving an instant: everything it started must have run before time moves on. The
          // queues have drained (the last event was followed by a step boundary); immediates it
          // queued must run too.
          if (this.dirty) {
            this.dirty = false;
            if (this.hops > 1 || this.immediatesPending()) {
              this.hop(this.hops);
              return;
            }
          }
          this.endOfInstant();
          due = sched.nextDue();
          if (due !== this.instant) {
            if (this.pred?.()) {
              this.finish(true);
              return;
            }
            if (due === undefined || due > this.target) break;
            this.instant = due;
          }
        }
        const internal = sched.fireNext();
        if (!internal) this.fired++;
        if (sched.touched) this.dirty = this.undrained = true;
        // Node drains its queues between two timer callbacks: do the same around application
        // timers, and before leaving the instant. Between two simulator events of one instant
        // (packet arrivals on different sockets) the queues drain once, after the last.
        if (this.undrained && (sched.nextDue() !== this.instant || !internal || !sched.nextIsInternal())) {
          this.wait();
          return;
        }
      }
      const clock = sched.clock;
      if (clock.now < this.target) clock.tick(this.target - clock.now);
      this.finish(this.pred ? this.pred() : false);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Continue at the next step immediate, once Node has drained its queues. */
  private wait(): void {
    this.undrained = false;
    this.waiting = true;
    if (this.tokenAt >= this.tokens.length) this.refill();
  }

  /**
   * Queues a batch of step immediates. They run in the next pass of the event loop, after whatever
   * was queued before them; the first one continues the run.
   */
  private refill(): void {
    this.dropTokens();
    const n = this.batch;
    if (n < MAX_BATCH) this.batch = n * 2;
    const tokens = this.tokens;
    for (let i = 0; i < n; i++) tokens.push(setImmediate(this.onToken) as LinkedImmediate);
    this.waiting = true;
  }

  private dropTokens(): void {
    const tokens = this.tokens;
    for (let i = this.tokenAt; i < tokens.length; i++) clearImmediate(tokens[i]);
    tokens.length = 0;
    this.tokenAt = 0;
  }

  /**
   * `n` macrotask boundaries, each an immediate queued once the ticks (nested ones too) have run and
   * the microtasks queued before them: whatever those ticks handed to setImmediate runs first.
   */
  private hop(n: number): void {
    this.dropTokens();
    this.waiting = false;
    this.hopsLeft = n;
    this.queueHop();
  }

  private queueHop(): void {
    process.nextTick(this.afterTicks);
  }

  /**
   * Whether anything but the driver queued an immediate that has not run: after the driver's own
   * batch (in the list Node is running now), or in the list for the next pass.
   */
  private immediatesPending(): boolean {
    if (!LINKS) return true;
    const tokens = this.tokens;
    const last = tokens.length > 0 ? (tokens[tokens.length - 1] as LinkedImmediate) : null;
    if (last !== null && last._idleNext != null) return true;
    const probe = setImmediate(noop) as LinkedImmediate;
    const pending = probe._idlePrev != null;
    clearImmediate(probe);
    return pending;
  }

  private finish(v: boolean): void {
    this.end();
    this.resolveRun(v);
  }

  private fail(err: unknown): void {
    this.end();
    this.rejectRun(err);
  }

  private end(): void {
    this.dropTokens();
    this.waiting = false;
    this.running = false;
    this.pred = null;
  }
}
