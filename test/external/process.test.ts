/**
 * One process of an external subject (harness/external/process.ts), against a fake program
 * (test/fixtures/external/fake.mjs) that behaves well or badly on demand: each failure is an error
 * naming the subject file and the process, with its last output, and nothing it started is left
 * alive — its whole process group goes, grandchildren included.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SubjectEvent } from '../../harness/backend.ts';
import { SubjectProcess } from '../../harness/external/process.ts';
import { subjectFileSchema } from '../../harness/external/schema.ts';
import { freePort } from '../../harness/scenario/external-cast.ts';
import { SubjectError } from '../../harness/subjects/errors.ts';

const FAKE = path.resolve(import.meta.dirname, '..', 'fixtures', 'external', 'fake.mjs');

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits (real time) until `pid` is gone, up to `ms`. */
async function gone(pid: number, ms = 3000): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !alive(pid);
}

function state(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  } catch {
    return undefined;
  }
}

const started: SubjectProcess[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) await p.stop().catch(() => {});
});

async function start(
  mode: string,
  over: Record<string, unknown> = {},
  command = process.execPath,
): Promise<{
  p: SubjectProcess;
  events: SubjectEvent[];
  failures: { error: Error; fatal: boolean }[];
  port: number;
}> {
  const port = await freePort();
  const spec = subjectFileSchema.parse({
    name: 'fake',
    time: 'scaled',
    server: { command: 'node', args: ['{listen}'], events: 'stdout', ...over },
    client: { command: 'node', args: ['{upstream}'] },
  }).server;
  const events: SubjectEvent[] = [];
  const failures: { error: Error; fatal: boolean }[] = [];
  const p = await SubjectProcess.start({
    file: 'fake.yaml',
    label: 'server',
    spec,
    command,
    args: [FAKE, mode, `127.0.0.1:${port}`],
    env: {},
    cwd: path.dirname(FAKE),
    listen: { host: '127.0.0.1', port },
    onEvent: (e) => events.push(e),
    onFailure: (error, fatal) => failures.push({ error, fatal }),
  });
  started.push(p);
  return { p, events, failures, port };
}

describe('an external process', { timeout: 20_000 }, () => {
  it('is ready when its port listens (read from /proc, no probe connection), reports events, and stops on SIGTERM', async () => {
    const { p, events } = await start('serve');
    expect(alive(p.pid)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(events.map((e) => e.type)).toEqual(['listening']);
    expect(await p.stop()).toEqual({ escalated: false });
    expect(await gone(p.pid)).toBe(true);
  });

  it('a command that does not exist: named with the file and the process', async () => {
    const error = await start('serve', {}, './no-such-program').catch((e: Error) => e);
    expect(error).toBeInstanceOf(SubjectError);
    expect((error as Error).message).toMatch(
      /^subject file fake\.yaml: process "server" \(\.\/no-such-program .*\) could not start: command not found \(looked in cwd .*external and on PATH\)/,
    );
  });

  it('a program that exits at once: its exit code and its last words', async () => {
    const error = (await start('exit').catch((e: Error) => e)) as Error;
    expect(error).toBeInstanceOf(SubjectError);
    expect(error.message).toMatch(
      /process "server" \(.*fake\.mjs exit .*, pid \d+\) exit code 3 before it was ready/,
    );
    expect(error.message).toContain('stderr: cannot open config: no such file');
  });

  it('a program that never becomes ready: the wait is bounded, and it is killed', async () => {
    let pid = 0;
    const t0 = performance.now();
    const error = (await start('never', { readyTimeout: 300 }).catch((e: Error) => e)) as Error;
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(error.message).toMatch(
      /process "server" .* was not ready within 300 ms: flatline waited for its port \d+ to accept connections/,
    );
    pid = Number(/pid (\d+)/.exec(error.message)?.[1]);
    expect(pid).toBeGreaterThan(0);
    expect(await gone(pid)).toBe(true);
  });

  it('garbage on the event channel ends the run: the line, its number, what was expected', async () => {
    const { failures } = await start('garbage');
    await new Promise((r) => setTimeout(r, 600));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.fatal).toBe(true);
    expect(failures[0]!.error.message).toMatch(
      /process "server" .* wrote garbage on its event channel \(stdout\), line 2: "hello, I am not JSON"; every line there must be one JSON object with a string "type"/,
    );
  });

  it('a program that ignores SIGTERM is killed after its grace, and that is reported', async () => {
    const { p } = await start('ignore-term', { stop: { signal: 'SIGTERM', grace: 300 } });
    const t0 = performance.now();
    expect(await p.stop()).toEqual({ escalated: true });
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(await gone(p.pid)).toBe(true);
    expect(p.ignoredStop().message).toMatch(
      /process "server" .* ignored SIGTERM: it had not exited 300 ms later and was killed with SIGKILL.*\n {2}its last output:\n.*SIGTERM\? no\./s,
    );
  });

  it('crash is SIGKILL of the whole group: a grandchild dies too', async () => {
    const { p, events } = await start('family');
    await new Promise((r) => setTimeout(r, 100));
    const grandchild = Number(events[0]?.grandchild);
    expect(alive(grandchild)).toBe(true);
    await p.kill();
    expect(await gone(p.pid)).toBe(true);
    expect(await gone(grandchild)).toBe(true);
  });

  it('a graceful stop also ends what the program left behind in its group', async () => {
    const { p, events } = await start('family');
    await new Promise((r) => setTimeout(r, 100));
    const grandchild = Number(events[0]?.grandchild);
    await p.stop();
    expect(await gone(grandchild)).toBe(true);
  });

  it('pause is SIGSTOP, resume SIGCONT (the process state says so)', async () => {
    const { p } = await start('serve');
    p.pause();
    await new Promise((r) => setTimeout(r, 50));
    expect(state(p.pid)).toBe('T');
    p.resume();
    await new Promise((r) => setTimeout(r, 50));
    expect(state(p.pid)).toBe('S');
  });

  it('an exit nobody asked for is reported, not fatal (the run goes on and fails a verdict)', async () => {
    const { failures } = await start('die-later');
    await new Promise((r) => setTimeout(r, 800));
    expect(failures).toHaveLength(1);
    expect(failures[0]!.fatal).toBe(false);
    expect(failures[0]!.error.message).toMatch(/process "server" .* exited during the run \(exit code 4\)/);
  });
});
