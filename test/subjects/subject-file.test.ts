/**
 * The subject file of external programs (harness/external): what it accepts, how it reports a
 * mistake (FILE:LINE:COLUMN, path, what was expected), what its placeholders turn into, and what the
 * runner refuses before starting anything (the simulator, a time scale a real-time program cannot
 * follow, faults a signal cannot make).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderSubjectJsonSchema, SUBJECT_SCHEMA_FILE } from '../../harness/external/json-schema.ts';
import { parseSubjectFile } from '../../harness/external/load.ts';
import { fill, placeholderValues } from '../../harness/external/placeholders.ts';
import { externalSubject } from '../../harness/external/subject.ts';
import { loadScenarioText } from '../../harness/scenario/loader.ts';
import { preflight, RunError } from '../../harness/scenario/runner.ts';
import { SubjectError } from '../../harness/subjects/errors.ts';
import { REFERENCE_DEFAULTS } from '../../harness/subjects/reference-config.ts';
import { resolveSubject } from '../../harness/subjects/registry.ts';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

const MINIMAL = `name: mine
time: scaled
server:
  command: ./server
  args: [--listen, "{listen}"]
client:
  command: ./client
  args: [--to, "{upstream}", --every, "{interval}"]
`;

function problems(text: string): string {
  try {
    parseSubjectFile(text, 'subject.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(SubjectError);
    return (e as Error).message;
  }
  throw new Error('expected the file to be refused');
}

describe('subject file: what it accepts', () => {
  it('fills in defaults: server ready by port, client by spawn, no events, SIGTERM with 5 s grace', () => {
    const { spec, dir } = parseSubjectFile(MINIMAL, '/tmp/x/subject.yaml');
    expect(dir).toBe('/tmp/x');
    expect(spec.server.events).toBe('none');
    expect(spec.server.ready).toBeUndefined();
    expect(spec.server.readyTimeout).toBe(10_000);
    expect(spec.server.stop).toEqual({ signal: 'SIGTERM', grace: 5000 });
    expect(spec.pinger).toBe('client');
  });

  it('loads the shipped examples (Go and the Node reference)', () => {
    for (const file of ['examples/go/subject.yaml', 'examples/node-reference/subject.yaml']) {
      const { spec } = parseSubjectFile(readFileSync(path.join(ROOT, file), 'utf8'), file);
      expect(spec.server.events).toBe('stdout');
      expect(spec.time).toBe('scaled');
    }
  });
});

describe('subject file: mistakes are named with their place', () => {
  it('an unknown key, with the key it resembles', () => {
    const text = MINIMAL.replace('  command: ./server', '  comand: ./server');
    expect(problems(text)).toMatch(
      /subject\.yaml:4:3 server\.comand: unknown key "comand" \(did you mean "command"\?\)/,
    );
  });

  it('an unknown placeholder, with the ones the side may use', () => {
    const text = MINIMAL.replace('"{interval}"', '"{intervall}"');
    const message = problems(text);
    expect(message).toMatch(
      /subject\.yaml:8:\d+ client\.args\[3\]: unknown placeholder \{intervall\} for the client/,
    );
    expect(message).toContain('{interval}');
  });

  it('{upstream} in the server is refused (the server has nothing upstream)', () => {
    const text = MINIMAL.replace('[--listen, "{listen}"]', '[--listen, "{listen}", "{upstream}"]');
    expect(problems(text)).toMatch(/server\.args\[2\]: unknown placeholder \{upstream\} for the server/);
  });

  it('a server nobody tells where to listen', () => {
    const text = MINIMAL.replace('[--listen, "{listen}"]', '[--listen, "7000"]');
    expect(problems(text)).toMatch(/server\.args: nothing tells the server where to listen: put \{listen\}/);
  });

  it('time is required: the author must say whether durations are scaled', () => {
    expect(problems(MINIMAL.replace('time: scaled\n', ''))).toMatch(
      /subject\.yaml:1:1 time: expected one of scaled, real, got nothing/,
    );
  });

  it('ready: port on a client, a bad regular expression, an event with no channel', () => {
    const text = `${MINIMAL}  ready: port\n`;
    expect(problems(text)).toMatch(/client\.ready: ready: port is for servers/);
    const regex = MINIMAL.replace('server:\n', 'server:\n  ready: { log: "listening (" }\n');
    expect(problems(regex)).toMatch(/server\.ready\.log: Invalid regular expression/);
    const event = MINIMAL.replace('server:\n', 'server:\n  ready: { event: listening }\n');
    expect(problems(event)).toMatch(/server\.ready: ready: \{event: listening\} needs an event channel/);
  });

  it('an empty file and broken YAML', () => {
    expect(problems('')).toMatch(/subject file subject\.yaml is empty/);
    expect(problems('name: [oops')).toMatch(
      /subject file subject\.yaml is not valid YAML:\n {2}subject\.yaml:1:/,
    );
  });

  it('--subject with a .yaml path goes to the subject file loader (a missing file says so)', async () => {
    await expect(resolveSubject('no/such/subject.yaml')).rejects.toThrow(
      /--subject no\/such\/subject\.yaml: cannot read the subject file: no such file/,
    );
  });
});

describe('placeholders', () => {
  const config = { ...REFERENCE_DEFAULTS, interval: 5000, pongTimeout: 2000, readDeadline: 12_500 };

  it('time: scaled multiplies every duration by the time scale; counts stay counts', () => {
    const v = placeholderValues({
      side: 'client',
      host: 'client-2',
      scale: 0.01,
      timeScale: 0.01,
      config,
      upstream: { host: '127.0.0.1', port: 4321 },
    });
    expect(
      fill('{upstream} every {interval} ms, T={pongTimeout}, R={readDeadline}, N={missThreshold}', v),
    ).toBe(`127.0.0.1:4321 every 50 ms, T=20, R=125, N=${config.missThreshold}`);
    expect(v.host).toBe('client-2');
    expect(JSON.parse(v.config!).interval).toBe(5000);
  });

  it('time: real passes the durations as the scenario states them', () => {
    const v = placeholderValues({
      side: 'server',
      host: 'server',
      scale: 1,
      timeScale: 1,
      config,
      listen: { host: '127.0.0.1', port: 9 },
    });
    expect(fill('{listenPort} {interval} {readDeadline}', v)).toBe('9 5000 12500');
  });

  it('fractions keep up to 3 decimals; braces that are not placeholders pass through', () => {
    const v = placeholderValues({ side: 'client', host: 'client', scale: 0.001, timeScale: 0.001, config });
    expect(fill('{interval} {"json": true} {not-a-name}', v)).toBe('5 {"json": true} {not-a-name}');
    const fine = placeholderValues({
      side: 'client',
      host: 'client',
      scale: 0.0025,
      timeScale: 0.0025,
      config,
    });
    expect(fine.interval).toBe('12.5');
  });
});

describe('what the runner refuses before starting a process', () => {
  const subject = externalSubject(parseSubjectFile(MINIMAL, 'mine.yaml'));
  const scenario = (faults = '') =>
    loadScenarioText(`name: s\nduration: 10s\ntopology: { kind: direct }\n${faults}`);

  it('--backend sim: why the simulator cannot, and what to use instead', () => {
    expect(() => preflight(scenario(), { backend: 'sim', subject })).toThrow(RunError);
    expect(() => preflight(scenario(), { backend: 'sim', subject })).toThrow(
      /subject file mine\.yaml\) runs as OS processes on real sockets, .*no syscall-level simulation.*--backend toxiproxy/,
    );
  });

  it('time: real with a time scale other than 1', () => {
    const real = externalSubject(
      parseSubjectFile(MINIMAL.replace('time: scaled', 'time: real'), 'real.yaml'),
    );
    expect(() => preflight(scenario(), { backend: 'toxiproxy', subject: real, timeScale: 0.01 })).toThrow(
      /subject file real\.yaml says time: real .* time scale must be 1, not 0\.01/,
    );
    expect(preflight(scenario(), { backend: 'toxiproxy', subject: real, timeScale: 1 })).toBe(real);
  });

  it('crash close: fin and pause run on real processes; a silent crash and clock skew do not', () => {
    const fault = (f: string) => `faults:\n  - { id: f, at: 1s, until: 2s, fault: ${f} }\n`;
    expect(
      preflight(scenario(fault('{ type: crash, host: server, close: fin }')), {
        backend: 'toxiproxy',
        subject,
      }),
    ).toBe(subject);
    expect(
      preflight(scenario(fault('{ type: pause, host: server }')), { backend: 'toxiproxy', subject }),
    ).toBe(subject);
    expect(() =>
      preflight(scenario(fault('{ type: crash, host: server }')), { backend: 'toxiproxy', subject }),
    ).toThrow(/fault "f" \(crash\) cannot run on real processes: .*SIGKILL.*use close: fin/);
    expect(() =>
      preflight(scenario(fault('{ type: clock-skew, host: client, offset: 1s }')), {
        backend: 'toxiproxy',
        subject,
      }),
    ).toThrow(
      /fault "f" \(clock-skew\) cannot run on the toxiproxy backend: it needs hostFaults, .*cannot run the programs of subject file mine\.yaml, so no backend can make this fault for them; drop it/,
    );
  });
});

describe('JSON Schema', () => {
  it(`${SUBJECT_SCHEMA_FILE} is current (regenerate with: npx tsx harness/external/json-schema.ts)`, () => {
    expect(readFileSync(path.join(ROOT, SUBJECT_SCHEMA_FILE), 'utf8')).toBe(renderSubjectJsonSchema());
  });
});
