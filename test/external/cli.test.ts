/**
 * `flatline run --subject <file.yaml>` with programs that misbehave, as a user meets it: a clear
 * message naming the subject file and the process, exit 2 (bad input), and no process left alive —
 * also when flatline itself is SIGKILLed mid-run (its supervisors see their pipe close and kill each
 * process group). Every process of these tests carries a marker in its environment, so the test finds
 * them wherever they were reparented.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  blackholeScenario,
  flatline,
  killStragglers,
  startFlatline,
  TEST_TIMEOUT,
  Workspace,
} from '../cli/cli.ts';
import { describeToxiproxy, waitUntil } from '../toxiproxy/support.ts';

const FAKE = path.resolve(import.meta.dirname, '..', 'fixtures', 'external', 'fake.mjs');

let ws: Workspace;
let scenario: string;
beforeAll(() => {
  ws = new Workspace();
  scenario = ws.write('blackhole.yaml', blackholeScenario({ name: 'external-cli', duration: '10m' }));
});
afterAll(() => {
  killStragglers();
  ws.remove();
});

/** Pids of live processes whose environment holds `marker`. */
function marked(marker: string): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // A zombie is dead already; it only waits for its parent to read its status.
      if (environ.includes(`FLATLINE_TEST_MARKER=${marker}`) && stat.split(') ')[1]?.[0] !== 'Z')
        out.push(Number(entry));
    } catch {}
  }
  return out;
}

/** A subject file whose server runs fake.mjs in `mode`; its client is a program that idles. */
function subjectFile(name: string, mode: string, marker: string, extra = ''): string {
  return ws.write(
    `${name}.yaml`,
    `name: ${name}
time: scaled
server:
  command: ${mode === 'missing' ? './no-such-server' : 'node'}
  args: [${JSON.stringify(FAKE)}, ${mode}, "{listen}"]
  events: stdout
  env: { FLATLINE_TEST_MARKER: ${marker} }
  stop: { signal: SIGTERM, grace: 1s }
${extra}client:
  command: node
  args: [${JSON.stringify(FAKE)}, never, "{upstream}"]
  env: { FLATLINE_TEST_MARKER: ${marker} }
  stop: { signal: SIGTERM, grace: 1s }
`,
  );
}

it('--backend sim with a subject file: exit 2, why the simulator cannot, what to use instead', async () => {
  const file = subjectFile('sim', 'serve', 'sim');
  const run = await flatline(['run', scenario, '--subject', file]);
  expect(run.code, run.stderr).toBe(2);
  expect(run.stderr).toMatch(/runs as OS processes on real sockets/);
  expect(run.stderr).toMatch(/no syscall-level simulation/);
  expect(run.stderr).toMatch(/Run it with --backend toxiproxy/);
});

describeToxiproxy('flatline run --subject <file> --backend toxiproxy: bad programs', () => {
  const run = async (mode: string, marker: string, extra = '') => {
    const file = subjectFile(mode, mode, marker, extra);
    const r = await flatline([
      'run',
      scenario,
      '--subject',
      file,
      '--backend',
      'toxiproxy',
      '--time-scale',
      '0.001',
    ]);
    return { ...r, file };
  };

  it('a command that does not exist: exit 2, naming the file and the process', {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const r = await run('missing', 'missing');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`subject file ${r.file}: process "server" (./no-such-server`);
    expect(r.stderr).toMatch(/could not start: command not found/);
    expect(marked('missing')).toEqual([]);
  });

  it('a program that exits at once: exit 2, with its exit code and last output', {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const r = await run('exit', 'exit');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/process "server" .* exit code 3 before it was ready/);
    expect(r.stderr).toContain('cannot open config: no such file');
  });

  it('garbage on the event channel: exit 2, the line quoted; the clients are stopped too', {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const r = await run('garbage', 'garbage');
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/wrote garbage on its event channel \(stdout\), line 2: "hello, I am not JSON"/);
    expect(marked('garbage')).toEqual([]);
  });

  it('a server that ignores SIGTERM: killed after its grace, exit 2 naming it', {
    timeout: TEST_TIMEOUT,
  }, async () => {
    const file = subjectFile('ignore', 'ignore-term', 'ignore');
    const short = ws.write(
      'short.yaml',
      'name: external-short\ntopology: { kind: proxy }\nduration: 10s\nexpect:\n  - type: noFalseDetection\n',
    );
    const r = await flatline([
      'run',
      short,
      '--subject',
      file,
      '--backend',
      'toxiproxy',
      '--time-scale',
      '0.01',
    ]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /process "server" .* ignored SIGTERM: it had not exited 1000 ms later and was killed with SIGKILL/,
    );
    expect(marked('ignore')).toEqual([]);
  });

  it('SIGKILL of flatline mid-run leaves no subject process alive', { timeout: TEST_TIMEOUT }, async () => {
    const marker = `sigkill-${process.pid}`;
    const file = subjectFile('sigkill', 'family', marker);
    // 10 scenario minutes at 0.01 = 6 s of real time: still running when it is killed.
    const cli = startFlatline([
      'run',
      scenario,
      '--subject',
      file,
      '--backend',
      'toxiproxy',
      '--time-scale',
      '0.01',
    ]);
    // The server, its grandchild and the client: three processes, each with the marker.
    await waitUntil(
      () => marked(marker).length >= 3 || cli.child.exitCode !== null,
      60_000,
      'the subject processes to start',
    );
    const before = marked(marker);
    expect(before.length, cli.stderr()).toBeGreaterThanOrEqual(3);
    cli.child.kill('SIGKILL');
    await cli.done;
    // The supervisors read EOF, send SIGTERM to each group and SIGKILL after the 1 s grace.
    await waitUntil(
      () => marked(marker).length === 0,
      10_000,
      `no process with the marker (left: ${marked(marker).join(', ')})`,
    );
    expect(marked(marker)).toEqual([]);
  });
});

describeToxiproxy('flatline check --subject <file> --backend toxiproxy', () => {
  const GO = path.resolve(import.meta.dirname, '..', '..', 'examples', 'go');
  // At ×0.05 the real-network ε is 1 000 scenario ms: sharp enough that a heartbeat a few intervals
  // late is outside its bound (at ×0.01, 5 000 ms of ε would hide a short interval's misses).
  const SCALE = '0.05';

  it('completeness and convergence hold for the Go example, and say how many facts they checked', {
    timeout: 300_000,
  }, async () => {
    const r = await flatline(
      [
        'check',
        'completeness,convergence',
        '--subject',
        'examples/go/subject.yaml',
        '--backend',
        'toxiproxy',
        '--time-scale',
        SCALE,
        '--runs',
        '2',
        '--seed',
        '3',
      ],
      { timeoutMs: 280_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const facts = [...r.stderr.matchAll(/PASS (\w+): .* over 2 case\(s\) \((\d+) fact\(s\) checked/g)].map(
      (m) => [m[1], Number(m[2])],
    );
    expect(facts.map(([name]) => name)).toEqual(['completeness', 'convergence']);
    expect(Number(facts[0]![1])).toBeGreaterThan(0);
  });

  it('a subject file that wires the miss threshold to a constant is caught by completeness (exit 1, a counterexample)', {
    timeout: 300_000,
  }, async () => {
    // A realistic wiring bug: the program always gets -miss-threshold 6, whatever the scenario says,
    // so it detects a black hole several intervals after the bound.
    const original = readFileSync(path.join(GO, 'subject.yaml'), 'utf8');
    const lines = original.split('\n');
    const client = lines.findIndex((l) => l.startsWith('client:'));
    const at = lines.findIndex((l, i) => i > client && l.includes('"{missThreshold}"'));
    lines[at] = lines[at]!.replace('"{missThreshold}"', '"6"');
    const buggy = ws.write(
      'go-buggy.yaml',
      lines
        .join('\n')
        .replace('name: go-heartbeat', 'name: go-buggy')
        .replace(/^build:\n(?: {2}.*\n)+/m, '')
        .replace(/command: \.\/bin\/heartbeat/g, `command: ${path.join(GO, 'bin', 'heartbeat')}`),
    );
    const r = await flatline(
      [
        'check',
        'completeness',
        '--subject',
        buggy,
        '--backend',
        'toxiproxy',
        '--time-scale',
        SCALE,
        '--runs',
        '4',
        '--seed',
        '3',
        '--max-shrinks',
        '0',
        '--counterexamples',
        ws.path('cx'),
      ],
      { timeoutMs: 280_000 },
    );
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(
      /FAIL completeness: flatline property completeness failed for subject "go-buggy"/,
    );
    expect(r.stderr).toMatch(
      /completeness: .* the client (ended its connection .* after Δ = [\d.]+ ms|never detected it), outside \[/,
    );
    expect(r.stderr).toMatch(
      /npx flatline run .*cx\/completeness-go-buggy-seed\d+\.yaml --backend toxiproxy --time-scale 0\.05 --seed \d+ --subject /,
    );
  });

  it('refuses what only the simulator can judge, and the simulator for a subject file (exit 2)', async () => {
    const all = await flatline([
      'check',
      'all',
      '--subject',
      'examples/go/subject.yaml',
      '--backend',
      'toxiproxy',
    ]);
    expect(all.code).toBe(2);
    expect(all.stderr).toMatch(
      /hygiene runs on the simulator only: .*determinism runs on the simulator only/,
    );
    const sim = await flatline(['check', 'completeness', '--subject', 'examples/go/subject.yaml']);
    expect(sim.code).toBe(2);
    expect(sim.stderr).toMatch(/runs as OS processes on real sockets, .*check it with --backend toxiproxy/);
  });
});
