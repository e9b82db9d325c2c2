/**
 * Every fault kind flatline knows, in one list. The scenario schema, the runner, the detection bounds,
 * the builder, serialization, the metrics and the property generator iterate over it: to add a kind,
 * add its module to FAULT_KINDS (and a test for it), nothing else.
 */
import type fc from 'fast-check';
import { z } from 'zod';
import type { Capability } from '../backend.ts';
import type { FaultClass } from '../model/index.ts';
import { bandwidth } from './bandwidth.ts';
import { burstLoss } from './burst-loss.ts';
import { clockSkew } from './clock-skew.ts';
import { crash } from './crash.ts';
import type { Entry, FaultKind } from './kind.ts';
import { latency } from './latency.ts';
import { limitData } from './limit_data.ts';
import { loss } from './loss.ts';
import { nat } from './nat.ts';
import { noop } from './noop.ts';
import { partition } from './partition.ts';
import { pause } from './pause.ts';
import { proxyDown } from './proxy-down.ts';
import { resetPeer } from './reset_peer.ts';
import { slicer } from './slicer.ts';
import { slowClose } from './slow_close.ts';
import { timeout } from './timeout.ts';

/** Toxiproxy's toxics first (in Toxiproxy's order), then the proxy switch, then the direct-topology faults. */
export const FAULT_KINDS = [
  latency,
  bandwidth,
  slowClose,
  timeout,
  resetPeer,
  slicer,
  limitData,
  noop,
  proxyDown,
  partition,
  crash,
  pause,
  clockSkew,
  nat,
  loss,
  burstLoss,
] as const;

type Kinds = (typeof FAULT_KINDS)[number];
export type FaultType = Kinds['type'];
/** A normalized fault of any kind. */
export type Fault = ReturnType<Kinds['normalize']>;
/** A fault as a scenario file or the builder writes it. */
export type FaultInput = z.input<Kinds['schema']>;
export type FaultOfType<T extends FaultType> = Extract<Fault, { type: T }>;
export type FaultInputOf<T extends FaultType> = Extract<FaultInput, { type: T }>;
/** One fault on the timeline, normalized: `until` undefined means it lasts to the end of the run. */
export type FaultEntry = Entry<Fault>;

export const FAULT_TYPES = FAULT_KINDS.map((k) => k.type) as FaultType[];

const byType = new Map<string, FaultKind>(FAULT_KINDS.map((k) => [k.type, k as unknown as FaultKind]));

/** The kind of a fault (or of a type name); throws for a type no kind has. */
export function kindOf(fault: { type: string } | string): FaultKind {
  const type = typeof fault === 'string' ? fault : fault.type;
  const kind = byType.get(type);
  if (!kind) throw new TypeError(`unknown fault type "${type}" (known: ${FAULT_TYPES.join(', ')})`);
  return kind;
}

export function isFaultType(type: unknown): type is FaultType {
  return typeof type === 'string' && byType.has(type);
}

/** Types of the kinds with a placement. */
export function typesPlaced(placement: FaultKind['placement']): FaultType[] {
  return FAULT_KINDS.filter((k) => k.placement === placement).map((k) => k.type);
}

/** The fault union as zod parses it (discriminated on `type`). */
export const faultInputSchema = z.discriminatedUnion(
  'type',
  FAULT_KINDS.map((k) => k.schema) as unknown as [Kinds['schema'], ...Kinds['schema'][]],
) as unknown as z.ZodType<Fault, FaultInput>;

/** The parsed (not yet normalized) fault, as the schema's output. */
export function normalizeFault(parsed: unknown): Fault {
  const kind = kindOf(parsed as { type: string });
  return kind.normalize(parsed as never) as Fault;
}

export function faultClass(entry: { fault: Fault }): FaultClass {
  return kindOf(entry.fault).classify(entry.fault);
}

/** What a backend must offer to run a fault of this kind. */
export function capabilitiesFor(kind: FaultKind): Capability[] {
  return [kind.placement === 'proxy' ? 'proxy' : 'hostFaults', ...(kind.requires ?? [])];
}

/** Short description of a fault entry, for messages. */
export function describeFault(entry: FaultEntry): string {
  const kind = kindOf(entry.fault);
  const span = `${entry.at}–${entry.until ?? 'end'} ms`;
  return `${entry.id} ${kind.describe?.(entry.fault as never) ?? entry.fault.type} ${span}`;
}

/** Named arbitraries of every kind (property timelines draw from these). */
export const FAULT_ARBITRARIES: Readonly<Record<string, fc.Arbitrary<Fault>>> = Object.fromEntries(
  FAULT_KINDS.flatMap((k) => Object.entries((k as FaultKind).arbitraries ?? {})),
) as Record<string, fc.Arbitrary<Fault>>;
