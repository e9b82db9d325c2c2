/**
 * Simulator benchmarks. `npm run bench` prints a table; `npm run bench -- --json` prints a JSON array
 * with one object per case: {case, simToWall, eventsPerSec, traceHash, …}. simToWall is simulated
 * seconds per wall-clock second; eventsPerSec counts clock events fired (packet deliveries, kernel
 * and application timers) per wall-clock second; simToCpu is simulated seconds per second of process
 * CPU time (the figure to compare on a shared machine). `--case <name>` runs one case only; a short
 * unmeasured warm-up runs first unless `--cold` is given.
 *
 * Workload (direct topology, no faults, 5 ms one way): each client writes a 64-byte message every
 * simulated second and the server answers each with 64 bytes.
 */

import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import type { FaultProxy } from '../harness/backend.ts';
import { Simulation } from '../harness/sim/index.ts';
import type { Runtime } from '../impl/runtime.ts';

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
  error?: string;
}

const MESSAGE = Buffer.alloc(64, 0x61);

/** A full GC before each heap sample, without needing node --expose-gc on the command line. */
function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
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
  if (sampleHeap && heap.length > 2) {
    // Growth after warm-up: last sample minus the second (the first includes start-up allocations).
    result.heapGrowthMB = round2((heap.at(-1) as number) - (heap[1] as number));
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
 * throughput. A one-hour run is only a quarter of a second: without warming its own path it measures
 * mostly the compiler (≈ 13,000× cold against ≈ 30,000× warm on the same machine).
 */
async function warmUp(): Promise<void> {
  for (const [connections, ms] of [
    [20, 300_000],
    [1, 7_200_000],
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

const CASES: Record<string, () => Promise<Result>> = {
  'one-conn-1h': oneConnHour,
  'thousand-conns-10m': thousandConns,
  'thousand-conns-10m-proxy': thousandConnsProxy,
  'memory-flat': memoryFlat,
  'socketio-conn-24h': socketIoDay,
};

function table(results: Result[]): string {
  const rows = results.map((r) =>
    r.error
      ? [r.case, 'error', '', '', '', r.error]
      : [
          r.case,
          `${r.simToWall?.toLocaleString('en-US')}×`,
          `${r.simToCpu?.toLocaleString('en-US')}×`,
          (r.eventsPerSec ?? 0).toLocaleString('en-US'),
          `${r.wallMs} ms`,
          r.heapGrowthMB !== undefined
            ? `heap growth ${r.heapGrowthMB} MB`
            : (r.traceHash ?? '').slice(0, 16),
        ],
  );
  const head = ['case', 'sim/wall', 'sim/cpu', 'events/s', 'wall', 'notes'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells: string[]) => cells.map((c, i) => String(c).padEnd(widths[i] as number)).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const only = args.includes('--case') ? args[args.indexOf('--case') + 1] : undefined;
  const names = only ? [only] : Object.keys(CASES);
  const results: Result[] = [];
  if (!args.includes('--cold')) await warmUp();
  for (const name of names) {
    const run = CASES[name];
    if (!run) throw new Error(`unknown case '${name}' (cases: ${Object.keys(CASES).join(', ')})`);
    results.push(await run());
    if (!json) process.stderr.write(`done: ${name}\n`);
  }
  process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : `${table(results)}\n`);
}

await main();
