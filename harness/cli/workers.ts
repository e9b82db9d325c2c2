/**
 * `--workers N`: one command spread over N local processes. It is sharding on one machine: worker i
 * runs `flatline <the same command> --shard i/N --results <tmp>` (every N-th item: scenario file,
 * sweep cell, property run), and the results are joined by `flatline merge`'s own code. So results,
 * verdicts, trace hashes and reports are those of one process by construction — every item's
 * outcome depends on the item alone (its seed), never on where it ran — and the merge tests that
 * prove sharding right prove this too. Processes rather than threads: each simulated host patches
 * Node's globals for its code (harness/process), and a worker's crash cannot take the others down.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UsageError } from './exit.ts';
import type { MergeFlags } from './merge.ts';
import { openResources } from './resources.ts';
import { logicalArgv, withoutWorkers } from './shard.ts';

export type PooledCommand = 'run' | 'sweep' | 'check';

/** `--workers`: a count, or the machine's cores when not given (never more than the items). */
export function parseWorkers(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`--workers must be an integer ≥ 1, got "${value}"`);
  return n;
}

/**
 * How many processes a command gets. Real-network runs stay in one process by default: their
 * timings are real, and two of them on two cores would make each other's timers late.
 */
export function workerCount(
  asked: number | undefined,
  o: { items: number; realTime: boolean; sharded: boolean },
): number {
  if (o.sharded) {
    if (asked !== undefined && asked > 1)
      throw new UsageError(
        '--workers with --shard: a shard runs in one process; split the work into more shards instead',
      );
    return 1;
  }
  const wanted = asked ?? (o.realTime ? 1 : availableParallelism());
  return Math.max(1, Math.min(wanted, o.items));
}

// Workers run what this process runs: the compiled CLI when installed, the sources through the bin
// (which registers tsx) in flatline's repository.
const ENTRY = fileURLToPath(
  new URL(import.meta.url.endsWith('.ts') ? '../../bin/flatline.mjs' : './main.js', import.meta.url),
);

interface Worker {
  index: number;
  child: ChildProcess;
  stderr: string;
  done: Promise<number>;
}

function startWorker(index: number, count: number, args: string[], results: string): Worker {
  const child = spawn(
    process.execPath,
    [ENTRY, ...args, '--shard', `${index}/${count}`, '--results', results],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, FLATLINE_WORKER: `${index}/${count}` } },
  );
  const worker: Worker = { index, child, stderr: '', done: Promise.resolve(0) };
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    worker.stderr += chunk;
  });
  worker.done = new Promise((resolve) => {
    child.once('error', (e) => {
      worker.stderr += `cannot start: ${e.message}\n`;
      resolve(EXIT.badInput);
    });
    child.once('close', (code, signal) => resolve(code ?? (signal ? EXIT.interrupted : EXIT.badInput)));
  });
  return worker;
}

/**
 * Runs the command in `workers` processes and joins their results as merge does, writing the
 * reports `flags` ask for. `argv` is the command as the user gave it (flatline's own arguments).
 */
export async function runInWorkers(o: {
  command: PooledCommand;
  argv: readonly string[];
  workers: number;
  items: number;
  flags: MergeFlags;
  /** Arguments the workers need beyond the user's (e.g. the seed a `--seed random` drew). */
  extraArgs?: string[];
  /** check: its first line, said by this process (a drawn seed is marked random). */
  seedLine?: string;
}): Promise<number> {
  const at = o.argv.indexOf(o.command);
  // check has no progress output to silence (its lines go to the merge).
  const args = [
    ...logicalArgv(at < 0 ? o.argv : o.argv.slice(at)),
    ...(o.extraArgs ?? []),
    ...(o.command === 'check' ? [] : ['--quiet']),
  ];
  const quiet = o.flags.quiet || o.flags.json === true;
  // check's stderr is its verdict, line for line the same for any worker count: no banner there.
  if (!quiet && o.command !== 'check')
    process.stderr.write(`flatline ${o.command}: ${o.items} item(s) on ${o.workers} worker processes\n`);
  const dir = await mkdtemp(path.join(tmpdir(), 'flatline-workers-'));
  const files = Array.from({ length: o.workers }, (_, k) => path.join(dir, `worker-${k + 1}.json`));
  const pool: Worker[] = [];
  const handle = {
    close: async () => {
      for (const w of pool) w.child.kill('SIGTERM');
      await Promise.all(pool.map((w) => w.done));
    },
  };
  openResources.add(handle);
  try {
    for (let k = 0; k < o.workers; k++) {
      pool.push(startWorker(k + 1, o.workers, args, files[k]!));
    }
    const codes = await Promise.all(pool.map((w) => w.done));
    // A worker that could not do its share (bad input, Toxiproxy unreachable, a crash) decides the
    // exit: its own words, once, and the worst code.
    const broken = pool.filter((_, k) => codes[k] !== EXIT.pass && codes[k] !== EXIT.fail);
    if (broken.length) {
      const first = broken[0]!;
      process.stderr.write(
        first.stderr.endsWith('\n') || first.stderr === '' ? first.stderr : `${first.stderr}\n`,
      );
      return codes[first.index - 1]!;
    }
    const { mergeCommand } = await import('./merge.ts');
    return await mergeCommand(files, o.flags, o.argv, {
      command: withoutWorkers(o.argv),
      ...(o.seedLine === undefined ? {} : { seedLine: o.seedLine }),
    });
  } finally {
    openResources.delete(handle);
    await rm(dir, { recursive: true, force: true });
  }
}
