/**
 * `flatline sweep` through commander, as main.ts registers it: exit codes 0 (a configuration meets
 * the goals), 1 (none does), 2 (bad input), 3 (Toxiproxy unreachable), and what it prints.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command, CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeError, exitCodeFor } from '../../harness/cli/exit.ts';
import { registerSweep } from '../../harness/cli/sweep.ts';
import type { SweepResult } from '../../harness/result.ts';
import { loadScenarioFile } from '../../harness/scenario/loader.ts';
import { runScenario } from '../../harness/scenario/runner.ts';
import { freeLoopbackPort } from '../../harness/toxiproxy/launcher.ts';

let out = '';
let err = '';

beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs `flatline sweep <args>` the way main.ts does and returns the exit code. */
async function flatline(...args: string[]): Promise<number> {
  let code = 0;
  const program = new Command().name('flatline').exitOverride();
  registerSweep(
    program,
    (c) => {
      code = c;
    },
    ['sweep', ...args],
  );
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(['node', 'flatline', 'sweep', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    err += `flatline: ${describeError(e)}\n`;
    return exitCodeFor(e);
  }
  return code;
}

describe('flatline sweep (CLI)', () => {
  it('--list-presets lists every preset with its mapping, exit 0', async () => {
    expect(await flatline('--list-presets')).toBe(0);
    expect(out).toContain('mqtt (also mqtt.js, mqttjs) — MQTT (mqtt.js, keepalive 60 s)');
    expect(out).toContain('  config:  I 1m · T 30s · R 1m30s · N 1 · seed 1s→1s ×1');
    expect(out).toMatch(/mapping: mqtt\.js sends PINGREQ K after/);
  });

  it('--dry-run prints the plan without running', async () => {
    expect(
      await flatline(
        '--interval',
        '5s,10s',
        '--pong-timeout',
        '1s..3s/2',
        '--preset',
        'nats',
        '--seeds',
        '3',
        '--dry-run',
      ),
    ).toBe(0);
    expect(out.split('\n').slice(0, 7)).toEqual([
      'sweep "sweep": 15 runs',
      'configurations (4):',
      '  I 5s · T 1s · R 7.5s · N 3 · seed 1s→1m ×2 +0–1s',
      '  I 5s · T 3s · R 7.5s · N 3 · seed 1s→1m ×2 +0–1s',
      '  I 10s · T 1s · R 15s · N 3 · seed 1s→1m ×2 +0–1s',
      '  I 10s · T 3s · R 15s · N 3 · seed 1s→1m ×2 +0–1s',
      'presets (1):',
    ]);
  });

  it('bad input exits 2 and says which flag, and why', async () => {
    expect(await flatline('--interval', '5s..1s/3')).toBe(2);
    expect(err).toContain(
      'flatline: SweepSpecError: command line: --interval: "5s..1s/3": the range goes down (1s < 5s)',
    );
    err = '';
    expect(await flatline('test/sweep/fixtures/missing.yaml')).toBe(2);
    expect(err).toContain('test/sweep/fixtures/missing.yaml: cannot read the sweep file: no such file');
    // commander's own checks are bad input too.
    expect(await flatline('--detect-side', 'nobody')).toBe(2);
    expect(await flatline('--time-scale', '0.1')).toBe(2);
  });

  it('a sim-only fault on --backend toxiproxy is refused before anything starts (exit 2)', async () => {
    expect(await flatline('--backend', 'toxiproxy', '--fault', 'partition')).toBe(2);
    expect(err).toContain('--backend: scenario "partition" needs the direct topology (sim-only faults)');
  });

  it('exits 3 when Toxiproxy is unreachable', async () => {
    const before = process.env.TOXIPROXY_URL;
    process.env.TOXIPROXY_URL = `http://127.0.0.1:${await freeLoopbackPort()}`;
    try {
      expect(await flatline('--backend', 'toxiproxy', '--interval', '5s', '--seed', '1', '-q')).toBe(3);
      expect(err).toMatch(/ToxiproxyLaunchError: Toxiproxy at http:\/\/127\.0\.0\.1:\d+ \(TOXIPROXY_URL\)/);
    } finally {
      if (before === undefined) delete process.env.TOXIPROXY_URL;
      else process.env.TOXIPROXY_URL = before;
    }
  });

  it('exits 1 when no configuration meets the goals; --json prints the SweepResult', async () => {
    expect(
      await flatline(
        '--interval',
        '5s',
        '--pong-timeout',
        '2s',
        '--seed',
        '4',
        '--detect-within',
        '1ms',
        '--json',
      ),
    ).toBe(1);
    const result = JSON.parse(out) as SweepResult;
    expect(result.recommendation.best).toBeUndefined();
    expect(result.recommendation.why).toMatch(
      /^No configuration met every goal \(1 tried\)\. Closest: I 5s · T 2s/,
    );
    expect(result.seeds).toEqual([4]);
    expect(result.replay).toBe(
      'npx flatline sweep --interval 5s --pong-timeout 2s --seed 4 --detect-within 1ms --json',
    );
  });

  it('prints the summary, writes reports, and --emit-scenarios writes a scenario that replays the cell exactly', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'flatline-sweep-'));
    try {
      const code = await flatline(
        '--interval',
        '10s',
        '--pong-timeout',
        '3s',
        '--latency',
        'broadband',
        '--seed',
        '5',
        '--detect-within',
        '20s',
        '--preset',
        'akka',
        '--markdown',
        path.join(dir, 'sweep.md'),
        '--junit',
        path.join(dir, 'sweep.xml'),
        '--emit-scenarios',
        path.join(dir, 'replay'),
        '-q',
      );
      expect(code).toBe(0);
      expect(out).toContain('goals: (1) p99 detection (client) ≤ 20s');
      expect(out).toContain('recommended: I 10s · T 3s · R 15s · N 3 · seed 1s→1m ×2 +0–1s');
      expect(out).toContain('Akka phi accrual (≈ fixed timeout)');
      expect(await readFile(path.join(dir, 'sweep.md'), 'utf8')).toContain('**Recommended:**');
      const junit = await readFile(path.join(dir, 'sweep.xml'), 'utf8');
      expect(junit).toContain(
        '<testcase classname="flatline.sweep.recommendation" name="a configuration meets every goal">',
      );
      expect(junit).toMatch(/failures="0"/);

      // One scenario per cell (the grid's and the preset's); replay the grid's with `flatline run`.
      const files = (await readdir(path.join(dir, 'replay'))).sort();
      expect(files).toHaveLength(2);
      const gridFile = files.find((f) => f.startsWith('i10s-t3s'))!;
      expect(gridFile).toBe('i10s-t3s-r15s-n3-seed-black-hole-broadband-seed5.yaml');
      const scenario = await loadScenarioFile(path.join(dir, 'replay', gridFile));
      const rerun = await runScenario(scenario, { backend: 'sim' });
      const clientDetections = rerun.detections.filter((d) => d.side === 'client').map((d) => d.delta);
      const [, line] = /^ {2}★\s+I 10s · T 3s · R 15s · N 3 · seed 1s→1m ×2 \+0–1s\s+(\S+)/m.exec(out) ?? [];
      expect(clientDetections).toHaveLength(1);
      expect(line).toBe(`${clientDetections[0]! / 1000}s`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
