/**
 * The network between hosts: one FIFO link per ordered host pair with a latency (and optional
 * jitter drawn from the run's seeded generator, never reordering, like TCP over one path), and the
 * hooks through which faults (partitions, NAT) see each packet at send time and at arrival time.
 */
import type { TimerTarget } from './clock.ts';
import type { SimContext } from './context.ts';
import type { SimHost } from './host.ts';
import { NOTE_KEEPALIVE_ACK, PACKET_NAMES, type Packet, PK } from './packet.ts';

const jsonBytes = (label: string): Uint8Array => Buffer.from(JSON.stringify(label), 'utf8');

export class Link {
  /** Arrival time of the last packet scheduled on this link (FIFO: nothing arrives before it). */
  lastArrival = 0;
  constructor(
    public latency: number,
    public jitter: number,
    public random: (() => number) | null,
  ) {}

  /** One-way delay for the next packet: latency ± jitter (an integer, never negative). */
  delay(): number {
    if (this.jitter <= 0 || this.random === null) return this.latency;
    const j = Math.floor(this.random() * (2 * this.jitter + 1)) - this.jitter;
    const d = this.latency + j;
    return Math.max(d, 0);
  }
}

/** A fault on the path: may take a packet (drop it or hold it) when it is sent or when it arrives. */
export interface WireFault {
  /** True if the fault took the packet at send time. */
  onSend(p: Packet, wire: Wire): boolean;
  /** True if the fault took the packet on arrival. */
  onArrive(p: Packet, wire: Wire): boolean;
  /**
   * The RTO floor this fault puts on the route between two hosts (Linux `ip route … rto_min`), or
   * undefined when it leaves the kernel's own.
   */
  rtoMin?(a: SimHost, b: SimHost | null): number | undefined;
}

export class Wire implements TimerTarget<Packet> {
  private ctx!: SimContext;
  /** links[src.index][dst.index] */
  private readonly links: Link[][] = [];
  readonly faults: WireFault[] = [];
  /** Packets sent (for benchmarks). */
  sent = 0;

  constructor(
    private readonly defaultLatency: number,
    private readonly randomFor: (component: string) => () => number,
    private readonly hostByIndex: (index: number) => SimHost,
  ) {}

  attach(ctx: SimContext): void {
    this.ctx = ctx;
  }

  link(src: SimHost, dst: SimHost): Link {
    let row = this.links[src.index];
    if (!row) {
      row = [];
      this.links[src.index] = row;
    }
    let l = row[dst.index];
    if (!l) {
      l = new Link(src === dst ? 0 : this.defaultLatency, 0, null);
      row[dst.index] = l;
    }
    return l;
  }

  setLatency(src: SimHost, dst: SimHost, latency: number, jitter: number): void {
    const l = this.link(src, dst);
    l.latency = latency;
    l.jitter = jitter;
    l.random = jitter > 0 ? this.randomFor(`link:${src.name}->${dst.name}`) : null;
  }

  /** Worst round trip the links could give between a and b (for the retransmission-timer shortcut). */
  maxRoundTrip(a: SimHost, b: SimHost | null): number {
    if (b === null) return Number.POSITIVE_INFINITY;
    const ab = this.link(a, b);
    const ba = this.link(b, a);
    return ab.latency + ab.jitter + ba.latency + ba.jitter;
  }

  /** RTO floor for a connection from `a` to `b`: the latest fault that sets one on that route, else `kernelMin`. */
  rtoFloor(a: SimHost, b: SimHost | null, kernelMin: number): number {
    const faults = this.faults;
    for (let i = faults.length - 1; i >= 0; i--) {
      const v = (faults[i] as WireFault).rtoMin?.(a, b);
      if (v !== undefined) return v;
    }
    return kernelMin;
  }

  send(p: Packet): void {
    this.sent++;
    const ctx = this.ctx;
    const src = p.src;
    const dst = p.dst;
    // Pure ACKs are not traced (their timing follows from the data they acknowledge); a lost one is.
    if (p.kind !== PK.ACK || p.note !== 0) {
      const trace = ctx.trace;
      const name = p.name;
      const dstJson = dst !== null ? dst.labelJson : jsonBytes(p.dstLabel);
      let head: Uint8Array;
      if (src !== null) {
        // An endpoint's packets all go to the same peer: their line heads are kept per name.
        if (src.traceHeadsDst !== dstJson) {
          src.traceHeads = [];
          src.traceHeadsDst = dstJson;
        }
        const i = p.note === NOTE_KEEPALIVE_ACK ? PACKET_NAMES.length : p.kind;
        let h = src.traceHeads[i];
        if (h === undefined) {
          h = trace.packetHead(name, src.labelJson, dstJson);
          src.traceHeads[i] = h;
        }
        head = h;
      } else {
        head = trace.packetHead(name, jsonBytes(p.srcLabel), dstJson);
      }
      trace.packet(
        head,
        p.data,
        trace.retained ? trace.packetEvent(name, p.srcLabel, p.dstLabel, p.data) : null,
      );
    }
    if (p.dstHost === null) {
      this.drop(p, 'no-route');
      return;
    }
    if (p.srcHost.down) {
      this.drop(p, 'host-down');
      return;
    }
    const faults = this.faults;
    for (let i = 0; i < faults.length; i++) if ((faults[i] as WireFault).onSend(p, this)) return;
    this.transmit(p);
  }

  /** Puts a packet on its link (after the send-time fault checks). */
  transmit(p: Packet): void {
    const link = this.link(p.srcHost, p.dstHost as SimHost);
    const now = this.ctx.sched.now();
    let arrival = now + link.delay();
    if (arrival < link.lastArrival) arrival = link.lastArrival;
    link.lastArrival = arrival;
    this.ctx.sched.at(this, arrival - now, p);
  }

  onTimer(p: Packet): void {
    const faults = this.faults;
    for (let i = 0; i < faults.length; i++) if ((faults[i] as WireFault).onArrive(p, this)) return;
    this.deliver(p);
  }

  /** Hands a packet to its destination kernel (after the arrival-time fault checks). */
  deliver(p: Packet): void {
    const host = p.dstHost as SimHost;
    if (host.down) {
      this.drop(p, 'host-down');
      return;
    }
    host.kernel.receive(p);
  }

  /** A lost packet: traced, and both ends of its connection learn that their timers now matter. */
  drop(p: Packet, reason: string): void {
    this.ctx.trace.record({ kind: 'drop', reason, packet: p.name, src: p.srcLabel, dst: p.dstLabel });
    this.noticeLoss(p);
  }

  /** A packet held (not lost yet): the ends' retransmission timers run as in a real stack. */
  noticeLoss(p: Packet): void {
    p.src?.lossNotice();
    p.dst?.lossNotice();
  }

  hostAt(index: number): SimHost {
    return this.hostByIndex(index);
  }
}
