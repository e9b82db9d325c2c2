/**
 * The scenario loader against hostile input (issue 15): a valid scenario with random YAML values at
 * random paths, text-level damage (inserted anchors, aliases, tags, control characters, cuts), deep
 * nesting, huge numbers and plain garbage. Whatever it is given, the loader returns a scenario or
 * throws a ScenarioError — never another error — quickly, with a message of bounded size that names
 * the file on every line and holds no control or bidi character.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { FAULT_TYPES } from '../../harness/faults/registry.ts';
import { ScenarioError } from '../../harness/scenario/errors.ts';
import { loadScenarioFile, loadScenarioText } from '../../harness/scenario/loader.ts';

const FILE = 'fuzz.yaml';
/** Per input: generous for a loaded machine, yet a hang or a quadratic blow-up would cross it. */
const MAX_MS = 2000;
/** 10 problems and a summary line, each at most a few hundred characters. */
const MAX_MESSAGE = 12_000;
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what must not be printed
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/u;

const BASE = {
  name: 'fuzz',
  description: 'a valid scenario to damage',
  topology: { kind: 'proxy', latency: '5ms' },
  duration: '10m',
  clients: 2,
  seed: 7,
  config: { interval: '5s', pongTimeout: '2s', missThreshold: 2, backoff: { base: '500ms', cap: '8s' } },
  faults: [
    { id: 'bh', at: '1m', until: '2m', fault: { type: 'timeout', stream: 'both', timeout: 0 } },
    { at: '3m', for: '30s', fault: { type: 'latency', latency: '100ms', jitter: '10ms' } },
    { at: '5m', fault: { type: 'slicer', average_size: 4, size_variation: 2 } },
  ],
  expect: [
    { type: 'detect', side: 'client', within: 'bound', fault: 'bh' },
    { type: 'reconnect', within: 'bound', fault: 'bh' },
    { type: 'noFalseDetection' },
  ],
};

type Path = (string | number)[];

/** Every path in the base scenario, containers included, plus one new key under each mapping. */
function pathsOf(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push(...pathsOf(v, [...prefix, i]));
    });
    out.push([...prefix, value.length]);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
    out.push([...prefix, 'extra']);
  }
  return out;
}
const PATHS = pathsOf(BASE);

/** A copy of `root` with `v` at `p` (only the containers along the path are copied). */
function setAt(root: unknown, p: Path, v: unknown): unknown {
  if (p.length === 0) return v;
  if (!root || typeof root !== 'object') return root;
  const copy = (Array.isArray(root) ? [...root] : { ...root }) as Record<string | number, unknown>;
  const [head, ...rest] = p;
  copy[head!] = setAt(copy[head!], rest, v);
  return copy;
}

const nastyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    'bound',
    '1s',
    '-1s',
    '0',
    '1e9h',
    '999999999999999999999h',
    '1.0000001s',
    '30d',
    'slicer',
    'proxy-down',
    'burst-loss',
    '__proto__',
    'constructor',
    'evil\u202Etxt.yaml',
    '\u001b[31mred',
    'a\u0000b',
    '\ud800',
    'x'.repeat(5000),
    '*alias',
    '&anchor',
    '!!binary',
    '{',
    '[',
    '- ',
    ': ',
    '#',
    "'",
    '"',
  ),
  fc.integer({ min: 1, max: 3000 }).map((n) => 'é\u202e'.repeat(n)),
);

const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(
    0,
    -0,
    -1,
    0.5,
    1e21,
    1e308,
    -1e308,
    2 ** 31,
    2 ** 53 + 2,
    Number.MAX_SAFE_INTEGER,
    1_000_000_000,
    1e15,
    Number.POSITIVE_INFINITY,
    Number.NaN,
  ),
);

/** Lists and mappings nested `depth` deep. */
const deep = fc.tuple(fc.integer({ min: 10, max: 3000 }), fc.boolean()).map(([depth, list]) => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = list ? [v] : { a: v };
  return v;
});

/** Faults and settings that pass the first checks and reach the later ones (bounds, work, clashes). */
const ATTRIBUTES = [
  'latency',
  'jitter',
  'rate',
  'delay',
  'timeout',
  'average_size',
  'size_variation',
  'bytes',
  'host',
  'offset',
  'idleTimeout',
  'probability',
  'good',
  'bad',
  'goodLoss',
  'badLoss',
  'direction',
  'mode',
  'convention',
  'close',
  'action',
  'for',
  'stream',
  'toxicity',
  'name',
  'retransmitAfter',
];
const plausibleValue = fc.oneof(
  fc.constantFrom(
    0,
    1,
    2,
    0.5,
    1000,
    'client',
    'server',
    'both',
    'upstream',
    'C2',
    'rst',
    'hold',
    '1ms',
    '1s',
    '30s',
    '168h',
    '169h',
    '-1h',
  ),
  nastyNumber,
);
const plausibleFault = fc.record({
  id: fc.option(fc.constantFrom('a', 'b', 'bh', 'x'), { nil: undefined }),
  at: fc.constantFrom(0, '1s', '1m', '9m', '10m', '11m'),
  until: fc.option(fc.constantFrom('1ms', '2m', '10m', '1h'), { nil: undefined }),
  fault: fc
    .tuple(
      fc.constantFrom(...FAULT_TYPES),
      fc.dictionary(fc.constantFrom(...ATTRIBUTES), plausibleValue, { maxKeys: 4 }),
    )
    .map(([type, attrs]) => ({ type, ...attrs })),
});
const plausible = fc.oneof(
  fc.array(plausibleFault, { maxLength: 30 }),
  plausibleFault,
  fc.constantFrom(1, 499, 500, 501, 'direct', 'proxy', { kind: 'direct', latency: '1s', jitter: '2s' }),
  fc.record({
    interval: fc.constantFrom('1ms', '1s', '30s', 0),
    business: fc.constantFrom(undefined, { every: '1ms', bytes: 100 }),
  }),
);

const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: plausible },
  { weight: 3, arbitrary: nastyString },
  { weight: 3, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 2, arbitrary: fc.anything({ maxDepth: 3, maxKeys: 5, withNullPrototype: false }) },
  { weight: 1, arbitrary: deep },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 0, max: 3000 })
      .map((n) => Array(n).fill({ at: '1s', fault: { type: 'noop' } })),
  },
);

/** A valid scenario with random values at random paths, as YAML. */
const mutatedValues = fc
  .array(fc.tuple(fc.constantFrom(...PATHS), value), { minLength: 1, maxLength: 4 })
  .map((edits) => {
    let doc: unknown = BASE;
    for (const [p, v] of edits) doc = setAt(doc, p, v);
    try {
      return String(stringify(doc, { aliasDuplicateObjects: true, lineWidth: 0 }) ?? '');
    } catch {
      return stringify(BASE);
    }
  });

const SNIPPETS = [
  '&a ',
  '*a',
  '*nope',
  '<<: *a\n',
  '!!binary ',
  '!!js/function ',
  '!custom ',
  '%YAML 1.1\n---\n',
  '---\n',
  '...\n',
  '? ',
  '\t',
  '\u0000',
  '\u0007',
  '\u202e',
  '\ufeff',
  '"\\u',
  '{',
  '[',
  ': ',
  '- ',
  '\n  ',
  '#',
  '|\n',
  '>-\n',
  "'",
  '1'.repeat(400),
];

/** Text-level damage: insertions, cuts, duplicated lines. */
const damagedText = fc
  .tuple(
    mutatedValues,
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.oneof(fc.constantFrom(...SNIPPETS), fc.string({ unit: 'binary', maxLength: 8 })),
        fc.constantFrom('insert', 'cut', 'duplicate'),
      ),
      { minLength: 1, maxLength: 5 },
    ),
  )
  .map(([text, edits]) => {
    let t = text;
    for (const [at, snippet, how] of edits) {
      const i = t.length ? at % t.length : 0;
      if (how === 'insert') t = t.slice(0, i) + snippet + t.slice(i);
      else if (how === 'cut') t = t.slice(0, i) + t.slice(i + (at % 40));
      else {
        const lines = t.split('\n');
        const j = at % lines.length;
        lines.splice(j, 0, ...Array(1 + (at % 50)).fill(lines[j]));
        t = lines.join('\n');
      }
    }
    return t;
  });

/** An alias bomb of random width and depth, somewhere in a scenario. */
const bomb = fc
  .tuple(
    fc.integer({ min: 2, max: 12 }),
    fc.integer({ min: 2, max: 12 }),
    fc.constantFrom('description', 'config', 'faults', 'extra'),
  )
  .map(([width, depth, key]) => {
    const out = ['name: t', 'duration: 1m', `l0: &l0 [${Array(width).fill('"x"').join(',')}]`];
    for (let i = 1; i < depth; i++)
      out.push(
        `l${i}: &l${i} [${Array(width)
          .fill(`*l${i - 1}`)
          .join(',')}]`,
      );
    out.push(`${key}: *l${depth - 1}`);
    return `${out.join('\n')}\n`;
  });

const garbage = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b).toString('latin1')),
  fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b).toString('utf8')),
  fc.string({ unit: 'grapheme', maxLength: 500 }),
  fc.integer({ min: 1, max: 100_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 30_000 }).map((n) => `${'{a: '.repeat(n)}1${'}'.repeat(n)}`),
  fc.integer({ min: 1, max: 300 }).map((n) => `name: t\nduration: 1${'0'.repeat(n)}\n`),
  fc
    .integer({ min: 1, max: 2000 })
    .map((n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i % 60)}- k${i}:`).join('\n')),
);

const scenarioText = fc.oneof(
  { weight: 4, arbitrary: mutatedValues },
  { weight: 4, arbitrary: damagedText },
  { weight: 1, arbitrary: bomb },
  { weight: 2, arbitrary: garbage },
);

/** Loads and checks the outcome; returns what happened, for the statistics. */
function check(load: () => unknown): 'scenario' | 'error' {
  const t0 = performance.now();
  let outcome: 'scenario' | 'error' = 'scenario';
  try {
    load();
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    outcome = 'error';
    expect(e.message.length).toBeLessThan(MAX_MESSAGE);
    expect(e.message).not.toMatch(UNSAFE);
    for (const line of e.message.split('\n')) expect(line.startsWith(e.file)).toBe(true);
    expect(e.issues.length).toBeLessThanOrEqual(11);
  }
  expect(performance.now() - t0).toBeLessThan(MAX_MS);
  return outcome;
}

let dir = '';
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flatline-fuzz-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('scenario loader fuzz', () => {
  it('the base scenario loads (so mutations start from something valid)', () => {
    expect(loadScenarioText(stringify(BASE), FILE).faults).toHaveLength(3);
  });

  it('damaged and garbage text: a scenario or a ScenarioError, fast and short (property)', () => {
    const seen = { scenario: 0, error: 0 };
    fc.assert(
      fc.property(scenarioText, (text) => {
        seen[check(() => loadScenarioText(text, FILE))]++;
      }),
      { numRuns: 300, seed: 1515 },
    );
    // Both outcomes happen: the generator is not all garbage.
    expect(seen.scenario).toBeGreaterThan(10);
    expect(seen.error).toBeGreaterThan(100);
  }, 60_000);

  it('random bytes in a file: a ScenarioError, fast and short (property)', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), async (bytes) => {
        const file = path.join(dir, `f${n++}.yaml`);
        await fs.writeFile(file, bytes);
        const t0 = performance.now();
        try {
          await loadScenarioFile(file);
        } catch (e) {
          if (!(e instanceof ScenarioError)) throw e;
          expect(e.message.length).toBeLessThan(MAX_MESSAGE);
          expect(e.message).not.toMatch(UNSAFE);
        }
        expect(performance.now() - t0).toBeLessThan(MAX_MS);
      }),
      { numRuns: 60, seed: 1516 },
    );
  }, 60_000);
});
