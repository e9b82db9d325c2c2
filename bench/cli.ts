/**
 * Command-level benchmarks: what a user waits for, process start-up included, through the compiled
 * CLI (dist/, built first) exactly as an installed flatline runs.
 *
 * - sweep-workers: the README's sweep example with --workers 1 and with every core; the speed-up.
 * - library-run: the whole built-in library (scenarios/) as one `flatline run` on the simulator.
 * - library-vs-real: the same scenarios on a real network at --time-scale 1, computed from a scaled
 *   run (×0.01) of those Toxiproxy can run: Σ scenario durations (what scale 1 takes; scenarios only
 *   the simulator can run count at their duration too) plus the per-run overhead the scaled run
 *   measured. The figure is that real time over library-run's wall time.
 *
 * Every run's verdicts must be the same for both worker counts (same --json), or the case fails.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseDuration } from '../harness/scenario/duration.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'dist', 'harness', 'cli', 'main.js');

export interface CliResult {
  case: string;
  wallMs: number;
  detail: string;
  target: string;
  verdict: 'ok' | 'MISS';
  [figure: string]: unknown;
}

const README_SWEEP = [
  'sweep',
  '--interval',
  '5s,10s,30s',
  '--pong-timeout',
  '2s,5s',
  '--seeds',
  '5',
  '--fault',
  'black-hole,partition',
  '--latency',
  'lan,office=40ms/300ms',
  '--detect-within',
  'p99:40s',
  '--max-false-rate',
  '0',
  '--tolerate-latency',
  '800ms',
  '--preset',
  'grpc,socketio,mqtt',
  '--json',
];

function flatline(args: string[]): { ms: number; stdout: string; code: number } {
  const start = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, TOXIPROXY_URL: '' },
  });
  const ms = performance.now() - start;
  if (r.status !== 0 && r.status !== 1) {
    throw new Error(`flatline ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  }
  return { ms, stdout: r.stdout, code: r.status ?? -1 };
}

/** The best of `n` runs (the least disturbed by whatever else the machine does). */
function best(n: number, args: string[]): { ms: number; stdout: string; code: number } {
  let out = flatline(args);
  for (let k = 1; k < n; k++) {
    const r = flatline(args);
    if (r.stdout !== out.stdout)
      throw new Error(`flatline ${args.join(' ')}: two runs gave different results`);
    if (r.ms < out.ms) out = r;
  }
  return out;
}

export function build(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}${r.stderr}`);
}

export function sweepWorkers(runs = 3): CliResult {
  const cores = availableParallelism();
  const one = best(runs, [...README_SWEEP, '--workers', '1']);
  const all = best(runs, [...README_SWEEP, '--workers', String(cores)]);
  if (one.stdout !== all.stdout)
    throw new Error('sweep-workers: --workers 1 and all cores gave different results');
  const speedup = one.ms / all.ms;
  const target = cores >= 2 ? 1.7 : 1;
  return {
    case: 'sweep-workers',
    wallMs: all.ms,
    oneWorkerMs: Math.round(one.ms),
    allWorkersMs: Math.round(all.ms),
    cores,
    speedup: Number(speedup.toFixed(2)),
    detail: `README sweep: ${(one.ms / 1000).toFixed(2)} s on 1 worker, ${(all.ms / 1000).toFixed(2)} s on ${cores} (×${speedup.toFixed(2)}); identical results`,
    target: `≥ ${target}× faster on ${cores} cores`,
    verdict: speedup >= target ? 'ok' : 'MISS',
  };
}

interface Library {
  file: string;
  durationMs: number;
  real: boolean;
}

function library(): Library[] {
  const dir = path.join(ROOT, 'scenarios');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => {
      const doc = parse(readFileSync(path.join(dir, f), 'utf8')) as {
        duration: string | number;
        topology?: { kind?: string } | string;
        faults?: { fault: { type: string } }[];
      };
      const kind = typeof doc.topology === 'string' ? doc.topology : doc.topology?.kind;
      return {
        file: path.join('scenarios', f),
        durationMs: parseDuration(doc.duration),
        // What real Toxiproxy can make: the proxy topology, no fault of the simulator's hosts.
        real:
          kind === 'proxy' &&
          (doc.faults ?? []).every(
            (e) =>
              !['partition', 'crash', 'pause', 'clock-skew', 'nat', 'loss', 'burst-loss'].includes(
                e.fault.type,
              ),
          ),
      };
    });
}

export function libraryRun(runs = 3): { run: CliResult; real: CliResult } {
  const all = library();
  const sim = best(runs, ['run', ...all.map((s) => s.file), '--backend', 'sim', '--json']);
  const count = (JSON.parse(sim.stdout) as unknown[]).length;
  const run: CliResult = {
    case: 'library-run',
    wallMs: sim.ms,
    scenarios: count,
    detail: `${count} built-in scenarios in one flatline run: ${(sim.ms / 1000).toFixed(2)} s wall, start-up included`,
    target: 'reported (no target of its own)',
    verdict: 'ok',
  };
  const scale = 0.01;
  const onReal = all.filter((s) => s.real);
  const scaled = flatline([
    'run',
    ...onReal.map((s) => s.file),
    '--backend',
    'toxiproxy',
    '--time-scale',
    String(scale),
    '--json',
  ]);
  const scenarioMs = onReal.reduce((t, s) => t + s.durationMs, 0);
  const overheadMs = Math.max(0, scaled.ms - scenarioMs * scale);
  const realMs = all.reduce((t, s) => t + s.durationMs, 0) + overheadMs;
  const ratio = realMs / sim.ms;
  return {
    run,
    real: {
      case: 'library-vs-real',
      wallMs: realMs,
      ratio: Math.round(ratio),
      overheadMs: Math.round(overheadMs),
      detail: `the library at --time-scale 1 on real Toxiproxy ≈ ${(realMs / 60_000).toFixed(1)} min (Σ durations + ${(overheadMs / 1000).toFixed(1)} s overhead measured at ×${scale} over ${onReal.length} scenarios) = ${Math.round(ratio)}× the simulator's ${(sim.ms / 1000).toFixed(2)} s`,
      target: '≥ 1000×',
      verdict: ratio >= 1000 ? 'ok' : 'MISS',
    },
  };
}

export const CLI_CASES = ['sweep-workers', 'library-run', 'library-vs-real'];

export function cliCases(runs = 3): CliResult[] {
  build();
  const { run, real } = libraryRun(runs);
  return [sweepWorkers(runs), run, real];
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const json = process.argv.includes('--json');
  const check = process.argv.includes('--check');
  const results = cliCases();
  for (const r of results) process.stderr.write(`${r.case}: ${r.detail} vs ${r.target} → ${r.verdict}\n`);
  if (json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  if (check && results.some((r) => r.verdict === 'MISS')) process.exit(1);
}
