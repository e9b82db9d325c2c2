/**
 * Gets a running Toxiproxy: the one at TOXIPROXY_URL when that is set, otherwise a private
 * `toxiproxy-server` child on a free loopback port. A launched server never outlives the process
 * that launched it: it runs under supervisor.mjs, which stops it when our end of its stdin closes —
 * on close(), on process exit, on SIGINT/SIGTERM, and on SIGKILL of this process (the kernel closes
 * the pipe). Every failure is a ToxiproxyLaunchError that says what to do, never a hang.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../package-root.ts';

export const TOXIPROXY_VERSION = '2.12.0';

const HERE = dirname(fileURLToPath(import.meta.url));
const SUPERVISOR = join(HERE, '..', 'external', 'supervisor.mjs');
/** The repository root, or the installed package's (harness/package-root.ts). */
export const PROJECT_ROOT = PACKAGE_ROOT;
const EXE = process.platform === 'win32' ? '.exe' : '';
export const TOOLS_BINARY = join(PROJECT_ROOT, 'tools', 'bin', `toxiproxy-server${EXE}`);

export const HOW_TO_GET_TOXIPROXY =
  `run \`npm run setup\` in flatline's repository (builds toxiproxy-server ${TOXIPROXY_VERSION} into tools/bin with Go), ` +
  `put toxiproxy-server ${TOXIPROXY_VERSION} on PATH (Toxiproxy's release binary, or \`go install github.com/Shopify/toxiproxy/v2/cmd/server@v${TOXIPROXY_VERSION}\` renamed to toxiproxy-server), or start one with ` +
  '`docker compose up -d --wait toxiproxy` and set TOXIPROXY_URL=http://127.0.0.1:8474';

export type ToxiproxyLaunchErrorKind =
  /** No toxiproxy-server in tools/bin or on PATH, or the given binary does not exist / cannot run. */
  | 'binary_missing'
  /** Something answered, but not like Toxiproxy. */
  | 'not_toxiproxy'
  /** TOXIPROXY_URL (or `url`) does not answer. */
  | 'unreachable'
  | 'bad_url'
  /** The API port is taken by another process. */
  | 'port_in_use'
  /** The launched process exited before its API answered. */
  | 'exited'
  /** The launched process did not answer GET /version before the deadline. */
  | 'start_timeout';

export class ToxiproxyLaunchError extends Error {
  readonly kind: ToxiproxyLaunchErrorKind;
  /** The tail of the launched server's log, when there is one. */
  readonly output: string;
  constructor(kind: ToxiproxyLaunchErrorKind, message: string, output = '', options?: { cause?: unknown }) {
    super(output ? `${message}\n--- toxiproxy-server output (tail) ---\n${output}` : message, options);
    this.name = 'ToxiproxyLaunchError';
    this.kind = kind;
    this.output = output;
  }
}

export interface ToxiproxyServer {
  /** Base URL of the HTTP API, without a trailing slash. */
  readonly url: string;
  /** What GET /version reports. */
  readonly version: string;
  /** True when this process started the server (and close() stops it). */
  readonly launched: boolean;
  /** toxiproxy-server's pid when launched. */
  readonly pid: number | undefined;
  readonly binary: string | undefined;
  /** Stops a launched server (SIGTERM, then SIGKILL); a no-op for an external one. Idempotent. */
  close(): Promise<void>;
}

export interface StartToxiproxyOptions {
  /** An existing Toxiproxy to use. Defaults to TOXIPROXY_URL unless `useEnv` is false. */
  url?: string;
  /** Read TOXIPROXY_URL when `url` is not given (default true). */
  useEnv?: boolean;
  /** The binary to launch; default tools/bin/toxiproxy-server, then `toxiproxy-server` on PATH. */
  binary?: string;
  /** API port for a launched server; default a free loopback port. */
  port?: number;
  /** How long to wait for GET /version to answer (default 10 000 ms; 5 000 for an external URL). */
  startTimeoutMs?: number;
  /** LOG_LEVEL for the launched server (default warn: connection chatter is not worth a pipe). */
  logLevel?: string;
  /**
   * Probe an explicit `port` before launching (default true). Turning it off exists for tests of
   * the slower path, where the launched server itself finds the port taken.
   */
  checkPort?: boolean;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** tools/bin/toxiproxy-server if installed, else `toxiproxy-server` on PATH, else undefined. */
export function findToxiproxyBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (isExecutableFile(TOOLS_BINARY)) return TOOLS_BINARY;
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      const candidate = join(dir, `toxiproxy-server${ext}`);
      if (isExecutableFile(candidate)) return candidate;
    }
  }
  return undefined;
}

/** A loopback port nobody was listening on a moment ago. */
export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function portIsFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Probe =
  | { kind: 'toxiproxy'; version: string }
  | { kind: 'no_answer'; error: string }
  | { kind: 'not_toxiproxy'; detail: string };

/** One GET /version: Toxiproxy 2.x answers `{"version": "x.y.z"}` (very old ones: plain text). */
async function probeVersion(url: string, timeoutMs: number): Promise<Probe> {
  let response: Response;
  try {
    response = await fetch(`${url}/version`, {
      signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeoutMs))),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { kind: 'no_answer', error: cause?.code ?? cause?.message ?? (err as Error).message };
  }
  const body = await response.text().catch(() => '');
  if (response.status !== 200) {
    return { kind: 'not_toxiproxy', detail: `GET /version answered HTTP ${response.status}: ${clip(body)}` };
  }
  let version: unknown;
  try {
    version = (JSON.parse(body) as { version?: unknown }).version;
  } catch {
    version = /^\s*(\d+\.\d+\.\d+\S*)\s*$/.exec(body)?.[1];
  }
  if (typeof version !== 'string' || version.length === 0) {
    return { kind: 'not_toxiproxy', detail: `GET /version answered ${JSON.stringify(clip(body))}` };
  }
  return { kind: 'toxiproxy', version };
}

function clip(text: string, max = 200): string {
  const flat = text.trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Whether the Toxiproxy on `url` is the one we launched with the `marker` proxy in its config. */
async function whoAnswers(
  url: string,
  marker: string,
): Promise<'us' | 'other_toxiproxy' | { detail: string }> {
  try {
    const response = await fetch(`${url}/proxies/${marker}`, { signal: AbortSignal.timeout(2000) });
    const body = await response.text();
    if (response.status === 200 && body.includes(`"name":"${marker}"`)) return 'us';
    if (response.status === 404 && /"error"\s*:\s*"proxy not found"/.test(body)) return 'other_toxiproxy';
    return { detail: `HTTP ${response.status}: ${clip(body)}` };
  } catch (err) {
    return { detail: (err as Error).message };
  }
}

let warnedVersion = false;
function warnIfOtherVersion(url: string, version: string): void {
  if (version === TOXIPROXY_VERSION || warnedVersion) return;
  warnedVersion = true;
  console.warn(
    `flatline: Toxiproxy at ${url} reports version ${version}; flatline's toxic semantics (TOXICS.md) ` +
      `are written against ${TOXIPROXY_VERSION}.`,
  );
}

/** A Toxiproxy someone else runs (TOXIPROXY_URL): checked, never stopped by us. */
async function connectExternal(rawUrl: string, timeoutMs: number, source: string): Promise<ToxiproxyServer> {
  let url: string;
  try {
    const parsed = new URL(rawUrl);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
    url = parsed.href.replace(/\/+$/, '');
  } catch {
    throw new ToxiproxyLaunchError(
      'bad_url',
      `${source} ${JSON.stringify(rawUrl)} is not an http:// URL (expected e.g. http://127.0.0.1:8474)`,
    );
  }
  const deadline = performance.now() + timeoutMs;
  let last: Probe = { kind: 'no_answer', error: 'not tried' };
  // Retry refusals until the deadline: a container that is still starting is common right after
  // `docker compose up`.
  while (performance.now() < deadline) {
    last = await probeVersion(url, Math.min(1000, deadline - performance.now()));
    if (last.kind === 'toxiproxy') {
      warnIfOtherVersion(url, last.version);
      const version = last.version;
      return { url, version, launched: false, pid: undefined, binary: undefined, close: async () => {} };
    }
    if (last.kind === 'not_toxiproxy') {
      throw new ToxiproxyLaunchError('not_toxiproxy', `${url} is not Toxiproxy: ${last.detail}`);
    }
    await sleep(50);
  }
  throw new ToxiproxyLaunchError(
    'unreachable',
    `Toxiproxy at ${url} (${source}) did not answer GET /version within ${timeoutMs} ms ` +
      `(${last.kind === 'no_answer' ? last.error : 'no answer'}). Start it (e.g. \`docker compose up -d --wait toxiproxy\`) ` +
      'or unset TOXIPROXY_URL so flatline launches tools/bin/toxiproxy-server itself.',
  );
}

/** Launched servers still running, stopped synchronously if this process exits or is signalled. */
const live = new Set<Launched>();
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

function onExit(): void {
  for (const server of live) server.killNow();
}

function onSignal(signal: NodeJS.Signals): void {
  for (const server of live) server.killNow();
  // Adding a listener took away Node's default "terminate" for this signal. If we are the only
  // listener, give it back: remove ours and re-raise so the process dies as it would have.
  if (process.listenerCount(signal) === 1) {
    unhookProcess();
    process.kill(process.pid, signal);
  }
}

function hookProcess(): void {
  if (live.size !== 1) return;
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function unhookProcess(): void {
  process.off('exit', onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

interface ExitInfo {
  code: number | null;
  signal: string | null;
}

const LOG_TAIL_LINES = 40;

class Launched implements ToxiproxyServer {
  readonly launched = true;
  version = '';
  pid: number | undefined;
  private exitInfo: ExitInfo | undefined;
  private spawnError: { code: string | null; message: string } | undefined;
  private readonly logTail: string[] = [];
  private readonly supervisorExited: Promise<void>;
  private closing: Promise<void> | undefined;

  constructor(
    readonly url: string,
    readonly binary: string,
    private readonly supervisor: ChildProcess,
  ) {
    this.supervisorExited = new Promise((resolve) => supervisor.once('exit', () => resolve()));
    createInterface({ input: supervisor.stdout! }).on('line', (line) => this.onControl(line));
    createInterface({ input: supervisor.stderr! }).on('line', (line) => {
      this.logTail.push(line);
      if (this.logTail.length > LOG_TAIL_LINES) this.logTail.shift();
    });
    // The supervisor exits only after its child has; a supervisor that vanished otherwise
    // (killed from outside) must not leave us waiting for an 'exit' event.
    supervisor.once('exit', (code, signal) => {
      this.exitInfo ??= { code, signal };
    });
    supervisor.stdin!.on('error', () => {});
  }

  private onControl(line: string): void {
    let message: { event?: string; pid?: number; code?: number | string | null; signal?: string | null };
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (message.event === 'spawned' && typeof message.pid === 'number') this.pid = message.pid;
    if (message.event === 'exit') {
      this.exitInfo = { code: (message.code as number | null) ?? null, signal: message.signal ?? null };
    }
    if (message.event === 'error') {
      this.spawnError = { code: (message.code as string | null) ?? null, message: String(line) };
    }
  }

  get output(): string {
    return this.logTail.join('\n');
  }

  /** Why the launch failed, if the process told us; undefined while it is still starting. */
  failure(): ToxiproxyLaunchError | undefined {
    if (this.spawnError) {
      return new ToxiproxyLaunchError(
        'binary_missing',
        `cannot run ${this.binary}: ${this.spawnError.code ?? this.spawnError.message}; ${HOW_TO_GET_TOXIPROXY}`,
      );
    }
    // Toxiproxy logs a failed API listen and keeps running instead of exiting.
    if (/address already in use|bind:/.test(this.output)) {
      return new ToxiproxyLaunchError(
        'port_in_use',
        `toxiproxy-server could not listen on ${this.url}: the port is in use`,
        this.output,
      );
    }
    if (this.exitInfo) {
      const how = this.exitInfo.signal ? `signal ${this.exitInfo.signal}` : `code ${this.exitInfo.code}`;
      return new ToxiproxyLaunchError(
        'exited',
        `${this.binary} exited (${how}) before answering GET ${this.url}/version — is it toxiproxy-server?`,
        this.output,
      );
    }
    return undefined;
  }

  /** Synchronous last-resort stop, for process exit and signals. */
  killNow(): void {
    try {
      this.supervisor.stdin?.destroy();
      this.supervisor.kill('SIGTERM');
    } catch {}
    if (this.pid !== undefined && !this.exitInfo) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {}
    }
  }

  /** After start-up the server must not keep this process alive by itself. */
  detach(): void {
    this.supervisor.unref();
    for (const stream of [this.supervisor.stdin, this.supervisor.stdout, this.supervisor.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
  }

  close(): Promise<void> {
    this.closing ??= this.stop();
    return this.closing;
  }

  private async stop(): Promise<void> {
    this.supervisor.ref();
    // Closing its stdin is the supervisor's cue: SIGTERM to toxiproxy, SIGKILL after the grace.
    this.supervisor.stdin?.end();
    // The grace timer must not outlive a quick stop: it would hold the CLI's exit for 5 s.
    let grace: NodeJS.Timeout | undefined;
    const stopped = await Promise.race([
      this.supervisorExited.then(() => true),
      new Promise<boolean>((resolve) => {
        grace = setTimeout(() => resolve(false), 5000);
      }),
    ]);
    clearTimeout(grace);
    if (!stopped) {
      if (this.pid !== undefined) {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {}
      }
      this.supervisor.kill('SIGKILL');
      await this.supervisorExited;
    }
    live.delete(this);
    if (live.size === 0) unhookProcess();
  }
}

async function launchOnce(binary: string, port: number, timeoutMs: number, logLevel: string) {
  const url = `http://127.0.0.1:${port}`;
  // A disabled marker proxy with a random name, loaded from -config before the API listens: if GET
  // /proxies/<marker> answers, the server on this port is the one we started, not a stranger that
  // happened to hold the port (Toxiproxy does not exit when its API cannot listen).
  const marker = `flatline-launch-${randomBytes(6).toString('hex')}`;
  const configDir = mkdtempSync(join(tmpdir(), 'flatline-toxiproxy-'));
  const configPath = join(configDir, 'config.json');
  writeFileSync(
    configPath,
    JSON.stringify([{ name: marker, listen: '127.0.0.1:0', upstream: '127.0.0.1:9', enabled: false }]),
  );
  const supervisor = spawn(
    process.execPath,
    [SUPERVISOR, '2000', binary, '-host', '127.0.0.1', '-port', String(port), '-config', configPath],
    { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: logLevel } },
  );
  const server = new Launched(url, binary, supervisor);
  live.add(server);
  hookProcess();
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      const failure = server.failure();
      if (failure) throw failure;
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        throw new ToxiproxyLaunchError(
          'start_timeout',
          `${binary} did not answer GET ${url}/version within ${timeoutMs} ms — is it toxiproxy-server?`,
          server.output,
        );
      }
      const probe = await probeVersion(url, Math.min(1000, remaining));
      if (probe.kind === 'not_toxiproxy') {
        throw new ToxiproxyLaunchError(
          'not_toxiproxy',
          `${binary} is not Toxiproxy: ${probe.detail}`,
          server.output,
        );
      }
      if (probe.kind === 'toxiproxy') {
        const owner = await whoAnswers(url, marker);
        if (owner !== 'us') {
          // Give our process a moment to log its bind error, for a better message.
          await sleep(100);
          throw owner === 'other_toxiproxy'
            ? (server.failure() ??
                new ToxiproxyLaunchError(
                  'port_in_use',
                  `another Toxiproxy already answers on ${url}; the launched one cannot listen there`,
                  server.output,
                ))
            : new ToxiproxyLaunchError(
                'not_toxiproxy',
                `${binary} is not Toxiproxy: GET /version looks right but GET /proxies/<name> does not (${owner.detail})`,
                server.output,
              );
        }
        await fetch(`${url}/proxies/${marker}`, { method: 'DELETE', signal: AbortSignal.timeout(2000) });
        server.version = probe.version;
        server.detach();
        return server;
      }
      await sleep(25);
    }
  } catch (err) {
    await server.close();
    throw err;
  } finally {
    rmSync(configDir, { recursive: true, force: true });
  }
}

/**
 * Returns a running Toxiproxy. With TOXIPROXY_URL (or `url`) set, checks it answers like Toxiproxy;
 * otherwise launches `toxiproxy-server -host 127.0.0.1 -port N` and waits until GET /version answers.
 * Each call launches its own server on its own port, so parallel test files never share state.
 */
export async function startToxiproxy(options: StartToxiproxyOptions = {}): Promise<ToxiproxyServer> {
  const url = options.url ?? (options.useEnv === false ? undefined : process.env.TOXIPROXY_URL);
  if (url !== undefined && url !== '') {
    return connectExternal(
      url,
      options.startTimeoutMs ?? 5000,
      options.url === undefined ? 'TOXIPROXY_URL' : 'url',
    );
  }

  const binary = options.binary ?? findToxiproxyBinary();
  if (binary === undefined) {
    throw new ToxiproxyLaunchError(
      'binary_missing',
      `toxiproxy-server not found in tools/bin or on PATH: ${HOW_TO_GET_TOXIPROXY}`,
    );
  }
  if (!isExecutableFile(binary)) {
    throw new ToxiproxyLaunchError(
      'binary_missing',
      `${binary} is not an executable file: ${HOW_TO_GET_TOXIPROXY}`,
    );
  }
  const timeoutMs = options.startTimeoutMs ?? 10_000;
  const logLevel = options.logLevel ?? 'warn';
  if (options.port !== undefined) {
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) {
      throw new RangeError(`Toxiproxy API port must be an integer in 1..65535, got ${options.port}`);
    }
    if (options.checkPort !== false && !(await portIsFree(options.port))) {
      throw new ToxiproxyLaunchError(
        'port_in_use',
        `cannot launch toxiproxy-server on 127.0.0.1:${options.port}: the port is in use`,
      );
    }
    return launchOnce(binary, options.port, timeoutMs, logLevel);
  }
  // A free port can be taken between our probe and Toxiproxy's bind; pick another and retry.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(binary, await freeLoopbackPort(), timeoutMs, logLevel);
    } catch (err) {
      if (!(err instanceof ToxiproxyLaunchError && err.kind === 'port_in_use') || attempt >= 3) throw err;
    }
  }
}
