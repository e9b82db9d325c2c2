/**
 * Faults of the direct topology that Toxiproxy cannot make: partitions (one-way or both, dropping or
 * holding packets), random packet loss, silent crash and restart, process pause, clock skew, and a NAT
 * that forgets idle mappings. Each one is traced when it starts and ends, and declares its drop convention
 * (BOUNDS.md): C1 cut — deliveries arriving at or after the onset are lost, in-flight ones too;
 * C2 send-time — packets sent before the onset still arrive.
 */

import type { Convention } from '../model/index.ts';
import type { SimContext } from './context.ts';
import { SimError } from './errors.ts';
import type { SimHost } from './host.ts';
import { Packet, PK } from './packet.ts';
import type { Wire, WireFault } from './wire.ts';

export type { Convention };
export type PartitionDirection = 'both' | 'a->b' | 'b->a';

export interface PartitionOptions {
  direction?: PartitionDirection;
  /** 'drop' loses the packets (TCP retransmits them later); 'hold' queues them and releases them in order at heal. */
  mode?: 'drop' | 'hold';
  /** Default C1. */
  convention?: Convention;
}

export interface PartitionHandle {
  readonly convention: Convention;
  /** Ends the partition (held packets are released in order). Calling it again does nothing. */
  heal(): void;
}

export interface LossOptions {
  /** Default 'both'. */
  direction?: PartitionDirection;
  /** Probability in [0, 1] that a packet (any kind: data, ACK, SYN, FIN…) sent on the link is lost. */
  probability: number;
  /**
   * RTO floor (ms) of connections between the two hosts while the loss lasts — Linux's per-route
   * `rto_min`; default the kernel's (200 ms). Like Linux, it takes effect at the next RTT sample.
   */
  rtoMin?: number;
}

export interface LossHandle {
  /** Always C2: a packet's fate is drawn when it is sent (packets in flight at the onset arrive). */
  readonly convention: Convention;
  /** Ends the loss (packets already lost stay lost: TCP resends them). Calling it again does nothing. */
  heal(): void;
}

export interface NatOptions {
  /** A mapping idle for longer than this (ms) is forgotten. */
  idleTimeout: number;
  /** What happens to a packet of a forgotten mapping: lost, or answered with an RST. */
  action: 'drop' | 'rst';
}

export interface NatHandle {
  remove(): void;
}

/** `note` on packets a middlebox makes itself (they pass through it). */
const NOTE_MIDDLEBOX = 2;

export class Partition implements WireFault {
  private readonly held: Packet[] = [];
  private readonly ab: boolean;
  private readonly ba: boolean;
  active = true;

  constructor(
    private readonly ctx: SimContext,
    private readonly a: SimHost,
    private readonly b: SimHost,
    direction: PartitionDirection,
    private readonly mode: 'drop' | 'hold',
    readonly convention: Convention,
  ) {
    this.ab = direction === 'both' || direction === 'a->b';
    this.ba = direction === 'both' || direction === 'b->a';
  }

  private blocks(p: Packet): boolean {
    return (
      (this.ab && p.srcHost === this.a && p.dstHost === this.b) ||
      (this.ba && p.srcHost === this.b && p.dstHost === this.a)
    );
  }

  onSend(p: Packet, wire: Wire): boolean {
    if (this.convention !== 'C2' || !this.blocks(p)) return false;
    this.take(p, wire);
    return true;
  }

  onArrive(p: Packet, wire: Wire): boolean {
    if (this.convention !== 'C1' || !this.blocks(p)) return false;
    this.take(p, wire);
    return true;
  }

  private take(p: Packet, wire: Wire): void {
    if (this.mode === 'drop') {
      wire.drop(p, 'partition');
      return;
    }
    this.held.push(p);
    this.ctx.trace.record({
      kind: 'hold',
      reason: 'partition',
      packet: p.name,
      src: p.srcLabel,
      dst: p.dstLabel,
    });
    wire.noticeLoss(p);
  }

  heal(wire: Wire): void {
    if (!this.active) return;
    this.active = false;
    const i = wire.faults.indexOf(this);
    if (i >= 0) wire.faults.splice(i, 1);
    this.ctx.trace.record({
      kind: 'fault.off',
      fault: 'partition',
      a: this.a.name,
      b: this.b.name,
      released: this.held.length,
    });
    for (const p of this.held) {
      // C1 held them at the receiving end: they arrive now. C2 held them at the sender: they leave now.
      if (this.convention === 'C1') this.ctx.sched.at(wire, 0, p);
      else wire.transmit(p);
    }
    this.held.length = 0;
  }
}

/**
 * Random loss on the link between two hosts: each packet sent in a covered direction is lost with the
 * given probability, drawn from the run's seeded generator (one stream per loss fault), so a seed
 * replays the same losses. TCP recovers through its retransmission timer (tcp.ts): a lost segment is
 * resent one RTO after the timer started, doubling while it keeps being lost — "loss seen as
 * retransmission delay" (ARCHITECTURE.md).
 */
export class Loss implements WireFault {
  private readonly ab: boolean;
  private readonly ba: boolean;
  active = true;

  constructor(
    private readonly ctx: SimContext,
    private readonly a: SimHost,
    private readonly b: SimHost,
    direction: PartitionDirection,
    private readonly probability: number,
    private readonly floor: number | undefined,
    private readonly random: () => number,
  ) {
    this.ab = direction === 'both' || direction === 'a->b';
    this.ba = direction === 'both' || direction === 'b->a';
  }

  onSend(p: Packet, wire: Wire): boolean {
    const covered =
      (this.ab && p.srcHost === this.a && p.dstHost === this.b) ||
      (this.ba && p.srcHost === this.b && p.dstHost === this.a);
    // One draw per covered packet, so the losses depend only on the seed and the packet order.
    if (!covered || this.random() >= this.probability) return false;
    wire.drop(p, 'loss');
    return true;
  }

  onArrive(): boolean {
    return false;
  }

  rtoMin(x: SimHost, y: SimHost | null): number | undefined {
    if (this.floor === undefined) return undefined;
    return (x === this.a && y === this.b) || (x === this.b && y === this.a) ? this.floor : undefined;
  }

  heal(wire: Wire): void {
    if (!this.active) return;
    this.active = false;
    const i = wire.faults.indexOf(this);
    if (i >= 0) wire.faults.splice(i, 1);
    this.ctx.trace.record({ kind: 'fault.off', fault: 'loss', a: this.a.name, b: this.b.name });
  }
}

export class Nat implements WireFault {
  /** Keyed by aPort * 65536 + bPort: last time a packet of that connection passed. */
  private readonly mappings = new Map<number, number>();
  active = true;

  constructor(
    private readonly ctx: SimContext,
    private readonly a: SimHost,
    private readonly b: SimHost,
    private readonly opts: NatOptions,
  ) {
    // Connections already open when the NAT appears are mapped as of now.
    const now = ctx.sched.now();
    for (const ep of a.kernel.endpoints) {
      if (ep.remoteHost === b && !ep.freed) this.mappings.set(ep.localPort * 65536 + ep.remotePort, now);
    }
  }

  /** The NAT sits next to host `a`: a's packets meet it when sent, b's when they arrive. */
  onSend(p: Packet, wire: Wire): boolean {
    if (p.srcHost !== this.a || p.dstHost !== this.b) return false;
    return this.check(p, p.srcPort * 65536 + p.dstPort, wire, true);
  }

  onArrive(p: Packet, wire: Wire): boolean {
    if (p.srcHost !== this.b || p.dstHost !== this.a) return false;
    return this.check(p, p.dstPort * 65536 + p.srcPort, wire, false);
  }

  private check(p: Packet, key: number, wire: Wire, outbound: boolean): boolean {
    if (p.note === NOTE_MIDDLEBOX) return false;
    const now = this.ctx.sched.now();
    let seen = this.mappings.get(key);
    if (seen !== undefined && now - seen > this.opts.idleTimeout) {
      this.mappings.delete(key);
      this.ctx.trace.record({
        kind: 'nat.expire',
        a: this.a.name,
        b: this.b.name,
        aPort: key >>> 16,
        bPort: key & 0xffff,
      });
      seen = undefined;
    }
    if (seen === undefined) {
      if (p.kind !== PK.SYN) {
        wire.drop(p, 'nat');
        if (this.opts.action === 'rst' && p.kind !== PK.RST) this.answerRst(p, wire, outbound);
        return true;
      }
    }
    this.mappings.set(key, now);
    return false;
  }

  /** The NAT answers the sender with an RST that looks as if it came from the other end. */
  private answerRst(p: Packet, wire: Wire, outbound: boolean): void {
    const rst = new Packet(
      PK.RST,
      null,
      p.dstHost as SimHost,
      p.dstPort,
      p.srcHost,
      p.srcPort,
      p.src,
      p.ack,
      0,
      0,
      null,
      NOTE_MIDDLEBOX,
      '',
    );
    this.ctx.trace.record({ kind: 'nat.rst', to: p.srcLabel });
    // Next to a: an RST to a arrives at once; one to b crosses the link back.
    if (outbound) this.ctx.sched.at(wire, 0, rst);
    else wire.transmit(rst);
  }

  remove(wire: Wire): void {
    if (!this.active) return;
    this.active = false;
    const i = wire.faults.indexOf(this);
    if (i >= 0) wire.faults.splice(i, 1);
    this.ctx.trace.record({ kind: 'fault.off', fault: 'nat', a: this.a.name, b: this.b.name });
  }
}

export function checkDelay(name: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new SimError('SIM_BAD_ARGUMENT', `${name} must be a finite number of ms >= 0, got ${String(ms)}`);
  }
  return ms;
}
