/**
 * What a fault kind is: everything flatline knows about one kind of fault, in one module under
 * harness/faults/ — its scenario schema, where it can run, how it is applied and healed on a Backend,
 * which side must detect it and by which mechanism (its closed-form detection bound), and its
 * arbitraries for property tests. The registry (registry.ts) lists the kinds; the schema, the runner,
 * the bounds, the builder, serialization, the metrics and the property generator iterate over it and
 * know no kind by name.
 *
 * Adding a kind is adding one file here (and its test): see burst-loss.ts.
 */
import type { Socket } from 'node:net';
import type fc from 'fast-check';
import type { z } from 'zod';
import type { Capability, FaultProxy, HostFaults, ProcessControl, VirtualTime } from '../backend.ts';
import type { Convention, FaultClass, Side } from '../model/index.ts';
import type { Model, Sides } from './mechanisms.ts';

/** The base every normalized fault has. */
export interface FaultBase {
  type: string;
}

/** One fault on the timeline, normalized: `until` undefined means it lasts to the end of the run. */
export interface Entry<F extends FaultBase = FaultBase> {
  id: string;
  at: number;
  until?: number;
  fault: F;
}

/** Undoes a fault. */
export type Heal = () => Promise<void>;

/** What a fault acts on in one run. The runner builds it; a kind uses what it needs. */
export interface FaultTarget {
  scenario: string;
  /** The run's proxy (proxy topology). */
  proxy?: FaultProxy;
  /** Faults on hosts and the wire between them (direct topology), where the backend has them. */
  hosts?: HostFaults;
  /** The backend's virtual clock, where it has one (a fault that changes over time schedules on it). */
  time?: VirtualTime;
  /** A seeded random stream of the run, per component. */
  random?(component: string): () => number;
  serverHost: string;
  clientHosts: readonly string[];
  /** Hosts of a side. */
  hostsOf(side: Side): readonly string[];
  /** How long the fault lasts: until − at, or to the end of the run. */
  span: number;
  /**
   * The OS processes of an external subject, by host (crash = SIGKILL, pause = SIGSTOP): present when
   * the subject is real programs, which the kinds with `onProcesses` act on instead of `hosts`.
   */
  processes?: (host: string) => ProcessControl | undefined;
  /** The process on `host` died: nothing it does is observed any more. Returns its open sockets. */
  processDied(host: string): Socket[];
  /** Starts a side's processes again (a restarted machine runs its service, as an init system would). */
  restart(side: Side): Promise<void>;
}

/** Where a kind runs. */
export type Placement =
  /** A Toxiproxy fault: proxy topology, on every backend (the simulator reproduces Toxiproxy). */
  | 'proxy'
  /** A fault on hosts or the wire (direct topology): needs a backend with host faults. */
  | 'direct';

/** Formats a duration for the input form: a readable string, or the plain number. */
export type DurationFormat = (ms: number) => string | number;

export interface FaultKind<
  T extends string = string,
  F extends FaultBase = FaultBase,
  S extends z.ZodType = z.ZodType,
> {
  readonly type: T;
  /** One line for help and docs. */
  readonly summary: string;
  readonly placement: Placement;
  /** Backend capabilities it needs beyond its placement's (e.g. virtual time to switch states). */
  readonly requires?: readonly Capability[];
  /**
   * The kind can also act on real OS processes with signals (an external subject, on any backend):
   * returns undefined when this fault can, or why not (a variant signals cannot make).
   */
  readonly onProcesses?: (fault: F) => string | undefined;
  /** The fault as a scenario writes it, with `type` a literal (part of the discriminated union). */
  readonly schema: S;
  /** A small valid fault of this kind as a scenario writes it, for docs, help and the registry's tests. */
  readonly example: Record<string, unknown> & { type: T };
  /** The parsed input, normalized (durations in ms, defaults filled, grouped as the backend wants). */
  normalize(parsed: z.output<S>): F;
  /** The input form of a normalized fault: parse(toInput(f)) gives f back. */
  toInput(f: F, d: DurationFormat): Record<string, unknown>;
  /** A length the fault itself states (pause's `for`), instead of the entry's `until`/`for`. */
  lengthOf?(parsed: z.output<S>): number | undefined;
  /**
   * What one fault holds while on (toxic names, the proxy's switch): two overlapping faults that hold
   * the same key clash, and the later one is reported at `path` (in its entry) with `message(shared keys, the other)`.
   */
  holds?(f: F): { keys: string[]; path: string[]; message(shared: string[], other: string): string };
  /** dead: detecting it is the point; benign: the peer is alive and any detection is a mistake. */
  classify(f: F): FaultClass;
  /** BOUNDS.md drop convention, when it has one. */
  convention?(f: F): Convention | undefined;
  /** Where it acts, for reports: "proxy downstream", "host server", "client↔server". */
  target(f: F): string;
  /** The side whose process it stops (crash, pause): that side's own detections are not expected. */
  stops?(f: F): Side | undefined;
  /** Short description for messages: type and the settings that matter. */
  describe?(f: F): string;
  /** Applies the fault now; resolves to what heals it. */
  apply(target: FaultTarget, entry: Entry<F>): Promise<Heal>;
  /** Heal it when the run ends while it is still on (default true; a crashed host stays down). */
  readonly healAtTeardown?: boolean;
  /** The mechanisms of both sides that can detect it, or undefined for no closed form. */
  detection?(entry: Entry<F>, m: Model): Sides | undefined;
  /** Why it has only the loose bound [0, end of run] (timing depends on the traffic), if so. */
  looseBound?(f: F): string | undefined;
  /** Named fault arbitraries for property timelines (dead faults the heartbeat must find). */
  readonly arbitraries?: Readonly<Record<string, fc.Arbitrary<F>>>;
}

/** Declares a kind with its types inferred from the schema. */
export function defineFault<const T extends string, S extends z.ZodType, F extends FaultBase & { type: T }>(
  kind: FaultKind<T, F, S>,
): FaultKind<T, F, S> {
  return kind;
}
