/**
 * Turns zod's issues into messages a scenario author can act on: "expected one of latency, bandwidth,
 * … got "lag"", "unknown key "untill" (did you mean "until"?)", "required". Used by the loader
 * (which adds file:line:column) and the builder (which names the call).
 */
import type { z } from 'zod';
import { referenceConfigSchema } from '../subjects/reference-config.ts';
import { printable, quote, showValue } from './fields.ts';
import { type RawIssue, scenarioInputSchema } from './schema.ts';

export interface FriendlyIssue {
  path: (string | number)[];
  message: string;
  /** The path names a key that should not be there: point at the key, not its value. */
  atKey: boolean;
}

/** faults[1].fault.type */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${quote(seg, 40)}]`;
  }
  return out;
}

function distance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** The closest candidate when it is close enough to be a typo, else undefined. */
export function didYouMean(word: unknown, candidates: readonly string[]): string | undefined {
  // A long word is no typo of a short name (and the edit distance is quadratic).
  if (typeof word !== 'string' || word === '' || word.length > 64) return undefined;
  const w = word.toLowerCase();
  // An unambiguous prefix ("up" → "upstream") is a typo worth naming.
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(w));
  if (w.length >= 2 && prefixed.length === 1 && prefixed[0]!.toLowerCase() !== w) return prefixed[0];
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const lc = c.toLowerCase();
    const norm = (s: string) => s.replace(/[-_\s]/g, '');
    let score = distance(w, lc);
    if (norm(w) === norm(lc)) score = 0;
    if (score < bestScore) {
      bestScore = score;
      best = c;
    }
  }
  const limit = w.length <= 4 ? 1 : w.length <= 8 ? 2 : 3;
  return bestScore <= limit ? best : undefined;
}

function hint(word: unknown, candidates: readonly string[]): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}

// ---------------------------------------------------------------------------------------------
// walking the schema, to list the keys an object accepts

interface Def {
  type: string;
  shape?: Record<string, { _zod: { def: Def } }>;
  innerType?: { _zod: { def: Def } };
  in?: { _zod: { def: Def } };
  element?: { _zod: { def: Def } };
  valueType?: { _zod: { def: Def } };
  options?: { _zod: { def: Def } }[];
  discriminator?: string;
  values?: unknown[];
}

function defOf(schema: unknown): Def {
  return (schema as { _zod: { def: Def } })._zod.def;
}

function unwrap(def: Def): Def {
  let d = def;
  for (let i = 0; i < 20; i++) {
    if (d.innerType) d = defOf(d.innerType);
    else if (d.type === 'pipe' && d.in) d = defOf(d.in);
    else break;
  }
  return d;
}

function pickOption(def: Def, value: unknown, nextKey?: string | number): Def | undefined {
  const options = (def.options ?? []).map((o) => unwrap(defOf(o)));
  if (def.discriminator && value && typeof value === 'object') {
    const tag = (value as Record<string, unknown>)[def.discriminator];
    const match = options.find((o) => {
      const lit = o.shape?.[def.discriminator!];
      return lit !== undefined && (unwrap(defOf(lit)).values ?? []).includes(tag);
    });
    if (match) return match;
    if (def.discriminator) return undefined;
  }
  return options.find(
    (o) => o.type === 'object' && (nextKey === undefined || (o.shape && nextKey in o.shape)),
  );
}

function keysAt(root: unknown, path: readonly (string | number)[], value: unknown): string[] | undefined {
  let def = unwrap(defOf(root));
  let v = value;
  for (let i = 0; i <= path.length; i++) {
    const seg = path[i];
    if (def.type === 'union') {
      const o = pickOption(def, v, seg);
      if (!o) return undefined;
      def = o;
    }
    if (i === path.length) break;
    if (def.type === 'object' && typeof seg === 'string' && def.shape?.[seg])
      def = unwrap(defOf(def.shape[seg]));
    else if (def.type === 'array' && def.element) def = unwrap(defOf(def.element));
    else if (def.type === 'record' && def.valueType) def = unwrap(defOf(def.valueType));
    else return undefined;
    v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg as string] : undefined;
  }
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

function valueAt(raw: unknown, path: readonly (string | number)[]): unknown {
  let v = raw;
  for (const seg of path) {
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg as string];
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// messages

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  int: 'a whole number',
};

function listValues(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
}

/** What a failing union branch wanted, in words, when it failed at its root. */
function branchWants(branch: readonly z.core.$ZodIssue[]): string | undefined {
  if (branch.length !== 1) return undefined;
  const issue = branch[0]!;
  if (issue.path.length) return undefined;
  if (issue.code === 'invalid_type') return TYPE_WORDS[issue.expected] ?? issue.expected;
  if (issue.code === 'invalid_value') {
    return issue.values.length === 1 ? JSON.stringify(issue.values[0]) : `one of ${listValues(issue.values)}`;
  }
  return undefined;
}

function message(issue: z.core.$ZodIssue, input: unknown, path: readonly (string | number)[]): string {
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `required: expected ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
      return `expected ${TYPE_WORDS[issue.expected] ?? issue.expected}, got ${showValue(input)}`;
    case 'invalid_value': {
      const values = issue.values.map(String);
      if (issue.values.length === 1)
        return `expected ${JSON.stringify(issue.values[0])}, got ${showValue(input)}`;
      return `expected one of ${listValues(issue.values)}, got ${showValue(input)}${hint(input, values)}`;
    }
    case 'invalid_union': {
      const disc = (issue as { discriminator?: string }).discriminator;
      const options = (issue as { options?: unknown[] }).options;
      if ((issue as { note?: string }).note === 'No matching discriminator' && options) {
        const names = options.map(String);
        if (input === undefined) return `required: ${disc ?? 'type'} must be one of ${listValues(options)}`;
        return `expected one of ${listValues(options)}, got ${showValue(input)}${hint(input, names)}`;
      }
      if (issue.message && issue.message !== 'Invalid input') return issue.message;
      const wants = issue.errors.map(branchWants);
      if (wants.every((w) => w !== undefined)) {
        return `expected ${[...new Set(wants)].join(' or ')}, got ${showValue(input)}`;
      }
      return `${printable(issue.message, 200)} at ${formatPath(path) || 'the top level'}`;
    }
    case 'too_small': {
      // A bound the schema explains itself (clients, faults) keeps its own message.
      if (!/^Too small/.test(issue.message)) return issue.message;
      const min = issue.minimum as number;
      if (issue.origin === 'string' && min === 1) return 'must not be empty';
      if (issue.origin === 'array') return `needs at least ${min} item${min === 1 ? '' : 's'}`;
      return `must be ${issue.inclusive === false ? '>' : '≥'} ${min}, got ${showValue(input)}`;
    }
    case 'too_big': {
      if (!/^Too big/.test(issue.message)) return issue.message;
      const max = issue.maximum as number;
      if (issue.origin === 'array') return `allows at most ${max} item${max === 1 ? '' : 's'}`;
      return `must be ${issue.inclusive === false ? '<' : '≤'} ${max}, got ${showValue(input)}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}, got ${showValue(input)}`;
    default:
      return printable(issue.message, 400);
  }
}

/**
 * Friendly messages for every issue, with zod's grouped unknown keys split into one issue per key
 * (each pointing at its own key). `raw` is the input as written (for values and known keys).
 */
export function friendlyIssues(
  issues: readonly RawIssue[],
  raw: unknown,
  root: z.ZodType = scenarioInputSchema,
): FriendlyIssue[] {
  const isScenario = root === scenarioInputSchema;
  const subject =
    raw && typeof raw === 'object' ? ((raw as Record<string, unknown>).subject ?? 'reference') : 'reference';
  const out: FriendlyIssue[] = [];
  for (const issue of issues) {
    const zi = issue.zod;
    if (!zi) {
      out.push({ path: issue.path, message: issue.message, atKey: false });
      continue;
    }
    if (zi.code === 'unrecognized_keys') {
      const inConfig = isScenario && issue.path[0] === 'config' && subject === 'reference';
      const known = inConfig
        ? keysAt(referenceConfigSchema, issue.path.slice(1), valueAt(raw, ['config']))
        : keysAt(root, issue.path, raw);
      for (const key of zi.keys) {
        const expected = known
          ? `; expected ${known.length ? `one of ${known.join(', ')}` : 'no keys here'}`
          : '';
        out.push({
          path: [...issue.path, key],
          message: `unknown key ${quote(key, 40)}${known ? hint(key, known) : ''}${expected}`,
          atKey: true,
        });
      }
      continue;
    }
    // A discriminator issue carries the whole object as input; the author wants to see the tag.
    const tagIssue = zi.code === 'invalid_union' && 'discriminator' in zi;
    const input = !tagIssue && 'input' in zi ? zi.input : valueAt(raw, issue.path);
    out.push({ path: issue.path, message: message(zi, input, issue.path), atKey: false });
  }
  return out;
}
