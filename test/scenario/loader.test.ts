import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioError } from '../../harness/scenario/errors.ts';
import {
  expandScenarioPaths,
  loadScenarioFile,
  loadScenarios,
  loadScenarioText,
  parseYamlSource,
  unreadable,
} from '../../harness/scenario/loader.ts';
import { referenceConfigOf } from '../../harness/scenario/schema.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'black-hole.yaml');

function errorOf(text: string, file = 'scenarios/x.yaml'): ScenarioError {
  try {
    loadScenarioText(text, file);
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('error positions (file:line:column)', () => {
  it('an unknown toxic names file, line, column, path and the expected list', () => {
    const e = errorOf(
      lines(
        'name: lag-test', //
        'duration: 5m',
        'faults:',
        '  - at: 10s',
        '    fault:',
        '      type: lag',
        '      latency: 100',
      ),
    );
    expect(e.message).toBe(
      'scenarios/x.yaml:6:13: faults[0].fault.type: expected one of latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, proxy-down, partition, crash, pause, clock-skew, nat, loss, burst-loss, got "lag"',
    );
    expect([e.file, e.line, e.column, e.path]).toEqual(['scenarios/x.yaml', 6, 13, 'faults[0].fault.type']);
    expect(e.detail).toMatch(/^expected one of latency, bandwidth/);
  });

  it('a near-miss toxic name gets a suggestion', () => {
    const e = errorOf(
      lines('name: t', 'duration: 5m', 'faults:', '  - at: 10s', '    fault: { type: reset-peer }'),
    );
    expect(e.message).toMatch(
      /^scenarios\/x\.yaml:5:20: faults\[0\]\.fault\.type: .* got "reset-peer" \(did you mean "reset_peer"\?\)$/,
    );
  });

  it('an unknown key points at the key itself and suggests the right one', () => {
    const e = errorOf(
      lines(
        'name: t',
        'duration: 5m',
        'faults:',
        '  - at: 10s',
        '    untill: 20s',
        '    fault: { type: noop }',
      ),
    );
    expect(e.message).toBe(
      'scenarios/x.yaml:5:5: faults[0].untill: unknown key "untill" (did you mean "until"?); expected one of id, at, until, for, fault',
    );
  });

  it('every issue is reported, in file order, each with its own position', () => {
    const e = errorOf(
      lines(
        'name: t',
        'duration: 5m',
        'clients: zero',
        'config:',
        '  interval: 5x',
        '  pongTimout: 2s',
        'faults:',
        '  - { at: 10s, fault: { type: timeout, stream: sideways } }',
        'expect:',
        '  - type: detect',
        '    side: clinet',
      ),
    );
    expect(e.issues.map((i) => `${i.line}:${i.column} ${i.path}`)).toEqual([
      '3:10 clients',
      '5:13 config.interval',
      '6:3 config.pongTimout',
      '8:48 faults[0].fault.stream',
      '11:11 expect[0].side',
    ]);
    expect(e.issues[0]!.message).toBe('expected a number, got "zero"');
    expect(e.issues[1]!.message).toMatch(/unknown unit "x"/);
    expect(e.issues[2]!.message).toMatch(/^unknown key "pongTimout" \(did you mean "pongTimeout"\?\)/);
    expect(e.issues[4]!.message).toBe(
      'expected one of client, server, both, either, got "clinet" (did you mean "client"?)',
    );
    expect(e.message.split('\n')).toHaveLength(5);
  });

  it('a missing key points at the mapping that lacks it', () => {
    const e = errorOf(
      lines('name: t', 'duration: 5m', 'faults:', '  - at: 10s', '    fault:', '      stream: upstream'),
    );
    expect(e.message).toBe(
      'scenarios/x.yaml:6:7: faults[0].fault.type: required: type must be one of latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data, noop, proxy-down, partition, crash, pause, clock-skew, nat, loss, burst-loss',
    );
    const top = errorOf(lines('description: no name', 'clients: 2'));
    expect(top.issues.map((i) => `${i.line}:${i.column} ${i.path}: ${i.message}`)).toEqual([
      '1:1 name: required: expected a string',
      '1:1 duration: expected a duration like 30s, 500ms, 1m30s or a number of ms, got nothing',
    ]);
  });

  it('cross-field problems are located too: until before at, topology mismatch', () => {
    const e = errorOf(
      lines(
        'name: t',
        'duration: 5m',
        'topology: direct',
        'faults:',
        '  - at: 50s',
        '    until: 40s',
        '    fault: { type: partition }',
        '  - at: 60s',
        '    fault:',
        '      type: latency',
      ),
    );
    expect(e.message.split('\n')).toEqual([
      'scenarios/x.yaml:6:12: faults[0].until: the fault must heal after it starts: until (40000 ms) ≤ at (50000 ms)',
      'scenarios/x.yaml:10:13: faults[1].fault.type: latency is a Toxiproxy fault: it needs topology proxy (this scenario uses direct); use a sim-only fault (partition, crash, pause, clock-skew, nat, loss, burst-loss) on a direct topology',
    ]);
  });

  it('a sim-only fault in the proxy topology names the fault at its type', () => {
    const e = errorOf(
      lines('name: t', 'duration: 5m', 'faults:', '  - at: 1m', '    fault: {type: crash, host: server}'),
    );
    expect(e.message).toBe(
      'scenarios/x.yaml:5:19: faults[0].fault.type: crash is a sim-only fault: it needs topology direct (this scenario uses proxy); Toxiproxy cannot make it',
    );
  });

  it('YAML syntax errors carry their position', () => {
    expect(errorOf(lines('name: x', 'duration: 1m', 'faults:', '\t- at: 1s')).message).toBe(
      'scenarios/x.yaml:4:1: YAML syntax: Tabs are not allowed as indentation',
    );
    expect(errorOf(lines('name: x', 'name: y', 'duration: 1m')).message).toBe(
      'scenarios/x.yaml:2:1: YAML syntax: Map keys must be unique',
    );
  });

  it('an empty file or a non-mapping says what a scenario is', () => {
    expect(errorOf('').message).toBe(
      'scenarios/x.yaml:1:1: the file is empty: a scenario is a mapping with at least name and duration',
    );
    expect(errorOf('- a\n- b\n').message).toBe(
      'scenarios/x.yaml:1:1: not a scenario file: a scenario is a YAML mapping with name, duration and optionally description, subject, config, topology, clients, seed, faults, expect; this file holds a list',
    );
  });

  it('anchors and aliases load like their expansion', () => {
    const s = loadScenarioText(
      lines(
        'name: t',
        'duration: 5m',
        'faults:',
        '  - { at: 10s, until: 20s, fault: &bh { type: timeout, stream: upstream } }',
        '  - { at: 30s, until: 40s, fault: *bh }',
      ),
    );
    expect(s.faults.map((f) => f.fault)).toEqual([
      { type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } },
      { type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } },
    ]);
  });
});

describe('loadScenarioFile', () => {
  it('loads the fixture (which opts in to the JSON Schema) into the normalized form', async () => {
    const s = await loadScenarioFile(FIXTURE);
    expect(s.name).toBe('black-hole-upstream');
    expect(s.topology).toEqual({
      kind: 'proxy',
      link: { up: { latency: 5, jitter: 0 }, down: { latency: 5, jitter: 0 } },
    });
    expect([s.duration, s.clients, s.seed]).toEqual([600_000, 3, 42]);
    const c = referenceConfigOf(s)!;
    expect([c.interval, c.pongTimeout, c.readDeadline]).toEqual([5000, 2000, 15_000]);
    expect(c.backoff).toEqual({ policy: 'seed', base: 500, cap: 30_000, multiplier: 2, jitter: 250 });
    expect(s.faults).toEqual([
      {
        id: 'blackhole',
        at: 60_000,
        until: 120_000,
        fault: { type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } },
      },
    ]);
    expect(s.expect).toEqual([
      { type: 'detect', side: 'client', within: 'bound', fault: 'blackhole', tolerance: 0 },
      { type: 'reconnect', within: 30_000, fault: 'blackhole', tolerance: 0 },
      { type: 'maxAttempts', n: 'bound' },
    ]);
  });

  it('a missing file is a ScenarioError naming it', async () => {
    await expect(loadScenarioFile('test/scenario/fixtures/nope.yaml')).rejects.toThrow(
      'test/scenario/fixtures/nope.yaml: cannot read the scenario: no such file',
    );
  });
});

describe('loadScenarios (files, directories, patterns)', () => {
  let dir: string;
  const good = (name: string) => lines(`name: ${name}`, 'duration: 1m');

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flatline-scenarios-'));
    await fs.mkdir(path.join(dir, 'lib', 'deep'), { recursive: true });
    await fs.mkdir(path.join(dir, 'bad'), { recursive: true });
    await fs.mkdir(path.join(dir, 'dup'), { recursive: true });
    await fs.writeFile(path.join(dir, 'lib', 'a.yaml'), good('a'));
    await fs.writeFile(path.join(dir, 'lib', 'b.yml'), good('b'));
    await fs.writeFile(path.join(dir, 'lib', 'notes.txt'), 'not a scenario');
    await fs.writeFile(path.join(dir, 'lib', 'deep', 'c.yaml'), good('c'));
    await fs.writeFile(path.join(dir, 'bad', 'one.yaml'), lines('name: one', 'duration: soon'));
    await fs.writeFile(path.join(dir, 'bad', 'two.yaml'), lines('name: two', 'duration: 1m', 'clients: 0'));
    await fs.writeFile(path.join(dir, 'dup', 'x.yaml'), good('same'));
    await fs.writeFile(path.join(dir, 'dup', 'y.yaml'), lines('# second', 'name: same', 'duration: 1m'));
  });

  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('expands a directory recursively to its *.yaml / *.yml files, sorted', async () => {
    expect(await expandScenarioPaths(['lib'], dir)).toEqual(['lib/a.yaml', 'lib/b.yml', 'lib/deep/c.yaml']);
  });

  it('expands *, **, ? and {a,b} patterns, without duplicates', async () => {
    expect(await expandScenarioPaths(['lib/*.yaml'], dir)).toEqual(['lib/a.yaml']);
    expect(await expandScenarioPaths(['lib/*'], dir)).toEqual(['lib/a.yaml', 'lib/b.yml']);
    expect(await expandScenarioPaths(['lib/**/*.yaml'], dir)).toEqual(['lib/a.yaml', 'lib/deep/c.yaml']);
    expect(await expandScenarioPaths(['**/?.y{a,}ml', 'lib/a.yaml'], dir)).toEqual([
      'dup/x.yaml',
      'dup/y.yaml',
      'lib/a.yaml',
      'lib/b.yml',
      'lib/deep/c.yaml',
    ]);
  });

  it('a selector that matches nothing is an error naming it', async () => {
    await expect(expandScenarioPaths(['lib/*.json', 'missing'], dir)).rejects.toThrow(
      'lib/*.json: matches no scenario files (*.yaml, *.yml)\nmissing: no such file or directory',
    );
  });

  it('loads every scenario with its file', async () => {
    const loaded = await loadScenarios(['lib'], { cwd: dir });
    expect(loaded.map((l) => [l.file, l.scenario.name])).toEqual([
      ['lib/a.yaml', 'a'],
      ['lib/b.yml', 'b'],
      ['lib/deep/c.yaml', 'c'],
    ]);
  });

  it('reports the problems of every file in one error', async () => {
    const e = await loadScenarios(['bad'], { cwd: dir }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ScenarioError);
    expect((e as ScenarioError).message).toBe(
      [
        'bad/one.yaml:2:11: duration: invalid duration "soon": cannot read "soon" (use ms, s, m or h, e.g. 30s, 500ms, 1.5s, 1m30s, or a number of ms)',
        'bad/two.yaml:3:10: clients: must be ≥ 1, got 0',
      ].join('\n'),
    );
  });

  it('scenario names must be unique across files', async () => {
    await expect(loadScenarios(['dup'], { cwd: dir })).rejects.toThrow(
      'dup/y.yaml:2:7: name: scenario name "same" is already used by dup/x.yaml',
    );
  });
});

describe('parseYamlSource / locate (the position lookup the scenario and sweep loaders share)', () => {
  const source = parseYamlSource(
    lines(
      'name: x', //
      'base: &b',
      '  interval: 5s',
      'config: *b',
      'faults:',
      '  - at: 10s',
      '    fault:',
      '      type: lag',
      'empty:',
    ),
    'f.yaml',
  );

  it('points at a value, or at its key when atKey', () => {
    expect(source.issues).toEqual([]);
    expect(source.locate(['faults', 0, 'fault', 'type'])).toEqual({ line: 8, column: 13 });
    expect(source.locate(['faults', 0, 'fault', 'type'], true)).toEqual({ line: 8, column: 7 });
    expect(source.locate(['faults', 0])).toEqual({ line: 6, column: 5 });
  });

  it('points at the key of an empty value, through aliases, and at the closest ancestor of a missing path', () => {
    expect(source.locate(['empty'])).toEqual({ line: 9, column: 1 });
    expect(source.locate(['config', 'interval'])).toEqual({ line: 3, column: 13 });
    expect(source.locate(['faults', 3, 'at'])).toEqual({ line: 6, column: 3 });
    expect(source.locate(['nope', 'deeper'])).toEqual({ line: 1, column: 1 });
    expect(source.value).toMatchObject({ config: { interval: '5s' } });
  });

  it('turns syntax errors, duplicate keys and alias bombs into positioned issues instead of throwing', () => {
    const dup = parseYamlSource('a: 1\na: 2\n', 'dup.yaml');
    expect(dup.issues).toHaveLength(1);
    expect(dup.issues[0]).toMatchObject({ file: 'dup.yaml', line: 2, path: '' });
    expect(dup.issues[0]!.message).toMatch(/^YAML syntax: /);
    expect(dup.value).toBeUndefined();
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++)
      bomb.push(
        `${'abcdefgh'[i]}: &${'abcdefgh'[i]} [${Array(10)
          .fill(`*${'abcdefgh'[i - 1]}`)
          .join(', ')}]`,
      );
    const laughs = parseYamlSource(bomb.join('\n'), 'bomb.yaml');
    expect(laughs.issues).toHaveLength(1);
    // At the alias that crosses yaml's maxAliasCount: the 8th *c on line 4 (9 × 121 > 1000).
    expect(laughs.issues[0]).toMatchObject({ file: 'bomb.yaml', line: 4, column: 36 });
    expect(laughs.issues[0]!.message).toBe(
      'YAML: alias *c expands too many times (1,089 expansions through nested aliases, at most 1,000): an alias bomb?',
    );
  });

  it('says why a file cannot be read in a few words', () => {
    expect(unreadable(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('no such file');
    expect(unreadable(Object.assign(new Error('x'), { code: 'EISDIR' }))).toBe('is a directory');
    expect(unreadable(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }))).toBe(
      'EACCES: permission denied',
    );
  });
});
