/**
 * The result of one scenario run, on either backend. This is what `flatline run --json` prints, what
 * reports render and what parity compares. Times are scenario milliseconds (virtual on sim; real
 * divided by the time scale on toxiproxy).
 */
import type { BackendKind } from './backend.ts';

/** A closed-form bound from BOUNDS.md: measured values are checked against [min, max]. */
export interface Bound {
  min: number;
  max: number;
  /** The formula with its numbers, e.g. "[T − ρ, T − ρ + I) = [4990, 34990)". */
  why: string;
}

export type Side = 'client' | 'server';

export interface FaultWindow {
  id: string;
  /** Toxic type, or a sim-only fault: partition, crash, pause, clock-skew, nat, proxy-down. */
  type: string;
  at: number;
  /** Heal time; undefined when the fault lasts to the end of the run. */
  until?: number;
  /** Free-form description of where it applies (proxy + stream, hosts, direction). */
  target: string;
  attributes: Record<string, unknown>;
  /** BOUNDS.md drop convention: C1 cut or C2 send-time. */
  convention?: 'C1' | 'C2';
}

export interface Detection {
  side: Side;
  conn: string;
  /** F15 classification: fin, reset, heartbeat-timeout, read-deadline, write-deadline, write-error, keepalive, … */
  reason: string;
  at: number;
  fault: string;
  /** at − onset of the fault it is attributed to. */
  delta: number;
  bound: Bound;
  withinBound: boolean;
}

export interface Reconnect {
  client: string;
  at: number;
  /** at − heal of the fault it follows. */
  delta: number;
  attempts: number;
  bound: Bound;
  withinBound: boolean;
}

export interface FalseDetection {
  side: Side;
  conn: string;
  reason: string;
  at: number;
}

export interface ExpectationVerdict {
  name: string;
  passed: boolean;
  detail: string;
}

/** One event on a connection's swimlane. */
export interface LaneEvent {
  t: number;
  kind:
    | 'ping'
    | 'pong'
    | 'data'
    | 'fin'
    | 'rst'
    | 'close'
    | 'error'
    | 'detect'
    | 'connect'
    | 'reconnect'
    | 'state';
  side: Side;
  label?: string;
}

export interface ConnectionLane {
  conn: string;
  client: string;
  opened: number;
  closed?: number;
  events: LaneEvent[];
}

export interface Overhead {
  messagesPerHour: number;
  bytesPerHour: number;
}

export interface ParityRow {
  scenario: string;
  field: string;
  sim: string;
  toxiproxy: string;
  tolerance: string;
  agree: boolean;
}

export interface ScenarioResult {
  scenario: string;
  file?: string;
  backend: BackendKind;
  seed: number;
  timeScale: number;
  traceHash: string;
  passed: boolean;
  /** Scenario duration in scenario ms. */
  duration: number;
  config: Record<string, unknown>;
  faults: FaultWindow[];
  detections: Detection[];
  reconnects: Reconnect[];
  falseDetections: FalseDetection[];
  overhead: { client: Overhead; server: Overhead };
  expectations: ExpectationVerdict[];
  lanes: ConnectionLane[];
  /** The exact command that reproduces this run. */
  replay: string;
  parity?: ParityRow[];
  environment: Record<string, string>;
}
