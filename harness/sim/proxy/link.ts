/**
 * ToxicLink (Toxiproxy `link.go`): one direction of one connection.
 *
 *   source ─read→ input ─▶ [noop] ─▶ [toxic 1] ─▶ … ─▶ output ─write→ dest
 *
 * The chain always starts with a hidden noop so the first real toxic can be paused by interrupting
 * the stage before it. A channel feeding a toxic has that toxic's buffer (1024 for latency, else
 * unbuffered), so backpressure stops the reader exactly where Toxiproxy's would stop.
 *
 * `addToxic`, `updateToxic` and `removeToxic` are goroutine bodies run while the collection is
 * locked. Interrupting a stage makes its toxic return (flushing what it holds), and re-running it
 * rolls its toxicity again — which is why a toxic is re-rolled when it is updated or when a toxic is
 * added or removed right after it.
 */
import type { Stream } from '../../toxics/vocabulary.ts';
import type { Conn } from './conn.ts';
import { Chan, type Gen, recv, recvCase, type Scheduler, select, send } from './csp.ts';
import { type Chunk, type LiveToxic, type PipeEnv, ToxicStub } from './stub.ts';
import { noop, TOXIC_KINDS } from './toxics/index.ts';

const FLUSH_TIMEOUT_MS = 5000;

export interface LinkHost {
  readonly sched: Scheduler;
  /** The chain of a direction as it is now (index 0: the hidden noop); a new link is built from it. */
  chain(direction: Stream): readonly LiveToxic[];
  /** The writer finished (EOF or write error) and closed its destination. */
  writerDone(link: ToxicLink): void;
}

function pipeFor(toxic: LiveToxic) {
  return TOXIC_KINDS[toxic.type].pipe;
}

export class ToxicLink {
  stubs: ToxicStub[] = [];
  readonly input: Chan<Chunk>;
  readonly output: Chan<Chunk>;
  private readonly sched: Scheduler;
  private readonly chainAtCreation: readonly LiveToxic[];

  constructor(
    readonly name: string,
    readonly direction: Stream,
    private readonly host: LinkHost,
    readonly env: PipeEnv,
    /** Goroutine group of this connection. */
    readonly group: string,
  ) {
    this.sched = host.sched;
    const chain = [...host.chain(direction)];
    this.chainAtCreation = chain;
    let last = new Chan<Chunk>(0, `${name}:input`);
    this.input = last;
    for (let i = 0; i < chain.length; i++) {
      const next = new Chan<Chunk>(i + 1 < chain.length ? chain[i + 1]!.bufferSize : 0, `${name}:${i}`);
      this.stubs.push(this.newStub(last, next));
      last = next;
    }
    this.output = last;
  }

  private newStub(input: Chan<Chunk>, output: Chan<Chunk>): ToxicStub {
    return new ToxicStub(this.sched, input, output, this.env, this.group, pipeFor);
  }

  /** Starts the reader, every stage, and the writer. */
  start(source: Conn, dest: Conn): void {
    this.sched.go(this.read(source), `${this.name}:read`, this.group);
    const chain = this.chainAtCreation;
    chain.forEach((toxic, i) => {
      const stub = this.stubs[i]!;
      const kind = TOXIC_KINDS[toxic.type];
      if (kind.newState) stub.state = kind.newState();
      // Toxiproxy sets SO_LINGER 0 on both sockets when the link starts with a reset_peer toxic, whatever its toxicity.
      if (toxic.type === 'reset_peer' && !toxic.hidden) {
        source.linger0 = true;
        dest.linger0 = true;
      }
      stub.run(toxic, noop);
    });
    this.sched.go(this.write(dest), `${this.name}:write`, this.group);
  }

  private *read(source: Conn): Gen<void> {
    for (;;) {
      const data = yield* source.read();
      if (data === null) break;
      yield* send(this.input, { data, timestamp: this.env.now() });
    }
    this.sched.close(this.input);
  }

  private *write(dest: Conn): Gen<void> {
    for (;;) {
      const c = yield* recv(this.output);
      if (c === null) break;
      if (c.data.length === 0) continue; // io.Copy writes nothing for an empty read
      if (!(yield* dest.write(c.data))) break;
    }
    dest.close();
    this.host.writerDone(this);
  }

  /** Appends a stage: pause the last stage (running `prev`), point it at the new one, restart both. */
  *addToxic(toxic: LiveToxic, prev: LiveToxic): Gen<void> {
    const i = this.stubs.length;
    const last = this.stubs[i - 1]!;
    const newin = new Chan<Chunk>(toxic.bufferSize, `${this.name}:${i}:in`);
    const stub = this.newStub(newin, last.output);
    this.stubs.push(stub);
    if (yield* last.interruptToxic()) {
      last.output = newin;
      const kind = TOXIC_KINDS[toxic.type];
      if (kind.newState) stub.state = kind.newState();
      stub.run(toxic, noop);
      last.run(prev, noop);
    } else {
      // The link is already closed: close the new stage too.
      stub.output = newin;
      stub.close();
    }
  }

  /** Restarts the stage at `index` with the updated toxic (re-rolling its toxicity). */
  *updateToxic(toxic: LiveToxic, index: number): Gen<void> {
    const stub = this.stubs[index];
    if (stub && (yield* stub.interruptToxic())) stub.run(toxic, noop);
  }

  /**
   * Takes a stage out: stop it, let the stage before it finish while passing on whatever reaches
   * the removed stage, flush its buffer, then splice the previous stage's output past it.
   */
  *removeToxic(toxic: LiveToxic, index: number, prevToxic: LiveToxic): Gen<void> {
    const stub = this.stubs[index];
    const prev = this.stubs[index - 1];
    if (!stub || !prev) return;
    if (!(yield* stub.interruptToxic())) return;
    const cleanup = TOXIC_KINDS[toxic.type].cleanup;
    if (cleanup) {
      cleanup(stub);
      if (stub.isClosed()) return;
    }
    const stop = new Chan<boolean>(0, `${this.name}:stop`);
    this.sched.go(
      (function* () {
        const ok = yield* prev.interruptToxic();
        yield* send(stop, ok);
      })(),
      `${this.name}:interrupt-prev`,
      this.group,
    );
    let interrupted = false;
    let stopped = false;
    while (!interrupted) {
      const r = yield* select(recvCase(stop), recvCase(stub.input));
      if (r.index === 0) {
        interrupted = r.value as boolean;
        stopped = true;
        continue;
      }
      const tmp = r.value as Chunk | null;
      if (tmp === null) {
        stub.close();
        if (!stopped) yield* recv(stop);
        return;
      }
      yield* stub.writeOutput(tmp, FLUSH_TIMEOUT_MS);
    }
    while (stub.input.length > 0) {
      const tmp = yield* recv(stub.input);
      if (tmp === null) {
        stub.close();
        return;
      }
      yield* stub.writeOutput(tmp, FLUSH_TIMEOUT_MS);
    }
    prev.output = stub.output;
    this.stubs.splice(index, 1);
    prev.run(prevToxic, noop);
  }

  /** The connection is gone: release anyone waiting to interrupt one of its stages. */
  abandon(): void {
    for (const stub of this.stubs) stub.abandon();
  }
}
