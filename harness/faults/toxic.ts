/**
 * What every Toxiproxy toxic shares as a fault kind: the stream(s) it goes on, its toxicity and name,
 * how it becomes one addToxic call per stream (Toxiproxy's own API on both backends), and which toxic
 * names it holds while on (Toxiproxy answers 409 to a second toxic of the same name). Each toxic's own
 * module adds its attributes and what it means for detection.
 */
import type fc from 'fast-check';
import { z } from 'zod';
import type { FaultClass } from '../model/index.ts';
import { label, quote } from '../scenario/fields.ts';
import {
  FaultProxyError,
  isToxicType,
  normalizeToxic,
  type Stream,
  type ToxicAttributes,
  type ToxicType,
} from '../toxics/vocabulary.ts';
import { defineFault, type Entry, type FaultKind } from './kind.ts';
import type { Mechanism, Model, Sides } from './mechanisms.ts';

export type ToxicStream = Stream | 'both';

/** A toxic fault, normalized: attributes grouped as Toxiproxy's API takes them. */
export interface ToxicFaultOf<T extends ToxicType> {
  type: T;
  stream: ToxicStream;
  toxicity: number;
  name?: string;
  /** Ready for FaultProxy.addToxic (Toxiproxy's units: ms, except slicer.delay in µs). */
  attributes: ToxicAttributes<T>;
}

export type ToxicFault = { [T in ToxicType]: ToxicFaultOf<T> }[ToxicType];

const toxicCommon = {
  stream: z.enum(['upstream', 'downstream', 'both']).default('downstream').meta({
    description:
      'upstream = client→server, downstream = server→client (Toxiproxy default), both = one toxic each way',
  }),
  toxicity: z
    .number()
    .min(0)
    .max(1)
    .default(1)
    .meta({ description: 'probability the toxic applies to a connection (default 1)' }),
  name: label('toxic name (default <type>_<stream>)').optional(),
};

/** Keys every toxic fault has besides its attributes. */
export const TOXIC_COMMON_KEYS = ['type', ...Object.keys(toxicCommon)] as const;

function streamsOf(f: { stream: ToxicStream }): Stream[] {
  return f.stream === 'both' ? ['upstream', 'downstream'] : [f.stream];
}

/** Toxiproxy names of the toxic(s) a fault creates: <name or type>_<stream>, or <name> for one stream. */
export function toxicNames(f: { type: string; stream: ToxicStream; name?: string }): string[] {
  const streams = streamsOf(f);
  if (f.name !== undefined) return f.stream === 'both' ? streams.map((s) => `${f.name}_${s}`) : [f.name];
  return streams.map((s) => `${f.type}_${s}`);
}

/** The addToxic request(s) for a toxic fault: one per stream. */
export function toxicInputs<T extends ToxicType>(
  f: ToxicFaultOf<T>,
): { type: T; name: string; stream: Stream; toxicity: number; attributes: Record<string, number> }[] {
  const names = toxicNames(f);
  return streamsOf(f).map((stream, i) => ({
    type: f.type,
    name: names[i]!,
    stream,
    toxicity: f.toxicity,
    attributes: { ...(f.attributes as Record<string, number>) },
  }));
}

/** Which directions a toxic on `stream` acts on. */
export function directions(f: { stream: ToxicStream }): { up: boolean; down: boolean } {
  return { up: f.stream !== 'downstream', down: f.stream !== 'upstream' };
}

/**
 * A black hole at the proxy. Toxiproxy acts at the proxy, which shares a rack with the server: a chunk
 * is lost when it reaches the proxy at or after f, so for the client ρ = d_u whichever direction is
 * cut (a pong leaves the proxy the instant its ping reached it); a server ping fails when it (down)
 * or its pong (up: back at the proxy r later) reaches the proxy after f.
 */
export function proxyCut(m: Model, up: boolean, down: boolean): Sides {
  return m.cut({
    up,
    down,
    rhoClient: m.rho(true, false),
    rhoServer: down ? m.rho(false, false) : m.rho(true, true),
    readSendTime: false,
  });
}

/** The proxy closes both sockets at `closeAt` after f; the client hears it one down leg later. */
export function proxyCloses(m: Model, closeAt: Mechanism): { client: Mechanism; server: Mechanism } {
  return {
    client: {
      ...closeAt,
      min: closeAt.min + m.dd - m.jd,
      max: closeAt.max + m.dd + m.jd,
      why: `the proxy closes, it reaches the client (+${m.dd}) after [${closeAt.why}]`,
    },
    server: closeAt,
  };
}

interface ToxicDefinition<T extends ToxicType, A extends z.ZodRawShape> {
  type: T;
  summary: string;
  attributes: A;
  /** Attributes of a small valid example (defaults for the rest). */
  example: Record<string, unknown>;
  /** Attributes that are durations in ms (written back readable). */
  durations?: readonly (keyof A & string)[];
  /**
   * Combinations of attribute values Toxiproxy accepts but cannot run (slicer: average_size 0), each
   * as the attribute to point at and why: refused by the schema, with the file's line and column,
   * rather than by the proxy once the run has started.
   */
  check?(attributes: Record<string, number>): { attribute: keyof A & string; message: string }[];
  classify?(f: ToxicFaultOf<T>): FaultClass;
  detection?(entry: Entry<ToxicFaultOf<T>>, m: Model): Sides | undefined;
  looseBound?(f: ToxicFaultOf<T>): string | undefined;
  /** Named arbitraries for property timelines in the proxy topology. */
  arbitraries?: Readonly<Record<string, fc.Arbitrary<ToxicFaultOf<T>>>>;
}

/** A toxic as a fault kind: Toxiproxy's vocabulary on both backends, one addToxic per stream. */
export function defineToxic<T extends ToxicType, A extends z.ZodRawShape>(def: ToxicDefinition<T, A>) {
  const schema = z
    .strictObject({ type: z.literal(def.type), ...toxicCommon, ...def.attributes })
    .check((ctx) => {
      // Only a fault whose attributes are each valid is checked as a whole.
      if (ctx.issues.length) return;
      const {
        type: _t,
        stream: _s,
        toxicity: _x,
        name: _n,
        ...attributes
      } = ctx.value as Record<string, unknown>;
      const numbers = attributes as Record<string, number>;
      const problems = def.check?.(numbers) ?? [];
      for (const p of problems) {
        ctx.issues.push({
          code: 'custom',
          path: [p.attribute],
          message: p.message,
          input: numbers[p.attribute],
        });
      }
      if (problems.length) return;
      // Whatever else the proxies (simulated and real) would refuse is refused here, not mid-run.
      try {
        normalizeToxic({ type: def.type, stream: 'downstream', toxicity: 1, attributes: numbers });
      } catch (e) {
        if (!(e instanceof FaultProxyError)) throw e;
        const message = e.message.replace(/^proxy "[^"]*", toxic "[^"]*": |^toxic "[^"]*": /, '');
        ctx.issues.push({ code: 'custom', path: ['type'], message, input: def.type });
      }
    });
  const kind: FaultKind<T, ToxicFaultOf<T>, typeof schema> = defineFault({
    type: def.type,
    summary: def.summary,
    example: { type: def.type, ...def.example },
    placement: 'proxy',
    schema,
    normalize(parsed) {
      const { type, stream, toxicity, name, ...attributes } = parsed as unknown as {
        type: T;
        stream: ToxicStream;
        toxicity: number;
        name?: string;
      } & Record<string, number>;
      const out: ToxicFaultOf<T> = { type, stream, toxicity, attributes: attributes as ToxicAttributes<T> };
      if (name !== undefined) out.name = name;
      return out;
    },
    toInput(f, d) {
      const { attributes, ...rest } = f;
      const attrs: Record<string, unknown> = { ...attributes };
      for (const key of def.durations ?? []) if (key in attrs) attrs[key] = d(attrs[key] as number);
      return { ...rest, ...attrs };
    },
    holds: (f) => ({
      keys: toxicNames(f),
      path: ['fault', f.name !== undefined ? 'name' : 'type'],
      message: (shared, other) =>
        `toxic ${shared.map((n) => quote(n)).join(', ')} is already active from ${other} at this time (Toxiproxy answers 409); give one a different name or stream, or make them not overlap`,
    }),
    classify: (f) => def.classify?.(f) ?? 'benign',
    target: (f) => `proxy ${f.stream}`,
    async apply(target, entry) {
      const proxy = target.proxy!;
      const inputs = toxicInputs(entry.fault);
      for (const t of inputs) await proxy.addToxic(t);
      return async () => {
        for (const t of inputs) await proxy.removeToxic(t.name);
      };
    },
    ...(def.detection ? { detection: def.detection } : {}),
    ...(def.looseBound ? { looseBound: def.looseBound } : {}),
    ...(def.arbitraries ? { arbitraries: def.arbitraries } : {}),
  });
  return kind;
}

/** Whether a fault is one of Toxiproxy's toxics (as opposed to proxy-down or a direct-topology fault). */
export function isToxicFault(f: { type: string }): f is ToxicFault {
  return isToxicType(f.type);
}
