/**
 * Bad input exits 2 with a message that says where (file:line:column) and what; --help on every
 * command exits 0 and names its options; an unknown command is bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeLoopbackPort } from '../../harness/toxiproxy/launcher.ts';
import { blackholeScenario, flatline, killStragglers, shown, TEST_TIMEOUT, Workspace } from './cli.ts';

let ws: Workspace;
let good: string;

beforeAll(() => {
  ws = new Workspace();
  good = ws.write('good.yaml', blackholeScenario());
});

afterAll(() => {
  killStragglers();
  ws.remove();
});

describe.concurrent('exit 2: bad input', { timeout: TEST_TIMEOUT }, () => {
  it('a malformed scenario (unknown toxic type "blackhole") names file:line:column and the choices', async () => {
    const bad = ws.write(
      'unknown-toxic.yaml',
      [
        'name: bad-toxic',
        'duration: 1m',
        'topology:',
        '  kind: proxy',
        'faults:',
        '  - at: 10s',
        '    fault:',
        '      type: blackhole',
        '',
      ].join('\n'),
    );
    const run = await flatline(['run', bad]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `${shown(bad)}:8:13: faults[0].fault.type: expected one of latency, bandwidth,`,
    );
    expect(run.stderr).toContain('got "blackhole"');
    expect(run.stdout).toBe('');
  });

  it('--backend bogus', async () => {
    const run = await flatline(['run', good, '--backend', 'bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--backend must be sim, toxiproxy or both, got "bogus"');
  });

  it('--seed -1', async () => {
    const run = await flatline(['run', good, '--seed', '-1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--seed must be a non-negative integer, got "-1"');
  });

  it('a sim-only fault (partition) with --backend toxiproxy, found before Toxiproxy is contacted', async () => {
    const simOnly = ws.write(
      'partition.yaml',
      [
        'name: sim-only',
        'duration: 1m',
        'topology:',
        '  kind: direct',
        'faults:',
        '  - at: 10s',
        '    fault:',
        '      type: partition',
        '',
      ].join('\n'),
    );
    // Toxiproxy "unreachable": were it contacted first, this would be exit 3 after its 5 s of retries.
    const url = `http://127.0.0.1:${await freeLoopbackPort()}`;
    const run = await flatline(['run', simOnly, '--backend', 'toxiproxy'], { env: { TOXIPROXY_URL: url } });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(
      'scenario "sim-only": fault "partition-1" (partition) cannot run on the toxiproxy backend: it needs hostFaults, which only the simulator has (Toxiproxy cannot make it); run it with --backend sim (faults on hosts and the wire need the simulator)',
    );
  });

  it('`flatline bogus` is an unknown command', async () => {
    const run = await flatline(['bogus']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("unknown command 'bogus'");
  });
});

describe.concurrent('exit 3: infrastructure unreachable', { timeout: TEST_TIMEOUT }, () => {
  it('exit 3 when TOXIPROXY_URL points at a closed loopback port, saying how to get Toxiproxy', async () => {
    const port = await freeLoopbackPort();
    const run = await flatline(['run', good, '--backend', 'toxiproxy'], {
      env: { TOXIPROXY_URL: `http://127.0.0.1:${port}` },
    });
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toContain(`Toxiproxy at http://127.0.0.1:${port} (TOXIPROXY_URL) did not answer`);
    expect(run.stderr).toContain('docker compose up -d --wait toxiproxy');
    expect(run.stderr).toContain('unset TOXIPROXY_URL');
  });
});

describe.concurrent('--help exits 0 and names the options', { timeout: TEST_TIMEOUT }, () => {
  const cases: [string, string[], string[]][] = [
    ['flatline', [], ['run [options] <scenarios...>', 'replay [options]', 'report [options] <results.json>']],
    [
      'run',
      ['run'],
      [
        '--backend <backend>',
        '--seed <n>',
        '--time-scale <factor>',
        '--json',
        '--subject <name|module|file.yaml>',
        '--quiet',
        '--report <file.html>',
        '--junit <file.xml>',
        '--markdown <file.md>',
      ],
    ],
    [
      'replay',
      ['replay'],
      [
        '--seed <n>',
        '--json',
        '--subject <module>',
        '--report <file.html>',
        '--junit <file.xml>',
        '--markdown <file.md>',
      ],
    ],
    [
      'report',
      ['report'],
      ['<results.json>', '--report <file.html>', '--junit <file.xml>', '--markdown <file.md>'],
    ],
  ];
  it.each(cases)('%s --help', async (_name, command, options) => {
    const run = await flatline([...command, '--help']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Usage: flatline${command.length ? ` ${command[0]}` : ''} [options]`);
    for (const option of options) expect(run.stdout).toContain(option);
  });
});
