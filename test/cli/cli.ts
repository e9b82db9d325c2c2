/**
 * Runs the real `flatline` bin as a child process (`node bin/flatline.mjs …`, cwd the repository),
 * as a user would, and collects its exit code and output. Every child is killed (by its pid) if it
 * outlives its deadline or the test file, so a broken CLI cannot leave processes behind.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(ROOT, 'bin', 'flatline.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Added to (or, with undefined, removed from) the environment; CI is removed unless given. */
  env?: Record<string, string | undefined>;
  /** Real ms before the child is SIGKILLed and the run rejected (default CHILD_TIMEOUT). */
  timeoutMs?: number;
}

export interface RunningCli {
  readonly child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  readonly done: Promise<CliResult>;
}

/**
 * A child takes 1–3 s on an idle machine (most of it loading tsx and the harness); on a loaded one
 * (2 cores shared with other test runs) ten times that was seen. Generous, so load does not fail
 * tests; each test's own timeout is TEST_TIMEOUT, longer, so the child is killed with its stderr.
 */
export const CHILD_TIMEOUT = 80_000;
export const TEST_TIMEOUT = 100_000;

const running = new Set<ChildProcess>();

function environment(extra: CliOptions['env'] = {}): NodeJS.ProcessEnv {
  // Progress output depends on CI: tests say which they want.
  const env: NodeJS.ProcessEnv = { ...process.env, CI: undefined };
  for (const [k, v] of Object.entries(extra)) env[k] = v;
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

export function startFlatline(args: string[], options: CliOptions = {}): RunningCli {
  return startCommand(process.execPath, [BIN, ...args], options, `flatline ${args.join(' ')}`);
}

/** Any command (e.g. `script` for a terminal), with the same bookkeeping. */
export function startCommand(file: string, args: string[], options: CliOptions, what: string): RunningCli {
  const child = spawn(file, args, {
    cwd: ROOT,
    env: environment(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timeoutMs = options.timeoutMs ?? CHILD_TIMEOUT;
  const done = new Promise<CliResult>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} did not exit within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      running.delete(child);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function flatline(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startFlatline(args, options).done;
}

/** For afterAll: kills (by pid) any child a failed test left running. */
export function killStragglers(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** A temporary directory for scenario files and reports. */
export class Workspace {
  readonly dir = mkdtempSync(join(tmpdir(), 'flatline-cli-'));

  /** Writes `text` to `name` and returns the path. */
  write(name: string, text: string): string {
    const path = join(this.dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return path;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** How the CLI names a file in messages: relative to its working directory (the repository). */
export function shown(path: string): string {
  return relative(ROOT, path);
}

export interface BlackholeOptions {
  name?: string;
  seed?: number;
  /** The `expect:` block, as YAML lines indented by two spaces. */
  expect?: string;
  duration?: string;
}

/**
 * blackhole-both (scenarios/) in small: a both-way `timeout` toxic with timeout 0 from 60.01 s to
 * 90 s. With T = 2 s, I = 5 s, N = 3 and ρ = d_u = 5 ms the client's pong timeout finds it at exactly
 * Δ = T + (N−1)·I = 12 000 ms; its FIN crosses the toxic, so the server sees `fin` at 12 005 ms.
 * Reconnect backoff has 500 ms of jitter, so the trace depends on the seed.
 */
export function blackholeScenario(o: BlackholeOptions = {}): string {
  return `name: ${JSON.stringify(o.name ?? 'cli-blackhole')}
description: Both-way black hole through the proxy, for the CLI tests.
${o.seed === undefined ? '' : `seed: ${o.seed}\n`}topology:
  kind: proxy
  latency: 5ms
duration: ${o.duration ?? '2m'}
config:
  interval: 5s
  pongTimeout: 2s
  missThreshold: 3
  readDeadline: 30s
  backoff:
    policy: seed
    base: 500ms
    cap: 8s
    jitter: 500ms
faults:
  - id: blackhole
    at: 60010ms
    until: 90s
    fault:
      type: timeout
      stream: both
      timeout: 0
expect:
${
  o.expect ??
  `  - type: detect
    side: client
    within: bound
    reason: heartbeat-timeout
    fault: blackhole
  - type: reconnect
    within: bound
    fault: blackhole
  - type: noFalseDetection`
}
`;
}
