/** Hand-made ScenarioResults for tests of what reads them (QoS, sweeps): only what a test sets differs. */
import type { ConnectionLane, ScenarioResult } from '../../harness/result.ts';

/** A client lane that connected at `connect` (dialled 5 ms before) and closed at `closed`, if it did. */
export function lane(conn: string, client: string, connect: number, closed?: number): ConnectionLane {
  return {
    conn,
    client,
    opened: connect - 5,
    ...(closed === undefined ? {} : { closed }),
    events: [{ t: connect, kind: 'connect', side: 'client' }],
  };
}

/** A passing 10-minute simulator result with nothing in it, overridden by `over`. */
export function result(over: Partial<ScenarioResult>): ScenarioResult {
  return {
    scenario: 'x',
    backend: 'sim',
    seed: 1,
    timeScale: 1,
    traceHash: 'x',
    passed: true,
    duration: 600_000,
    config: {},
    faults: [],
    detections: [],
    reconnects: [],
    falseDetections: [],
    overhead: {
      client: { messagesPerHour: 0, bytesPerHour: 0 },
      server: { messagesPerHour: 0, bytesPerHour: 0 },
    },
    expectations: [],
    lanes: [],
    replay: '',
    environment: {},
    ...over,
  };
}
