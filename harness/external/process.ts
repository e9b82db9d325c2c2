/**
 * One process of an external subject: started under supervisor.mjs in its own process group (so a
 * crash, a pause and the final stop reach everything it started, and nothing outlives flatline even
 * if flatline is SIGKILLed), watched until it is ready, its event channel read as JSON lines, its
 * output kept (the last lines go into every error about it).
 *
 * Faults act on the whole group: crash = SIGKILL, pause = SIGSTOP, resume = SIGCONT. stop() is the
 * end of a run: the file's stop signal, SIGKILL after its grace — a program that needed the SIGKILL
 * is reported, because a heartbeat that ignores SIGTERM hangs its deploys.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as net from 'node:net';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { SubjectEvent } from '../backend.ts';
import { SubjectError } from '../subjects/errors.ts';
import type { ProcessSpec } from './schema.ts';

const SUPERVISOR = join(dirname(fileURLToPath(import.meta.url)), 'supervisor.mjs');
/** Longest line kept from a process (an event or a log line); longer is garbage, not a memory leak. */
const MAX_LINE = 1 << 20;
/** Lines of output kept for error messages. */
const TAIL = 20;

export interface ProcessOptions {
  /** The subject file, for messages. */
  file: string;
  /** The flatline host the process plays (server, client-2). */
  label: string;
  spec: ProcessSpec;
  /** Filled-in command, args and env, and the absolute working directory. */
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Where a server listens (for `ready: port`). */
  listen?: { host: string; port: number };
  onEvent(event: SubjectEvent): void;
  /**
   * Something went wrong after start: garbage on the event channel (fatal: the run ends), or an exit
   * nobody asked for (not fatal: the program died, which the run reports).
   */
  onFailure(error: SubjectError, fatal: boolean): void;
}

type Exit = { code: number | null; signal: string | null; escalated: boolean };

/** Splits a stream into lines, refusing one longer than MAX_LINE. */
function lines(stream: Readable, onLine: (line: string) => void, onTooLong: () => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let i = buffer.indexOf('\n');
    while (i >= 0) {
      onLine(buffer.slice(0, i).replace(/\r$/, ''));
      buffer = buffer.slice(i + 1);
      i = buffer.indexOf('\n');
    }
    if (buffer.length > MAX_LINE) {
      buffer = '';
      onTooLong();
    }
  });
  stream.on('end', () => {
    if (buffer) onLine(buffer);
    buffer = '';
  });
  stream.on('error', () => {});
}

/** Whether something listens on a TCP port of this machine, read from /proc (no connection made). */
function listening(port: number): boolean | undefined {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let seen = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    seen = true;
    for (const row of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const cols = row.trim().split(/\s+/);
      // local_address is HEXIP:HEXPORT; state 0A is LISTEN.
      if (cols[1]?.endsWith(`:${hex}`) && cols[3] === '0A') return true;
    }
  }
  return seen ? false : undefined;
}

/** Where /proc is missing (macOS), a plain connect: the program sees one short connection. */
function connects(address: { host: string; port: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(address);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export class SubjectProcess {
  pid = 0;
  private readonly tail: string[] = [];
  private exit: Exit | undefined;
  private readonly exited: Promise<Exit>;
  private spawnError: string | undefined;
  /** Its end was asked for (crash, stop): not a failure. */
  private ending = false;
  private readyWaiter: ((line: string, kind: 'output' | 'event') => void) | undefined;
  private failed = false;

  private constructor(
    private readonly o: ProcessOptions,
    private readonly supervisor: ChildProcess,
  ) {
    let resolveExit: (e: Exit) => void = () => {};
    this.exited = new Promise((resolve) => {
      resolveExit = resolve;
    });
    lines(
      supervisor.stdout!,
      (line) => {
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        if (m.event === 'spawned') this.pid = Number(m.pid);
        if (m.event === 'error')
          this.spawnError = `${String(m.code ?? '')} ${String(m.message ?? '')}`.trim();
        if (m.event === 'exit') {
          this.exit = {
            code: m.code as number | null,
            signal: m.signal as string | null,
            escalated: m.escalated === true,
          };
          resolveExit(this.exit);
        }
      },
      () => {},
    );
    // The supervisor itself gone (spawn error, or killed) ends the process too.
    supervisor.once('exit', () => {
      this.exit ??= { code: null, signal: null, escalated: false };
      resolveExit(this.exit);
    });
    this.exited.then((e) => {
      if (this.ending || this.failed) return;
      // Its last words may still be in the pipes.
      setTimeout(() => {
        if (!this.ending) this.fail(`exited during the run (${this.how(e)})`, false);
      }, 50);
    });
    supervisor.stdin!.on('error', () => {});
    const output = (stream: Readable | null | undefined, name: string) => {
      if (!stream) return;
      lines(
        stream,
        (line) => {
          this.keep(`${name}: ${line}`);
          this.readyWaiter?.(line, 'output');
        },
        () => this.fail(`wrote more than ${MAX_LINE} bytes on ${name} without a newline`),
      );
    };
    const events =
      o.spec.events === 'stdout'
        ? supervisor.stdio[3]
        : o.spec.events === 'fd3'
          ? supervisor.stdio[4]
          : undefined;
    if (o.spec.events !== 'stdout') output(supervisor.stdio[3] as Readable, 'stdout');
    output(supervisor.stderr, 'stderr');
    if (events) {
      const channel = o.spec.events === 'fd3' ? 'fd 3' : 'stdout';
      let n = 0;
      lines(
        events as Readable,
        (line) => {
          n += 1;
          if (line.trim() === '') return;
          let event: unknown;
          try {
            event = JSON.parse(line);
          } catch {
            event = undefined;
          }
          const e = event as Record<string, unknown> | undefined;
          if (!e || typeof e !== 'object' || Array.isArray(e) || typeof e.type !== 'string') {
            this.keep(`${channel}: ${line}`);
            this.fail(
              `wrote garbage on its event channel (${channel}), line ${n}: ${JSON.stringify(line.slice(0, 120))}; every line there must be one JSON object with a string "type" (docs/external-subjects.md), or set events: none`,
            );
            return;
          }
          this.readyWaiter?.(e.type as string, 'event');
          o.onEvent(e as unknown as SubjectEvent);
        },
        () =>
          this.fail(`wrote more than ${MAX_LINE} bytes on its event channel (${channel}) without a newline`),
      );
    }
  }

  /** How it is named in every message. */
  get name(): string {
    return `subject file ${this.o.file}: process "${this.o.label}" (${[this.o.command, ...this.o.args].join(' ')}${this.pid ? `, pid ${this.pid}` : ''})`;
  }

  private keep(line: string): void {
    this.tail.push(line.length > 300 ? `${line.slice(0, 300)}…` : line);
    if (this.tail.length > TAIL) this.tail.shift();
  }

  private how(e: Exit): string {
    return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
  }

  private output(): string {
    return this.tail.length
      ? `\n  its last output:\n${this.tail.map((l) => `    ${l}`).join('\n')}`
      : ' (it printed nothing)';
  }

  private fail(what: string, fatal = true): void {
    if (this.failed) return;
    this.failed = true;
    this.o.onFailure(new SubjectError(`${this.name} ${what}${this.output()}`), fatal);
  }

  static async start(o: ProcessOptions): Promise<SubjectProcess> {
    if (!existsSync(o.cwd) || !statSync(o.cwd).isDirectory()) {
      throw new SubjectError(
        `subject file ${o.file}: process "${o.label}": its cwd ${o.cwd} is not a directory`,
      );
    }
    const stdio: ('pipe' | 'ignore')[] = ['pipe', 'pipe', 'pipe', 'pipe'];
    if (o.spec.events === 'fd3') stdio.push('pipe');
    const flags = ['--group', '--subject-stdio', ...(o.spec.events === 'fd3' ? ['--events-fd'] : [])];
    const supervisor = spawn(
      process.execPath,
      [SUPERVISOR, ...flags, String(o.spec.stop.grace), o.command, ...o.args],
      {
        cwd: o.cwd,
        env: { ...process.env, ...o.env },
        stdio,
      },
    );
    const p = new SubjectProcess(o, supervisor);
    try {
      await p.ready();
    } catch (e) {
      p.ending = true;
      await p.stop().catch(() => {});
      throw e;
    }
    return p;
  }

  /** Waits until the file's readiness holds; fails on exit, spawn error or timeout. */
  private async ready(): Promise<void> {
    const spec = this.o.spec;
    const ready = spec.ready ?? (this.o.label === 'server' ? 'port' : 'spawn');
    const describe =
      ready === 'port'
        ? `its port ${this.o.listen?.port} to accept connections`
        : ready === 'spawn'
          ? 'it to start'
          : 'log' in ready
            ? `a line matching /${ready.log}/`
            : `the event "${ready.event}"`;
    let done = false;
    let resolveReady: () => void = () => {};
    const signalled = new Promise<void>((resolve) => {
      resolveReady = resolve;
    });
    if (typeof ready === 'object') {
      const pattern = 'log' in ready ? new RegExp(ready.log) : undefined;
      this.readyWaiter = (text, kind) => {
        if (
          (pattern && kind === 'output' && pattern.test(text)) ||
          (!pattern && kind === 'event' && 'event' in ready && text === ready.event)
        ) {
          done = true;
          resolveReady();
        }
      };
    }
    const started = performance.now();
    const deadline = started + spec.readyTimeout;
    for (;;) {
      if (this.spawnError) {
        throw new SubjectError(
          `${this.name} could not start: ${this.spawnError.startsWith('ENOENT') ? `command not found (looked in cwd ${this.o.cwd} and on PATH)` : this.spawnError}`,
        );
      }
      if (this.exit)
        throw new SubjectError(`${this.name} ${this.how(this.exit)} before it was ready${this.output()}`);
      if (this.pid) {
        if (ready === 'spawn') done = true;
        else if (ready === 'port' && this.o.listen) {
          const seen = listening(this.o.listen.port);
          done = seen ?? (await connects(this.o.listen));
        }
      }
      if (done) break;
      if (performance.now() >= deadline) {
        throw new SubjectError(
          `${this.name} was not ready within ${spec.readyTimeout} ms: flatline waited for ${describe} (set ready and readyTimeout in the file)${this.output()}`,
        );
      }
      await Promise.race([signalled, this.exited, new Promise((r) => setTimeout(r, 10))]);
    }
    this.readyWaiter = undefined;
  }

  private signal(name: NodeJS.Signals): void {
    if (!this.pid || this.exit) return;
    try {
      process.kill(-this.pid, name);
    } catch {}
  }

  /** Crash: SIGKILL to the whole group, at once. Its exit is expected. */
  async kill(): Promise<void> {
    this.ending = true;
    this.signal('SIGKILL');
    await this.exited;
  }

  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  /**
   * The end of a run: the stop signal to the group (with SIGCONT, in case it is paused), SIGKILL
   * after the grace. Resolves to whether SIGKILL was needed.
   */
  async stop(): Promise<{ escalated: boolean }> {
    this.ending = true;
    if (!this.exit && this.pid) {
      this.signal(this.o.spec.stop.signal);
      this.signal('SIGCONT');
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<'grace'>((resolve) => {
        timer = setTimeout(() => resolve('grace'), this.o.spec.stop.grace);
      });
      const first = await Promise.race([this.exited, graceOver]);
      clearTimeout(timer);
      if (first === 'grace') {
        this.signal('SIGKILL');
        await this.exited;
        this.supervisor.stdin!.end();
        await this.supervisorGone();
        return { escalated: true };
      }
    }
    this.supervisor.stdin!.end();
    await this.supervisorGone();
    return { escalated: this.exit?.escalated === true };
  }

  private supervisorGone(): Promise<void> {
    if (this.supervisor.exitCode !== null || this.supervisor.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.supervisor.kill('SIGKILL');
        resolve();
      }, 3000);
      this.supervisor.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** The message for a process that ignored its stop signal. */
  ignoredStop(): SubjectError {
    return new SubjectError(
      `${this.name} ignored ${this.o.spec.stop.signal}: it had not exited ${this.o.spec.stop.grace} ms later and was killed with SIGKILL (handle the signal, or raise stop.grace)${this.output()}`,
    );
  }
}
