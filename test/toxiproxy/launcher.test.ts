/**
 * The launcher on the real toxiproxy-server: start/stop, parallel launches, no orphan after the
 * parent dies any way it can (SIGKILL included), and a clear error — not a hang — for every way of
 * not getting a Toxiproxy.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freeLoopbackPort,
  PROJECT_ROOT,
  startToxiproxy,
  TOXIPROXY_VERSION,
  ToxiproxyLaunchError,
} from '../../harness/toxiproxy/launcher.ts';
import { describeWithBinary, isAlive, requireBinary, waitUntil } from './support.ts';

async function launchError(promise: Promise<unknown>): Promise<ToxiproxyLaunchError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ToxiproxyLaunchError);
  return err as ToxiproxyLaunchError;
}

async function versionOf(url: string): Promise<string> {
  const body = (await (await fetch(`${url}/version`)).json()) as { version: string };
  return body.version;
}

describeWithBinary('launcher: toxiproxy-server as a child process', () => {
  it('launches on a free loopback port, answers /version 2.12.0, and close() stops it (idempotent)', async () => {
    const server = await startToxiproxy({ useEnv: false, binary: requireBinary() });
    expect(server.launched).toBe(true);
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(server.version).toBe(TOXIPROXY_VERSION);
    expect(await versionOf(server.url)).toBe(TOXIPROXY_VERSION);
    // The marker proxy used to recognise our own process is gone again.
    expect(await (await fetch(`${server.url}/proxies`)).json()).toEqual({});
    const pid = server.pid!;
    expect(isAlive(pid)).toBe(true);
    await server.close();
    expect(isAlive(pid)).toBe(false);
    await expect(fetch(`${server.url}/version`)).rejects.toThrow();
    await server.close();
  });

  it('gives parallel launches their own ports (how parallel test files stay apart)', async () => {
    const servers = await Promise.all([1, 2, 3].map(() => startToxiproxy({ useEnv: false })));
    try {
      expect(new Set(servers.map((s) => s.url)).size).toBe(3);
      for (const s of servers) expect(await versionOf(s.url)).toBe(TOXIPROXY_VERSION);
    } finally {
      await Promise.all(servers.map((s) => s.close()));
    }
    for (const s of servers) expect(isAlive(s.pid!)).toBe(false);
  });

  describe('no orphan toxiproxy-server when the harness process dies mid-run', () => {
    const fixture = join(PROJECT_ROOT, 'test', 'toxiproxy', 'fixtures', 'launch-and-wait.ts');

    async function runHarness(mode: 'wait' | 'exit', signal?: NodeJS.Signals): Promise<number> {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture, mode], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TOXIPROXY_URL: '' },
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
      });
      child.stderr.on('data', (chunk) => {
        err += chunk;
      });
      await waitUntil(() => out.includes('\n') || child.exitCode !== null, 15_000, 'the harness to report');
      if (!out.includes('\n')) throw new Error(`the harness fixture failed: ${err}`);
      const { pid } = JSON.parse(out.split('\n')[0]!) as { pid: number };
      if (signal) {
        expect(isAlive(pid)).toBe(true);
        child.kill(signal);
      }
      await exited;
      if (signal) expect(child.signalCode).toBe(signal);
      await waitUntil(() => !isAlive(pid), 5000, `toxiproxy-server pid ${pid} to be gone`);
      return pid;
    }

    it.each(['SIGKILL', 'SIGTERM', 'SIGINT'] as const)(
      '%s of the harness stops its toxiproxy-server',
      async (signal) => {
        const pid = await runHarness('wait', signal);
        expect(isAlive(pid)).toBe(false);
      },
    );

    // An uncaught exception ends the same way: process exit without close().
    it('a harness that exits without close() (a failed test) leaves no toxiproxy-server', async () => {
      expect(isAlive(await runHarness('exit'))).toBe(false);
    });
  });

  describe('port already taken', () => {
    let holder: net.Server;
    let port: number;
    beforeAll(async () => {
      holder = net.createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      port = (holder.address() as net.AddressInfo).port;
    });
    afterAll(() => new Promise<void>((resolve) => holder.close(() => resolve())));

    it('fails at once with port_in_use when the API port is held by another process', async () => {
      const start = performance.now();
      const err = await launchError(startToxiproxy({ useEnv: false, port }));
      expect(err.kind).toBe('port_in_use');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(performance.now() - start).toBeLessThan(2000);
    });

    it('fails with port_in_use, not by adopting the stranger, when another Toxiproxy answers there', async () => {
      // Toxiproxy logs a failed API listen and keeps running; the other server on the port then
      // answers /version. The launcher must notice the answer is not from its own process.
      const other = await startToxiproxy({ useEnv: false });
      try {
        const otherPort = Number(new URL(other.url).port);
        const err = await launchError(startToxiproxy({ useEnv: false, port: otherPort, checkPort: false }));
        expect(err.kind).toBe('port_in_use');
        expect(err.message).toMatch(/address already in use|another Toxiproxy/);
        expect(await versionOf(other.url)).toBe(TOXIPROXY_VERSION);
      } finally {
        await other.close();
      }
    });
  });
});

describe('launcher: clear errors instead of hangs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flatline-fake-toxiproxy-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** An executable node script standing in for toxiproxy-server. */
  function fakeBinary(name: string, body: string): string {
    const path = join(dir, name);
    writeFileSync(path, `#!${process.execPath}\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  }

  /** Serves HTTP on the -port it is given, answering every request with `status` and `body`. */
  function fakeHttp(name: string, status: number, body: string): string {
    return fakeBinary(
      name,
      `const port = Number(process.argv[process.argv.indexOf('-port') + 1]);
require('node:http').createServer((req, res) => { res.writeHead(${status}); res.end(${JSON.stringify(body)}); })
  .listen(port, '127.0.0.1');`,
    );
  }

  it('TOXIPROXY_URL pointing at nothing: unreachable, within the deadline', async () => {
    const port = await freeLoopbackPort();
    const saved = process.env.TOXIPROXY_URL;
    process.env.TOXIPROXY_URL = `http://127.0.0.1:${port}`;
    try {
      const start = performance.now();
      const err = await launchError(startToxiproxy({ startTimeoutMs: 400 }));
      expect(err.kind).toBe('unreachable');
      expect(err.message).toContain(`http://127.0.0.1:${port}`);
      expect(err.message).toContain('ECONNREFUSED');
      expect(performance.now() - start).toBeLessThan(3000);
    } finally {
      if (saved === undefined) delete process.env.TOXIPROXY_URL;
      else process.env.TOXIPROXY_URL = saved;
    }
  });

  it('a TOXIPROXY_URL that is not a URL: bad_url', async () => {
    const err = await launchError(startToxiproxy({ url: 'localhost:8474' }));
    expect(err.kind).toBe('bad_url');
    expect(err.message).toContain('localhost:8474');
  });

  it('a URL answering HTTP but not like Toxiproxy: not_toxiproxy', async () => {
    const server = await new Promise<net.Server>((resolve) => {
      const s = net.createServer((socket) =>
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope'),
      );
      s.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const { port } = server.address() as net.AddressInfo;
      const err = await launchError(startToxiproxy({ url: `http://127.0.0.1:${port}` }));
      expect(err.kind).toBe('not_toxiproxy');
      expect(err.message).toContain('HTTP 404');
    } finally {
      server.close();
    }
  });

  it('binary missing: binary_missing, saying how to get Toxiproxy', async () => {
    const err = await launchError(startToxiproxy({ useEnv: false, binary: join(dir, 'no-such-toxiproxy') }));
    expect(err.kind).toBe('binary_missing');
    expect(err.message).toContain('npm run setup');
  });

  it('binary not executable: binary_missing', async () => {
    const path = join(dir, 'not-executable');
    writeFileSync(path, 'just text');
    const err = await launchError(startToxiproxy({ useEnv: false, binary: path }));
    expect(err.kind).toBe('binary_missing');
  });

  it('binary that exits at once: exited, with its output', async () => {
    const binary = fakeBinary('exits', "console.error('fake: refusing to start'); process.exit(3);");
    const err = await launchError(startToxiproxy({ useEnv: false, binary }));
    expect(err.kind).toBe('exited');
    expect(err.message).toContain('code 3');
    expect(err.output).toContain('fake: refusing to start');
  });

  it('binary whose /version is not Toxiproxy: not_toxiproxy', async () => {
    const binary = fakeHttp('wrong-version', 404, 'not found');
    const err = await launchError(startToxiproxy({ useEnv: false, binary }));
    expect(err.kind).toBe('not_toxiproxy');
    expect(err.message).toContain('HTTP 404');
  });

  it('binary imitating /version only: not_toxiproxy (the proxies API does not answer like Toxiproxy)', async () => {
    const binary = fakeHttp('imitation', 200, '{"version": "2.12.0"}');
    const err = await launchError(startToxiproxy({ useEnv: false, binary }));
    expect(err.kind).toBe('not_toxiproxy');
  });

  it('binary that never answers: start_timeout at the deadline', async () => {
    const binary = fakeBinary('silent', 'setInterval(() => {}, 1000);');
    const start = performance.now();
    const err = await launchError(startToxiproxy({ useEnv: false, binary, startTimeoutMs: 600 }));
    expect(err.kind).toBe('start_timeout');
    expect(err.message).toContain('600 ms');
    expect(performance.now() - start).toBeLessThan(4000);
  });
});
