/** Hand-made ScenarioResults for the comparison's unit tests: only what compareResults reads. */
import type {
  ConnectionLane,
  Detection,
  ExpectationVerdict,
  FalseDetection,
  FaultWindow,
  Reconnect,
  ScenarioResult,
} from '../../harness/result.ts';

export const CONFIG = {
  interval: 10_000,
  pongTimeout: 4000,
  readDeadline: 25_000,
  missThreshold: 1,
  backoff: { policy: 'seed', base: 1000, cap: 8000, multiplier: 2, jitter: 1000 },
  serverHeartbeat: false,
};

export const BLACKHOLE: FaultWindow = {
  id: 'blackhole',
  type: 'timeout',
  at: 45_000,
  until: 120_000,
  target: 'proxy both',
  attributes: { timeout: 0 },
};

export function detection(
  side: 'client' | 'server',
  delta: number,
  reason: string,
  conn?: string,
): Detection {
  return {
    side,
    conn: conn ?? `${side}#1`,
    reason,
    at: BLACKHOLE.at + delta,
    fault: BLACKHOLE.id,
    delta,
    bound: { min: 4000, max: 13_999, why: 'synthetic' },
    withinBound: true,
  };
}

/** A reconnect of `client` `delta` ms after the black-hole's heal. */
export function reconnect(delta: number, attempts: number, client = 'client'): Reconnect {
  return {
    client,
    at: BLACKHOLE.until! + delta,
    delta,
    attempts,
    bound: { min: 0, max: 30_000, why: 'synthetic' },
    withinBound: true,
  };
}

/** The client's first connection with pings (and pongs) every interval from `phase`. */
export function lane(phase: number, closed: number): ConnectionLane {
  const events: ConnectionLane['events'] = [];
  for (let t = phase; t < closed; t += CONFIG.interval) {
    events.push({ t, kind: 'ping', side: 'client' }, { t, kind: 'pong', side: 'client' });
  }
  return { conn: 'client#1', client: 'client', opened: 0, closed, events };
}

export function result(
  backend: 'sim' | 'toxiproxy',
  parts: {
    detections?: Detection[];
    reconnects?: Reconnect[];
    falseDetections?: FalseDetection[];
    expectations?: ExpectationVerdict[];
    lanes?: ConnectionLane[];
    faults?: FaultWindow[];
  } = {},
): ScenarioResult {
  return {
    scenario: 'synthetic-blackhole',
    backend,
    seed: 7,
    timeScale: backend === 'sim' ? 1 : 0.01,
    traceHash: 'x',
    passed: (parts.expectations ?? []).every((e) => e.passed),
    duration: 300_000,
    config: CONFIG,
    faults: parts.faults ?? [BLACKHOLE],
    detections: parts.detections ?? [
      detection('client', 9000, 'heartbeat-timeout'),
      detection('server', 9000, 'fin'),
    ],
    reconnects: parts.reconnects ?? [reconnect(8763, 5)],
    falseDetections: parts.falseDetections ?? [],
    overhead: {
      client: { messagesPerHour: 0, bytesPerHour: 0 },
      server: { messagesPerHour: 0, bytesPerHour: 0 },
    },
    expectations: parts.expectations ?? [{ name: 'detect (side=client)', passed: true, detail: 'ok' }],
    lanes: parts.lanes ?? [lane(0, 54_000)],
    replay: '',
    environment: {},
  };
}
