/**
 * Realistic report inputs, computed the way the harness would produce them: heartbeat lanes derived
 * from the protocol (ping every I, pong after the round trip, nothing delivered through a
 * black-hole), detections placed where BOUNDS.md says and checked against those bounds, reconnects
 * after heal, a parity table, and a 3×3 sweep with presets and a recommendation. Deterministic:
 * the only randomness is a seeded mulberry32.
 */

import { summarize } from '../../harness/observe/samples.ts';
import type {
  ConnectionLane,
  Detection,
  ExpectationVerdict,
  GoalVerdict,
  LaneEvent,
  ParityRow,
  Reconnect,
  SampleStats,
  ScenarioResult,
  Side,
  SweepCell,
  SweepConfig,
  SweepPreset,
  SweepResult,
} from '../../harness/result.ts';

export const HOUR = 3_600_000;
const PING_BYTES = 58;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One-way delivery: arrival time of bytes sent at `t`, or undefined when the fault drops them. */
export type Leg = (t: number) => number | undefined;

export function constantLeg(delay: number, drops: { from: number; until: number }[] = []): Leg {
  return (t) => {
    // C1 cut: anything arriving inside a drop window is lost.
    const arrival = t + delay;
    return drops.some((d) => arrival >= d.from && arrival < d.until) ? undefined : arrival;
  };
}

export interface LaneOptions {
  conn: string;
  client: string;
  opened: number;
  /** When the client stops pinging (its detection or the end of the run). */
  clientEnd: number;
  /** When the server stops answering (its detection or the end of the run). */
  serverEnd: number;
  interval: number;
  up: Leg;
  down: Leg;
  closed?: number;
  extra?: LaneEvent[];
}

/** A connection's swimlane: connect, then a ping every interval and the pong that comes back. */
export function heartbeatLane(o: LaneOptions): ConnectionLane {
  const events: LaneEvent[] = [
    { t: o.opened, kind: 'connect', side: 'client' },
    { t: o.opened, kind: 'connect', side: 'server' },
  ];
  let seq = 0;
  for (let t = o.opened + o.interval; t < o.clientEnd; t += o.interval) {
    seq++;
    events.push({ t, kind: 'ping', side: 'client', label: `seq ${seq}` });
    const atServer = o.up(t);
    if (atServer === undefined || atServer >= o.serverEnd) continue;
    events.push({ t: atServer, kind: 'ping', side: 'server', label: `seq ${seq}` });
    events.push({ t: atServer, kind: 'pong', side: 'server', label: `seq ${seq}` });
    const atClient = o.down(atServer);
    if (atClient === undefined || atClient >= o.clientEnd) continue;
    events.push({ t: atClient, kind: 'pong', side: 'client', label: `seq ${seq}` });
  }
  events.push(...(o.extra ?? []));
  events.sort((a, b) => a.t - b.t);
  const lane: ConnectionLane = { conn: o.conn, client: o.client, opened: o.opened, events };
  if (o.closed !== undefined) lane.closed = o.closed;
  return lane;
}

function detection(
  side: Side,
  conn: string,
  reason: string,
  at: number,
  fault: { id: string; at: number },
  bound: { min: number; max: number; why: string },
): Detection {
  const delta = at - fault.at;
  return {
    side,
    conn,
    reason,
    at,
    fault: fault.id,
    delta,
    bound,
    withinBound: delta >= bound.min && delta < bound.max,
  };
}

function verdict(name: string, passed: boolean, detail: string): ExpectationVerdict {
  return { name, passed, detail };
}

const ENV = (backend: string, scale: number): Record<string, string> => ({
  flatline: '0.1.0',
  node: 'v20.20.2',
  platform: 'linux x64',
  backend,
  timeScale: String(scale),
  toxiproxy: backend === 'toxiproxy' ? '2.12.0' : 'simulated',
  subject: 'reference impl (impl/)',
});

export interface BlackHoleOptions {
  seed?: number;
  interval?: number;
  pongTimeout?: number;
  readDeadline?: number;
  duration?: number;
  faultAt?: number;
  healAt?: number;
  oneWay?: number;
  scenario?: string;
}

/**
 * BOUNDS.md client black-hole (C1, ρ = r): first unanswered ping is the first with t_k ≥ f − ρ, so
 * Δ ∈ [T − ρ, T − ρ + I); server read deadline (C1): Δ ∈ [R − I, R).
 */
export function blackHoleRun(o: BlackHoleOptions = {}): ScenarioResult {
  const I = o.interval ?? 5000;
  const T = o.pongTimeout ?? 2000;
  const R = o.readDeadline ?? 12_000;
  const d = o.oneWay ?? 20;
  const duration = o.duration ?? HOUR;
  const f = o.faultAt ?? 1_200_010;
  const h = o.healAt ?? 1_500_000;
  const seed = o.seed ?? 42;
  const rho = 2 * d;
  const fault = { id: 'f1', at: f };
  const drops = [{ from: f, until: h }];
  const up = constantLeg(d, drops);
  const down = constantLeg(d, drops);
  // First ping whose pong can no longer arrive, and the last one the server received.
  let firstLost = I;
  while (firstLost + rho < f) firstLost += I;
  let lastReceived = firstLost - I;
  while (lastReceived + I + d < f) lastReceived += I;
  const clientAt = firstLost + T;
  const serverAt = lastReceived + d + R;
  const rand = mulberry32(seed);
  const reconnectAt = h + 40 + Math.round(rand() * 900);
  const c1 = heartbeatLane({
    conn: 'c1',
    client: 'client-1',
    opened: 0,
    clientEnd: clientAt,
    serverEnd: serverAt,
    interval: I,
    up,
    down,
    closed: serverAt,
    extra: [
      { t: clientAt, kind: 'detect', side: 'client', label: 'heartbeat-timeout' },
      { t: clientAt, kind: 'close', side: 'client' },
      { t: serverAt, kind: 'detect', side: 'server', label: 'read-deadline' },
      { t: serverAt, kind: 'close', side: 'server' },
      { t: clientAt + 1000, kind: 'state', side: 'client', label: 'RECONNECTING' },
    ],
  });
  const c2 = heartbeatLane({
    conn: 'c2',
    client: 'client-1',
    opened: reconnectAt,
    clientEnd: duration,
    serverEnd: duration,
    interval: I,
    up: constantLeg(d),
    down: constantLeg(d),
    extra: [{ t: reconnectAt, kind: 'reconnect', side: 'client', label: 'attempt 7' }],
  });
  const detections = [
    detection('client', 'c1', 'heartbeat-timeout', clientAt, fault, {
      min: T - rho,
      max: T - rho + I,
      why: `[T − ρ, T − ρ + I) = [${T} − ${rho}, ${T} − ${rho} + ${I}) = [${T - rho}, ${T - rho + I})`,
    }),
    detection('server', 'c1', 'read-deadline', serverAt, fault, {
      min: R - I,
      max: R,
      why: `C1: [R − I, R) = [${R} − ${I}, ${R}) = [${R - I}, ${R})`,
    }),
  ];
  const reconnect: Reconnect = {
    client: 'client-1',
    at: reconnectAt,
    delta: reconnectAt - h,
    attempts: 7,
    bound: {
      min: 2 * d,
      max: 2 * d + 61_000 + 2 * d,
      why: 'A_max + W_cap + H = 40 + (60000 + 1000) + 40 = 61080',
    },
    withinBound: true,
  };
  const messages = (2 * HOUR) / I;
  const passed = detections.every((x) => x.withinBound);
  return {
    scenario: o.scenario ?? 'black-hole-both-ways',
    file: 'scenarios/black-hole-both-ways.yaml',
    backend: 'sim',
    seed,
    timeScale: 1,
    traceHash: `sha256:${(seed * 2654435761).toString(16).padStart(12, '0')}e4b1c09a`,
    passed,
    duration,
    config: {
      interval: I,
      pongTimeout: T,
      readDeadline: R,
      missThreshold: 1,
      backoff: '1 s → 60 s × 2 + U(0, 1 s)',
      topology: 'proxy',
    },
    faults: [
      {
        id: 'f1',
        type: 'timeout',
        at: f,
        until: h,
        target: 'proxy hb · both streams',
        attributes: { timeout: 0 },
        convention: 'C1',
      },
    ],
    detections,
    reconnects: [reconnect],
    falseDetections: [],
    overhead: {
      client: { messagesPerHour: messages, bytesPerHour: messages * PING_BYTES },
      server: { messagesPerHour: messages, bytesPerHour: messages * PING_BYTES },
    },
    expectations: [
      verdict(
        'client detects f1 within bound',
        detections[0]!.withinBound,
        `Δ = ${detections[0]!.delta} ms in ${detections[0]!.bound.why}`,
      ),
      verdict(
        'server detects f1 within bound',
        detections[1]!.withinBound,
        `Δ = ${detections[1]!.delta} ms in ${detections[1]!.bound.why}`,
      ),
      verdict('no false detection', true, '0 false detections in 1 h'),
      verdict('reconnect within 61 080 ms of heal', true, `reconnected ${reconnect.delta} ms after heal`),
    ],
    lanes: [c1, c2],
    replay: `npx flatline run scenarios/black-hole-both-ways.yaml --backend sim --seed ${seed}`,
    environment: ENV('sim', 1),
  };
}

/** Added latency beyond the pong timeout: a false detection (BOUNDS.md: r + L ≥ T), and a reset. */
export function latencySpikeRun(): ScenarioResult {
  const I = 15_000;
  const T = 2000;
  const R = 45_000;
  const d = 25;
  const duration = 900_000;
  const spike = { from: 600_000, until: 660_000, extra: 2600 };
  const up = constantLeg(d);
  const down: Leg = (t) => t + d + (t >= spike.from && t < spike.until ? spike.extra : 0);
  let firstSlow = I;
  while (firstSlow + d < spike.from) firstSlow += I;
  const falseAt = firstSlow + T;
  const reconnectAt = falseAt + 1450;
  const rstAt = 780_000;
  const c1 = heartbeatLane({
    conn: 'c1',
    client: 'client-1',
    opened: 0,
    clientEnd: falseAt,
    serverEnd: falseAt + d,
    interval: I,
    up,
    down,
    closed: falseAt + d,
    extra: [
      { t: falseAt, kind: 'detect', side: 'client', label: 'heartbeat-timeout' },
      { t: falseAt, kind: 'close', side: 'client' },
      { t: falseAt + d, kind: 'fin', side: 'server' },
      { t: falseAt + d, kind: 'close', side: 'server' },
    ],
  });
  const c2 = heartbeatLane({
    conn: 'c2',
    client: 'client-1',
    opened: reconnectAt,
    clientEnd: rstAt + d,
    serverEnd: rstAt + 15_000,
    interval: I,
    up,
    down,
    closed: rstAt + 15_000,
    extra: [
      { t: reconnectAt, kind: 'reconnect', side: 'client', label: 'attempt 1' },
      { t: rstAt + d, kind: 'rst', side: 'client', label: 'ECONNRESET' },
      { t: rstAt + d, kind: 'detect', side: 'client', label: 'reset' },
      { t: rstAt + 15_000, kind: 'detect', side: 'server', label: 'read-deadline' },
    ],
  });
  const c3 = heartbeatLane({
    conn: 'c3',
    client: 'client-1',
    opened: rstAt + 1130,
    clientEnd: duration,
    serverEnd: duration,
    interval: I,
    up,
    down,
    extra: [{ t: rstAt + 1130, kind: 'reconnect', side: 'client', label: 'attempt 1' }],
  });
  const reset = { id: 'f2', at: rstAt };
  const detections = [
    detection('client', 'c2', 'reset', rstAt + d, reset, {
      min: d,
      max: d + 1,
      why: `RST delivery: [d_d, d_d] = [${d}, ${d}] (+1 ms tick)`,
    }),
    detection('server', 'c2', 'read-deadline', rstAt + 15_000, reset, {
      min: 0,
      max: d + 1,
      why: `RST delivery: [0, d_u] = [0, ${d}] — server should see the RST`,
    }),
  ];
  const messages = (2 * HOUR) / I;
  return {
    scenario: 'latency-spike-mobile',
    file: 'scenarios/latency-spike-mobile.yaml',
    backend: 'toxiproxy',
    seed: 7,
    timeScale: 0.01,
    traceHash: 'sha256:5f3a9c2e77d0b4a1',
    passed: false,
    duration,
    config: { interval: I, pongTimeout: T, readDeadline: R, missThreshold: 1, topology: 'proxy' },
    faults: [
      {
        id: 'f1',
        type: 'latency',
        at: spike.from,
        until: spike.until,
        target: 'proxy hb · downstream',
        attributes: { latency: spike.extra, jitter: 0 },
      },
      { id: 'f2', type: 'reset_peer', at: rstAt, target: 'proxy hb · upstream', attributes: { timeout: 0 } },
    ],
    detections,
    reconnects: [
      {
        client: 'client-1',
        at: rstAt + 1130,
        delta: 1130,
        attempts: 1,
        bound: { min: 50, max: 2050, why: 'A_1 + w_0 + H ∈ [50, 2050]' },
        withinBound: true,
      },
    ],
    falseDetections: [{ side: 'client', conn: 'c1', reason: 'heartbeat-timeout', at: falseAt }],
    overhead: {
      client: { messagesPerHour: messages, bytesPerHour: messages * PING_BYTES },
      server: { messagesPerHour: messages, bytesPerHour: messages * PING_BYTES },
    },
    expectations: [
      verdict(
        'no false detection under latency ≤ 2600 ms',
        false,
        `client declared c1 dead at ${falseAt} ms (heartbeat-timeout) while the server was alive: r + L = ${2 * d + spike.extra} ms ≥ T = ${T} ms`,
      ),
      verdict('client detects f2 (reset) within bound', true, `Δ = ${d} ms in [${d}, ${d}]`),
      verdict(
        'server detects f2 (reset) within bound',
        false,
        'Δ = 15000 ms outside [0, 25]: reason read-deadline, expected reset — the server ignored the RST',
      ),
    ],
    lanes: [c1, c2, c3],
    replay:
      'npx flatline run scenarios/latency-spike-mobile.yaml --backend toxiproxy --seed 7 --time-scale 0.01',
    environment: ENV('toxiproxy', 0.01),
  };
}

/** The same reset scenario on both backends, with the parity table attached to the second. */
export function resetParityRuns(): ScenarioResult[] {
  const make = (backend: 'sim' | 'toxiproxy', rstDelta: number, recDelta: number): ScenarioResult => {
    const base = blackHoleRun({
      seed: 11,
      interval: 30_000,
      pongTimeout: 10_000,
      readDeadline: 45_000,
      duration: 600_000,
    });
    const at = 300_000;
    const fault = { id: 'f1', at };
    const c1 = heartbeatLane({
      conn: 'c1',
      client: 'client-1',
      opened: 0,
      clientEnd: at + rstDelta,
      serverEnd: at + rstDelta,
      interval: 30_000,
      up: constantLeg(20),
      down: constantLeg(20),
      closed: at + rstDelta,
      extra: [
        { t: at + rstDelta, kind: 'rst', side: 'client', label: 'ECONNRESET' },
        { t: at + rstDelta, kind: 'detect', side: 'client', label: 'reset' },
        { t: at + rstDelta, kind: 'rst', side: 'server', label: 'ECONNRESET' },
        { t: at + rstDelta, kind: 'detect', side: 'server', label: 'reset' },
      ],
    });
    const c2 = heartbeatLane({
      conn: 'c2',
      client: 'client-1',
      opened: at + rstDelta + recDelta,
      clientEnd: 600_000,
      serverEnd: 600_000,
      interval: 30_000,
      up: constantLeg(20),
      down: constantLeg(20),
      extra: [{ t: at + rstDelta + recDelta, kind: 'reconnect', side: 'client' }],
    });
    const bound = { min: 0, max: 50, why: 'RST delivery: [0, d] = [0, 20] + tolerance 30 ms on toxiproxy' };
    const detections = [
      detection('client', 'c1', 'reset', at + rstDelta, fault, bound),
      detection('server', 'c1', 'reset', at + rstDelta, fault, bound),
    ];
    return {
      ...base,
      scenario: 'reset-peer',
      file: 'scenarios/reset-peer.yaml',
      backend,
      timeScale: backend === 'sim' ? 1 : 0.01,
      passed: true,
      faults: [
        {
          id: 'f1',
          type: 'reset_peer',
          at,
          target: 'proxy hb · upstream',
          attributes: { timeout: 0 },
          convention: 'C1',
        },
      ],
      detections,
      reconnects: [
        {
          client: 'client-1',
          at: at + rstDelta + recDelta,
          delta: rstDelta + recDelta,
          attempts: 1,
          bound: { min: 40, max: 2080, why: 'A_1 + w_0 + H ∈ [40, 2080]' },
          withinBound: true,
        },
      ],
      expectations: [
        verdict('client detects f1 (reset) within bound', true, `Δ = ${rstDelta} ms in [0, 50]`),
        verdict('server detects f1 (reset) within bound', true, `Δ = ${rstDelta} ms in [0, 50]`),
        verdict('reconnect within 2 080 ms', true, `reconnected after ${rstDelta + recDelta} ms`),
      ],
      lanes: [c1, c2],
      replay: `npx flatline run scenarios/reset-peer.yaml --backend ${backend} --seed 11`,
      environment: ENV(backend, backend === 'sim' ? 1 : 0.01),
    };
  };
  const sim = make('sim', 20, 1020);
  const toxi = make('toxiproxy', 27, 1390);
  const parity: ParityRow[] = [
    {
      scenario: 'reset-peer',
      field: 'client detection reason',
      sim: 'reset',
      toxiproxy: 'reset',
      tolerance: 'equal',
      agree: true,
    },
    {
      scenario: 'reset-peer',
      field: 'client detection Δ',
      sim: '20 ms',
      toxiproxy: '27 ms',
      tolerance: '± 30 ms',
      agree: true,
    },
    {
      scenario: 'reset-peer',
      field: 'server detection Δ',
      sim: '20 ms',
      toxiproxy: '27 ms',
      tolerance: '± 30 ms',
      agree: true,
    },
    {
      scenario: 'reset-peer',
      field: 'reconnect attempts',
      sim: '1',
      toxiproxy: '1',
      tolerance: 'equal',
      agree: true,
    },
    {
      scenario: 'reset-peer',
      field: 'reconnect Δ',
      sim: '1 040 ms',
      toxiproxy: '1 417 ms',
      tolerance: '± 20 %',
      agree: false,
    },
  ];
  toxi.parity = parity;
  return [sim, toxi];
}

export const HOSTILE = {
  scenario: '<script>alert(1)</script>',
  conn: 'c"><img src=x onerror=alert(2)>',
  faultType: '</svg><script>alert(3)</script>',
  detail: 'a & b <b>bold</b> ]]> \u0000 `code` | pipe @octocat #12',
  env: '<iframe src="https://example.com"></iframe>',
  replay: `npx flatline run 'x.yaml' --seed 1 && echo "<script>alert(4)</script>"`,
};

/** Every string field carries markup; reports must render all of it as text. */
export function hostileRun(): ScenarioResult {
  const base = blackHoleRun({
    seed: 1,
    interval: 30_000,
    readDeadline: 45_000,
    duration: 600_000,
    faultAt: 200_000,
    healAt: 300_000,
  });
  const lanes = base.lanes.map((l) => ({
    ...l,
    conn: l.conn === 'c1' ? HOSTILE.conn : l.conn,
    client: HOSTILE.scenario,
    events: l.events.map((e) => ({ ...e, label: HOSTILE.faultType })),
  }));
  return {
    ...base,
    scenario: HOSTILE.scenario,
    file: `<img src=x onerror=alert(5)>.yaml`,
    passed: false,
    config: { ...base.config, [HOSTILE.faultType]: HOSTILE.detail },
    faults: base.faults.map((f) => ({
      ...f,
      type: HOSTILE.faultType,
      target: HOSTILE.detail,
      attributes: { x: HOSTILE.scenario },
    })),
    detections: base.detections.map((d) => ({
      ...d,
      conn: HOSTILE.conn,
      reason: HOSTILE.scenario,
      bound: { ...d.bound, why: HOSTILE.detail },
    })),
    reconnects: base.reconnects.map((r) => ({ ...r, client: HOSTILE.scenario })),
    falseDetections: [{ side: 'client', conn: HOSTILE.conn, reason: HOSTILE.faultType, at: 100_000 }],
    expectations: [
      verdict(HOSTILE.scenario, false, HOSTILE.detail),
      verdict('fine', true, HOSTILE.faultType),
    ],
    lanes,
    replay: HOSTILE.replay,
    parity: [
      {
        scenario: HOSTILE.scenario,
        field: HOSTILE.faultType,
        sim: HOSTILE.detail,
        toxiproxy: '<b>',
        tolerance: '&',
        agree: false,
      },
    ],
    environment: { ...base.environment, [HOSTILE.scenario]: HOSTILE.env },
  };
}

/** A realistic run of several scenarios: passes, a failure, and a parity pair. */
export function runFixture(): ScenarioResult[] {
  return [blackHoleRun(), latencySpikeRun(), ...resetParityRuns()];
}

// ---------------------------------------------------------------------------------------------------
// Sweep

const BACKOFF = { base: 1000, cap: 60_000, multiplier: 2, jitter: 1000, variant: 'seed' };

export function sweepConfig(interval: number, pongTimeout: number): SweepConfig {
  return {
    interval,
    pongTimeout,
    readDeadline: interval + 2 * pongTimeout + 5000,
    missThreshold: 1,
    backoff: { ...BACKOFF },
  };
}

/** The sweep engine's nearest-rank summary; the fixture's samples are never empty. */
function stats(values: number[]): SampleStats {
  return summarize(values)!;
}

interface Profile {
  name: string;
  rtt: number;
  /** Latency spikes per hour and their size (ms of added round trip). */
  spikesPerHour: number;
  spike: number;
}

const PROFILES: Profile[] = [
  { name: 'lan 1 ms', rtt: 2, spikesPerHour: 0, spike: 0 },
  { name: 'mobile p99 3 s', rtt: 180, spikesPerHour: 4, spike: 3200 },
];

export const SWEEP_GOALS = [
  'p99 detection ≤ 25 s',
  'false detections ≤ 0.5 per conn·h',
  'heartbeat ≤ 600 msg/conn·h both ways',
];

function cellFor(config: SweepConfig, profile: Profile, seeds: number[]): SweepCell {
  const I = config.interval;
  const T = config.pongTimeout;
  const rand = mulberry32(I * 31 + T * 7 + profile.rtt);
  // Δ uniform in [T − ρ, T − ρ + I) per seed (BOUNDS.md, black-hole both ways, C1).
  const detection = seeds.map(() => T - profile.rtt + Math.floor(rand() * I));
  const reconnect = seeds.map(() => 600 + Math.floor(rand() * 1400) + profile.rtt);
  const falseRate = profile.spike + profile.rtt >= T ? profile.spikesPerHour * Math.min(1, 5000 / I) : 0;
  // A ping and its pong per interval: HOUR / I each way, 2·HOUR / I both ways.
  const messages = (2 * HOUR) / I;
  const det = stats(detection);
  const goals: GoalVerdict[] = [
    {
      goal: SWEEP_GOALS[0]!,
      met: det.p99 <= 25_000,
      why: `p99 detection ${det.p99} ms ${det.p99 <= 25_000 ? '≤' : '>'} 25000 ms`,
    },
    {
      goal: SWEEP_GOALS[1]!,
      met: falseRate <= 0.5,
      why: `${falseRate.toFixed(2)} false detections per conn·h (r + spike = ${profile.rtt + profile.spike} ms vs T = ${T} ms)`,
    },
    {
      goal: SWEEP_GOALS[2]!,
      met: messages <= 600,
      why: `${messages} msg/conn·h both ways (client ${messages / 2} + server ${messages / 2})`,
    },
  ];
  const cell: SweepCell = {
    config,
    scenario: 'black-hole-both-ways',
    latencyProfile: profile.name,
    seeds,
    detection: det,
    falseDetectionRate: falseRate,
    reconnect: stats(reconnect),
    overhead: {
      client: { messagesPerHour: messages / 2, bytesPerHour: (messages / 2) * PING_BYTES },
      server: { messagesPerHour: messages / 2, bytesPerHour: (messages / 2) * PING_BYTES },
    },
    queryAccuracy: 1,
    latencyTolerance: { client: T - profile.rtt, server: config.readDeadline - I },
    goals,
    samples: { detection, reconnect },
    replay: `npx flatline run scenarios/black-hole-both-ways.yaml --seed ${seeds[0]} --interval ${I} --pong-timeout ${T}`,
  };
  if (falseRate > 0) {
    cell.mistakeDuration = stats(seeds.map(() => 900 + Math.floor(rand() * 1500)));
    cell.mistakeRecurrence = stats(
      seeds.map(() => Math.floor(HOUR / falseRate) + Math.floor(rand() * 60_000)),
    );
    // Wrongly suspected λ_M · E(T_M) of every hour.
    cell.queryAccuracy = 1 - (falseRate * cell.mistakeDuration.median) / HOUR;
  }
  return cell;
}

function cfgText(c: SweepConfig): string {
  return `I ${c.interval / 1000} s / T ${c.pongTimeout / 1000} s`;
}

/** A 3×3 interval × pong-timeout grid over two latency profiles, with presets and a recommendation. */
export function sweepFixture(): SweepResult {
  const seeds = Array.from({ length: 20 }, (_, i) => 1000 + i);
  const intervals = [5000, 15_000, 30_000];
  const timeouts = [2000, 5000, 10_000];
  const configs = intervals.flatMap((i) => timeouts.map((t) => sweepConfig(i, t)));
  const cells = configs.flatMap((c) => PROFILES.map((p) => cellFor(c, p, seeds)));
  const summary = configs.map((c) => {
    const mine = cells.filter((x) => x.config === c);
    const failed = mine.flatMap((x) =>
      x.goals.filter((g) => !g.met).map((g) => `${x.latencyProfile}: ${g.why}`),
    );
    const p99 = Math.max(...mine.map((x) => x.detection!.p99));
    return { config: c, failed, p99, overhead: mine[0]!.overhead.client.messagesPerHour };
  });
  const passing = summary
    .filter((s) => s.failed.length === 0)
    .sort((a, b) => a.p99 - b.p99 || a.overhead - b.overhead);
  const best = passing[0];
  const runnerUp = passing[1];
  const recommendation: SweepResult['recommendation'] = {
    why:
      best === undefined
        ? 'no configuration met every goal'
        : `${cfgText(best.config)} meets every goal with the lowest worst-case p99 detection (${best.p99} ms)` +
          (runnerUp ? `; ${cfgText(runnerUp.config)} is next (${runnerUp.p99} ms)` : ''),
    rejected: summary
      .filter((s) => s.failed.length > 0)
      .map((s) => ({ config: s.config, why: s.failed.join('; ') })),
  };
  if (best) recommendation.best = best.config;
  if (runnerUp) recommendation.runnerUp = runnerUp.config;
  const preset = (name: string, source: string, config: SweepConfig): SweepPreset => ({
    name,
    source,
    config,
    cells: PROFILES.map((p) => cellFor(config, p, seeds)),
  });
  return {
    name: 'interval × pong timeout (black-hole, lan + mobile)',
    backend: 'sim',
    timeScale: 1,
    goals: SWEEP_GOALS,
    seeds,
    cells,
    recommendation,
    presets: [
      preset('seed defaults', 'SEED-SPEC F1/F4/F5', { ...sweepConfig(30_000, 10_000), readDeadline: 45_000 }),
      preset('Socket.IO / engine.io', 'pingInterval 25 s, pingTimeout 20 s', {
        ...sweepConfig(25_000, 20_000),
        readDeadline: 45_000,
      }),
      preset('MQTT (mqtt.js)', 'keepalive 60 s, broker 1.5·K', {
        ...sweepConfig(60_000, 30_000),
        readDeadline: 90_000,
      }),
    ],
    replay:
      'npx flatline sweep scenarios/black-hole-both-ways.yaml --interval 5s,15s,30s --pong-timeout 2s,5s,10s --seeds 20',
    environment: ENV('sim', 1),
  };
}
