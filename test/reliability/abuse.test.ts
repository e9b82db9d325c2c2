/**
 * The reference server under abuse (issue 15), on real loopback TCP. The server runs alone in a child
 * process (test/fixtures/abuse/server.ts) so that its own RSS is what is measured; the abusive clients
 * are the reusable scripts of test/fixtures/abuse/ (flood.ts, slowloris.ts), in child processes too;
 * a well-behaved HeartbeatClient runs here, beside them, and must stay HEALTHY throughout.
 *
 * - A flood client that sends echo requests as fast as it can and never reads: before the fix the
 *   server queued every reply (+190 MB/s of RSS, until the write deadline of its next ping 35 s
 *   later); now it stops reading from it at maxQueuedBytes / 4 unsent and drops it (`backpressure`)
 *   when those bytes are still unread a write deadline later.
 * - Slowloris clients that dribble a hello, or a frame after their hello, one byte at a time: each
 *   byte re-arms the read deadline, so before the fix only the heartbeat found them (95 s by default,
 *   never with the server's pings off); now helloTimeout / frameTimeout drop them (`read-deadline`).
 * - Beyond maxConnections they are turned away at once, and the slots free up at their deadline.
 *
 * Real time, real memory: this file belongs in the `realtime` vitest project.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HeartbeatClient } from '../../impl/client.ts';
import type { Death } from '../../impl/heartbeat.ts';
import { realRuntime, silentLogger } from '../../impl/runtime.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = 'test/fixtures/abuse';
const MiB = 1024 * 1024;
/** The server's default cap (impl/config.ts SERVER_DEFAULTS.maxQueuedBytes) and write deadline. */
const MAX_QUEUED = MiB;
const WRITE_DEADLINE = 5_000;
/** Real timers fire late on a loaded machine, never meaningfully early. */
const LATE = 1_500;

type Line = { event: string; at: number; [field: string]: unknown };

interface Child {
  proc: ChildProcess;
  lines: Line[];
  stderr: string[];
  /** Resolves with the first line matching, or rejects after `ms`. */
  waitFor(pred: (l: Line) => boolean, ms: number, what: string): Promise<Line>;
  exited: Promise<void>;
}

const children: Child[] = [];
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  for (const child of children.splice(0)) {
    child.proc.stdin?.end();
    if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    await child.exited;
  }
});

function run(script: string, args: string[]): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', `${FIXTURES}/${script}`, ...args], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let rest = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) if (p.trim()) lines.push(JSON.parse(p) as Line);
    for (const w of [...waiters]) w();
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const child: Child = {
    proc,
    lines,
    stderr,
    exited,
    waitFor(pred, ms, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit === undefined) return;
          done();
          resolve(hit);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${script}: no ${what} within ${ms} ms; stderr: ${stderr.join('').slice(-2000)}`));
        }, ms);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
          proc.off('exit', onExit);
        };
        const onExit = () => {
          done();
          reject(new Error(`${script} exited before ${what}; stderr: ${stderr.join('').slice(-2000)}`));
        };
        proc.once('exit', onExit);
        waiters.add(check);
        check();
      });
    },
  };
  children.push(child);
  return child;
}

async function startServer(config: Record<string, unknown>) {
  const server = run('server.ts', [JSON.stringify(config)]);
  const { port } = (await server.waitFor((l) => l.event === 'listening', 15_000, 'listening')) as Line & {
    port: number;
  };
  const mem = () => server.lines.filter((l) => l.event === 'mem') as (Line & { rss: number; live: number })[];
  const deaths = () =>
    server.lines.filter((l) => l.event === 'death') as (Line & {
      conn: string;
      reason: string;
      detail: string;
      received: number;
    })[];
  return { server, port, mem, deaths };
}

function goodClient(port: number) {
  const client = new HeartbeatClient({
    host: '127.0.0.1',
    port,
    runtime: realRuntime({ logger: silentLogger }),
    config: { interval: 100, pongTimeout: 500, missThreshold: 3 },
  });
  const rtts: number[] = [];
  const misses: number[] = [];
  const deaths: Death[] = [];
  const states: string[] = [];
  client.on('pong', ({ rtt }) => rtts.push(rtt));
  client.on('miss', ({ seq }) => misses.push(seq));
  client.on('death', (d) => deaths.push(d));
  client.on('state', (s) => states.push(s.state));
  cleanups.push(() => client.stop());
  client.start();
  return { client, rtts, misses, deaths, states };
}

const mb = (bytes: number) => `${(bytes / MiB).toFixed(1)} MiB`;

describe('the reference server under abuse (issue 15)', () => {
  it('a flood client that never reads is paused and dropped for backpressure; server RSS stays bounded; a healthy client keeps its pongs', async () => {
    const { server, port, mem, deaths } = await startServer({});
    const good = goodClient(port);
    await new Promise<void>((resolve) => good.client.once('pong', () => resolve()));
    // Let the server's RSS settle after its first connection, then take the baseline.
    await new Promise((r) => setTimeout(r, 400));
    const baseline = Math.max(
      ...mem()
        .slice(-4)
        .map((m) => m.rss),
    );
    const pongsBefore = good.rtts.length;

    const floodStart = Date.now();
    const flood = run('flood.ts', ['--port', String(port), '--duration', '15000', '--report', '100000']);
    // Ends at the flood's drop — or as soon as the server's RSS passes the bound (the unfixed server
    // would grow for 35 s), so that a regression fails fast.
    const over = (l: Line) => l.event === 'mem' && (l.rss as number) - baseline > 64 * MiB;
    const ended = await server.waitFor(
      (l) => over(l) || (l.event === 'death' && l.conn !== 's#1'),
      WRITE_DEADLINE + 8_000,
      'flood drop',
    );
    const peakSoFar = Math.max(
      ...mem()
        .filter((m) => m.at >= floodStart)
        .map((m) => m.rss),
    );
    expect(ended.event, `server RSS grew from ${mb(baseline)} to ${mb(peakSoFar)} under the flood`).toBe(
      'death',
    );
    const floodEnd = await flood.waitFor((l) => l.event === 'end', 5_000, 'flood end');
    await new Promise((r) => setTimeout(r, 300)); // a few more samples after the drop
    const window = mem().filter((m) => m.at >= floodStart);
    const peak = Math.max(...window.map((m) => m.rss));
    expect(peak - baseline, `peak RSS ${mb(peak)} over a baseline of ${mb(baseline)}`).toBeLessThan(64 * MiB);
    const drop = deaths().find((d) => d.conn !== 's#1')!;
    expect(drop.reason).toBe('backpressure');
    expect(drop.detail).toMatch(/peer has not read for 5000 ms/);
    // It was a real flood: the server read well over its own cap from it before pausing.
    expect(drop.received).toBeGreaterThan(2 * MAX_QUEUED);
    expect(server.lines.some((l) => l.event === 'backpressure' && l.conn === drop.conn && l.paused)).toBe(
      true,
    );
    // Paused within moments of the flood's start, dropped one write deadline later.
    expect(drop.at - floodStart).toBeGreaterThanOrEqual(WRITE_DEADLINE);
    expect(drop.at - floodStart).toBeLessThan(WRITE_DEADLINE + LATE + 1_000);
    expect(floodEnd.how).toMatch(/reset|write-error|closed/);

    // The well-behaved client beside it: HEALTHY throughout, every pong in time.
    expect(good.deaths).toEqual([]);
    expect(good.misses).toEqual([]);
    expect(good.states).toEqual(['HEALTHY']);
    const during = good.rtts.slice(pongsBefore);
    expect(during.length).toBeGreaterThan((drop.at - floodStart) / 100 / 2);
    expect(Math.max(...during)).toBeLessThan(500);
    expect(deaths().map((d) => d.conn)).toEqual([drop.conn]);
  }, 25_000);

  it('slowloris clients dribbling a hello or a frame are dropped at helloTimeout / frameTimeout; memory and connections stay flat', async () => {
    const helloTimeout = 1_000;
    const frameTimeout = 1_500;
    const every = 200;
    const { port, mem, deaths } = await startServer({ helloTimeout, frameTimeout });
    await new Promise((r) => setTimeout(r, 300));
    const baseline = Math.max(
      ...mem()
        .slice(-4)
        .map((m) => m.rss),
    );
    const started = Date.now();
    const args = ['--port', String(port), '--connections', '20', '--every', String(every)];
    const hello = run('slowloris.ts', [...args, '--mode', 'hello', '--duration', '8000']);
    const frame = run('slowloris.ts', [...args, '--mode', 'frame', '--duration', '8000']);
    const [helloEnd, frameEnd] = await Promise.all(
      [hello, frame].map((c) => c.waitFor((l) => l.event === 'end', 10_000, 'slowloris end')),
    );
    await new Promise((r) => setTimeout(r, 200));

    // Every connection dropped (none survived to the 8 s duration), each at its deadline: the
    // first byte leaves `every` ms after connect, and the frame must end within the limit of it.
    expect(helloEnd).toMatchObject({ opened: 20, dropped: 20, survivors: 0 });
    expect(frameEnd).toMatchObject({ opened: 20, dropped: 20, survivors: 0 });
    const drops = (c: Child) => c.lines.filter((l) => l.event === 'dropped') as (Line & { after: number })[];
    for (const d of drops(hello)) {
      expect(d.after).toBeGreaterThanOrEqual(every + helloTimeout - 5);
      expect(d.after).toBeLessThan(every + helloTimeout + LATE);
    }
    for (const d of drops(frame)) {
      expect(d.after).toBeGreaterThanOrEqual(every + frameTimeout - 5);
      expect(d.after).toBeLessThan(every + frameTimeout + LATE);
    }
    // …with a clear reason on the server's side.
    const all = deaths();
    expect(all).toHaveLength(40);
    expect(all.every((d) => d.reason === 'read-deadline')).toBe(true);
    expect(
      all.filter((d) => /the hello is unfinished .* \(helloTimeout 1000 ms\)/.test(d.detail)),
    ).toHaveLength(20);
    expect(
      all.filter((d) => /a frame is unfinished .* \(frameTimeout 1500 ms\)/.test(d.detail)),
    ).toHaveLength(20);
    const window = mem().filter((m) => m.at >= started);
    expect(Math.max(...window.map((m) => m.rss)) - baseline).toBeLessThan(16 * MiB);
    expect(window.at(-1)!.live).toBe(0);
  }, 20_000);

  it('slowloris beyond maxConnections is turned away at once; the slots free up at the deadline for a healthy client', async () => {
    const { server, port } = await startServer({ maxConnections: 5, helloTimeout: 1_000 });
    const lor = run('slowloris.ts', ['--port', String(port), '--connections', '8', '--every', '100']);
    await server.waitFor((l) => l.event === 'rejected', 5_000, 'a rejection');
    await lor.waitFor((l) => l.event === 'end', 5_000, 'slowloris end');
    const rejected = server.lines.filter((l) => l.event === 'rejected');
    expect(rejected.map((l) => l.reason)).toEqual([
      'connection-limit',
      'connection-limit',
      'connection-limit',
    ]);
    expect(server.lines.filter((l) => l.event === 'death').every((l) => l.reason === 'read-deadline')).toBe(
      true,
    );
    const good = goodClient(port);
    await new Promise<void>((resolve) => good.client.once('pong', () => resolve()));
    expect(good.deaths).toEqual([]);
  }, 15_000);
});
