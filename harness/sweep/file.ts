/**
 * The sweep file (`flatline sweep sweep.yaml`): the same spec as the flags, in YAML, validated with
 * zod; every problem is reported at once as FILE:LINE:COLUMN, the path inside the file and what was
 * expected, like the scenario loader does. Scenario files named in it are relative to it.
 *
 *   name: checkout-service
 *   grid:
 *     interval: [5s, 10s, 30s]          # or "5s..30s/4"
 *     pongTimeout: 2s..10s/3            # or multiples of the interval: 0.3x
 *     readDeadline: 1.5x
 *     missThreshold: [1, 3]
 *     backoff: [seed, {policy: grpc, cap: 30s}]
 *   faults: [black-hole, partition]     # built-in fault scenarios
 *   scenarios: [scenarios/nat.yaml]     # scenario files (faults and topology; the config is swept)
 *   latency: [lan, mobile, {name: office, p50: 20ms, p99: 80ms}, {latency: 10ms, jitter: 3ms}]
 *   seeds: 10                           # or a list: [1, 7, 42]
 *   phase: true
 *   goals:
 *     detectWithin: 30s                 # the p99; or {p99: 30s, max: 45s}
 *     detectSide: client
 *     maxFalseRate: 0.1                 # per connection-hour
 *     tolerateLatency: 800ms
 *     reconnectWithin: 1m
 *     maxOverhead: 1000
 *   presets: [grpc, mqtt]
 *   maxRuns: 2000
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { STATISTICS, type Statistic } from '../observe/samples.ts';
import { formatDuration } from '../scenario/duration.ts';
import type { ScenarioIssue } from '../scenario/errors.ts';
import { didYouMean, formatPath, friendlyIssues } from '../scenario/issues.ts';
import { type Position, parseYamlSource, unreadable } from '../scenario/loader.ts';
import type { RawIssue } from '../scenario/schema.ts';
import { type AxisInput, parseCountAxis, parseDurationAxis } from './axis.ts';
import { parseBackoff, parseBackoffObject } from './backoff.ts';
import { SweepSpecError, ValueError } from './errors.ts';
import type { DetectGoal } from './goals.ts';
import { parsePresets } from './presets.ts';
import {
  checkDistinct,
  type LatencyProfile,
  PROFILE_NAME,
  parseProfile,
  profileFromLeg,
  profileFromRtt,
} from './profiles.ts';
import { parseBuiltins } from './scenarios.ts';
import type { GoalParts, SpecParts } from './sweep-spec.ts';
import {
  parseDetectGoals,
  parseDetectSide,
  parseMaxRuns,
  parsePositiveDuration,
  parseRate,
  parseSeeds,
} from './values.ts';

/** A scenario selector and where it was written. */
export interface SelectorRef {
  selector: string;
  /** Directory the selector is relative to. */
  cwd: string;
  /** The selector's place in the sweep file, for "no such file" errors. */
  origin?: Omit<ScenarioIssue, 'message'>;
}

export interface FileParts {
  parts: SpecParts;
  scenarioSelectors: SelectorRef[];
}

const value = z.union([z.string(), z.number()]);
const axis = z.union([z.string(), z.number(), z.array(value)]);
const words = z.union([z.string(), z.array(z.string())]);
const backoffItem = z.union([z.string(), z.record(z.string(), z.unknown())]);
const profileObject = z.strictObject({
  name: z.string().min(1).optional(),
  p50: value.optional(),
  p99: value.optional(),
  latency: value.optional(),
  jitter: value.optional(),
});
const detectObject = z.strictObject(
  Object.fromEntries(STATISTICS.map((s) => [s, value.optional()])) as Record<
    Statistic,
    z.ZodOptional<typeof value>
  >,
);

const gridSchema = z.strictObject({
  interval: axis.optional(),
  pongTimeout: axis.optional(),
  readDeadline: axis.optional(),
  missThreshold: axis.optional(),
  backoff: z.union([backoffItem, z.array(backoffItem)]).optional(),
});
const goalsSchema = z.strictObject({
  detectWithin: z.union([value, detectObject]).optional(),
  detectSide: z.string().optional(),
  maxFalseRate: value.optional(),
  tolerateLatency: value.optional(),
  reconnectWithin: value.optional(),
  maxOverhead: value.optional(),
});

export const sweepFileSchema = z.strictObject({
  $schema: z.string().optional(),
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  grid: gridSchema.optional(),
  faults: words.optional(),
  scenarios: words.optional(),
  latency: z.union([z.string(), z.array(z.union([z.string(), profileObject]))]).optional(),
  seeds: z.union([z.number(), z.string(), z.array(value)]).optional(),
  phase: z.boolean().optional(),
  goals: goalsSchema.optional(),
  presets: words.optional(),
  presetsOnly: z.boolean().optional(),
  maxRuns: z.number().optional(),
});

type SweepFileInput = z.output<typeof sweepFileSchema>;

/** Keys each mapping accepts, for "unknown key" messages. */
const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(sweepFileSchema.shape),
  grid: Object.keys(gridSchema.shape),
  goals: Object.keys(goalsSchema.shape),
  'goals.detectWithin': STATISTICS,
  latency: ['name', 'p50', 'p99', 'latency', 'jitter'],
};

function knownKeysAt(p: readonly (string | number)[]): readonly string[] | undefined {
  const key = p.filter((s) => typeof s === 'string').join('.');
  return KNOWN_KEYS[key];
}

type Path = (string | number)[];

/** Parses a sweep file's text; `file` is used in messages and as the base of relative paths. */
export function parseSweepText(text: string, file: string): FileParts {
  const source = parseYamlSource(text, file);
  if (source.issues.length) throw new SweepSpecError(source.issues);
  const raw = source.value;
  const issues: (ScenarioIssue & Position)[] = [];
  const add = (p: Path, message: string, atKey = false) =>
    issues.push({ file, ...source.locate(p, atKey), path: formatPath(p), message });
  if (raw === null || raw === undefined) {
    add([], 'the file is empty: a sweep file is a mapping (grid, faults, latency, seeds, goals, …)');
    throw new SweepSpecError(issues);
  }
  const parsed = sweepFileSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) {
    const rest: RawIssue[] = [];
    for (const zi of parsed.error.issues) {
      const p = zi.path as Path;
      if (zi.code === 'unrecognized_keys') {
        const known = knownKeysAt(p);
        for (const key of zi.keys) {
          const guess = known ? didYouMean(key, known) : undefined;
          add(
            [...p, key],
            `unknown key "${key}"${guess ? ` (did you mean "${guess}"?)` : ''}${known ? `; expected one of ${known.join(', ')}` : ''}`,
            true,
          );
        }
      } else rest.push({ path: p, message: zi.message, zod: zi });
    }
    for (const f of friendlyIssues(rest, raw)) add(f.path, f.message, f.atKey);
  }
  // Read every field that has the right shape even when others do not, so one pass reports every
  // problem in the file.
  const data = parsed.success ? parsed.data : salvage(raw);
  const dir = path.dirname(file);
  const out = readParts(data, add);
  const scenarioSelectors = listOf(data.scenarios).map((selector, i) => {
    const p: Path = Array.isArray(data.scenarios) ? ['scenarios', i] : ['scenarios'];
    return { selector, cwd: dir, origin: { file, ...source.locate(p), path: formatPath(p) } };
  });
  if (issues.length === 0) return { parts: out, scenarioSelectors };
  issues.sort((a, b) => a.line - b.line || a.column - b.column);
  throw new SweepSpecError(issues);
}

/** The fields of a file that failed validation which are fine on their own (one level into grid and goals). */
function salvage(raw: unknown): SweepFileInput {
  const out: Record<string, unknown> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return out as SweepFileInput;
  const shape = sweepFileSchema.shape as Record<string, z.ZodType>;
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const schema = shape[key];
    if (!schema) continue;
    const whole = schema.safeParse(value);
    if (whole.success) out[key] = whole.data;
    else if (
      (key === 'grid' || key === 'goals') &&
      value &&
      typeof value === 'object' &&
      !Array.isArray(value)
    ) {
      const inner = (key === 'grid' ? gridSchema : goalsSchema).shape as Record<string, z.ZodType>;
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => {
          const r = inner[k]?.safeParse(v);
          return r?.success ? [[k, r.data]] : [];
        }),
      );
    }
  }
  return out as SweepFileInput;
}

function listOf(v: string | readonly string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : [...v];
}

/** Reads one field; a ValueError becomes an issue at the field (or the list item it names). */
function field<T>(
  add: (p: Path, m: string) => void,
  p: Path,
  input: unknown,
  isList: boolean,
  parse: () => T,
  set: (v: T) => void,
): void {
  if (input === undefined) return;
  try {
    set(parse());
  } catch (e) {
    if (!(e instanceof ValueError)) throw e;
    add(isList && e.index !== undefined ? [...p, e.index] : p, e.message);
  }
}

function profileOf(item: string | z.output<typeof profileObject>): LatencyProfile {
  if (typeof item === 'string') return parseProfile(item);
  const hasRtt = item.p50 !== undefined || item.p99 !== undefined;
  const hasLeg = item.latency !== undefined || item.jitter !== undefined;
  if (item.name !== undefined && !PROFILE_NAME.test(item.name)) {
    throw new ValueError(
      `"${item.name}": a profile name starts with a letter and has letters, digits, . _ -`,
    );
  }
  if (hasRtt === hasLeg) {
    throw new ValueError(
      'give p50 and p99 (of the round trip) or latency and jitter (per leg), not both or neither',
    );
  }
  const ms = (v: string | number, what: string) => parsePositiveDuration(v, what, { zero: true });
  const f = formatDuration;
  if (hasRtt) {
    if (item.p50 === undefined || item.p99 === undefined) throw new ValueError('give both p50 and p99');
    const p50 = ms(item.p50, 'p50');
    const p99 = ms(item.p99, 'p99');
    const body = `${f(p50)}/${f(p99)}`;
    return profileFromRtt(item.name ?? body, p50, p99, item.name ? `${item.name}=${body}` : body);
  }
  const latency = ms(item.latency ?? 0, 'latency');
  const jitter = ms(item.jitter ?? 0, 'jitter');
  const body = `${f(latency)}+-${f(jitter)}`;
  return profileFromLeg(
    item.name ?? `${f(latency)}±${f(jitter)}`,
    { latency, jitter },
    item.name ? `${item.name}=${body}` : body,
  );
}

function detectGoalsOf(v: string | number | Partial<Record<Statistic, string | number>>): DetectGoal[] {
  if (typeof v === 'number') return [{ stat: 'p99', within: parsePositiveDuration(v, 'detectWithin') }];
  if (typeof v === 'string') return parseDetectGoals(v);
  const out: DetectGoal[] = [];
  for (const stat of STATISTICS) {
    const x = v[stat];
    if (x !== undefined) out.push({ stat, within: parsePositiveDuration(x, `detectWithin.${stat}`) });
  }
  if (out.length === 0) throw new ValueError(`give at least one of ${STATISTICS.join(', ')}`);
  return out;
}

function readParts(d: SweepFileInput, add: (p: Path, m: string) => void): SpecParts {
  const parts: SpecParts = {};
  if (d.name !== undefined) parts.name = d.name;
  const g = d.grid ?? {};
  const isList = (v: unknown) => Array.isArray(v);
  field(
    add,
    ['grid', 'interval'],
    g.interval,
    isList(g.interval),
    () => parseDurationAxis(g.interval as AxisInput) as number[],
    (v) => (parts.interval = v),
  );
  field(
    add,
    ['grid', 'pongTimeout'],
    g.pongTimeout,
    isList(g.pongTimeout),
    () => parseDurationAxis(g.pongTimeout as AxisInput, { relative: true }),
    (v) => (parts.pongTimeout = v),
  );
  field(
    add,
    ['grid', 'readDeadline'],
    g.readDeadline,
    isList(g.readDeadline),
    () => parseDurationAxis(g.readDeadline as AxisInput, { relative: true }),
    (v) => (parts.readDeadline = v),
  );
  field(
    add,
    ['grid', 'missThreshold'],
    g.missThreshold,
    isList(g.missThreshold),
    () => parseCountAxis(g.missThreshold as AxisInput, { min: 1 }),
    (v) => (parts.missThreshold = v),
  );
  if (g.backoff !== undefined) {
    const list = Array.isArray(g.backoff) ? g.backoff : [g.backoff];
    const backoffs = list.flatMap((b, i) => {
      const p: Path = Array.isArray(g.backoff) ? ['grid', 'backoff', i] : ['grid', 'backoff'];
      try {
        return [typeof b === 'string' ? parseBackoff(b) : parseBackoffObject(b)];
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        add(p, e.message);
        return [];
      }
    });
    if (backoffs.length === list.length) parts.backoff = backoffs;
  }
  field(
    add,
    ['faults'],
    d.faults,
    isList(d.faults),
    () => parseBuiltins(d.faults!),
    (v) => (parts.faults = v),
  );
  if (d.latency !== undefined) {
    const list = typeof d.latency === 'string' ? d.latency.split(',') : d.latency;
    const profiles = list.flatMap((item, i) => {
      try {
        return [profileOf(item)];
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        add(typeof d.latency === 'string' ? ['latency'] : ['latency', i], e.message);
        return [];
      }
    });
    if (profiles.length === list.length) {
      field(
        add,
        ['latency'],
        profiles,
        isList(d.latency),
        () => {
          checkDistinct(profiles);
          return profiles;
        },
        (v) => (parts.profiles = v),
      );
    }
  }
  field(
    add,
    ['seeds'],
    d.seeds,
    isList(d.seeds),
    () => parseSeeds(d.seeds!),
    (v) => (parts.seeds = v),
  );
  if (d.phase !== undefined) parts.phase = d.phase;
  if (d.goals) {
    const goals: GoalParts = {};
    const gl = d.goals;
    field(
      add,
      ['goals', 'detectWithin'],
      gl.detectWithin,
      false,
      () => detectGoalsOf(gl.detectWithin!),
      (v) => (goals.detectWithin = v),
    );
    field(
      add,
      ['goals', 'detectSide'],
      gl.detectSide,
      false,
      () => parseDetectSide(gl.detectSide!),
      (v) => (goals.detectSide = v),
    );
    field(
      add,
      ['goals', 'maxFalseRate'],
      gl.maxFalseRate,
      false,
      () => parseRate(gl.maxFalseRate!, 'maxFalseRate'),
      (v) => (goals.maxFalseRate = v),
    );
    field(
      add,
      ['goals', 'tolerateLatency'],
      gl.tolerateLatency,
      false,
      () => parsePositiveDuration(gl.tolerateLatency!, 'tolerateLatency', { zero: true }),
      (v) => (goals.tolerateLatency = v),
    );
    field(
      add,
      ['goals', 'reconnectWithin'],
      gl.reconnectWithin,
      false,
      () => parsePositiveDuration(gl.reconnectWithin!, 'reconnectWithin'),
      (v) => (goals.reconnectWithin = v),
    );
    field(
      add,
      ['goals', 'maxOverhead'],
      gl.maxOverhead,
      false,
      () => parseRate(gl.maxOverhead!, 'maxOverhead', { positive: true }),
      (v) => (goals.maxOverhead = v),
    );
    parts.goals = goals;
  }
  field(
    add,
    ['presets'],
    d.presets,
    isList(d.presets),
    () => parsePresets(d.presets!),
    (v) => (parts.presets = v),
  );
  if (d.presetsOnly !== undefined) parts.presetsOnly = d.presetsOnly;
  field(
    add,
    ['maxRuns'],
    d.maxRuns,
    false,
    () => parseMaxRuns(d.maxRuns!),
    (v) => (parts.maxRuns = v),
  );
  return parts;
}

/** Reads and parses a sweep file. Throws SweepSpecError. */
export async function loadSweepFile(file: string): Promise<FileParts> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new SweepSpecError([{ file, path: '', message: `cannot read the sweep file: ${unreadable(e)}` }]);
  }
  return parseSweepText(text, file);
}
