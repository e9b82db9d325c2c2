/**
 * A tiny deterministic CSP runtime: Go-style channels, `select` and goroutines, on a virtual clock.
 *
 * Toxiproxy is a set of goroutines joined by channels, and its quirks (what an interrupt flushes,
 * where backpressure stops reading, when a close overtakes data) come from exactly where those
 * goroutines block. Modelling the same blocking points reproduces the same behaviour, so each toxic
 * here is written as the same loop as its Go `Pipe`: a generator that yields a `select` and is
 * resumed with the case that fired.
 *
 * Everything runs synchronously: a goroutine runs until it blocks, woken goroutines run in FIFO
 * order, and time only passes through timers on the injected clock. No promises, so the outcome
 * does not depend on how the caller drains microtasks. Where Go picks at random among several ready
 * cases, this picks the first one in source order.
 */

/** The clock the runtime sleeps on: a fake-timers clock, or a sim host's Runtime. */
export interface TimerApi {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** A Go channel. `capacity` 0 is unbuffered (a send waits for a receiver). */
export class Chan<T> {
  /** @internal */ readonly buffer: T[] = [];
  /** @internal */ readonly receivers: Array<{ waiter: Waiter; index: number }> = [];
  /** @internal */ readonly senders: Array<{ waiter: Waiter; index: number; value: T }> = [];
  closed = false;
  constructor(
    readonly capacity: number,
    readonly label = 'chan',
  ) {}
  /** `len(ch)`: values buffered and not yet received. */
  get length(): number {
    return this.buffer.length;
  }
  /** Drops buffered values (a socket closed with unread data in its receive buffer). */
  discard(): void {
    this.buffer.length = 0;
  }
}

export type Case =
  | { kind: 'recv'; ch: Chan<unknown> }
  | { kind: 'send'; ch: Chan<unknown>; value: unknown }
  | { kind: 'after'; ms: number };

/** What a `select` resumes with: the index of the case that fired and, for a receive, the value (null when closed). */
export interface Selected {
  index: number;
  value: unknown;
}

export interface SelectOp {
  cases: readonly Case[];
}

/** A goroutine body: yields `select`s, is resumed with the case that fired. */
export type Gen<R = void> = Generator<SelectOp, R, Selected>;

/** @internal */
interface Waiter {
  g: Goroutine;
  cases: readonly Case[];
  timers: unknown[];
  settled: boolean;
}

export class Goroutine {
  finished = false;
  /** Closed when the goroutine returns (or is killed): receive from it to join. */
  readonly exit = new Chan<never>(0, 'exit');
  /** @internal */ waiter: Waiter | null = null;
  /** @internal */ running = false;
  constructor(
    readonly id: number,
    readonly label: string,
    readonly group: string | undefined,
    /** @internal */ readonly gen: Gen<void>,
  ) {}
}

// Helpers to write goroutine bodies that read like Go.
export function recvCase<T>(ch: Chan<T>): Case {
  return { kind: 'recv', ch: ch as Chan<unknown> };
}
export function sendCase<T>(ch: Chan<T>, value: T): Case {
  return { kind: 'send', ch: ch as Chan<unknown>, value };
}
/** `time.After(ms)`: fires at the first whole virtual millisecond at or after now+ms; ms ≤ 0 is ready at once. */
export function afterCase(ms: number): Case {
  return { kind: 'after', ms };
}
export function* select(...cases: Case[]): Gen<Selected> {
  return yield { cases };
}
/** `v := <-ch`; null when the channel is closed. */
export function* recv<T>(ch: Chan<T>): Gen<T | null> {
  const r = yield { cases: [recvCase(ch)] };
  return r.value as T | null;
}
/** `ch <- v` */
export function* send<T>(ch: Chan<T>, value: T): Gen<void> {
  yield { cases: [sendCase(ch, value)] };
}
/** `<-time.After(ms)`, not interruptible. */
export function* sleep(ms: number): Gen<void> {
  yield { cases: [afterCase(ms)] };
}
/** Waits for a goroutine to finish (a sync.WaitGroup of one). */
export function* join(g: Goroutine): Gen<void> {
  yield* recv(g.exit);
}

/** Timer delay in whole milliseconds for `ms` from now; the epsilon absorbs float noise in ns→ms. */
function timerDelay(ms: number): number {
  return Math.max(1, Math.ceil(ms - 1e-9));
}

export class Scheduler {
  private readonly runq: Array<[Goroutine, Selected]> = [];
  private draining = false;
  private stopped = false;
  private nextId = 1;
  private readonly live = new Set<Goroutine>();
  private readonly afterDrain: Array<() => void> = [];

  constructor(
    readonly timers: TimerApi,
    /** Called when a goroutine body throws (a bug in the model); the error is then rethrown. */
    private readonly onError: (err: unknown, g: Goroutine) => void = () => {},
  ) {}

  now(): number {
    return this.timers.now();
  }

  /** `go body()`: queued, and run at once unless the scheduler is already running. */
  go(body: Gen<void>, label: string, group?: string): Goroutine {
    const g = new Goroutine(this.nextId++, label, group, body);
    this.live.add(g);
    this.runq.push([g, { index: -1, value: undefined }]);
    this.drain();
    return g;
  }

  /** Runs `fn` once nothing is runnable any more (right away if idle). */
  whenIdle(fn: () => void): void {
    if (!this.draining) {
      fn();
      return;
    }
    this.afterDrain.push(fn);
  }

  get busy(): boolean {
    return this.draining;
  }

  /** Goroutines not yet finished, optionally of one group. */
  goroutines(group?: string): Goroutine[] {
    return [...this.live].filter((g) => group === undefined || g.group === group);
  }

  /** Go's `close(ch)`. Wakes every receiver with null. */
  close(ch: Chan<unknown>): void {
    if (ch.closed) throw new Error(`close of closed channel ${ch.label}`);
    ch.closed = true;
    for (const r of [...ch.receivers]) this.complete(r.waiter, { index: r.index, value: null });
    if (ch.senders.length > 0) {
      throw new Error(`channel ${ch.label} closed while ${ch.senders.length} sender(s) wait on it`);
    }
    this.drain();
  }

  /**
   * A send from outside any goroutine (a socket event). Never blocks: returns false if the value
   * could not be delivered or buffered.
   */
  offer<T>(ch: Chan<T>, value: T): boolean {
    const r = this.trySelect([sendCase(ch, value)]);
    this.drain();
    return r !== null;
  }

  /** A receive from outside any goroutine; never blocks. */
  poll<T>(ch: Chan<T>): { ok: boolean; value: T | null } {
    const r = this.trySelect([recvCase(ch)]);
    this.drain();
    return r ? { ok: true, value: r.value as T | null } : { ok: false, value: null };
  }

  /**
   * Stops the goroutines of a group (their sockets are gone, so nothing they do can be observed).
   * Nothing runs while they are being stopped, so none of them can wake another or start a new one.
   */
  kill(group: string): void {
    const wasDraining = this.draining;
    this.draining = true;
    try {
      for (let gs = this.goroutines(group); gs.length > 0; gs = this.goroutines(group)) {
        for (const g of gs) this.killOne(g);
      }
    } finally {
      this.draining = wasDraining;
    }
    this.drain();
  }

  /** Stops everything for good: no goroutine runs and no timer fires afterwards. */
  killAll(): void {
    this.stopped = true;
    this.draining = true;
    try {
      for (const g of [...this.live]) this.killOne(g);
    } finally {
      this.draining = false;
    }
    this.runq.length = 0;
    this.afterDrain.length = 0;
  }

  private killOne(g: Goroutine): void {
    if (g.finished) return;
    if (g.running) throw new Error(`goroutine ${g.label} cannot kill itself`);
    if (g.waiter) this.unregister(g.waiter);
    g.waiter = null;
    g.finished = true;
    this.live.delete(g);
    g.gen.return(undefined);
    if (!g.exit.closed) this.close(g.exit);
  }

  private drain(): void {
    if (this.draining || this.stopped) return;
    this.draining = true;
    try {
      for (;;) {
        while (this.runq.length > 0) {
          const [g, value] = this.runq.shift()!;
          if (!g.finished) this.step(g, value);
        }
        const fn = this.afterDrain.shift();
        if (!fn) break;
        fn();
      }
    } finally {
      this.draining = false;
    }
  }

  private step(g: Goroutine, first: Selected): void {
    let value = first;
    for (;;) {
      let r: IteratorResult<SelectOp, void>;
      g.running = true;
      try {
        r = g.gen.next(value);
      } catch (err) {
        g.running = false;
        this.finish(g);
        this.onError(err, g);
        throw err;
      }
      g.running = false;
      if (r.done) {
        this.finish(g);
        return;
      }
      const ready = this.trySelect(r.value.cases);
      if (ready) {
        value = ready;
        continue;
      }
      this.block(g, r.value.cases);
      return;
    }
  }

  private finish(g: Goroutine): void {
    if (g.finished) return;
    g.finished = true;
    this.live.delete(g);
    if (!g.exit.closed) this.close(g.exit);
  }

  /** Completes the first ready case in order, or returns null. */
  private trySelect(cases: readonly Case[]): Selected | null {
    for (let index = 0; index < cases.length; index++) {
      const c = cases[index]!;
      if (c.kind === 'recv') {
        const ch = c.ch;
        if (ch.buffer.length > 0) {
          const value = ch.buffer.shift();
          const s = ch.senders.shift();
          if (s) {
            ch.buffer.push(s.value);
            this.complete(s.waiter, { index: s.index, value: undefined });
          }
          return { index, value };
        }
        const s = ch.senders.shift();
        if (s) {
          this.complete(s.waiter, { index: s.index, value: undefined });
          return { index, value: s.value };
        }
        if (ch.closed) return { index, value: null };
      } else if (c.kind === 'send') {
        const ch = c.ch;
        if (ch.closed) throw new Error(`send on closed channel ${ch.label}`);
        const r = ch.receivers.shift();
        if (r) {
          this.complete(r.waiter, { index: r.index, value: c.value });
          return { index, value: undefined };
        }
        if (ch.buffer.length < ch.capacity) {
          ch.buffer.push(c.value);
          return { index, value: undefined };
        }
      } else if (c.ms <= 0) {
        return { index, value: undefined };
      }
    }
    return null;
  }

  private block(g: Goroutine, cases: readonly Case[]): void {
    const waiter: Waiter = { g, cases, timers: [], settled: false };
    g.waiter = waiter;
    cases.forEach((c, index) => {
      if (c.kind === 'recv') c.ch.receivers.push({ waiter, index });
      else if (c.kind === 'send') c.ch.senders.push({ waiter, index, value: c.value });
      else {
        const handle = this.timers.setTimeout(() => {
          if (waiter.settled || this.stopped) return;
          this.complete(waiter, { index, value: undefined });
          this.drain();
        }, timerDelay(c.ms));
        waiter.timers.push(handle);
      }
    });
  }

  private complete(waiter: Waiter, selected: Selected): void {
    this.unregister(waiter);
    waiter.g.waiter = null;
    this.runq.push([waiter.g, selected]);
  }

  private unregister(waiter: Waiter): void {
    waiter.settled = true;
    for (const c of waiter.cases) {
      if (c.kind === 'recv') removeWaiter(c.ch.receivers, waiter);
      else if (c.kind === 'send') removeWaiter(c.ch.senders, waiter);
    }
    for (const t of waiter.timers) this.timers.clearTimeout(t);
    waiter.timers.length = 0;
  }
}

function removeWaiter(queue: Array<{ waiter: Waiter }>, waiter: Waiter): void {
  for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.waiter === waiter) queue.splice(i, 1);
}
