/**
 * The result of one scenario run, on either backend. This is what `flatline run --json` prints, what
 * reports render and what parity compares. Times are scenario milliseconds (virtual on sim; real
 * divided by the time scale on toxiproxy).
 */
import type { BackendKind, Bound, Side } from './model/index.ts';

export type { Bound, Side };

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
  /** This side's own socket id (`conn` is the connection's lane: the client socket it pairs with). */
  socket?: string;
}

export interface Reconnect {
  client: string;
  at: number;
  /** at − heal of the fault it follows. */
  delta: number;
  attempts: number;
  bound: Bound;
  withinBound: boolean;
  /** The fault whose heal (or, without one, whose detection) this reconnect follows. */
  fault?: string;
  /** What `delta` counts from: the heal, or the client's detection when that came after the heal. */
  after?: 'heal' | 'detection';
}

export interface FalseDetection {
  side: Side;
  conn: string;
  reason: string;
  at: number;
  /** This side's own socket id (`conn` is the connection's lane). */
  socket?: string;
}

/** Many clients reconnecting after one heal (a thundering herd): the spread of their reconnect deltas. */
export interface HerdSummary {
  fault: string;
  /** Clients that reconnected after this fault. */
  clients: number;
  /** Smallest, largest and median reconnect delta (ms after the heal). */
  first: number;
  last: number;
  p50: number;
  /** last − first. */
  spread: number;
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
  /** Which side sends the heartbeat's pings (socket.io's server does); absent: the client. */
  pinger?: Side;
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
  /** One summary per healed fault after which two or more clients reconnected. */
  herd?: HerdSummary[];
}

// ---------------------------------------------------------------------------------------------------
// Sweeps (appended for reports/): a grid of heartbeat configurations, each run over scenarios ×
// latency profiles × seeds, summarised per cell with the QoS names of BOUNDS.md, plus the
// recommendation the sweep engine drew from them. Times are scenario milliseconds.

/** BOUNDS.md reconnect backoff: nominal wait β_n = min(cap, base·multiplierⁿ), jitter per variant. */
export interface SweepBackoff {
  base: number;
  cap: number;
  multiplier: number;
  /** ms added (seed formula, F13) or a fraction (symmetric jitter), as `variant` says. */
  jitter: number;
  /** BOUNDS.md variant: seed, symmetric, full, equal, decorrelated. */
  variant: string;
}

/** One heartbeat configuration a sweep tries. */
export interface SweepConfig {
  /** Ping interval I. */
  interval: number;
  /** Pong timeout T. */
  pongTimeout: number;
  /** Server read deadline R. */
  readDeadline: number;
  /** Miss threshold N (F12). */
  missThreshold: number;
  backoff: SweepBackoff;
}

/** Summary of a sample; n is the sample size (0 means no values, and the other fields are 0). */
export interface SampleStats {
  n: number;
  min: number;
  median: number;
  p99: number;
  max: number;
}

/** A sweep goal judged for one cell or configuration. */
export interface GoalVerdict {
  goal: string;
  met: boolean;
  /** The numbers behind the verdict, e.g. "p99 detection 41200 ms > 40000 ms". */
  why: string;
}

/** One configuration on one scenario and latency profile, over all of the sweep's seeds. */
export interface SweepCell {
  config: SweepConfig;
  scenario: string;
  /** The latency profile the scenario ran under, e.g. "lan 1 ms", "mobile p99 800 ms". */
  latencyProfile: string;
  seeds: number[];
  /** Detection time T_D (Δ from fault onset); absent when nothing was detected. */
  detection?: SampleStats;
  /** False detections per connection-hour (λ_M). */
  falseDetectionRate: number;
  /** Mistake duration T_M: false detection → connection healthy again. */
  mistakeDuration?: SampleStats;
  /** Mistake recurrence T_MR: between consecutive false detections. */
  mistakeRecurrence?: SampleStats;
  /**
   * Query accuracy P_A (Chen–Toueg–Aguilera, BOUNDS.md): 1 − (time wrongly suspected) / (connection
   * time observed), over every seed; 1 without mistakes. Absent in results from older versions.
   */
  queryAccuracy?: number;
  /** Reconnect time (Δ from heal). */
  reconnect?: SampleStats;
  /** Heartbeat messages and bytes per connection per hour (F20). */
  overhead: { client: Overhead; server: Overhead };
  /** Added latency each side tolerates before a false detection: client T − r, server R − I. */
  latencyTolerance: { client: number; server: number };
  goals: GoalVerdict[];
  /** Raw samples, when the engine kept them, for distribution charts. */
  samples?: { detection?: number[]; reconnect?: number[] };
  /** The command that replays this cell's worst seed. */
  replay?: string;
}

export interface SweepRecommendation {
  /** Absent when no configuration met every goal. */
  best?: SweepConfig;
  runnerUp?: SweepConfig;
  why: string;
  rejected: { config: SweepConfig; why: string }[];
}

/** A real-world setting (BOUNDS.md presets) run over the same scenarios and seeds as the grid. */
export interface SweepPreset {
  /** e.g. "Socket.IO / engine.io". */
  name: string;
  /** Where the numbers come from. */
  source?: string;
  config: SweepConfig;
  cells: SweepCell[];
}

export interface SweepResult {
  name: string;
  backend: BackendKind;
  timeScale: number;
  /** The goals every configuration is judged against; cell verdicts use these names. */
  goals: string[];
  seeds: number[];
  cells: SweepCell[];
  recommendation: SweepRecommendation;
  presets: SweepPreset[];
  /** The exact command that reproduces the sweep. */
  replay: string;
  environment: Record<string, string>;
}
