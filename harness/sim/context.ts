/**
 * What every simulated component shares within one run: the scheduler (the fake clock), the trace,
 * the wire, TCP parameters. Passed explicitly so two Simulations in one process never touch each
 * other.
 */
import type { Scheduler } from './clock.ts';
import type { SimHost } from './host.ts';
import type { Endpoint } from './tcp.ts';
import type { Trace } from './trace.ts';
import type { Wire } from './wire.ts';

/** Kernel TCP settings. Defaults follow Linux (tcp_wmem/tcp_rmem defaults, RTO bounds, retries). */
export interface TcpParams {
  /** Kernel send buffer, bytes (unsent + unacknowledged). Linux tcp_wmem default: 16384. */
  sendBuffer: number;
  /** Kernel receive buffer, bytes (received, not yet read by the process). Linux tcp_rmem default: 131072. */
  receiveBuffer: number;
  /** Retransmission timeout before any RTT sample, ms (RFC 6298: 1 s). */
  initialRto: number;
  minRto: number;
  maxRto: number;
  /** How long retransmissions go on before ETIMEDOUT, ms: Linux tcp_retries2=15 with a 200 ms base gives 924.6 s. */
  retransmitGiveUp: number;
  /** SYN retransmissions before ETIMEDOUT (tcp_syn_retries=6: 1+2+4+8+16+32+64 = 127 s). */
  synRetries: number;
  /** An orphaned socket whose FIN was acknowledged waits this long for the peer's FIN (tcp_fin_timeout). */
  finTimeout: number;
  /** Keepalive idle when setKeepAlive gets no delay (tcp_keepalive_time). */
  keepaliveDefaultIdle: number;
  /** Node/libuv: TCP_KEEPINTVL=1 s, TCP_KEEPCNT=10 once keepalive is enabled. */
  keepaliveInterval: number;
  keepaliveProbes: number;
  /** Listen backlog when the caller gives none (Node: 511). */
  backlog: number;
}

export const DEFAULT_TCP: TcpParams = {
  sendBuffer: 16_384,
  receiveBuffer: 131_072,
  initialRto: 1000,
  minRto: 200,
  maxRto: 120_000,
  retransmitGiveUp: 924_600,
  synRetries: 6,
  finTimeout: 60_000,
  keepaliveDefaultIdle: 7_200_000,
  keepaliveInterval: 1000,
  keepaliveProbes: 10,
  backlog: 511,
};

/**
 * The run's TCP settings: the defaults, overridden by what the caller gives. Built as one literal (not
 * a spread) so every run's settings object has the same hidden class: a spread copy changes class
 * after some runs, and the TCP code, which reads these on every packet, then deoptimizes.
 */
export function tcpParams(given: Partial<TcpParams> = {}): TcpParams {
  const d = DEFAULT_TCP;
  const v = <K extends keyof TcpParams>(k: K): TcpParams[K] => (k in given ? given[k] : d[k]) as TcpParams[K];
  return {
    sendBuffer: v('sendBuffer'),
    receiveBuffer: v('receiveBuffer'),
    initialRto: v('initialRto'),
    minRto: v('minRto'),
    maxRto: v('maxRto'),
    retransmitGiveUp: v('retransmitGiveUp'),
    synRetries: v('synRetries'),
    finTimeout: v('finTimeout'),
    keepaliveDefaultIdle: v('keepaliveDefaultIdle'),
    keepaliveInterval: v('keepaliveInterval'),
    keepaliveProbes: v('keepaliveProbes'),
    backlog: v('backlog'),
  };
}

/** Name and address lookups across the run's hosts. */
export interface HostDirectory {
  byName(name: string): SimHost | undefined;
  byAddress(address: string): SimHost | undefined;
}

export interface SimContext {
  readonly sched: Scheduler;
  /** Endpoints owing an ACK for data that arrived this instant (flushed before time moves on). */
  readonly acks: Endpoint[];
  readonly hosts: HostDirectory;
  readonly trace: Trace;
  readonly wire: Wire;
  readonly tcp: TcpParams;
}
