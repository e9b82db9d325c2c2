/**
 * The run's one clock: a @sinonjs/fake-timers clock (createClock, not installed), and the way
 * timers are put on it. Simulator events (packet deliveries, kernel timers, fault edges), subjects'
 * timers and anything scheduled directly with `sim.clock.setTimeout/setInterval` share one timeline
 * and one tie rule: events due at the same instant fire in creation order.
 *
 * Everything due at one instant is one FIFO list, a gate, and a gate is one timer in the clock's own
 * timer table and heap (the structures `clock.next()`, `tick()`, `countTimers()`, `runAll()` work on).
 * Creation order at an instant is then simply the order of the list, and the heap holds one entry
 * per distinct instant instead of one per timer: a thousand connections whose messages share an
 * instant cost one heap operation, not a thousand. The driver takes the entries one at a time
 * (`fireNext`), so it can let Node's queues drain between two of them; a gate fired by fake-timers
 * itself (a direct `clock.tick()`) runs all its entries. Cancelling marks an entry dead; a gate left
 * with no live entry leaves the heap at once, so the next due instant is always a real one.
 * `sim.clock.setTimeout/setInterval/clearTimeout/clearInterval` are re-pointed to the same path, so
 * direct users get fake-timers' semantics and a handle with ref/unref/hasRef/refresh.
 */
import FakeTimers from '@sinonjs/fake-timers';

/** Something that receives a simulator event when its timer fires. */
export interface TimerTarget<A> {
  onTimer(arg: A): void;
}

/** A handle on a scheduled simulator event, for cancel(). */
export type TimerRef = object;

/** One simulator event or application timer; `target` is null once cancelled or fired. */
class Entry {
  constructor(
    public target: TimerTarget<unknown> | null,
    public arg: unknown,
    public gate: Gate | null,
    /** An application timer (a subject's, or sim.clock's): Node's queues drain around it. */
    readonly app: boolean,
  ) {}
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

/** Everything due at one instant, in creation order: one timer on the clock. */
interface Gate extends HeapTimer {
  entries: Entry[];
  /** Entries before it have fired or were skipped as cancelled. */
  head: number;
  /** Entries neither fired nor cancelled. */
  live: number;
  /** In the clock's table and heap. */
  registered: boolean;
}

/** The parts of fake-timers 15's clock internals used here. */
interface ClockInternals {
  now: number;
  duringTick?: boolean;
  timers?: Map<number, HeapTimer>;
  timerHeap?: {
    peek(): HeapTimer | undefined;
    push(t: HeapTimer): void;
    remove(t: HeapTimer): boolean;
  };
}

/** The clock callback of every gate (fake-timers fires a gate whole when it ticks the clock itself). */
function dispatchGate(sched: Scheduler, gate: Gate): void {
  sched.runGate(gate);
}

const GATE = dispatchGate as HeapTimer['func'];
const NO_ENTRIES: Entry[] = [];

/** Above fake-timers' own id range (it starts at 1e12), so ids never collide. */
const ID_START = 2e12;
const TIMEOUT_MAX = 2 ** 31 - 1;

/** A timer made through sim.clock.setTimeout/setInterval. */
class ClockTimer implements TimerTarget<null> {
  entry: Entry | null = null;
  constructor(
    readonly sched: Scheduler,
    readonly id: number,
    readonly func: (...args: unknown[]) => void,
    readonly args: unknown[],
    readonly delay: number,
    readonly interval: boolean,
  ) {}

  arm(): void {
    this.entry = this.sched.app(this, this.delay, null) as Entry;
  }

  onTimer(): void {
    this.entry = null;
    // An interval is re-armed before its callback runs, as fake-timers does; clearInterval inside it wins.
    if (this.interval) this.arm();
    else this.sched.clockTimers.delete(this.id);
    this.func(...this.args);
  }
}

export class Scheduler {
  readonly clock: FakeTimers.Clock;
  private readonly timers: Map<number, HeapTimer>;
  private readonly heap: NonNullable<ClockInternals['timerHeap']>;
  private readonly internals: ClockInternals;
  private order = 0;
  private nextId = ID_START;
  /** The gate of each instant that has one. */
  private readonly open = new Map<number, Gate>();
  /** The gate the last event went into (most events of a burst go to the same instant). */
  private last: Gate | null = null;
  /** Entries scheduled and not yet fired or cancelled. */
  private live = 0;
  /** Gates on the clock (counted as their live entries instead, in pending()). */
  private gates = 0;
  /** Timers made through sim.clock.setTimeout/setInterval, by id. */
  readonly clockTimers = new Map<number, ClockTimer>();
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
    // fake-timers adds this flag on the first tick: have it from the start (one shape for every clock).
    internals.duringTick = false;
    this.timers = internals.timers;
    this.heap = internals.timerHeap;
    this.repointClockTimers();
  }

  now(): number {
    return this.internals.now;
  }

  private gateFor(callAt: number, delay: number): Gate {
    const last = this.last;
    if (last !== null && last.callAt === callAt && last.registered) return last;
    let gate = this.open.get(callAt);
    if (gate === undefined) {
      gate = {
        id: this.nextId++,
        func: GATE,
        args: undefined,
        delay,
        callAt,
        createdAt: this.internals.now,
        order: this.order++,
        type: 'Timeout',
        entries: [],
        head: 0,
        live: 0,
        registered: true,
      };
      gate.args = [this, gate];
      this.timers.set(gate.id, gate);
      this.heap.push(gate);
      this.gates++;
      this.open.set(callAt, gate);
    }
    this.last = gate;
    return gate;
  }

  /** Takes a gate off the clock (fired, or nothing left in it). */
  private unregister(gate: Gate): void {
    if (!gate.registered) return;
    gate.registered = false;
    this.timers.delete(gate.id);
    this.heap.remove(gate);
    if (this.open.get(gate.callAt) === gate) this.open.delete(gate.callAt);
    this.gates--;
  }

  private schedule(target: TimerTarget<unknown>, delay: number, arg: unknown, app: boolean): Entry {
    const d = delay > 0 ? Math.trunc(delay) : 0;
    const gate = this.gateFor(this.internals.now + d, d);
    const e = new Entry(target, arg, gate, app);
    gate.entries.push(e);
    gate.live++;
    this.live++;
    return e;
  }

  /** Schedules a simulator event `delay` ms from now (0: this instant, after what is already due). */
  at<A>(target: TimerTarget<A>, delay: number, arg: A): TimerRef {
    return this.schedule(target as TimerTarget<unknown>, delay, arg, false);
  }

  /** Schedules an application timer (a subject's): fired with Node's queues drained around it. */
  app<A>(target: TimerTarget<A>, delay: number, arg: A): TimerRef {
    return this.schedule(target as TimerTarget<unknown>, delay, arg, true);
  }

  cancel(ref: TimerRef | null | undefined): void {
    if (ref == null) return;
    const e = ref as Entry;
    if (e.target === null) return;
    e.target = null;
    e.arg = null;
    this.live--;
    const gate = e.gate as Gate;
    e.gate = null;
    if (--gate.live === 0) this.unregister(gate);
  }

  /**
   * Fires the next entry due (the driver's step): moves the clock to its instant and runs it.
   * Returns false for an application timer (which always counts as touching application code), true
   * for a simulator event (which sets `touched` itself if it reached application code).
   */
  fireNext(): boolean {
    const top = this.heap.peek();
    if (top === undefined) return true;
    const internals = this.internals;
    if (top.func !== GATE) {
      // A timer fake-timers made itself (clock.setImmediate and the like): as fake-timers fires it.
      this.touched = true;
      this.clock.next();
      return false;
    }
    const gate = top as Gate;
    const entries = gate.entries;
    let i = gate.head;
    let e = entries[i] as Entry;
    while (e.target === null) e = entries[++i] as Entry;
    gate.head = i + 1;
    const target = e.target;
    const arg = e.arg;
    e.target = null;
    e.arg = null;
    e.gate = null;
    this.live--;
    if (--gate.live === 0) {
      this.unregister(gate);
      gate.entries = NO_ENTRIES;
    }
    internals.now = gate.callAt;
    internals.duringTick = true;
    try {
      if (e.app) {
        this.touched = true;
        target.onTimer(arg);
        return false;
      }
      this.touched = false;
      this.firedEvents++;
      target.onTimer(arg);
      return true;
    } finally {
      internals.duringTick = false;
    }
  }

  /** Fires a gate's entries in order (called by the clock when fake-timers itself fires the gate). */
  runGate(gate: Gate): void {
    // fake-timers took it off its table and heap before calling.
    if (gate.registered) {
      gate.registered = false;
      if (this.open.get(gate.callAt) === gate) this.open.delete(gate.callAt);
      this.gates--;
    }
    const entries = gate.entries;
    let i = gate.head;
    try {
      for (; i < entries.length; i++) {
        const e = entries[i] as Entry;
        const target = e.target;
        if (target === null) continue;
        const arg = e.arg;
        e.target = null;
        e.arg = null;
        e.gate = null;
        gate.live--;
        this.live--;
        if (!e.app) this.firedEvents++;
        target.onTimer(arg);
      }
      gate.entries = NO_ENTRIES;
    } catch (err) {
      // Application code threw (runFor rejects with it): keep the rest of the instant scheduled,
      // ahead of anything created for that instant since (its order is older).
      gate.head = i + 1;
      if (gate.live > 0) {
        gate.registered = true;
        this.timers.set(gate.id, gate);
        this.heap.push(gate);
        this.gates++;
        if (!this.open.has(gate.callAt)) this.open.set(gate.callAt, gate);
      }
      throw err;
    }
  }

  /** When the next timer (of anyone) is due, or undefined when nothing is scheduled. */
  nextDue(): number | undefined {
    return this.heap.peek()?.callAt;
  }

  /** Whether the next entry due is a simulator event (as opposed to an application timer). */
  nextIsInternal(): boolean {
    const top = this.heap.peek();
    if (top === undefined || top.func !== GATE) return false;
    const gate = top as Gate;
    const entries = gate.entries;
    let i = gate.head;
    let e = entries[i] as Entry;
    while (e.target === null) e = entries[++i] as Entry;
    gate.head = i;
    return !e.app;
  }

  /** Timers still scheduled: live entries plus any timer fake-timers made itself. */
  pending(): number {
    return this.clock.countTimers() - this.gates + this.live;
  }

  /** Cancels everything scheduled (Simulation.close). */
  clearAll(): void {
    for (const t of [...this.timers.values()]) {
      this.timers.delete(t.id);
      this.heap.remove(t);
      if (t.func === GATE) {
        const gate = t as Gate;
        gate.registered = false;
        for (const e of gate.entries) {
          e.target = null;
          e.arg = null;
          e.gate = null;
        }
        gate.entries = NO_ENTRIES;
        gate.live = 0;
      }
    }
    this.open.clear();
    this.last = null;
    this.clockTimers.clear();
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
    const handle = (t: ClockTimer) => {
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
          self.cancel(t.entry);
          t.arm();
          self.clockTimers.set(t.id, t);
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
    const make = (func: HeapTimer['func'], d: number, args: unknown[], interval: boolean) => {
      const t = new ClockTimer(self, self.nextId++, func, args, d, interval);
      self.clockTimers.set(t.id, t);
      t.arm();
      return handle(t);
    };
    clock.setTimeout = (func: HeapTimer['func'], delay?: number, ...args: unknown[]) => {
      check(func);
      return make(func, delayOf(delay, false), args, false);
    };
    clock.setInterval = (func: HeapTimer['func'], delay?: number, ...args: unknown[]) => {
      check(func);
      return make(func, Math.max(1, delayOf(delay, true)), args, true);
    };
    const clear = (h: unknown) => {
      if (h == null) return;
      const t = self.clockTimers.get(Number(h));
      if (!t) return;
      self.clockTimers.delete(t.id);
      self.cancel(t.entry);
      t.entry = null;
    };
    clock.clearTimeout = clear;
    clock.clearInterval = clear;
  }
}
