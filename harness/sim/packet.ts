/**
 * What travels on the simulated wire. Sequence numbers count payload bytes from 0 in each direction
 * (the SYN takes none, the FIN takes one), which is all the model needs to order, acknowledge and
 * retransmit.
 */
import type { SimHost } from './host.ts';
import type { Endpoint } from './tcp.ts';

export const PK = {
  SYN: 0,
  SYN_ACK: 1,
  ACK: 2,
  DATA: 3,
  FIN: 4,
  RST: 5,
  KEEPALIVE_PROBE: 6,
  WINDOW_PROBE: 7,
} as const;
export type PacketKind = (typeof PK)[keyof typeof PK];

/** Trace names, by kind. */
export const PACKET_NAMES = ['syn', 'syn-ack', 'ack', 'data', 'fin', 'rst', 'ka-probe', 'win-probe'] as const;

/** `note` on an ACK that answers a keepalive probe (traced as `ka-ack`). */
export const NOTE_KEEPALIVE_ACK = 1;
/** `note` on the ACK that completes a handshake (traced; other pure ACKs are not). */
export const NOTE_HANDSHAKE_ACK = 3;

export class Packet {
  constructor(
    readonly kind: PacketKind,
    /** The sending endpoint; null for an RST a kernel or middlebox sends on behalf of no socket. */
    readonly src: Endpoint | null,
    readonly srcHost: SimHost,
    readonly srcPort: number,
    /** null when the destination address belongs to no host (the packet goes nowhere). */
    readonly dstHost: SimHost | null,
    readonly dstPort: number,
    /** The endpoint this packet is for, when the sender knows it (everything but a SYN). */
    readonly dst: Endpoint | null,
    readonly seq: number,
    readonly ack: number,
    readonly win: number,
    readonly data: Buffer | null,
    readonly note: number,
    /** The address the sender dialed (SYN only: selects the listener's bind address). */
    readonly dstAddr: string,
  ) {}

  get name(): string {
    return this.note === NOTE_KEEPALIVE_ACK ? 'ka-ack' : PACKET_NAMES[this.kind];
  }

  get srcLabel(): string {
    return this.src ? this.src.label : `${this.srcHost.name}:${this.srcPort}`;
  }

  get dstLabel(): string {
    return this.dst ? this.dst.label : `${this.dstHost ? this.dstHost.name : this.dstAddr}:${this.dstPort}`;
  }
}
