/**
 * One TCP end at the proxy, as Go's net.Conn behaves for Toxiproxy: a read blocks until a chunk
 * (≤ 32 KB) or EOF; a write blocks while the socket is backpressured; Close is a full close (no
 * half-close kept), a FIN after queued data, or an RST once linger 0 was set (reset_peer).
 *
 * The socket itself is behind `Transport`, so the pipeline can be driven by a sim socket or by a
 * test's fake.
 */
import { Chan, type Gen, recv, type Scheduler } from './csp.ts';

/** io.Copy's buffer: one read never returns more than this. */
export const READ_SIZE = 32 * 1024;

export interface Transport {
  /**
   * Hands data to the kernel, as a blocking Go Write does: true if it was all taken at once;
   * otherwise `accepted` is called once it has been (with an error if it never will be).
   */
  write(data: Buffer, accepted: (err?: Error | null) => void): boolean;
  /** Full close: FIN after queued data, or RST (discarding it) when `reset`. */
  close(reset: boolean): void;
  /** Data received and buffered above the kernel, not yet delivered (Node's readable buffer). */
  unread?(): number;
  /** Stop / restart delivering data (TCP backpressure to the peer while stopped). */
  pause(): void;
  resume(): void;
}

export type CloseHow = 'FIN' | 'RST';

export class Conn {
  /** Chunks read from the socket and not yet taken by the link's reader. */
  readonly incoming: Chan<Buffer>;
  private readonly drain: Chan<boolean>;
  private writeSeq = 0;
  private waitingFor = 0;
  /** SO_LINGER 0: every close of this connection is an RST. */
  linger0 = false;
  /** Closed by the proxy. */
  closed = false;
  /** The socket is gone (reset or destroyed by the other side): writes fail. */
  gone = false;
  private paused = false;

  constructor(
    private readonly sched: Scheduler,
    private readonly transport: Transport,
    readonly label: string,
    private readonly onClose: (conn: Conn, how: CloseHow, why?: string) => void = () => {},
  ) {
    this.incoming = new Chan<Buffer>(Number.POSITIVE_INFINITY, `${label}:incoming`);
    this.drain = new Chan<boolean>(1, `${label}:drain`);
  }

  // --- socket events ---

  /** Data arrived: split into reads of at most READ_SIZE; stop reading while the link holds some. */
  deliver(data: Buffer): void {
    if (this.closed || this.incoming.closed) return;
    for (let off = 0; off < data.length; off += READ_SIZE) {
      this.sched.offer(this.incoming, data.subarray(off, Math.min(data.length, off + READ_SIZE)));
    }
    if (this.incoming.length > 0 && !this.closed && !this.paused) {
      this.paused = true;
      this.transport.pause();
    }
  }

  /** The peer's FIN: EOF after the data before it. */
  eof(): void {
    if (!this.incoming.closed) this.sched.close(this.incoming);
  }

  /** The socket is gone (peer RST, destroyed): reads end, writes fail. */
  lost(): void {
    this.gone = true;
    if (!this.incoming.closed) this.sched.close(this.incoming);
    if (!this.drain.closed) this.sched.close(this.drain);
  }

  // --- goroutine side ---

  /** One read: a chunk, or null at EOF / error / local close. */
  *read(): Gen<Buffer | null> {
    if (this.incoming.length === 0 && this.paused && !this.incoming.closed) {
      this.paused = false;
      this.transport.resume();
    }
    return yield* recv(this.incoming);
  }

  /** One write, returning once the kernel has taken it all; false on error (closed, gone). */
  *write(data: Buffer): Gen<boolean> {
    if (this.closed || this.gone) return false;
    const seq = ++this.writeSeq;
    const sync = this.transport.write(data, (err) => {
      if (this.waitingFor !== seq || this.drain.closed) return;
      this.waitingFor = 0;
      this.sched.offer(this.drain, !err);
    });
    if (sync) return true;
    this.waitingFor = seq;
    const r = yield* recv(this.drain);
    return r === true && !this.closed && !this.gone;
  }

  /**
   * Go's Close: a full close; a blocked read or write returns an error. As close(2) does, it is an
   * RST when linger 0 is set or when received data was never read (Toxiproxy's reader reads one
   * chunk at a time, so what waits here would still be in its kernel's receive buffer).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const unread = this.incoming.length > 0 || (this.transport.unread?.() ?? 0) > 0;
    this.incoming.discard();
    if (!this.incoming.closed) this.sched.close(this.incoming);
    if (!this.drain.closed) this.sched.close(this.drain);
    const how: CloseHow = this.linger0 || unread ? 'RST' : 'FIN';
    this.onClose(this, how, this.linger0 ? 'linger0' : unread ? 'unread' : undefined);
    if (!this.gone) this.transport.close(how === 'RST');
  }
}
