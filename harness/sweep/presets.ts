/**
 * Real-world heartbeat settings (BOUNDS.md "Real-world settings worth shipping as presets") mapped
 * onto the reference configuration — ping interval I, pong timeout T, server read deadline R, miss
 * threshold N and reconnect backoff — so `flatline sweep --preset grpc,mqtt` runs them over the same
 * scenarios, latency profiles and seeds as the grid and a user can see where their own numbers stand.
 *
 * The reference model is a fixed-rate pinger (ping every I, a ping without its pong after T is a
 * miss, N misses in a row disconnect) and a server that drops a connection silent for R. Every
 * mapping below says what it approximates: systems that ping from the server side, count
 * outstanding pings, probe only when idle or adapt their threshold are brought onto that model with
 * the detection window and the idle overhead kept as close as the model allows.
 */
import type { SweepBackoff, SweepConfig } from '../result.ts';
import { formatDuration } from '../scenario/duration.ts';
import { didYouMean } from '../scenario/issues.ts';
import { REFERENCE_DEFAULTS } from '../subjects/reference-config.ts';
import { fromConfig } from './backoff.ts';
import { ValueError } from './errors.ts';

export interface Preset {
  /** What `--preset` takes. */
  id: string;
  /** Other names accepted for it. */
  aliases?: readonly string[];
  /** Shown in reports, e.g. "Socket.IO / engine.io". */
  name: string;
  /** Where the numbers come from. */
  source: string;
  config: SweepConfig;
  /** Reference settings outside SweepConfig the mapping needs (ms). */
  extra?: { connectTimeout?: number };
  /** What the mapping approximates, and what it cannot express. */
  approximates: string;
  /**
   * The unmodified library this preset is, when flatline ships it as a subject: the sweep runs the
   * real library with these settings (its own names) instead of the reference mapping above, which
   * then only gives the cell's latency tolerance.
   */
  library?: { subject: string; config: Record<string, unknown> };
}

const S = 1000;
const M = 60 * S;
const H = 60 * M;

const SEED_BACKOFF: SweepBackoff = fromConfig(REFERENCE_DEFAULTS.backoff);
const D = REFERENCE_DEFAULTS;
const GRPC_BACKOFF: SweepBackoff = {
  base: 1 * S,
  cap: 120 * S,
  multiplier: 1.6,
  jitter: 0.2,
  variant: 'grpc',
};

function config(
  interval: number,
  pongTimeout: number,
  readDeadline: number,
  missThreshold: number,
  backoff: SweepBackoff = SEED_BACKOFF,
): SweepConfig {
  return { interval, pongTimeout, readDeadline, missThreshold, backoff: { ...backoff } };
}

export const PRESETS: readonly Preset[] = [
  {
    id: 'seed',
    aliases: ['defaults', 'seed-defaults', 'reference'],
    name: 'seed defaults',
    source:
      'SEED-SPEC.md F1/F4/F5/F12/F13: ping 30 s, pong 5–10 s, read 45 s, N = 3, backoff 1 s→60 s + 0–1 s',
    config: config(D.interval, D.pongTimeout, D.readDeadline, D.missThreshold),
    approximates: `the reference implementation's defaults (the articles give a 5–10 s pong timeout; the default is ${formatDuration(D.pongTimeout)}). Exact otherwise: this is the model itself.`,
  },
  {
    id: 'linux-keepalive',
    aliases: ['tcp-keepalive', 'linux'],
    name: 'Linux TCP keepalive',
    source: 'net.ipv4.tcp_keepalive_time 7200 s, _intvl 75 s, _probes 9',
    config: config(7200 * S, 675 * S, 7875 * S, 1),
    approximates:
      'keepalive probes only after 7200 s idle, then 9 probes 75 s apart: as one ping every 7200 s whose answer may take 9 × 75 = 675 s, detection lands in [675 s, 7875 s) as the kernel’s does; R = 7875 s is the server kernel’s own keepalive. It cannot model that keepalive sees only the next hop: through a proxy the proxy answers the probes and it never fires (BOUNDS.md).',
  },
  {
    id: 'node-keepalive',
    aliases: ['node', 'setkeepalive'],
    name: 'Node setKeepAlive(true, 60 s)',
    source: 'Node/libuv: idle d (F7: 60 s), then 10 probes 1 s apart',
    config: config(60 * S, 10 * S, 70 * S, 1),
    approximates:
      'idle d = 60 s (the seed’s F7 period), then 10 unanswered probes 1 s apart: as a ping every 60 s with 10 s for its answer; R = 70 s is the peer’s keepalive. Like any keepalive it sees only the next hop (a proxy answers for the server).',
  },
  {
    id: 'grpc',
    aliases: ['grpc-keepalive'],
    name: 'gRPC keepalive (5 min)',
    source:
      'keepalive_time ≥ 5 min without calls (servers’ default min_recv_ping_interval, else GOAWAY too_many_pings), keepalive_timeout 20 s; server keepalive 2 h + 20 s; connect backoff 1 s × 1.6 → 120 s ± 20 %, min connect timeout 20 s',
    config: config(5 * M, 20 * S, 2 * H + 20 * S, 1, GRPC_BACKOFF),
    extra: { connectTimeout: 20 * S },
    library: { subject: 'grpc', config: { keepaliveTime: 5 * M, keepaliveTimeout: 20 * S } },
    approximates:
      'client keepalive is off by default; 5 min is the fastest a default server accepts on an idle channel. The server side is its own 2 h keepalive (R = 2 h 20 s). HTTP/2 PING frames become the reference ping/pong.',
  },
  {
    id: 'grpc-10s',
    aliases: ['grpc-fast'],
    name: 'gRPC keepalive (10 s)',
    source:
      'keepalive_time 10 s (the client minimum), keepalive_timeout 20 s, server permits it; gRPC connect backoff',
    config: config(10 * S, 20 * S, 2 * H + 20 * S, 1, GRPC_BACKOFF),
    extra: { connectTimeout: 20 * S },
    approximates:
      'needs the server to allow it (permit_keepalive_time ≤ 10 s, permit_without_calls), otherwise it is answered with GOAWAY too_many_pings. The 20 s timeout is longer than the interval: pings overlap, as gRPC’s do not (it waits for the ack before the next ping); detection time is the same.',
  },
  {
    id: 'grpc-backoff',
    aliases: ['grpc-connect-backoff'],
    name: 'gRPC connect backoff',
    source: 'connection backoff: base 1 s, multiplier 1.6, jitter ±0.2, cap 120 s, min connect timeout 20 s',
    config: config(D.interval, D.pongTimeout, D.readDeadline, D.missThreshold, GRPC_BACKOFF),
    extra: { connectTimeout: 20 * S },
    approximates:
      'the seed heartbeat with gRPC’s reconnect backoff instead of F13’s, to compare reconnect times; gRPC applies the jitter after the cap, as the grpc policy does.',
  },
  {
    id: 'socketio',
    aliases: ['socket.io', 'engine.io', 'engineio'],
    name: 'Socket.IO / engine.io',
    source: 'pingInterval 25 s, pingTimeout 20 s; client reconnection 1 s → 5 s, × 2, randomization 0.5',
    library: {
      subject: 'socket.io',
      config: {
        pingInterval: 25 * S,
        pingTimeout: 20 * S,
        reconnectionDelay: 1 * S,
        reconnectionDelayMax: 5 * S,
      },
    },
    config: config(25 * S, 20 * S, 45 * S, 1, {
      base: 1 * S,
      cap: 5 * S,
      multiplier: 2,
      jitter: 0.5,
      variant: 'grpc',
    }),
    approximates:
      'engine.io’s server pings and the client answers; here the pinger is the client (same I and T), and the engine.io client’s rule "no ping for pingInterval + pingTimeout" becomes the server read deadline R = 45 s. Socket.IO jitters before the 5 s cap, the grpc policy after it.',
  },
  {
    id: 'mqtt',
    aliases: ['mqtt.js', 'mqttjs'],
    name: 'MQTT (mqtt.js, keepalive 60 s)',
    source:
      'mqtt.js: PINGREQ after K = 60 s, timeout at 1.5·K; broker drops after 1.5·K; reconnectPeriod 1 s',
    library: { subject: 'mqtt', config: { keepalive: 60, reconnectPeriod: 1 * S } },
    config: config(60 * S, 30 * S, 90 * S, 1, {
      base: 1 * S,
      cap: 1 * S,
      multiplier: 1,
      jitter: 0,
      variant: 'seed',
    }),
    approximates:
      'mqtt.js sends PINGREQ K after the last reschedule and gives up at 1.5·K, so T = K/2; the broker’s 1.5·K rule is R. Any other packet also resets MQTT’s timers (here only heartbeats flow). Reconnect every 1 s, no backoff.',
  },
  {
    id: 'nats',
    name: 'NATS',
    source: 'ping_interval 2 min, max_pings_out 2; reconnectTimeWait 2 s + jitter 100 ms',
    library: {
      subject: 'nats',
      config: { pingInterval: 2 * M, maxPingOut: 2, reconnectTimeWait: 2 * S, serverPingInterval: 2 * M },
    },
    config: config(2 * M, 2 * M, 6 * M, 2, {
      base: 2 * S,
      cap: 2 * S,
      multiplier: 1,
      jitter: 100,
      variant: 'seed',
    }),
    approximates:
      'the client declares the connection stale when a ping is due with 2 still unanswered: T = I (a pong is late once the next ping is due) and N = 2 give the same [2·I, 3·I) window. The server runs the same rule on its side (R = 3·I).',
  },
  {
    id: 'kafka',
    aliases: ['kafka-consumer'],
    name: 'Kafka consumer',
    source:
      'heartbeat.interval.ms 3 s, session.timeout.ms 45 s, request.timeout.ms 30 s; reconnect.backoff 50 ms → 1 s ± 20 %',
    config: config(3 * S, 30 * S, 45 * S, 1, {
      base: 50,
      cap: 1 * S,
      multiplier: 2,
      jitter: 0.2,
      variant: 'grpc',
    }),
    approximates:
      'the coordinator (the server here) evicts a member silent for the 45 s session timeout (R); the consumer notices a dead coordinator when a heartbeat request is unanswered for request.timeout.ms (T = 30 s, overlapping pings). Rebalances and the poll-interval rule are not modelled.',
  },
  {
    id: 'akka',
    aliases: ['akka-phi', 'phi-accrual'],
    name: 'Akka phi accrual (≈ fixed timeout)',
    source:
      'heartbeat-interval 1 s, threshold φ = 8, acceptable-heartbeat-pause 3 s, min-std-deviation 100 ms',
    config: config(1 * S, 3600, 4600, 1),
    approximates:
      'φ accrual suspects when −log₁₀(1 − F(t)) ≥ 8 for the time t since the last heartbeat, F normal with mean 1 s + 3 s pause and σ ≥ 100 ms: t ≈ 4 s + 5.6 σ ≈ 4.6 s on a steady path. As a fixed timeout: silence of 4.6 s, so T = 3.6 s (the first unanswered ping is within 1 s of the last answer) and R = 4.6 s. φ adapts to the observed spread — on a jittery path Akka’s threshold grows and this one does not.',
  },
];

/** Every preset id and alias, for messages. */
export function presetNames(): string[] {
  return PRESETS.map((p) => p.id);
}

export function findPreset(name: string): Preset | undefined {
  const n = name.trim().toLowerCase();
  return PRESETS.find((p) => p.id === n || (p.aliases ?? []).includes(n));
}

/** A comma-separated (or listed) set of presets; `all` selects every one. Throws ValueError. */
export function parsePresets(input: string | readonly string[]): Preset[] {
  const items = typeof input === 'string' ? input.split(',') : [...input];
  const out: Preset[] = [];
  items.forEach((item, index) => {
    const name = item.trim();
    if (name.toLowerCase() === 'all') {
      for (const p of PRESETS) if (!out.includes(p)) out.push(p);
      return;
    }
    const p = findPreset(name);
    if (!p) {
      const all = PRESETS.flatMap((x) => [x.id, ...(x.aliases ?? [])]);
      const guess = didYouMean(name, all);
      throw new ValueError(
        `unknown preset "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}: use ${presetNames().join(', ')} or all (flatline sweep --list-presets)`,
        typeof input === 'string' ? undefined : index,
      );
    }
    if (!out.includes(p)) out.push(p);
  });
  return out;
}
