/**
 * A host's TCP tables: listeners, connections, local ports, and the demultiplexing of arriving
 * packets. A packet for a connection the kernel does not have (closed, never existed, or from before
 * a restart) is answered with an RST, as a real kernel does; a SYN for a port nobody listens on too
 * (the caller sees ECONNREFUSED).
 */
import type { SimContext } from './context.ts';
import { listenError, type SystemError } from './errors.ts';
import type { SimHost } from './host.ts';
import { Packet, PK } from './packet.ts';
import { Endpoint, ST } from './tcp.ts';

/** The process side of a listener (a SimServer). */
export interface ListenerOwner {
  /** A connection completed its handshake and waits in the accept queue. */
  onAcceptable(): void;
}

export class Listener {
  /** Handshake done, waiting for the process to accept. */
  readonly acceptQueue: Endpoint[] = [];
  /** SYN received, SYN-ACK sent, keyed by the client's endpoint. */
  readonly halfOpen = new Map<Endpoint, Endpoint>();
  closed = false;
  constructor(
    readonly kernel: Kernel,
    /** '0.0.0.0' (any), '127.0.0.1', or the host's address. */
    readonly address: string,
    readonly port: number,
    readonly backlog: number,
    public owner: ListenerOwner | null,
  ) {}
}

const EPHEMERAL_LOW = 32768;
const EPHEMERAL_HIGH = 60999;

export class Kernel {
  readonly listeners = new Map<number, Listener>();
  readonly endpoints = new Set<Endpoint>();
  /** Local ports held by connections (refcount). */
  private readonly ports = new Map<number, number>();
  private nextEphemeral = EPHEMERAL_LOW;
  alive = true;

  constructor(
    readonly ctx: SimContext,
    readonly host: SimHost,
    readonly epoch: number,
  ) {}

  /** The next free port of Linux's default ephemeral range, in order (deterministic). */
  allocatePort(): number {
    for (let i = 0; i <= EPHEMERAL_HIGH - EPHEMERAL_LOW; i++) {
      const p = this.nextEphemeral;
      this.nextEphemeral = p >= EPHEMERAL_HIGH ? EPHEMERAL_LOW : p + 1;
      if (!this.listeners.has(p) && !this.ports.has(p)) return p;
    }
    throw new Error(`sim host '${this.host.name}': no free ephemeral port`);
  }

  listen(address: string, port: number, backlog: number, owner: ListenerOwner): Listener | SystemError {
    const p = port === 0 ? this.allocatePort() : port;
    if (this.listeners.has(p)) return listenError('EADDRINUSE', address, p);
    const l = new Listener(this, address, p, backlog, owner);
    this.listeners.set(p, l);
    return l;
  }

  /** Closes a listening socket: connections not yet accepted are reset, as Linux does. */
  unlisten(l: Listener): void {
    if (l.closed) return;
    l.closed = true;
    l.owner = null;
    if (this.listeners.get(l.port) === l) this.listeners.delete(l.port);
    for (const ep of [...l.acceptQueue, ...l.halfOpen.values()]) ep.closeFromProcess(true);
    l.acceptQueue.length = 0;
    l.halfOpen.clear();
  }

  /** A client connection from `localAddress` to remote; sends the SYN. */
  connect(
    localAddress: string,
    remoteHost: SimHost | null,
    remoteAddress: string,
    remotePort: number,
  ): Endpoint {
    const port = this.allocatePort();
    const ep = new Endpoint(
      this.ctx,
      this,
      this.host,
      localAddress,
      port,
      remoteHost,
      remoteAddress,
      remotePort,
      ST.SYN_SENT,
    );
    this.hold(ep);
    return ep;
  }

  private hold(ep: Endpoint): void {
    this.endpoints.add(ep);
    this.ports.set(ep.localPort, (this.ports.get(ep.localPort) ?? 0) + 1);
  }

  /** The endpoint is gone from the kernel (closed, reset, timed out). */
  release(ep: Endpoint): void {
    if (!this.endpoints.delete(ep)) return;
    const n = (this.ports.get(ep.localPort) ?? 1) - 1;
    if (n <= 0) this.ports.delete(ep.localPort);
    else this.ports.set(ep.localPort, n);
    const l = this.listeners.get(ep.localPort);
    if (l && ep.peer) {
      if (l.halfOpen.get(ep.peer) === ep) l.halfOpen.delete(ep.peer);
    }
  }

  /** A server-side endpoint finished its handshake. */
  established(ep: Endpoint): void {
    const l = this.listeners.get(ep.localPort);
    if (!l || !ep.peer) return;
    l.halfOpen.delete(ep.peer);
    l.acceptQueue.push(ep);
    l.owner?.onAcceptable();
  }

  receive(p: Packet): void {
    if (p.kind === PK.SYN) {
      this.onSyn(p);
      return;
    }
    const ep = p.dst;
    if (ep === null || ep.freed || ep.kernel !== this) {
      if (p.kind !== PK.RST) this.replyRst(p);
      return;
    }
    ep.receive(p);
  }

  private onSyn(p: Packet): void {
    const l = this.listeners.get(p.dstPort);
    const src = p.src as Endpoint;
    if (!l || (l.address !== '0.0.0.0' && l.address !== p.dstAddr)) {
      this.ctx.trace.record({ kind: 'refused', src: p.srcLabel, dst: `${this.host.name}:${p.dstPort}` });
      this.replyRst(p);
      return;
    }
    const existing = l.halfOpen.get(src);
    if (existing) {
      existing.resendSynAck();
      return;
    }
    if (l.halfOpen.size + l.acceptQueue.length >= l.backlog) {
      this.ctx.trace.record({
        kind: 'drop',
        reason: 'backlog',
        src: p.srcLabel,
        dst: `${this.host.name}:${p.dstPort}`,
      });
      return;
    }
    const ep = new Endpoint(
      this.ctx,
      this,
      this.host,
      p.dstAddr,
      p.dstPort,
      p.srcHost,
      src.localAddress,
      p.srcPort,
      ST.SYN_RCVD,
    );
    this.endpoints.add(ep);
    // Accepted connections share the listener's port: count them so the port is not handed out.
    this.ports.set(ep.localPort, (this.ports.get(ep.localPort) ?? 0) + 1);
    l.halfOpen.set(src, ep);
    ep.acceptSyn(p);
  }

  /** An RST for a packet no socket here wants (never an RST for an RST). */
  replyRst(p: Packet): void {
    this.ctx.wire.send(
      new Packet(PK.RST, null, this.host, p.dstPort, p.srcHost, p.srcPort, p.src, p.ack, 0, 0, null, 0, ''),
    );
  }

  /** Crash: every connection and listener vanishes without a packet. */
  wipe(): void {
    this.alive = false;
    for (const l of this.listeners.values()) {
      l.closed = true;
      l.owner = null;
    }
    this.listeners.clear();
    for (const ep of [...this.endpoints]) ep.wipe();
    this.endpoints.clear();
    this.ports.clear();
  }
}
