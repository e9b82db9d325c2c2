/**
 * Simulator benchmarks, then the command-level cases of bench/cli.ts (sweep-workers, library-run,
 * library-vs-real: the compiled CLI, start-up included). `npm run bench` prints a table and one comparison line per case against its
 * target (`case: measured vs target → ok/MISS`); `npm run bench -- --json` prints a JSON array with one
 * object per case: {case, simToWall, simToCpu, eventsPerSec, traceHash, target, verdict, …} (the
 * comparison lines then go to stderr); `--check` exits 1 when a case misses its target (not part of
 * `npm test`: a shared machine can make a case miss). simToWall is simulated seconds per wall-clock
 * second; simToCpu per second of process CPU time (the figure to compare on a shared machine);
 * eventsPerSec counts clock events fired (packet deliveries, kernel and application timers) per
 * wall-clock second.
 *
 * Each case runs `runs` times (a fresh Simulation each time) and reports the median
 * run; every run must give the same trace hash. A warm-up (unmeasured simulations of both workload
 * shapes, three of each: V8 needs a few fresh runs before its code for a run stops changing) comes
 * first unless `--cold` is given. `--case <name>` runs one case; `--runs <n>` overrides the number of
 * runs of every case.
 *
 * Workload (direct topology, no faults, 5 ms one way): each client writes a 64-byte message every
 * simulated second and the server answers each with 64 bytes.
 */

import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { FaultProxy } from '../harness/backend.ts';
import { Simulation } from '../harness/sim/index.ts';
import type { Runtime } from '../impl/runtime.ts';
import { CLI_CASES, cliCases } from './cli.ts';

interface Result {
  case: string;
  simToWall: number | null;
  eventsPerSec: number | null;
  traceHash: string | null;
  wallMs?: number;
  /** Process CPU time (user + system) for the run: on a shared machine, wall time includes waiting. */
  cpuMs?: number;
  /** Simulated seconds per second of CPU time. */
  simToCpu?: number;
  simSeconds?: number;
  connections?: number;
  timersFired?: number;
  packets?: number;
  traceEvents?: number;
  heapGrowthMB?: number;
  heapSamplesMB?: number[];
  /** Measured runs (the figures above are the median run's). */
  runs?: number;
  /** simToWall of every run, in order. */
  simToWallRuns?: number[];
  /** What the case must reach, in words, and whether the median run reached it. */
  target?: string;
  verdict?: 'ok' | 'MISS' | 'none';
  error?: string;
}

/** A case: one measured run on a fresh simulation; its target, if it has one. */
interface Case {
  run: () => Promise<Result>;
  runs: number;
  target?: { text: string; met: (r: Result) => boolean; measured: (r: Result) => string };
}

/** Heap growth allowed over simulated time (memory-flat): a leak of one byte per packet would show 3 MB. */
const HEAP_GROWTH_MAX_MB = 1;

const MESSAGE = Buffer.alloc(64, 0x61);

/** A full GC before each heap sample, without needing node --expose-gc on the command line. */
let gcFn: (() => void) | null = null;
function gcFunction(): () => void {
  if (gcFn === null) {
    v8.setFlagsFromString('--expose-gc');
    gcFn = vm.runInNewContext('gc') as () => void;
  }
  return gcFn;
}

function startEchoServer(rt: Runtime, port: number): void {
  rt.net
    .createServer((s) => {
      s.on('data', (d: Buffer) => {
        s.write(d.length === 64 ? MESSAGE : d);
      });
      s.on('error', () => {});
    })
    .listen(port);
}

/** Opens `n` connections from `client` to host:port, each writing 64 bytes every second. */
function startClients(rt: Runtime, host: string, port: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const c = rt.net.createConnection({ host, port });
    c.on('data', () => {});
    c.on('error', () => {});
    c.on('connect', () => {
      rt.setInterval(() => c.write(MESSAGE), 1000);
    });
  }
}

async function measure(
  name: string,
  sim: Simulation,
  simMs: number,
  connections: number,
  sampleHeap = false,
): Promise<Result> {
  const step = sampleHeap ? 600_000 : Math.min(simMs, 60_000);
  const heap: number[] = [];
  // A forced full GC makes V8 drop compiled code (the next run re-tiers from the interpreter), so
  // only the heap-sampling case forces them.
  const gc = sampleHeap ? gcFunction() : () => {};
  gc();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let done = 0; done < simMs; done += step) {
    await sim.runFor(Math.min(step, simMs - done));
    if (sampleHeap) {
      gc();
      heap.push(process.memoryUsage().heapUsed / 2 ** 20);
    }
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const stats = sim.stats();
  const result: Result = {
    case: name,
    simToWall: Math.round(simMs / wallMs),
    eventsPerSec: Math.round((stats.timersFired / wallMs) * 1000),
    traceHash: sim.trace.hash(),
    wallMs: Math.round(wallMs),
    cpuMs: Math.round(cpuMs),
    simToCpu: Math.round(simMs / cpuMs),
    simSeconds: simMs / 1000,
    connections,
    timersFired: stats.timersFired,
    packets: stats.packets,
    traceEvents: stats.traceEvents,
  };
  if (sampleHeap && heap.length >= 6) {
    // Samples every 10 simulated minutes. Growth: the highest sample from 60 minutes on, against the
    // one at 10 minutes (start-up allocations are done by then).
    result.heapGrowthMB = round2(Math.max(...heap.slice(5)) - (heap[0] as number));
    result.heapSamplesMB = heap.map(round2);
  }
  await sim.close();
  return result;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function directSim(seed: number): Simulation {
  return new Simulation({ seed, latency: 5, retainTrace: false });
}

async function oneConnHour(): Promise<Result> {
  const sim = directSim(1);
  startEchoServer(sim.runtime('server'), 7000);
  startClients(sim.runtime('client'), 'server', 7000, 1);
  return measure('one-conn-1h', sim, 3_600_000, 1);
}

async function thousandConns(): Promise<Result> {
  const sim = directSim(2);
  startEchoServer(sim.runtime('server'), 7000);
  startClients(sim.runtime('client'), 'server', 7000, 1000);
  return measure('thousand-conns-10m', sim, 600_000, 1000);
}

async function thousandConnsProxy(): Promise<Result> {
  const sim = directSim(3);
  try {
    const { createSimProxy } = await import('../harness/sim/proxy/index.ts');
    startEchoServer(sim.runtime('server'), 7000);
    const proxy: FaultProxy = await createSimProxy(sim, {
      name: 'bench',
      listen: 'toxiproxy:8000',
      upstream: 'server:7000',
    });
    const [host, port] = proxy.listen.split(':');
    startClients(sim.runtime('client'), host as string, Number(port), 1000);
    return await measure('thousand-conns-10m-proxy', sim, 600_000, 1000);
  } catch (e) {
    await sim.close();
    return {
      case: 'thousand-conns-10m-proxy',
      simToWall: null,
      eventsPerSec: null,
      traceHash: null,
      error: `simulated proxy unavailable: ${(e as Error).message}`,
    };
  }
}

/** Heap (after a full GC) every simulated 10 minutes of 100 connections for 3 hours, trace retention off. */
async function memoryFlat(): Promise<Result> {
  const sim = directSim(4);
  startEchoServer(sim.runtime('server'), 7000);
  startClients(sim.runtime('client'), 'server', 7000, 100);
  return measure('memory-flat', sim, 3 * 3_600_000, 100, true);
}

/**
 * JIT warm-up on separate simulations (not measured), in both shapes the cases use — many
 * connections sharing instants, and one connection alone — so the cases measure steady-state
 * throughput. Three fresh simulations of each: V8 keeps recompiling the path for the first few runs
 * of a process (each run's first events meet objects in states the optimized code has not seen yet),
 * and a one-hour run is only tens of milliseconds, so without this it measures mostly the compiler.
 */
async function warmUp(): Promise<void> {
  for (const [connections, ms] of [
    [20, 120_000],
    [20, 120_000],
    [20, 120_000],
    [1, 3_600_000],
    [1, 3_600_000],
    [1, 3_600_000],
  ] as const) {
    const sim = directSim(99);
    startEchoServer(sim.runtime('server'), 7000);
    startClients(sim.runtime('client'), 'server', 7000, connections);
    await sim.runFor(ms);
    await sim.close();
  }
}

/**
 * One connection of unmodified socket.io 4 (server and client, their own timers on the host
 * processes), 24 simulated hours at the defaults (a ping every 25 s), no fault. Issue target:
 * ≥ 50,000× real time.
 */
async function socketIoDay(): Promise<Result> {
  const { socketIoSubject, socketIoConfigSchema } = await import('../harness/subjects/libraries/socketio.ts');
  const sim = directSim(5);
  const config = socketIoConfigSchema.parse({});
  const server = sim.runtime('server');
  sim.host('client');
  const started = sim.onHost('server', () =>
    socketIoSubject.startServer(server, { host: 'server', port: 7000 }, config),
  );
  await sim.runFor(0);
  await started;
  const client = sim.runtime('client');
  await sim.onHost('client', () =>
    socketIoSubject.startClient(client, { host: 'server', port: 7000 }, config),
  );
  // Warm the library's own code paths before measuring (one simulated hour).
  await sim.runFor(3_600_000);
  return measure('socketio-conn-24h', sim, 24 * 3_600_000, 1);
}

const simToWallTarget = (min: number): Case['target'] => ({
  text: `≥ ${min.toLocaleString('en-US')}× real time`,
  met: (r) => (r.simToWall ?? 0) >= min,
  measured: (r) =>
    `${(r.simToWall ?? 0).toLocaleString('en-US')}× (cpu ${(r.simToCpu ?? 0).toLocaleString('en-US')}×)`,
});

const CASES: Record<string, Case> = {
  'one-conn-1h': { run: oneConnHour, runs: 5, target: simToWallTarget(100_000) },
  'thousand-conns-10m': { run: thousandConns, runs: 3, target: simToWallTarget(300) },
  'thousand-conns-10m-proxy': { run: thousandConnsProxy, runs: 1 },
  'socketio-conn-24h': { run: socketIoDay, runs: 5, target: simToWallTarget(50_000) },
  // Last: it forces full GCs to sample the heap, after which V8 recompiles everything.
  'memory-flat': {
    run: memoryFlat,
    runs: 1,
    target: {
      text: `heap growth < ${HEAP_GROWTH_MAX_MB} MB from 10 to 60…180 simulated min`,
      met: (r) => r.heapGrowthMB !== undefined && r.heapGrowthMB < HEAP_GROWTH_MAX_MB,
      measured: (r) => `${r.heapGrowthMB} MB`,
    },
  },
};

/** Runs a case `runs` times; the result is the median run (by simToWall), with every run's figure. */
async function runCase(name: string, c: Case, runs: number): Promise<Result> {
  const results: Result[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await c.run();
    if (r.error) return r;
    results.push(r);
  }
  const hashes = new Set(results.map((r) => r.traceHash));
  if (hashes.size > 1) {
    return {
      ...(results[0] as Result),
      error: `runs gave different trace hashes: ${[...hashes].join(', ')}`,
    };
  }
  const sorted = [...results].sort((a, b) => (a.simToWall ?? 0) - (b.simToWall ?? 0));
  const median = sorted[Math.floor((sorted.length - 1) / 2)] as Result;
  const result: Result = { ...median, case: name, runs };
  if (runs > 1) result.simToWallRuns = results.map((r) => r.simToWall ?? 0);
  if (c.target) {
    result.target = c.target.text;
    result.verdict = c.target.met(result) ? 'ok' : 'MISS';
  } else {
    result.verdict = 'none';
  }
  return result;
}

function comparison(r: Result): string {
  if (r.error) return `${r.case}: error (${r.error}) → MISS`;
  const c = CASES[r.case];
  if (!c?.target) return `${r.case}: ${(r.simToWall ?? 0).toLocaleString('en-US')}× (no target)`;
  return `${r.case}: ${c.target.measured(r)} vs ${c.target.text} → ${r.verdict}`;
}

function table(results: Result[]): string {
  const rows = results.map((r) =>
    r.error
      ? [r.case, 'error', '', '', '', '', r.error]
      : [
          r.case,
          `${r.simToWall?.toLocaleString('en-US')}×`,
          `${r.simToCpu?.toLocaleString('en-US')}×`,
          (r.eventsPerSec ?? 0).toLocaleString('en-US'),
          `${r.wallMs} ms`,
          String(r.runs ?? 1),
          r.heapGrowthMB !== undefined
            ? `heap growth ${r.heapGrowthMB} MB`
            : (r.traceHash ?? '').slice(0, 16),
        ],
  );
  const head = ['case', 'sim/wall', 'sim/cpu', 'events/s', 'wall', 'runs', 'notes'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: string[]) => cells.map((c, i) => String(c).padEnd(widths[i] as number)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const check = args.includes('--check');
  const only = option(args, '--case');
  const runsOption = option(args, '--runs');
  const runs = runsOption === undefined ? undefined : Number(runsOption);
  if (runs !== undefined && !(Number.isInteger(runs) && runs >= 1)) {
    throw new Error(`--runs takes a whole number ≥ 1, got '${runsOption}'`);
  }
  const cliOnly = only !== undefined && CLI_CASES.includes(only);
  const names = cliOnly ? [] : only ? [only] : Object.keys(CASES);
  for (const name of names) {
    if (!CASES[name])
      throw new Error(`unknown case '${name}' (cases: ${[...Object.keys(CASES), ...CLI_CASES].join(', ')})`);
  }
  const results: Result[] = [];
  if (names.length && !args.includes('--cold')) await warmUp();
  for (const name of names) {
    const c = CASES[name] as Case;
    const result = await runCase(name, c, runs ?? c.runs);
    results.push(result);
    if (!json) process.stderr.write(`done: ${name}\n`);
  }
  // What a user waits for through the CLI (bench/cli.ts): after the simulator cases, on the same machine.
  const commands =
    only === undefined || cliOnly
      ? cliCases(runs ?? 3).filter((r) => only === undefined || r.case === only)
      : [];
  const lines = [
    ...results.map(comparison),
    ...commands.map((r) => `${r.case}: ${r.detail} vs ${r.target} → ${r.verdict}`),
  ].join('\n');
  if (json) {
    process.stdout.write(`${JSON.stringify([...results, ...commands], null, 2)}\n`);
    process.stderr.write(`${lines}\n`);
  } else {
    process.stdout.write(`${results.length ? `${table(results)}\n\n` : ''}${lines}\n`);
  }
  const missed = [
    ...results.filter((r) => r.error !== undefined || r.verdict === 'MISS'),
    ...commands.filter((r) => r.verdict === 'MISS'),
  ];
  return check && missed.length > 0 ? 1 : 0;
}

process.exitCode = await main();
// The socket.io case leaves handles open in the library's own modules after its simulation has
// ended (the bench then never exited); every result is printed by now.
process.exit();
