/**
 * The scenario format: what a scenario file (YAML) or the builder (TypeScript) may say, validated by
 * zod, and the normalized form the runner consumes (every duration in whole ms, every default filled
 * in). The parts live where they belong: shared field types in fields.ts, the topology in
 * topology.ts, each fault kind in harness/faults/ (the registry makes the fault union), expectations
 * in expectation-schema.ts, and the reference subject's config in harness/subjects/reference-config.ts.
 *
 * Validation happens in three layers, all reported together with paths (the loader turns paths into
 * file:line:column):
 *  1. `scenarioInputSchema`: shape, types, units, enumerations, strict keys.
 *  2. the subject's config: for the reference subject, `referenceConfigSchema` (F18); other subjects'
 *     config is free-form and handed to them as written.
 *  3. cross-field checks (`checkScenario`): until after at, faults inside the duration, a fault's
 *     topology, overlapping faults that clash, expectations that refer to faults, contradictions.
 * `parseScenario` runs all three; use it (or the loader/builder) rather than the schemas directly.
 */
import { z } from 'zod';
import {
  type FaultEntry,
  type FaultInput,
  faultInputSchema,
  kindOf,
  normalizeFault,
  typesPlaced,
} from '../faults/registry.ts';
import type { ReferenceConfig } from '../subjects/reference-config.ts';
import { subjectConfigSchema } from '../subjects/registry.ts';
import {
  type Expectation,
  type ExpectationType,
  expectationInputSchema,
  normalizeExpectation,
} from './expectation-schema.ts';
import { duration, label, positiveInt, printable, quote } from './fields.ts';
import { durationLimit, formatCount, LIMITS, simulatedWork } from './limits.ts';
import { type Topology, topologySchema } from './topology.ts';

export type { FaultEntry, FaultInput };

const faultEntryInputSchema = z.strictObject({
  id: label('name used by expectations and reports (default <type>-<n>)').optional(),
  at: duration('onset, from the start of the run'),
  until: duration('heal time, from the start of the run (default: lasts to the end)').optional(),
  for: duration('length of the fault (instead of until)').optional(),
  fault: faultInputSchema,
});

export type FaultEntryInput = z.input<typeof faultEntryInputSchema>;

// ---------------------------------------------------------------------------------------------
// the scenario

function tooMany(key: 'faults' | 'expect', input: unknown): string {
  const n = Array.isArray(input) ? input.length : 0;
  return key === 'faults'
    ? `at most ${LIMITS.faults} faults in a scenario, got ${formatCount(n)}`
    : `at most ${LIMITS.expectations} expectations in a scenario, got ${formatCount(n)}`;
}

export const scenarioInputSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'path of this JSON Schema, for editors' }),
    name: label('short unique name, used in reports and replay commands'),
    description: z.string().default('').meta({ description: 'what the scenario shows and why it matters' }),
    subject: label('implementation under test (default reference: the client and server in impl/)').default(
      'reference',
    ),
    config: z
      .record(z.string(), z.unknown())
      .default({})
      .meta({ description: 'the subject’s settings; for the reference subject, F18’s settings' }),
    topology: topologySchema,
    duration: duration(`length of the run (at most ${LIMITS.duration / 86_400_000} days)`),
    clients: positiveInt(`number of clients (default 1, at most ${LIMITS.clients})`)
      .max(LIMITS.clients, {
        error: (issue) =>
          `at most ${LIMITS.clients} clients (the simulator has addresses for 762 hosts, and a run's work grows with each client), got ${issue.input}`,
      })
      .default(1),
    seed: z.number().int().min(0).max(0xffff_ffff).optional().meta({
      description: 'seed of the run’s random generator (default: chosen and printed by the runner)',
    }),
    faults: z
      .array(faultEntryInputSchema)
      .max(LIMITS.faults, { error: (issue) => tooMany('faults', issue.input) })
      .default([])
      .meta({ description: `the fault timeline (at most ${LIMITS.faults} faults)` }),
    expect: z
      .array(expectationInputSchema)
      .max(LIMITS.expectations, { error: (issue) => tooMany('expect', issue.input) })
      .default([])
      .meta({ description: `what must hold for the run to pass (at most ${LIMITS.expectations})` }),
  })
  .meta({ title: 'flatline scenario', description: 'A heartbeat scenario for flatline (see docs).' });

export type ScenarioInput = z.input<typeof scenarioInputSchema>;
type ScenarioParsed = z.output<typeof scenarioInputSchema>;

export type SubjectConfig = ReferenceConfig | Record<string, unknown>;

/** The normalized scenario: whole-ms durations, defaults filled in, faults and expectations typed. */
export interface Scenario {
  name: string;
  description: string;
  subject: string;
  /** ReferenceConfig when subject is 'reference' (see referenceConfigOf), else as written. */
  config: SubjectConfig;
  topology: Topology;
  duration: number;
  clients: number;
  seed?: number;
  faults: FaultEntry[];
  expect: Expectation[];
}

/** The reference subject's typed config, or undefined for another subject. */
export function referenceConfigOf(s: Scenario): ReferenceConfig | undefined {
  return s.subject === 'reference' ? (s.config as ReferenceConfig) : undefined;
}

// ---------------------------------------------------------------------------------------------
// parsing and cross-field checks

/** One problem, located by its path in the input (the loader maps paths to line:column). */
export interface RawIssue {
  path: (string | number)[];
  message: string;
  /** zod's issue when the problem came from zod, for richer messages (see issues.ts). */
  zod?: z.core.$ZodIssue;
}

export type ParseResult = { ok: true; scenario: Scenario } | { ok: false; issues: RawIssue[] };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates and normalizes a scenario (layers 1–3), collecting every issue rather than the first. */
export function parseScenario(raw: unknown): ParseResult {
  const issues: RawIssue[] = [];
  // Long lists are refused before anything looks at their items: validating, cross-checking and
  // reporting on a hundred thousand faults is where the time would go.
  if (isRecord(raw)) {
    for (const key of ['faults', 'expect'] as const) {
      const list = raw[key];
      const max = key === 'faults' ? LIMITS.faults : LIMITS.expectations;
      if (Array.isArray(list) && list.length > max) issues.push({ path: [key], message: tooMany(key, list) });
    }
    if (issues.length) return { ok: false, issues };
  }
  const base = scenarioInputSchema.safeParse(raw, { reportInput: true });
  if (!base.success) {
    for (const zi of base.error.issues)
      issues.push({ path: zi.path as (string | number)[], message: zi.message, zod: zi });
  }
  const rawObj = isRecord(raw) ? raw : {};
  const subject = rawObj.subject ?? 'reference';
  let config: SubjectConfig | undefined = base.success ? base.data.config : undefined;
  const configSchema = typeof subject === 'string' ? subjectConfigSchema(subject) : undefined;
  let configValid = !configSchema;
  if (configSchema && (rawObj.config === undefined || isRecord(rawObj.config))) {
    const parsed = configSchema.safeParse(rawObj.config ?? {}, { reportInput: true });
    if (parsed.success) {
      config = parsed.data as SubjectConfig;
      configValid = true;
    } else {
      for (const zi of parsed.error.issues) {
        issues.push({ path: ['config', ...(zi.path as (string | number)[])], message: zi.message, zod: zi });
      }
    }
  }
  if (!base.success || config === undefined) return { ok: false, issues };
  const scenario = normalizeScenario(base.data, config);
  for (const issue of checkScenario(scenario, rawObj, configValid)) issues.push(issue);
  return issues.length ? { ok: false, issues } : { ok: true, scenario };
}

function normalizeScenario(s: ScenarioParsed, config: SubjectConfig): Scenario {
  const faults: FaultEntry[] = s.faults.map((e, i) => {
    const fault = normalizeFault(e.fault);
    const stated = kindOf(e.fault).lengthOf?.(e.fault as never);
    const until =
      e.until ?? (e.for !== undefined ? e.at + e.for : stated !== undefined ? e.at + stated : undefined);
    const entry: FaultEntry = { id: e.id ?? `${e.fault.type}-${i + 1}`, at: e.at, fault };
    if (until !== undefined) entry.until = until;
    return entry;
  });
  const out: Scenario = {
    name: s.name,
    description: s.description,
    subject: s.subject,
    config,
    topology: s.topology,
    duration: s.duration,
    clients: s.clients,
    faults,
    expect: s.expect.map(normalizeExpectation),
  };
  if (s.seed !== undefined) out.seed = s.seed;
  return out;
}

/** Known fault ids for a message: escaped, at most 10 of them. */
function knownIds(ids: readonly string[]): string {
  const shown = ids.slice(0, 10).map((id) => printable(id, 40));
  return ids.length > 10 ? `${shown.join(', ')} and ${ids.length - 10} more` : shown.join(', ');
}

function has(raw: unknown, path: readonly (string | number)[]): boolean {
  let v = raw;
  for (const seg of path) {
    if (!v || typeof v !== 'object') return false;
    v = (v as Record<string | number, unknown>)[seg as string];
  }
  return v !== undefined;
}

/**
 * The simulated work a run asks for, bounded (limits.ts): clients × duration, and the heartbeats and
 * other timed events the simulator will step through. Reported at the setting that drives it.
 */
function checkWork(
  s: Scenario,
  raw: Record<string, unknown>,
  add: (path: (string | number)[], message: string) => void,
): void {
  const clientTime = s.clients * s.duration;
  if (clientTime > LIMITS.clientTime) {
    const days = (ms: number) => `${+(ms / 86_400_000).toFixed(1)} client-days`;
    add(
      ['duration'],
      `${s.clients} clients × ${durationLimit(s.duration)} is ${days(clientTime)}; a run simulates at most ${days(LIMITS.clientTime)} (e.g. 50 clients for a day) — use fewer clients or a shorter duration`,
    );
    return;
  }
  const parts = simulatedWork(s, referenceConfigOf(s));
  const total = parts.reduce((sum, p) => sum + p.count, 0);
  if (total <= LIMITS.events) return;
  const top = parts[0]!;
  add(
    has(raw, top.path) ? top.path : ['duration'],
    `the run would simulate about ${formatCount(total)} heartbeats and other timed events, at most ${formatCount(LIMITS.events)} per run; most of them are ${top.what} = ${formatCount(top.count)} — use a shorter duration, fewer clients or a longer period`,
  );
}

function overlaps(a: FaultEntry, b: FaultEntry, end: number): boolean {
  return a.at < (b.until ?? end) && b.at < (a.until ?? end);
}

/**
 * Layer 3: checks across fields of a normalized scenario. `raw` (the input as written) only picks
 * the path an error points at (e.g. `for` rather than `until` when that is what the author wrote);
 * `configValid` false when the subject's config had problems (already reported).
 */
export function checkScenario(
  s: Scenario,
  raw: Record<string, unknown> = {},
  configValid = true,
): RawIssue[] {
  const issues: RawIssue[] = [];
  const rawFaults = Array.isArray(raw.faults) ? raw.faults : [];
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });

  if (s.duration <= 0) add(['duration'], 'duration must be more than 0 ms');
  // The simulated work is estimated from the subject's settings: only once they are valid.
  if (configValid) checkWork(s, raw, add);

  const ids = new Map<string, number>();
  s.faults.forEach((entry, i) => {
    const r = isRecord(rawFaults[i]) ? (rawFaults[i] as Record<string, unknown>) : {};
    const rf = isRecord(r.fault) ? r.fault : {};
    const untilKey: (string | number)[] =
      r.until !== undefined
        ? ['until']
        : r.for !== undefined
          ? ['for']
          : rf.for !== undefined
            ? ['fault', 'for']
            : ['at'];
    const at = ['faults', i, 'at'];
    const until = ['faults', i, ...untilKey];
    const given = [
      r.until !== undefined && 'until',
      r.for !== undefined && 'for',
      rf.for !== undefined && 'fault.for',
    ].filter((g): g is string => typeof g === 'string');
    if (given.length > 1) {
      const second = rf.for !== undefined ? ['fault', 'for'] : ['for'];
      add(
        ['faults', i, ...second],
        `give only one of ${given.join(', ')} (they all set when the fault heals)`,
      );
    }
    if (entry.until !== undefined && entry.until <= entry.at) {
      add(until, `the fault must heal after it starts: until (${entry.until} ms) ≤ at (${entry.at} ms)`);
    }
    if (entry.at >= s.duration) {
      add(
        at,
        `the fault starts at ${entry.at} ms, at or after the end of the run (duration ${s.duration} ms)`,
      );
    } else if (entry.until !== undefined && entry.until > s.duration) {
      add(
        until,
        `the fault heals at ${entry.until} ms, after the end of the run (duration ${s.duration} ms)`,
      );
    }
    const type = entry.fault.type;
    const placement = kindOf(entry.fault).placement;
    if (placement === 'direct' && s.topology.kind !== 'direct') {
      add(
        ['faults', i, 'fault', 'type'],
        `${type} is a sim-only fault: it needs topology direct (this scenario uses ${s.topology.kind}); Toxiproxy cannot make it`,
      );
    }
    if (placement === 'proxy' && s.topology.kind !== 'proxy') {
      add(
        ['faults', i, 'fault', 'type'],
        `${type} is a Toxiproxy fault: it needs topology proxy (this scenario uses ${s.topology.kind}); use a sim-only fault (${typesPlaced('direct').join(', ')}) on a direct topology`,
      );
    }
    const seen = ids.get(entry.id);
    if (seen !== undefined)
      add(
        ['faults', i, r.id !== undefined ? 'id' : 'fault'],
        `fault id ${quote(entry.id)} is already used by faults[${seen}]`,
      );
    else ids.set(entry.id, i);
  });

  // Two overlapping faults must not hold the same thing: a toxic name (Toxiproxy answers 409 to the
  // second), the proxy's switch.
  // One issue per fault, naming the first earlier fault it clashes with: n faults that all clash
  // are n − 1 problems, not n²/2.
  const holds = s.faults.map((entry) => kindOf(entry.fault).holds?.(entry.fault as never));
  s.faults.forEach((a, i) => {
    const mine = holds[i];
    if (!mine) return;
    for (let j = 0; j < i; j++) {
      const theirs = holds[j];
      if (!theirs || !overlaps(a, s.faults[j]!, s.duration)) continue;
      const shared = mine.keys.filter((k) => theirs.keys.includes(k));
      if (shared.length) {
        add(['faults', i, ...mine.path], mine.message(shared, `faults[${j}]`));
        break;
      }
    }
  });

  const config = referenceConfigOf(s);
  const noFalse = new Map<string, number>();
  s.expect.forEach((e, i) => {
    if ('fault' in e && e.fault !== undefined && !ids.has(e.fault)) {
      const known = [...ids.keys()];
      add(
        ['expect', i, 'fault'],
        `no fault has id ${quote(e.fault)} (${known.length ? `known: ${knownIds(known)}` : 'the scenario has no faults'})`,
      );
    }
    const needsFault: ExpectationType[] = ['detect', 'falseDetection', 'reconnect', 'maxAttempts', 'gaveUp'];
    if (needsFault.includes(e.type) && s.faults.length === 0) {
      add(['expect', i, 'type'], `${e.type} is about a fault, but the scenario has no faults`);
    }
    if (e.type === 'gaveUp' && config && config.backoff.maxAttempts === undefined) {
      add(
        ['expect', i, 'type'],
        'gaveUp needs config.backoff.maxAttempts: without it the client never gives up (F13)',
      );
    }
    if (e.type === 'overhead' && e.messagesPerHour === undefined && e.bytesPerHour === undefined) {
      add(['expect', i], 'overhead needs messagesPerHour or bytesPerHour');
    }
    if (e.type === 'noFalseDetection') noFalse.set(e.side, i);
  });
  s.expect.forEach((e, i) => {
    if (e.type !== 'falseDetection') return;
    const clash = [...noFalse.entries()].find(
      ([side]) => side === 'both' || e.side === 'either' || side === e.side,
    );
    if (clash) {
      add(
        ['expect', i, 'type'],
        `falseDetection (side ${e.side}) contradicts noFalseDetection (side ${clash[0]}) at expect[${clash[1]}]`,
      );
    }
  });
  return issues;
}
