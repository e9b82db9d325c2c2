/**
 * The run's one clock: a @sinonjs/fake-timers clock (createClock, not installed), and the way the
 * simulator puts its own events (packet deliveries, kernel timers, fault edges) on it. Subjects'
 * timers live on the same clock, so everything shares one timeline and one tie rule: events due at
 * the same instant fire in creation order.
 */
import FakeTimers from '@sinonjs/fake-timers';

/** Something that receives a simulator event when its timer fires. */
export interface TimerTarget<A> {
  onTimer(arg: A): void;
}

/** A handle on a scheduled event, for cancel(). */
export type TimerRef = object | number;

/** The parts of the clock's internals the driver reads (fake-timers 15: a min-heap of timers). */
interface ClockInternals {
  duringTick?: boolean;
  timerHeap?: { peek(): { callAt: number; func: unknown } | undefined };
}

/** One function for every simulator event, so the driver can tell them from subject timers. */
function dispatch(target: TimerTarget<unknown>, arg: unknown): void {
  target.onTimer(arg);
}

export class Scheduler {
  readonly clock: FakeTimers.Clock;
  private readonly internals: ClockInternals;
  /**
   * Set when the event being fired reached application code (a stream event, a callback, a subject
   * timer): the driver then lets Node's nextTick/microtask queues drain before going on.
   */
  touched = false;

  constructor() {
    this.clock = FakeTimers.createClock(0) as FakeTimers.Clock;
    this.internals = this.clock as unknown as ClockInternals;
    // Creates the heap (fake-timers makes it lazily) and checks the internals are what we expect.
    this.clock.clearTimeout(this.clock.setTimeout(() => {}, 0));
    if (typeof this.internals.timerHeap?.peek !== 'function') {
      throw new Error('flatline sim: unsupported @sinonjs/fake-timers version (no timerHeap/duringTick)');
    }
  }

  now(): number {
    return this.clock.now;
  }

  /**
   * Schedules a simulator event `delay` ms from now. A zero delay means this same instant (after
   * everything already due now): fake-timers would otherwise push a 0 ms timer created during a
   * tick to the next millisecond.
   */
  at<A>(target: TimerTarget<A>, delay: number, arg: A): TimerRef {
    const internals = this.internals;
    const saved = internals.duringTick;
    internals.duringTick = false;
    const ref = this.clock.setTimeout(dispatch as (...args: unknown[]) => void, delay, target, arg);
    internals.duringTick = saved ?? false;
    return ref as TimerRef;
  }

  cancel(ref: TimerRef | null | undefined): void {
    if (ref != null) this.clock.clearTimeout(ref as FakeTimers.TimerId);
  }

  /** When the next timer (of anyone) is due, or undefined when nothing is scheduled. */
  nextDue(): number | undefined {
    return this.internals.timerHeap?.peek()?.callAt;
  }

  /** Whether the next timer due is a simulator event (as opposed to a subject's timer). */
  nextIsInternal(): boolean {
    return this.internals.timerHeap?.peek()?.func === dispatch;
  }

  pending(): number {
    return this.clock.countTimers();
  }
}
