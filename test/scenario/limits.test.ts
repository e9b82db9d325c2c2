/**
 * Bad input ends in a ScenarioError (exit 2) that names the limit and, where there is one, the
 * file:line:column — never a hang, an out-of-memory, a stack overflow or a screenful of the file
 * quoted back (issue 15). The limits are harness/scenario/limits.ts's.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioError } from '../../harness/scenario/errors.ts';
import { LIMITS } from '../../harness/scenario/limits.ts';
import { loadScenarioFile, loadScenarioText, parseYamlSource } from '../../harness/scenario/loader.ts';

/** What must never reach a terminal from a message: controls (but newline), bidi, zero-width. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: they are what is looked for
const UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/u;

const lines = (...l: string[]) => `${l.join('\n')}\n`;

/** The ScenarioError loading `text` throws, and how long it took (ms). */
function failure(text: string, file = 'x.yaml'): { e: ScenarioError; ms: number } {
  const t0 = performance.now();
  try {
    loadScenarioText(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) return { e, ms: performance.now() - t0 };
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

const message = (text: string) => failure(text).e.message;

async function fileFailure(file: string): Promise<ScenarioError> {
  try {
    await loadScenarioFile(file);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

let dir = '';
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flatline-limits-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('clients', () => {
  it('a billion clients is refused by the schema, at the value, before anything is built', () => {
    const { e, ms } = failure(lines('name: t', 'duration: 1m', 'clients: 1000000000'));
    expect(e.message).toBe(
      "x.yaml:3:10: clients: at most 500 clients (the simulator has addresses for 762 hosts, and a run's work grows with each client), got 1000000000",
    );
    expect(ms).toBeLessThan(1000);
  });

  it('500 is the most, 501 the first refused (the simulator stopped at 761 with exit 1)', () => {
    expect(loadScenarioText(lines('name: t', 'duration: 1m', 'clients: 500')).clients).toBe(500);
    expect(message(lines('name: t', 'duration: 1m', 'clients: 761'))).toMatch(
      /^x\.yaml:3:10: clients: at most 500 clients .* got 761$/,
    );
  });
});

describe('faults and file size', () => {
  const overlapping = (n: number) =>
    lines('name: t', 'duration: 1h', 'faults:', ...Array(n).fill('  - { at: 1s, fault: { type: latency } }'));

  it('500 overlapping toxics: one problem per fault, the first 10 listed, no stack overflow', () => {
    const { e, ms } = failure(overlapping(500));
    const shown = e.message.split('\n');
    expect(shown).toHaveLength(11);
    expect(shown[0]).toBe(
      'x.yaml:5:30: faults[1].fault.type: toxic "latency_downstream" is already active from faults[0] at this time (Toxiproxy answers 409); give one a different name or stream, or make them not overlap',
    );
    expect(shown[9]).toMatch(/^x\.yaml:14:30: faults\[10\]\.fault\.type: toxic "latency_downstream"/);
    expect(shown[10]).toBe('x.yaml: … and 489 more problems (fix the ones above first)');
    expect(ms).toBeLessThan(3000);
  });

  it('at most 1000 faults, counted before any is validated', () => {
    expect(loadScenarioText(lines('name: t', 'duration: 1h', 'faults: []')).faults).toEqual([]);
    const { e, ms } = failure(overlapping(1001));
    expect(e.message).toBe('x.yaml:4:3: faults: at most 1000 faults in a scenario, got 1,001');
    expect(ms).toBeLessThan(2000);
    const many = lines('name: t', 'duration: 1h', `faults: [${Array(100_000).fill('1').join(',')}]`);
    expect(failure(many).e.message).toBe(
      'x.yaml:3:9: faults: at most 1000 faults in a scenario, got 100,000',
    );
    expect(message(lines('name: t', 'duration: 1h', `expect: [${Array(1001).fill('{}').join(',')}]`))).toBe(
      'x.yaml:3:9: expect: at most 1000 expectations in a scenario, got 1,001',
    );
  });

  it('a file over 256 KiB is refused before it is parsed, with both sizes', async () => {
    const fault = '  - { at: 1s, until: 2s, fault: { type: latency, latency: 10ms } }';
    const text = lines('name: t', 'duration: 1h', 'faults:', ...Array(16_000).fill(fault));
    const file = path.join(dir, 'megabyte.yaml');
    await fs.writeFile(file, text);
    const t0 = performance.now();
    const e = await fileFailure(file);
    expect(e.message).toBe(
      `${file}: too large for a scenario: 1,072,029 bytes (1 MiB), at most 262,144 (256 KiB)`,
    );
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(failure(text).e.message).toBe(
      'x.yaml: too large for a scenario: 1,072,029 bytes (1 MiB), at most 262,144 (256 KiB)',
    );
    expect(LIMITS.fileBytes).toBe(262_144);
  });

  it('a file that never ends (/dev/zero) is read only up to the limit', async () => {
    const e = await fileFailure('/dev/zero');
    expect(e.message).toBe(
      '/dev/zero: too large for a scenario: more than 262,144 bytes, at most 262,144 (256 KiB)',
    );
  });
});

describe('duration and simulated work', () => {
  it('a run of 10¹⁵ ms is refused at the value; 7 days is the most', () => {
    const { e } = failure(lines('name: t', 'duration: 1000000000000000'));
    expect(e.message).toBe('x.yaml:2:11: duration: must be at most 7 days (168h), got 1000000000000000');
    expect(loadScenarioText(lines('name: t', 'duration: 168h', 'config: { interval: 5m }')).duration).toBe(
      604_800_000,
    );
    expect(message(lines('name: t', 'duration: 168h1ms'))).toBe(
      'x.yaml:2:11: duration: must be at most 7 days (168h), got "168h1ms"',
    );
  });

  it('every other duration has the same bound (past 2³¹−1 ms a timer fires after 1 ms)', () => {
    expect(
      message(
        lines('name: t', 'duration: 1m', 'faults:', '  - { at: 1s, fault: { type: latency, latency: 25d } }'),
      ),
    ).toMatch(/^x\.yaml:4:48: faults\[0\]\.fault\.latency: invalid duration "25d": unknown unit "d"/);
    expect(
      message(
        lines(
          'name: t',
          'duration: 1m',
          'faults:',
          '  - { at: 1s, fault: { type: latency, latency: 600h } }',
        ),
      ),
    ).toBe('x.yaml:4:48: faults[0].fault.latency: must be at most 7 days (168h), got "600h"');
    expect(message(lines('name: t', 'duration: 1m', 'config: { interval: 9999999999 }'))).toBe(
      'x.yaml:3:21: config.interval: must be at most 7 days (168h), got 9999999999',
    );
    expect(
      message(
        lines(
          'name: t',
          'topology: direct',
          'duration: 1m',
          'faults:',
          '  - { at: 1s, fault: { type: clock-skew, host: client, offset: -900000h } }',
        ),
      ),
    ).toBe('x.yaml:5:64: faults[0].fault.offset: must be at most ±36525 days (876600h), got "-900000h"');
  });

  it('more than 50 client-days is refused at the duration', () => {
    expect(message(lines('name: t', 'duration: 24h', 'clients: 500'))).toBe(
      'x.yaml:2:11: duration: 500 clients × 1 day (24h) is 500 client-days; a run simulates at most 50 client-days (e.g. 50 clients for a day) — use fewer clients or a shorter duration',
    );
    expect(loadScenarioText(lines('name: t', 'duration: 24h', 'clients: 50')).clients).toBe(50);
  });

  it('more than 250,000 heartbeats and timed events is refused at the setting that makes most of them', () => {
    expect(message(lines('name: t', 'duration: 30m', 'config: { interval: 1ms, pongTimeout: 1ms }'))).toBe(
      'x.yaml:3:21: config.interval: the run would simulate about 1,800,000 heartbeats and other timed events, at most 250,000 per run; most of them are pings: 1 client × 30m ÷ interval 1ms = 1,800,000 — use a shorter duration, fewer clients or a longer period',
    );
    expect(
      message(
        lines(
          'name: t',
          'topology: direct',
          'duration: 24h',
          'faults:',
          '  - { at: 0, fault: { type: burst-loss, good: 1ms, bad: 1ms } }',
        ),
      ),
    ).toBe(
      'x.yaml:5:47: faults[0].fault.good: the run would simulate about 86,405,760 heartbeats and other timed events, at most 250,000 per run; most of them are burst-loss state switches of faults[0]: 1 client × 24h ÷ mean state length 1ms = 86,400,000 — use a shorter duration, fewer clients or a longer period',
    );
    expect(
      message(
        lines(
          'name: t',
          'duration: 2h',
          'clients: 50',
          'config: { backoff: { base: 1ms, cap: 1ms } }',
          'faults:',
          '  - { at: 0, fault: { type: timeout } }',
        ),
      ),
    ).toMatch(
      /^x\.yaml:4:38: config\.backoff\.cap: .* most of them are reconnect attempts: 50 clients × 2h of faults ÷ \(backoff\.cap 1ms \/ 2\) = 720,000,000 — /,
    );
    // 2 days of one client pinging every second is within the bound.
    expect(loadScenarioText(lines('name: t', 'duration: 48h', 'config: { interval: 1s }')).duration).toBe(
      172_800_000,
    );
  });
});

describe('attributes a fault needs are checked by the schema, not 15 s into the run', () => {
  it('a slicer with no attributes', () => {
    expect(
      message(lines('name: t', 'duration: 1m', 'faults:', '  - { at: 1s, fault: { type: slicer } }')),
    ).toBe('x.yaml:4:22: faults[0].fault.average_size: required: expected a number');
    expect(
      message(
        lines(
          'name: t',
          'duration: 1m',
          'faults:',
          '  - { at: 1s, fault: { type: slicer, average_size: 0 } }',
        ),
      ),
    ).toBe('x.yaml:4:52: faults[0].fault.average_size: must be ≥ 1, got 0');
    expect(
      message(
        lines(
          'name: t',
          'duration: 1m',
          'faults:',
          '  - { at: 1s, fault: { type: slicer, average_size: 2, size_variation: 3 } }',
        ),
      ),
    ).toBe(
      "x.yaml:4:71: faults[0].fault.size_variation: must not exceed average_size (2), got 3 (Toxiproxy's slicer would cut outside the chunk)",
    );
  });
});

describe('messages: no raw bytes, no control or bidi characters, one line for a file that is not a scenario', () => {
  it('a binary file is one line, at its first NUL byte or first byte that is not UTF-8', async () => {
    const nul = path.join(dir, 'nul.bin');
    await fs.writeFile(
      nul,
      Buffer.concat([Buffer.from('name: t\nduration: 1m\nde'), Buffer.from([0]), randomBytes(4096)]),
    );
    expect((await fileFailure(nul)).message).toBe(
      `${nul}:3:3: not a scenario file: binary data (a NUL byte)`,
    );
    const latin1 = path.join(dir, 'latin1.yaml');
    await fs.writeFile(latin1, Buffer.from('name: caf\xe9\nduration: 1m\n', 'latin1'));
    expect((await fileFailure(latin1)).message).toBe(
      `${latin1}:1:10: not a scenario file: binary data (byte 0xe9, which is not UTF-8)`,
    );
    // 4 KB of random bytes: one short line, not 4 KB of garbage.
    const noise = path.join(dir, 'noise.bin');
    await fs.writeFile(noise, randomBytes(4096));
    const e = await fileFailure(noise);
    expect(e.message).toMatch(
      /^.*noise\.bin:\d+:\d+: not a scenario file: binary data \((a NUL byte|byte 0x[0-9a-f]{2}, which is not UTF-8)\)$/,
    );
  });

  it('a password file is not a scenario file, said once without quoting it', async () => {
    const passwd = path.join(dir, 'passwd');
    const text = lines(
      'root:x:0:0:root:/root:/bin/bash',
      'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
      'secret-user:x:1000:1000:Secret User,,,:/home/secret:/bin/bash',
    );
    await fs.writeFile(passwd, text);
    const e = await fileFailure(passwd);
    expect(e.message).toBe(
      `${passwd}:1:1: not a scenario file: a scenario is a YAML mapping with name, duration and optionally description, subject, config, topology, clients, seed, faults, expect; this file holds plain text`,
    );
    expect(e.message).not.toContain('secret');
  });

  it('other non-scenarios: YAML that is no mapping, a mapping of other keys, text YAML cannot read', () => {
    expect(message('just some words\n')).toBe(
      'x.yaml:1:1: not a scenario file: a scenario is a YAML mapping with name, duration and optionally description, subject, config, topology, clients, seed, faults, expect; this file holds the text "just some words"',
    );
    expect(message(lines('version: "3"', 'services:', '  web: { image: nginx }'))).toBe(
      'x.yaml:1:1: not a scenario file: a scenario is a YAML mapping with name, duration and optionally description, subject, config, topology, clients, seed, faults, expect; none of this mapping\'s keys is one (the first is "version")',
    );
    const broken = lines(...Array(300).fill('a: b: c: d'));
    const e = failure(broken).e;
    expect(e.issues).toHaveLength(1);
    expect(e.message).toBe(
      'x.yaml:1:4: not a scenario file: YAML syntax: Nested mappings are not allowed in compact mappings',
    );
    // A scenario with a typo keeps its own, more useful, messages.
    expect(message(lines('nme: t', 'duration: 1m'))).toContain(
      'x.yaml:1:1: nme: unknown key "nme" (did you mean "name"?)',
    );
  });

  it('control and bidi characters in names, ids, keys and values are escaped; names may not hold them', () => {
    const text = lines(
      'name: "evil\\u202Eelif.yaml\\u0007"',
      'duration: 1m',
      'faults:',
      '  - { id: "a\\u2066b", at: 1s, fault: { type: noop } }',
      '"k\\u202Ey": 1',
      'expect:',
      '  - { type: detect, fault: "\\u001b[31mred" }',
    );
    const e = failure(text).e;
    expect(e.message.split('\n')).toEqual([
      'x.yaml:1:7: name: must not contain control, invisible or bidi characters (U+202E at index 4), got "evil\\u202eelif.yaml\\u0007"',
      'x.yaml:4:11: faults[0].id: must not contain control, invisible or bidi characters (U+2066 at index 1), got "a\\u2066b"',
      'x.yaml:5:1: ["k\\u202ey"]: unknown key "k\\u202ey"; expected one of $schema, name, description, subject, config, topology, duration, clients, seed, faults, expect',
    ]);
    // Nothing a terminal would interpret reaches the message.
    expect(e.message).not.toMatch(UNSAFE);
    const ref = lines(
      'name: t',
      'duration: 1m',
      'faults: [{ at: 1s, fault: { type: noop } }]',
      'expect:',
      '  - { type: detect, fault: "\\u001b[31mred\\u202e" }',
    );
    expect(message(ref)).toBe(
      'x.yaml:5:28: expect[0].fault: no fault has id "\\u001b[31mred\\u202e" (known: noop-1)',
    );
  });

  it('a long value is cut when echoed', () => {
    const long = 'x'.repeat(5000);
    const m = message(lines('name: t', 'duration: 1m', `topology: "${long}"`));
    expect(m.length).toBeLessThan(400);
    expect(m).toContain(`"${'x'.repeat(80)}…" (5000 characters)`);
    expect(message(lines('name: t', `duration: "1s${long}"`))).toBe(
      `x.yaml:2:11: duration: invalid duration "1s${'x'.repeat(78)}…" (5002 characters): unknown unit "s${'x'.repeat(19)}…" (5001 characters) (use ms, s, m or h, e.g. 30s, 500ms, 1.5s, 1m30s, or a number of ms)`,
    );
    expect(message(lines(`name: "${'n'.repeat(201)}"`, 'duration: 1m'))).toBe(
      `x.yaml:1:7: name: at most 200 characters, got 201: "${'n'.repeat(80)}…" (201 characters)`,
    );
  });

  it('an alias bomb is refused at the alias, before anything expands it', () => {
    const bomb = ['name: t', 'duration: 1m', 'a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (const [name, prev] of [
      ['b', 'a'],
      ['c', 'b'],
      ['d', 'c'],
      ['e', 'd'],
      ['f', 'e'],
      ['g', 'f'],
    ])
      bomb.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    bomb.push('description: *g');
    const { e, ms } = failure(lines(...bomb));
    // yaml's maxAliasCount rule: the 8th *c on line 6 is the 9 × 121 > 1000th expansion.
    expect(e.message).toBe(
      'x.yaml:6:29: YAML: alias *c expands too many times (1,089 expansions through nested aliases, at most 1,000): an alias bomb?',
    );
    expect(ms).toBeLessThan(1000);
    // A wide alias fan-out under maxAliasCount is bounded by the values it adds.
    const wide = lines(
      'name: t',
      'duration: 1m',
      `a: &a [${Array(1000).fill('1').join(',')}]`,
      `b: [${Array(200).fill('*a').join(',')}]`,
    );
    expect(message(wide)).toBe(
      'x.yaml:4:302: YAML: alias *a brings the values added by aliases to 100,100, more than the 100,000 a file may have: an alias bomb?',
    );
    expect(message(lines('name: t', 'duration: 1m', 'description: *nope'))).toBe(
      'x.yaml:3:14: YAML: unknown alias *nope: the anchor &nope must come before it',
    );
    expect(message(lines('name: t', 'duration: 1m', 'config: &c { backoff: *c }'))).toBe(
      'x.yaml:3:23: YAML: alias *c is inside the value it names: a scenario cannot be circular',
    );
    const anchors = lines(
      'name: t',
      'duration: 1m',
      'x:',
      ...Array.from({ length: 1001 }, (_, i) => `  - &a${i} 1`),
    );
    expect(message(anchors)).toBe(
      'x.yaml:1004:12: YAML: more than 1,000 anchors in one file (a scenario needs a handful)',
    );
  });

  it('YAML problems a parser shrugs off: control characters, deep nesting, huge maps with duplicate keys', () => {
    expect(message(lines('name: t', 'duration: 1m', 'description: a\u0007b'))).toBe(
      'x.yaml:3:15: YAML: control character U+0007 is not allowed in a YAML file (write it as an escape in a double-quoted string)',
    );
    const deep = lines('name: t', 'duration: 1m', `config: ${'['.repeat(5000)}${']'.repeat(5000)}`);
    expect(message(deep)).toMatch(
      /^x\.yaml:3:\d+: YAML: nested too deeply \(more levels of lists and mappings than the parser can follow\)$/,
    );
    // yaml's own duplicate-key check is quadratic in a map's size: ours is linear.
    const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: 1`);
    const dup = lines('name: t', 'duration: 1m', 'config:', ...keys, '  k7: 2');
    const { e, ms } = failure(dup);
    expect(e.message).toBe('x.yaml:20004:3: YAML syntax: Map keys must be unique');
    expect(ms).toBeLessThan(3000);
  });

  it('the shared YAML reader caps its problems too', () => {
    const source = parseYamlSource(lines(...Array(50).fill('a: b: c: d')), 'f.yaml');
    expect(source.issues).toHaveLength(11);
    expect(source.issues[10]!.message).toMatch(/^… and \d+ more YAML problems \(fix the ones above first\)$/);
  });
});
