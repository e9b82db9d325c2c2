/**
 * One end of a TCP connection, kernel side: handshake, send buffer, receive buffer and window,
 * cumulative ACKs, retransmission with exponential backoff, zero-window probes, keepalive, FIN and
 * RST. The process side (a SimSocket) talks to it through write/shutdown/close and is told about
 * arrivals through EndpointOwner.
 *
 * Deliberate simplifications (see README.md): no Nagle, no delayed ACK (every segment is
 * acknowledged at once), no congestion window, go-back-N recovery driven by the retransmission
 * timer only (no fast retransmit/SACK), no TIME_WAIT.
 *
 * Cost: a retransmission timer is only armed once a packet of the connection has actually been lost
 * or held, or when the path's round trip could exceed the RTO — the simulator knows when nothing
 * will be lost, and then the timer could never fire. When it is armed, it is armed at the time a
 * real stack would have it fire (from the last ACK that advanced, or the send into an empty pipe).
 */
import type { TimerRef, TimerTarget } from './clock.ts';
import type { SimContext } from './context.ts';
import { connectError, type ErrnoCode, errnoError, type SystemError } from './errors.ts';
import type { SimHost } from './host.ts';
import type { Kernel } from './kernel.ts';
import { NOTE_HANDSHAKE_ACK, NOTE_KEEPALIVE_ACK, Packet, type PacketKind, PK } from './packet.ts';

/** How the kernel tells the process side about its connection. */
export interface EndpointOwner {
  onConnected(): void;
  onConnectFailed(err: SystemError): void;
  /** The inbox has something new (data, EOF, an error). */
  onInbox(): void;
  /** A blocked write now fits in the send buffer. */
  onWritable(): void;
}

/** Received, not yet read by the process: a chunk, EOF (null), or the error that ended the connection. */
export type InboxEntry = Buffer | null | SystemError;

export const ST = { SYN_SENT: 0, SYN_RCVD: 1, ESTABLISHED: 2, CLOSED: 3 } as const;
type State = (typeof ST)[keyof typeof ST];

const T_SYN = 0;
const T_RTO = 1;
const T_PERSIST = 2;
const T_KEEPALIVE = 3;
const T_FIN_WAIT = 4;

class Segment {
  seq = 0;
  firstSentAt = -1;
  sentAt = -1;
  retransmitted = false;
  constructor(
    public data: Buffer | null,
    readonly fin: boolean,
  ) {}
  get length(): number {
    return this.fin ? 1 : (this.data as Buffer).length;
  }
}

export const WRITE_ACCEPTED = 0;
export const WRITE_BLOCKED = 1;

export class Endpoint implements TimerTarget<number> {
  state: State;
  freed = false;
  peer: Endpoint | null = null;
  owner: EndpointOwner | null = null;
  /** The process closed its handle (destroy/close): nothing will read from here again. */
  processClosed = false;
  readonly label: string;
  /** The label as a JSON string literal, UTF-8 encoded (how packet lines carry it into the trace). */
  readonly labelJson: Uint8Array;
  /** The middle of this endpoint's packet lines in the trace, per packet name (see Wire.send). */
  traceHeads: Array<Uint8Array | undefined> = [];
  /** The destination label those were made for. */
  traceHeadsDst: Uint8Array | null = null;

  // Send side.
  private sndUna = 0;
  private sndNxt = 0;
  private readonly sendQueue: Segment[] = [];
  private readonly unacked: Segment[] = [];
  /** Payload bytes in the kernel send buffer (unsent + unacknowledged). */
  sndQueued = 0;
  private peerWindow = 0;
  private finQueued = false;
  private finSent = false;
  private finAcked = false;
  private finSeq = -1;
  /** Length of the write the process could not hand over (send buffer full); 0 when none. */
  private blockedLen = 0;
  /** Increments whenever an ACK frees send-buffer space (socket timeouts look at it, as Node does). */
  ackProgress = 0;

  // Receive side.
  private rcvNxt = 0;
  readonly inbox: InboxEntry[] = [];
  /** Payload bytes in the inbox (counts against the receive window). */
  inboxBytes = 0;
  finReceived = false;
  private lastAdvertised = 0;
  /** Data arrived this instant and no packet has carried its ACK yet. */
  private ackPending = false;
  /** Worst round trip of the path, for the retransmission-timer shortcut (refreshed on latency changes). */
  private pathRtt = -1;
  /** The error the connection ended with, until a write has reported it. */
  private pendingError: SystemError | null = null;

  // Timers and estimators.
  private synRef: TimerRef | null = null;
  private synRetries = 0;
  private synSentAt = 0;
  private rtoRef: TimerRef | null = null;
  private rto: number;
  private srtt = -1;
  private rttvar = 0;
  private backoff = 0;
  /** When a real stack's retransmission timer was last (re)started. */
  private rtoBase = 0;
  /** Loss or a long path was seen: keep a real retransmission timer until the pipe empties. */
  private careful = false;
  private persistRef: TimerRef | null = null;
  private persistBackoff = 0;
  private persistProbes = 0;
  private kaRef: TimerRef | null = null;
  private kaIdle = 0;
  private kaProbesOut = 0;
  private lastRecvAt = 0;
  private finWaitRef: TimerRef | null = null;

  constructor(
    readonly ctx: SimContext,
    readonly kernel: Kernel,
    readonly host: SimHost,
    readonly localAddress: string,
    readonly localPort: number,
    readonly remoteHost: SimHost | null,
    readonly remoteAddress: string,
    readonly remotePort: number,
    state: State,
  ) {
    this.state = state;
    this.rto = ctx.tcp.initialRto;
    this.label = `${host.name}:${localPort}`;
    this.labelJson = Buffer.from(JSON.stringify(this.label), 'utf8');
    this.lastAdvertised = ctx.tcp.receiveBuffer;
  }

  get established(): boolean {
    return this.state === ST.ESTABLISHED;
  }

  // ---- Process-facing API -------------------------------------------------------------------

  /** Client side: sends the SYN and starts the SYN retransmission timer. */
  startConnect(): void {
    this.synSentAt = this.now();
    this.emit(PK.SYN, 0, null, 0);
    this.synRef = this.ctx.sched.at(this, this.ctx.tcp.initialRto, T_SYN);
  }

  /** Hands a chunk to the kernel: accepted into the send buffer, blocked (buffer full), or an error. */
  write(data: Buffer): typeof WRITE_ACCEPTED | typeof WRITE_BLOCKED | SystemError {
    if (this.freed) return this.writeError();
    if (this.finQueued) return errnoError('EPIPE', 'write');
    const len = data.length;
    if (len === 0) return WRITE_ACCEPTED;
    if (this.sndQueued > 0 && this.sndQueued + len > this.ctx.tcp.sendBuffer) {
      this.blockedLen = len;
      return WRITE_BLOCKED;
    }
    this.sndQueued += len;
    this.sendQueue.push(new Segment(data, false));
    this.transmit();
    return WRITE_ACCEPTED;
  }

  /** shutdown(SHUT_WR): a FIN after everything already written. */
  shutdown(): void {
    if (this.finQueued || this.freed) return;
    this.finQueued = true;
    this.sendQueue.push(new Segment(null, true));
    this.transmit();
    this.maybeFree();
  }

  /**
   * The process closed its handle. Like close(2): an RST if asked to abort (SO_LINGER 0, Node's
   * resetAndDestroy) or if received data was never read; otherwise a FIN after the unsent data, and
   * the kernel keeps the connection (orphaned) until both directions are done.
   */
  closeFromProcess(abort: boolean): void {
    this.owner = null;
    this.processClosed = true;
    if (this.freed) return;
    if (this.state === ST.SYN_SENT || this.state === ST.SYN_RCVD) {
      if (this.state === ST.SYN_RCVD) this.sendRst();
      this.free();
      return;
    }
    if (abort || this.inboxBytes > 0) {
      this.sendRst();
      this.free();
      return;
    }
    this.shutdown();
    this.maybeFree();
  }

  /** The process read `n` bytes out of the inbox. */
  consumed(n: number): void {
    this.inboxBytes -= n;
    if (this.freed || this.state !== ST.ESTABLISHED) return;
    // Window update once the process has made room, as a stack does after a read drains its buffer.
    const half = this.ctx.tcp.receiveBuffer / 2;
    if (this.lastAdvertised < half && this.window() >= half) this.sendAck(0);
  }

  /** SO_KEEPALIVE with TCP_KEEPIDLE = idleMs (interval and count are the runtime's: 1 s × 10). */
  setKeepalive(enable: boolean, idleMs: number): void {
    this.ctx.sched.cancel(this.kaRef);
    this.kaRef = null;
    this.kaIdle = enable ? idleMs : 0;
    this.kaProbesOut = 0;
    if (enable && this.state === ST.ESTABLISHED)
      this.armKeepalive(Math.max(0, this.lastRecvAt + idleMs - this.now()));
  }

  /** Error for a write to a connection the kernel no longer has: the error it ended with, once, then EPIPE. */
  writeError(): SystemError {
    const e = this.pendingError;
    if (e && e.code !== 'EPIPE') {
      this.pendingError = null;
      return errnoError(e.code as ErrnoCode, 'write');
    }
    return errnoError('EPIPE', 'write');
  }

  // ---- Wire-facing API ------------------------------------------------------------------------

  /** Server side: a SYN arrived for a listener (this endpoint is new, in SYN_RCVD). */
  acceptSyn(p: Packet): void {
    this.peer = p.src;
    this.peerWindow = p.win;
    this.lastRecvAt = this.now();
    this.synSentAt = this.now();
    this.emit(PK.SYN_ACK, 0, null, 0);
  }

  /** A duplicate SYN (the SYN-ACK was lost): answer again. */
  resendSynAck(): void {
    this.synRetries++;
    this.emit(PK.SYN_ACK, 0, null, 0);
  }

  /** A packet for this endpoint arrived (the kernel checked it is still ours). */
  receive(p: Packet): void {
    const kind = p.kind;
    if (kind === PK.RST) {
      this.onRst();
      return;
    }
    if (kind === PK.SYN_ACK) {
      if (this.state === ST.SYN_SENT) this.onSynAck(p);
      else this.sendAck(0);
      return;
    }
    if (kind === PK.SYN) return;
    if (this.state === ST.SYN_SENT) return;
    if (this.state === ST.SYN_RCVD) {
      this.state = ST.ESTABLISHED;
      // Linux samples the RTT of the SYN-ACK too (tcp_synack_rtt_meas), unless it was resent (Karn).
      if (this.synRetries === 0) this.updateRtt(this.now() - this.synSentAt);
      this.kernel.established(this);
    }
    this.lastRecvAt = this.now();
    this.kaProbesOut = 0;
    this.persistProbes = 0;
    this.onAck(p.ack, p.win);
    if (this.freed) return;
    switch (kind) {
      case PK.DATA:
        this.onData(p);
        break;
      case PK.FIN:
        this.onFin(p);
        break;
      case PK.KEEPALIVE_PROBE:
        this.sendAck(NOTE_KEEPALIVE_ACK);
        break;
      case PK.WINDOW_PROBE:
        this.sendAck(0);
        break;
    }
  }

  /** The wire lost or held a packet of this connection: from now on a real stack's timer matters. */
  lossNotice(): void {
    this.pathRtt = -1;
    this.careful = true;
    if (this.unacked.length > 0 && this.rtoRef === null && !this.freed) {
      this.rtoRef = this.ctx.sched.at(
        this,
        Math.max(0, this.rtoBase + this.currentRto() - this.now()),
        T_RTO,
      );
    }
  }

  /** The host died: everything stops, nothing is sent. */
  wipe(): void {
    this.owner = null;
    this.free();
  }

  onTimer(which: number): void {
    switch (which) {
      case T_SYN:
        this.onSynTimer();
        break;
      case T_RTO:
        this.onRto();
        break;
      case T_PERSIST:
        this.onPersist();
        break;
      case T_KEEPALIVE:
        this.onKeepalive();
        break;
      case T_FIN_WAIT:
        this.finWaitRef = null;
        this.free();
        break;
    }
  }

  // ---- Internals ----------------------------------------------------------------------------

  private now(): number {
    return this.ctx.sched.now();
  }

  private window(): number {
    const w = this.ctx.tcp.receiveBuffer - this.inboxBytes;
    return Math.max(w, 0);
  }

  private emit(kind: PacketKind, seq: number, data: Buffer | null, note: number): void {
    const win = this.window();
    this.lastAdvertised = win;
    this.ackPending = false;
    this.ctx.wire.send(
      new Packet(
        kind,
        this,
        this.host,
        this.localPort,
        this.remoteHost,
        this.remotePort,
        this.peer,
        seq,
        this.rcvNxt,
        win,
        data,
        note,
        this.remoteAddress,
      ),
    );
  }

  /** End of the instant in which data arrived: the ACK nothing carried yet goes out alone. */
  flushAck(): void {
    if (this.ackPending && !this.freed) this.sendAck(0);
    this.ackPending = false;
  }

  private sendAck(note: number): void {
    this.emit(PK.ACK, this.sndNxt, null, note);
  }

  private sendRst(): void {
    this.emit(PK.RST, this.sndNxt, null, 0);
  }

  private currentRto(): number {
    const r = this.rto * 2 ** this.backoff;
    return Math.min(r, this.ctx.tcp.maxRto);
  }

  private transmit(): void {
    if (this.state !== ST.ESTABLISHED) return;
    const queue = this.sendQueue;
    let sent = false;
    while (queue.length > 0) {
      const seg = queue[0] as Segment;
      if (!seg.fin) {
        const avail = this.peerWindow - (this.sndNxt - this.sndUna);
        if (avail <= 0) {
          if (this.unacked.length === 0) this.armPersist();
          break;
        }
        const data = seg.data as Buffer;
        if (data.length > avail) {
          // Only what the peer's window takes; the rest waits for it to open.
          const head = new Segment(data.subarray(0, avail), false);
          seg.data = data.subarray(avail);
          this.sendSegment(head);
          sent = true;
          continue;
        }
      }
      queue.shift();
      this.sendSegment(seg);
      sent = true;
    }
    if (sent && !this.careful) {
      if (this.pathRtt < 0) this.pathRtt = this.ctx.wire.maxRoundTrip(this.host, this.remoteHost);
      if (this.pathRtt >= this.currentRto()) this.lossNotice();
    }
  }

  private sendSegment(seg: Segment): void {
    const now = this.now();
    if (this.unacked.length === 0) this.rtoBase = now;
    seg.seq = this.sndNxt;
    seg.firstSentAt = now;
    seg.sentAt = now;
    this.sndNxt += seg.length;
    this.unacked.push(seg);
    if (seg.fin) {
      this.finSent = true;
      this.finSeq = seg.seq;
      this.emit(PK.FIN, seg.seq, null, 0);
    } else {
      this.emit(PK.DATA, seg.seq, seg.data, 0);
    }
    if (this.careful && this.rtoRef === null) {
      this.rtoRef = this.ctx.sched.at(this, this.currentRto(), T_RTO);
    }
  }

  private onAck(ack: number, win: number): void {
    if (ack < this.sndUna) return;
    this.peerWindow = win;
    if (ack > this.sndUna) {
      const now = this.now();
      let freedBytes = 0;
      let sample = -1;
      const unacked = this.unacked;
      while (unacked.length > 0) {
        const seg = unacked[0] as Segment;
        if (seg.seq + seg.length > ack) break;
        unacked.shift();
        if (!seg.fin) freedBytes += (seg.data as Buffer).length;
        if (sample < 0 && !seg.retransmitted) sample = now - seg.sentAt;
      }
      this.sndUna = ack;
      this.sndQueued -= freedBytes;
      this.backoff = 0;
      if (sample >= 0) this.updateRtt(sample);
      if (this.finSent && ack > this.finSeq) this.finAcked = true;
      if (unacked.length === 0) {
        this.ctx.sched.cancel(this.rtoRef);
        this.rtoRef = null;
        this.careful = false;
      } else {
        this.rtoBase = now;
        if (this.careful) {
          this.ctx.sched.cancel(this.rtoRef);
          this.rtoRef = this.ctx.sched.at(this, this.currentRto(), T_RTO);
        }
      }
      if (freedBytes > 0) {
        this.ackProgress++;
        const blocked = this.blockedLen;
        if (blocked > 0 && (this.sndQueued === 0 || this.sndQueued + blocked <= this.ctx.tcp.sendBuffer)) {
          this.blockedLen = 0;
          this.owner?.onWritable();
          if (this.freed) return;
        }
      }
    }
    if (win > 0 && this.persistRef !== null) {
      this.ctx.sched.cancel(this.persistRef);
      this.persistRef = null;
      this.persistBackoff = 0;
    }
    if (this.sendQueue.length > 0) this.transmit();
    this.maybeFree();
  }

  private updateRtt(r: number): void {
    if (this.srtt < 0) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = this.computeRto();
  }

  /**
   * RFC 6298 with Linux's floor: srtt + max(floor, 4·rttvar). The floor is the route's rto_min when a
   * fault sets one; like Linux (tcp_rto_min reads the route at each update) a new floor takes effect
   * at the next RTT sample.
   */
  private computeRto(): number {
    const tcp = this.ctx.tcp;
    const floor = this.ctx.wire.rtoFloor(this.host, this.remoteHost, tcp.minRto);
    const rto = Math.ceil(this.srtt + Math.max(floor, 4 * this.rttvar));
    return Math.min(rto, tcp.maxRto);
  }

  private onData(p: Packet): void {
    if (this.processClosed) {
      // Data for a socket nobody can read any more: Linux aborts the connection with an RST.
      this.sendRst();
      this.free();
      return;
    }
    const data = p.data as Buffer;
    if (this.finReceived || p.seq !== this.rcvNxt) {
      this.sendAck(0);
      return;
    }
    this.rcvNxt += data.length;
    this.inbox.push(data);
    this.inboxBytes += data.length;
    // Acknowledged at the end of this instant, unless something this endpoint sends before then
    // (typically the application's reply) carries the ACK.
    if (!this.ackPending) {
      this.ackPending = true;
      this.ctx.acks.push(this);
    }
    this.owner?.onInbox();
  }

  private onFin(p: Packet): void {
    if (this.finReceived || p.seq !== this.rcvNxt) {
      this.sendAck(0);
      return;
    }
    this.rcvNxt += 1;
    this.finReceived = true;
    this.inbox.push(null);
    this.sendAck(0);
    this.owner?.onInbox();
    this.maybeFree();
  }

  private onSynAck(p: Packet): void {
    this.state = ST.ESTABLISHED;
    this.peer = p.src;
    this.peerWindow = p.win;
    this.ctx.sched.cancel(this.synRef);
    this.synRef = null;
    const now = this.now();
    if (this.synRetries === 0) this.updateRtt(now - this.synSentAt);
    this.lastRecvAt = now;
    this.sendAck(NOTE_HANDSHAKE_ACK);
    if (this.kaIdle > 0) this.armKeepalive(this.kaIdle);
    this.owner?.onConnected();
  }

  private onRst(): void {
    if (this.state === ST.SYN_SENT) {
      const owner = this.owner;
      this.free();
      owner?.onConnectFailed(connectError('ECONNREFUSED', this.remoteAddress, this.remotePort));
      return;
    }
    if (this.processClosed || this.state !== ST.ESTABLISHED) {
      this.free();
      return;
    }
    // Linux tcp_reset: EPIPE in CLOSE_WAIT (the peer's FIN came first), ECONNRESET otherwise.
    const code: ErrnoCode = this.finReceived && !this.finSent ? 'EPIPE' : 'ECONNRESET';
    this.fail(errnoError(code, 'read'));
  }

  /** The connection is over with an error: the kernel forgets it, the process learns on its next read/write. */
  private fail(err: SystemError): void {
    this.pendingError = err;
    this.inbox.push(err);
    const owner = this.owner;
    this.free();
    owner?.onInbox();
  }

  private onSynTimer(): void {
    this.synRef = null;
    if (this.state !== ST.SYN_SENT) return;
    if (this.synRetries >= this.ctx.tcp.synRetries) {
      const owner = this.owner;
      this.free();
      owner?.onConnectFailed(connectError('ETIMEDOUT', this.remoteAddress, this.remotePort));
      return;
    }
    this.synRetries++;
    this.emit(PK.SYN, 0, null, 0);
    this.synRef = this.ctx.sched.at(this, this.ctx.tcp.initialRto * 2 ** this.synRetries, T_SYN);
  }

  private onRto(): void {
    this.rtoRef = null;
    if (this.freed) return;
    const unacked = this.unacked;
    if (unacked.length === 0) {
      this.careful = false;
      return;
    }
    const now = this.now();
    const head = unacked[0] as Segment;
    if (now - head.firstSentAt >= this.ctx.tcp.retransmitGiveUp) {
      this.fail(errnoError('ETIMEDOUT', 'read'));
      return;
    }
    this.backoff++;
    this.careful = true;
    for (const seg of unacked) {
      seg.retransmitted = true;
      seg.sentAt = now;
      if (seg.fin) this.emit(PK.FIN, seg.seq, null, 0);
      else this.emit(PK.DATA, seg.seq, seg.data, 0);
    }
    this.rtoBase = now;
    // A retransmission lost at send time (C2) may already have armed a timer from the old base.
    this.ctx.sched.cancel(this.rtoRef);
    this.rtoRef = this.ctx.sched.at(this, this.currentRto(), T_RTO);
  }

  private armPersist(): void {
    if (this.persistRef !== null) return;
    const tcp = this.ctx.tcp;
    const d = Math.min(tcp.maxRto, this.rto * 2 ** this.persistBackoff);
    this.persistRef = this.ctx.sched.at(this, d, T_PERSIST);
  }

  private onPersist(): void {
    this.persistRef = null;
    if (this.freed || this.sendQueue.length === 0) return;
    if (this.peerWindow - (this.sndNxt - this.sndUna) > 0) {
      this.transmit();
      return;
    }
    if (this.persistProbes >= 15) {
      this.fail(errnoError('ETIMEDOUT', 'read'));
      return;
    }
    this.emit(PK.WINDOW_PROBE, this.sndUna - 1, null, 0);
    this.persistProbes++;
    this.persistBackoff++;
    this.armPersist();
  }

  private armKeepalive(delay: number): void {
    this.ctx.sched.cancel(this.kaRef);
    this.kaRef = this.ctx.sched.at(this, delay, T_KEEPALIVE);
  }

  private onKeepalive(): void {
    this.kaRef = null;
    if (this.freed || this.kaIdle <= 0 || this.state !== ST.ESTABLISHED) return;
    const tcp = this.ctx.tcp;
    // Data in flight: retransmission, not keepalive, watches the connection (Linux tcp_keepalive_timer).
    if (this.unacked.length > 0 || this.sendQueue.length > 0) {
      this.armKeepalive(this.kaIdle);
      return;
    }
    const elapsed = this.now() - this.lastRecvAt;
    if (elapsed >= this.kaIdle) {
      if (this.kaProbesOut >= tcp.keepaliveProbes) {
        this.sendRst();
        this.fail(errnoError('ETIMEDOUT', 'read'));
        return;
      }
      this.emit(PK.KEEPALIVE_PROBE, this.sndUna - 1, null, 0);
      this.kaProbesOut++;
      this.armKeepalive(tcp.keepaliveInterval);
    } else {
      this.armKeepalive(this.kaIdle - elapsed);
    }
  }

  private maybeFree(): void {
    if (this.freed || !this.processClosed || !this.finAcked) return;
    if (this.finReceived) {
      this.free();
    } else if (this.finWaitRef === null) {
      // FIN_WAIT2 of an orphan: give the peer tcp_fin_timeout to close its side.
      this.finWaitRef = this.ctx.sched.at(this, this.ctx.tcp.finTimeout, T_FIN_WAIT);
    }
  }

  private free(): void {
    if (this.freed) return;
    this.freed = true;
    this.state = ST.CLOSED;
    const sched = this.ctx.sched;
    sched.cancel(this.synRef);
    sched.cancel(this.rtoRef);
    sched.cancel(this.persistRef);
    sched.cancel(this.kaRef);
    sched.cancel(this.finWaitRef);
    this.synRef = this.rtoRef = this.persistRef = this.kaRef = this.finWaitRef = null;
    this.kernel.release(this);
  }
}
