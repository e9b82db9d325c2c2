/**
 * F20: what heartbeats cost. Messages and bytes each way, per connection, split into heartbeat
 * (ping/pong), control (hello/bye) and business traffic, plus RTT and miss counts.
 */

export interface Traffic {
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface RttStats {
  samples: number;
  last: number | undefined;
  min: number | undefined;
  max: number | undefined;
  mean: number | undefined;
}

export interface ConnectionStats {
  conn: string;
  /** runtime.now() when the connection started, and how long it has been (or was) up. */
  openedAt: number;
  elapsedMs: number;
  heartbeat: Traffic & { pingsSent: number; pongsReceived: number; pingsReceived: number; pongsSent: number };
  control: Traffic;
  business: Traffic;
  /** Pings whose pong did not arrive in time (F5), in total; consecutive ones drive F11/F12. */
  misses: number;
  /** Pongs that arrived after their ping had already counted as a miss. */
  latePongs: number;
  rtt: RttStats;
}

export type TrafficClass = 'heartbeat' | 'control' | 'business';

export function emptyTraffic(): Traffic {
  return { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0 };
}

export class ConnectionMeter {
  private readonly heartbeat = {
    ...emptyTraffic(),
    pingsSent: 0,
    pongsReceived: 0,
    pingsReceived: 0,
    pongsSent: 0,
  };
  private readonly control = emptyTraffic();
  private readonly business = emptyTraffic();
  private rttSum = 0;
  private readonly rtt: RttStats = {
    samples: 0,
    last: undefined,
    min: undefined,
    max: undefined,
    mean: undefined,
  };
  misses = 0;
  latePongs = 0;
  private closedAt: number | undefined;

  constructor(
    readonly conn: string,
    readonly openedAt: number,
  ) {}

  sent(kind: TrafficClass, bytes: number, type?: 'ping' | 'pong'): void {
    const t = this[kind];
    t.messagesSent += 1;
    t.bytesSent += bytes;
    if (type === 'ping') this.heartbeat.pingsSent += 1;
    if (type === 'pong') this.heartbeat.pongsSent += 1;
  }

  received(kind: TrafficClass, bytes: number, type?: 'ping' | 'pong'): void {
    const t = this[kind];
    t.messagesReceived += 1;
    t.bytesReceived += bytes;
    if (type === 'ping') this.heartbeat.pingsReceived += 1;
    if (type === 'pong') this.heartbeat.pongsReceived += 1;
  }

  recordRtt(ms: number): void {
    const r = this.rtt;
    r.samples += 1;
    r.last = ms;
    r.min = r.min === undefined ? ms : Math.min(r.min, ms);
    r.max = r.max === undefined ? ms : Math.max(r.max, ms);
    this.rttSum += ms;
    r.mean = this.rttSum / r.samples;
  }

  close(at: number): void {
    this.closedAt ??= at;
  }

  snapshot(now: number): ConnectionStats {
    return {
      conn: this.conn,
      openedAt: this.openedAt,
      elapsedMs: Math.max(0, (this.closedAt ?? now) - this.openedAt),
      heartbeat: { ...this.heartbeat },
      control: { ...this.control },
      business: { ...this.business },
      misses: this.misses,
      latePongs: this.latePongs,
      rtt: { ...this.rtt },
    };
  }
}

/** Sums traffic over connections (a client's successive connections, or a server's live ones). */
export function sumTraffic(items: readonly Traffic[]): Traffic {
  const total = emptyTraffic();
  for (const t of items) {
    total.messagesSent += t.messagesSent;
    total.messagesReceived += t.messagesReceived;
    total.bytesSent += t.bytesSent;
    total.bytesReceived += t.bytesReceived;
  }
  return total;
}

/** Heartbeat overhead per minute of connection time, for weighing interval choices (F20). */
export function heartbeatCostPerMinute(stats: ConnectionStats): { messages: number; bytes: number } {
  if (stats.elapsedMs <= 0) return { messages: 0, bytes: 0 };
  const h = stats.heartbeat;
  const perMs = 60_000 / stats.elapsedMs;
  return {
    messages: (h.messagesSent + h.messagesReceived) * perMs,
    bytes: (h.bytesSent + h.bytesReceived) * perMs,
  };
}
