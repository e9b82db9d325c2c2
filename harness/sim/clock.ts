/**
 * The run's one clock: a @sinonjs/fake-timers clock (createClock, not installed), and the way
 * timers are put on it. Simulator events (packet deliveries, kernel timers, fault edges), subjects'
 * timers and anything scheduled directly with `sim.clock.setTimeout/setInterval` share one timeline
 * and one tie rule: events due at the same instant fire in creation order.
 *
 * Timers go straight into the clock's own timer table and heap (the structures `clock.next()`,
 * `tick()`, `countTimers()`, `runAll()` work on), with one creation counter for all of them. This
 * skips fake-timers' per-timer handle object (five closures per timer), which dominated the cost
 * of a packet; `sim.clock.setTimeout/setInterval/clearTimeout/clearInterval` are re-pointed to the
 * same path, so direct users still get fake-timers' semantics and a handle with
 * ref/unref/hasRef/refresh.
 */
import FakeTimers from '@sinonjs/fake-timers';

/** Something that receives a simulator event when its timer fires. */
export interface TimerTarget<A> {
  onTimer(arg: A): void;
}

/** A handle on a scheduled simulator event, for cancel(). */
export type TimerRef = object;

/** One simulator event; `target` is null once cancelled or fired. */
interface Entry {
  target: TimerTarget<unknown> | null;
  arg: unknown;
}

/**
 * Simulator events due at one instant and created one after the other (no other timer for that
 * instant created in between) share one clock timer: same order as separate timers, far fewer heap
 * operations when many connections are busy at once.
 */
interface Gate {
  callAt: number;
  events: Entry[];
}

/** A timer as fake-timers keeps it (the fields its heap, comparator and callTimer read). */
interface HeapTimer {
  id: number;
  func: (...args: unknown[]) => void;
  args: unknown[] | undefined;
  delay: number;
  callAt: number;
  createdAt: number;
  order: number;
  type: 'Timeout';
  heapIndex?: number;
}

/** The parts of fake-timers 15's clock internals used here. */
interface ClockInternals {
  duringTick?: boolean;
  timers?: Map<number, HeapTimer>;
  timerHeap?: {
    peek(): HeapTimer | undefined;
    push(t: HeapTimer): void;
    remove(t: HeapTimer): void;
  };
}

/** The clock callback of every gate, so the driver can tell simulator events from subject timers. */
function dispatchGate(sched: Scheduler, gate: Gate): void {
  sched.runGate(gate);
}

/** The clock callback of an application timer scheduled through `Scheduler.app`. */
function dispatchApp(target: TimerTarget<unknown>, arg: unknown): void {
  target.onTimer(arg);
}

/** Above fake-timers' own id range (it starts at 1e12), so ids never collide. */
const ID_START = 2e12;
const TIMEOUT_MAX = 2 ** 31 - 1;

export class Scheduler {
  readonly clock: FakeTimers.Clock;
  private readonly timers: Map<number, HeapTimer>;
  private readonly heap: NonNullable<ClockInternals['timerHeap']>;
  private readonly internals: ClockInternals;
  private order = 0;
  private nextId = ID_START;
  /** The gate still accepting events, per instant. */
  private readonly open = new Map<number, Gate>();
  /** Simulator events scheduled and not yet fired or cancelled. */
  private live = 0;
  /** Gate timers on the clock (counted as their live events instead, in pending()). */
  private gates = 0;
  /** Simulator events fired (benchmarks). */
  firedEvents = 0;
  /**
   * Set when the event being fired reached application code (a stream event, a callback, a subject
   * timer): the driver then lets Node's nextTick/microtask queues drain before going on.
   */
  touched = false;

  constructor() {
    this.clock = FakeTimers.createClock(0) as FakeTimers.Clock;
    const internals = this.clock as unknown as ClockInternals;
    // fake-timers creates its timer table lazily: make it exist, then check it is what we expect.
    this.clock.clearTimeout(this.clock.setTimeout(() => {}, 0));
    if (!(internals.timers instanceof Map) || typeof internals.timerHeap?.push !== 'function') {
      throw new Error('flatline sim: unsupported @sinonjs/fake-timers version (no timers/timerHeap)');
    }
    this.internals = internals;
    this.timers = internals.timers;
    this.heap = internals.timerHeap;
    this.repointClockTimers();
  }

  now(): number {
    return this.clock.now;
  }

  private insert(func: HeapTimer['func'], delay: number, args: unknown[] | undefined): HeapTimer {
    const now = this.clock.now;
    // Any other timer for that instant closes its open gate: later events there come after it.
    if (func !== (dispatchGate as HeapTimer['func'])) this.open.delete(now + delay);
    const t: HeapTimer = {
      id: this.nextId++,
      func,
      args,
      delay,
      callAt: now + delay,
      createdAt: now,
      order: this.order++,
      type: 'Timeout',
    };
    this.timers.set(t.id, t);
    this.heap.push(t);
    return t;
  }

  /** Schedules a simulator event `delay` ms from now (0: this instant, after what is already due). */
  at<A>(target: TimerTarget<A>, delay: number, arg: A): TimerRef {
    const d = delay > 0 ? Math.trunc(delay) : 0;
    const callAt = this.clock.now + d;
    let gate = this.open.get(callAt);
    if (gate === undefined) {
      gate = { callAt, events: [] };
      this.insert(dispatchGate as HeapTimer['func'], d, [this, gate]);
      this.gates++;
      this.open.set(callAt, gate);
    }
    const e: Entry = { target: target as TimerTarget<unknown>, arg };
    gate.events.push(e);
    this.live++;
    return e;
  }

  /** Schedules an application timer (a subject's): its own clock timer, fired with Node's ticks around it. */
  app<A>(target: TimerTarget<A>, delay: number, arg: A): TimerRef {
    const d = delay > 0 ? Math.trunc(delay) : 0;
    return this.insert(dispatchApp as HeapTimer['func'], d, [target, arg]);
  }

  cancel(ref: TimerRef | null | undefined): void {
    if (ref == null) return;
    const e = ref as Entry & Partial<HeapTimer>;
    if (e.id !== undefined) {
      // An application timer.
      if (this.timers.get(e.id) === ref) {
        this.timers.delete(e.id);
        this.heap.remove(ref as HeapTimer);
      }
      return;
    }
    if (e.target !== null) {
      e.target = null;
      this.live--;
    }
  }

  /** Fires a gate's events in order (called by the clock when the gate is due). */
  runGate(gate: Gate): void {
    if (this.open.get(gate.callAt) === gate) this.open.delete(gate.callAt);
    this.gates--;
    const events = gate.events;
    let i = 0;
    try {
      for (; i < events.length; i++) {
        const e = events[i] as Entry;
        const target = e.target;
        if (target === null) continue;
        e.target = null;
        this.live--;
        this.firedEvents++;
        target.onTimer(e.arg);
      }
    } catch (err) {
      // Application code threw (runFor rejects with it): keep the rest of the instant scheduled.
      const rest = events.slice(i + 1);
      if (rest.length > 0) {
        this.insert(dispatchGate as HeapTimer['func'], 0, [this, { callAt: this.clock.now, events: rest }]);
        this.gates++;
      }
      throw err;
    }
  }

  /** When the next timer (of anyone) is due, or undefined when nothing is scheduled. */
  nextDue(): number | undefined {
    return this.heap.peek()?.callAt;
  }

  /** Whether the next timer due is a batch of simulator events (as opposed to a subject's timer). */
  nextIsInternal(): boolean {
    return this.heap.peek()?.func === (dispatchGate as HeapTimer['func']);
  }

  /** Timers still scheduled: application timers plus live simulator events. */
  pending(): number {
    return this.clock.countTimers() - this.gates + this.live;
  }

  /** Cancels everything scheduled (Simulation.close). */
  clearAll(): void {
    for (const t of [...this.timers.values()]) {
      this.timers.delete(t.id);
      this.heap.remove(t);
      if (t.func === (dispatchGate as HeapTimer['func'])) {
        const gate = (t.args as unknown[])[1] as Gate;
        for (const e of gate.events) e.target = null;
      }
    }
    this.open.clear();
    this.gates = 0;
    this.live = 0;
  }

  /** sim.clock.setTimeout & co. on the same path, with fake-timers' argument rules and handles. */
  private repointClockTimers(): void {
    const clock = this.clock as unknown as Record<string, unknown>;
    const self = this;
    const delayOf = (delay: unknown, interval: boolean): number => {
      let d = typeof delay === 'number' ? delay : Number.parseInt(String(delay), 10);
      if (!Number.isFinite(d)) d = interval ? 1 : 0;
      if (d > TIMEOUT_MAX) d = 1;
      d = Math.max(0, Math.trunc(d));
      // fake-timers: a 0 ms timer created while a timer runs is due 1 ms later.
      if (d === 0 && self.internals.duringTick) d = 1;
      return d;
    };
    const handle = (t: HeapTimer) => {
      let refed = true;
      return {
        ref() {
          refed = true;
          return this;
        },
        unref() {
          refed = false;
          return this;
        },
        hasRef: () => refed,
        refresh() {
          self.cancel(t);
          t.callAt = self.clock.now + t.delay;
          self.open.delete(t.callAt);
          t.createdAt = self.clock.now;
          t.order = self.order++;
          self.timers.set(t.id, t);
          self.heap.push(t);
          return this;
        },
        [Symbol.toPrimitive]: () => t.id,
      };
    };
    const check = (func: unknown) => {
      if (typeof func !== 'function') {
        throw new TypeError(
          `[ERR_INVALID_CALLBACK]: Callback must be a function. Received ${String(func)} of type ${typeof func}`,
        );
      }
    };
    clock.setTimeout = (func: HeapTimer['func'], delay?: number, ...args: unknown[]) => {
      check(func);
      return handle(self.insert(func, delayOf(delay, false), args.length > 0 ? args : undefined));
    };
    clock.setInterval = (func: HeapTimer['func'], delay?: number, ...args: unknown[]) => {
      check(func);
      const d = Math.max(1, delayOf(delay, true));
      const t = self.insert(
        (...a: unknown[]) => {
          // Re-armed before the callback runs, as fake-timers does; clearInterval inside it wins.
          t.callAt += d;
          self.open.delete(t.callAt);
          t.createdAt = self.clock.now;
          t.order = self.order++;
          self.timers.set(t.id, t);
          self.heap.push(t);
          func(...a);
        },
        d,
        args.length > 0 ? args : undefined,
      );
      return handle(t);
    };
    const clear = (h: unknown) => {
      if (h == null) return;
      const t = self.timers.get(Number(h));
      if (t) self.cancel(t);
    };
    clock.clearTimeout = clear;
    clock.clearInterval = clear;
  }
}
