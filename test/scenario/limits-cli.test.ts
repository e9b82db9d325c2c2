/**
 * Bad input through the real bin (`node bin/flatline.mjs run <file>`): exit 2, one short message with
 * file:line:column, and done in seconds — where these used to hang past SIGTERM and die out of memory
 * (a billion clients, a megabyte of faults), run until killed (a duration of 10¹⁵ ms) or print 4 KB
 * of binary garbage. The children start together; each has CHILD_TIMEOUT to exit, far more than
 * the second or two they take, so a loaded machine does not fail the test but a hang does.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, flatline, killStragglers, shown, TEST_TIMEOUT, Workspace } from '../cli/cli.ts';

let ws: Workspace;
const runs: Record<string, Promise<CliResult>> = {};
const files: Record<string, string> = {};

beforeAll(() => {
  ws = new Workspace();
  files.clients = ws.write('clients.yaml', 'name: herd\nduration: 1m\nclients: 1000000000\n');
  files.duration = ws.write('duration.yaml', 'name: forever\nduration: 1000000000000000\n');
  const fault = '  - { at: 1s, until: 2s, fault: { type: latency, latency: 10ms } }\n';
  files.faults = ws.write('faults.yaml', `name: many\nduration: 1h\nfaults:\n${fault.repeat(16_000)}`);
  // An ELF header (DEL, "ELF", NUL) and 4 KB of noise.
  files.binary = ws.path('binary.yaml');
  writeFileSync(files.binary, Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0]), randomBytes(4096)]));
  for (const [name, file] of Object.entries(files)) runs[name] = flatline(['run', file]);
});

afterAll(() => {
  killStragglers();
  ws?.remove();
});

async function expectBadInput(name: string, line: string): Promise<void> {
  const r = await runs[name]!;
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toBe(`flatline: ScenarioError: ${shown(files[name]!)}${line}\n`);
  expect(r.stderr.length).toBeLessThan(2048);
  expect(r.stdout).toBe('');
}

describe('flatline run on bad input: exit 2 with the place and the limit, in seconds', () => {
  it(
    'a billion clients',
    () =>
      expectBadInput(
        'clients',
        ":3:10: clients: at most 500 clients (the simulator has addresses for 762 hosts, and a run's work grows with each client), got 1000000000",
      ),
    TEST_TIMEOUT,
  );

  it(
    'a duration of 10¹⁵ ms',
    () => expectBadInput('duration', ':2:11: duration: must be at most 7 days (168h), got 1000000000000000'),
    TEST_TIMEOUT,
  );

  it(
    'a megabyte of faults',
    () =>
      expectBadInput(
        'faults',
        ': too large for a scenario: 1,072,032 bytes (1 MiB), at most 262,144 (256 KiB)',
      ),
    TEST_TIMEOUT,
  );

  it(
    'a binary file',
    () => expectBadInput('binary', ':1:5: not a scenario file: binary data (a NUL byte)'),
    TEST_TIMEOUT,
  );
});
