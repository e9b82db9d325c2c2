/**
 * ToxicStub and the live toxic (Toxiproxy's `toxics/toxic.go`): one stage of a one-way pipeline,
 * with the input/output channels, the interrupt channel a toxic must watch so it can be replaced,
 * and `run`, which rolls toxicity and runs either the toxic's pipe or a noop.
 */
import type { Stream, ToxicType } from '../../toxics/vocabulary.ts';
import {
  afterCase,
  Chan,
  type Gen,
  type Goroutine,
  recv,
  recvCase,
  type Scheduler,
  select,
  sendCase,
} from './csp.ts';

/** One socket read, stamped with its read time (virtual ms). */
export interface Chunk {
  data: Buffer;
  timestamp: number;
}

/** What a pipe may ask of its surroundings: time, the run's seeded generator, the trace. */
export interface PipeEnv {
  now(): number;
  /** Uniform in [0, 1), from the run's seeded generator for this proxy. */
  random(): number;
  trace(kind: string, fields?: Record<string, unknown>): void;
}

/** The attributes object is shared by every connection and mutated in place by an update, as in Toxiproxy. */
export interface LiveToxic {
  name: string;
  type: ToxicType;
  stream: Stream;
  toxicity: number;
  attributes: Record<string, number>;
  /** Position in its direction's chain (0 is the hidden noop); -1 once removed. */
  index: number;
  bufferSize: number;
  /** The hidden noop at the head of every chain: never reported, never rolls toxicity. */
  hidden?: boolean;
}

export type Pipe = (stub: ToxicStub, toxic: LiveToxic) => Gen<void>;

export const INTERRUPTED: unique symbol = Symbol('interrupted');
export type Received = Chunk | null | typeof INTERRUPTED;

let stubSeq = 0;

export class ToxicStub {
  state: unknown = undefined;
  readonly interrupt: Chan<true>;
  /** Closed when the stub is closed (its output closed: EOF downstream). */
  readonly closedSignal: Chan<never>;
  private running: Chan<never> | null = null;
  readonly id = ++stubSeq;

  constructor(
    readonly sched: Scheduler,
    public input: Chan<Chunk>,
    public output: Chan<Chunk>,
    readonly env: PipeEnv,
    /** Goroutine group: the connection this stub belongs to. */
    readonly group: string,
    private readonly pipeFor: (toxic: LiveToxic) => Pipe,
  ) {
    this.interrupt = new Chan<true>(0, `interrupt#${this.id}`);
    this.closedSignal = new Chan<never>(0, `closed#${this.id}`);
  }

  now(): number {
    return this.env.now();
  }

  /** `select { case <-stub.Interrupt: … case c := <-stub.Input: … }` */
  *receive(): Gen<Received> {
    const r = yield* select(recvCase(this.interrupt), recvCase(this.input));
    if (r.index === 0) return INTERRUPTED;
    return r.value as Chunk | null;
  }

  isClosed(): boolean {
    return this.closedSignal.closed;
  }

  /** Closes the stub: its output is closed, which is EOF for every stage after it. */
  close(): void {
    if (this.isClosed()) return;
    this.sched.close(this.closedSignal);
    this.sched.close(this.output);
  }

  /** `go stub.Run(toxic)`: rolls toxicity once for this run, then runs the toxic or a noop. */
  run(toxic: LiveToxic, noop: Pipe): Goroutine {
    const running = new Chan<never>(0, `running#${this.id}`);
    this.running = running;
    const self = this;
    function* body(): Gen<void> {
      try {
        let pipe = noop;
        if (!toxic.hidden) {
          const roll = self.env.random();
          if (roll < toxic.toxicity) pipe = self.pipeFor(toxic);
          if (toxic.toxicity > 0 && toxic.toxicity < 1) {
            self.env.trace('proxy.toxicity', { toxic: toxic.name, roll, active: roll < toxic.toxicity });
          }
        }
        yield* pipe(self, toxic);
      } finally {
        if (!running.closed) self.sched.close(running);
      }
    }
    return this.sched.go(body(), `stub#${this.id}:${toxic.name || 'noop'}`, this.group);
  }

  /**
   * `InterruptToxic`: true once the running toxic has stopped, false if the stub is closed. Waits for
   * the toxic to reach a point where it watches the interrupt channel.
   */
  *interruptToxic(): Gen<boolean> {
    const r = yield* select(recvCase(this.closedSignal), sendCase(this.interrupt, true));
    if (r.index === 0) return false;
    if (this.running) yield* recv(this.running);
    return true;
  }

  /** Releases an interrupt waiting on a stub whose goroutines were killed. */
  abandon(): void {
    if (!this.closedSignal.closed) this.sched.close(this.closedSignal);
    if (this.running && !this.running.closed) this.sched.close(this.running);
  }

  /** `WriteOutput(p, d)`: a send that gives up (dropping the chunk) after `ms`. */
  *writeOutput(c: Chunk, ms: number): Gen<boolean> {
    const r = yield* select(sendCase(this.output, c), afterCase(ms));
    if (r.index === 1) {
      this.env.trace('proxy.chunk.drop', { bytes: c.data.length, reason: 'flush_timeout' });
      return false;
    }
    return true;
  }
}
