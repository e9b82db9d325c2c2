/**
 * `flatline run --backend toxiproxy` interrupted: exit 130 on SIGINT mid-run, leaving no
 * toxiproxy-server, no supervisor and no listening socket behind. (Exit 3 for an unreachable
 * Toxiproxy needs no Toxiproxy and is in usage.test.ts.)
 *
 * The CLI launches toxiproxy-server itself here, so the test needs the binary and follows
 * test/toxiproxy's rule: with CI=true it runs (and fails loudly without Toxiproxy), otherwise it is
 * skipped loudly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithBinary, isAlive, requireBinary, waitUntil } from '../toxiproxy/support.ts';
import { blackholeScenario, killStragglers, startFlatline, TEST_TIMEOUT, Workspace } from './cli.ts';

let ws: Workspace;
beforeAll(() => {
  ws = new Workspace();
});
afterAll(() => {
  killStragglers();
  ws.remove();
});

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string[];
}

/** Every live process whose parent chain leads to `root` (Linux /proc). */
function descendants(root: number): Proc[] {
  const all = new Map<number, Proc>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean);
      all.set(Number(entry), { pid: Number(entry), ppid, cmdline });
    } catch {
      // Gone between readdir and read.
    }
  }
  const out: Proc[] = [];
  const below = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of all.values()) {
      if (below.has(p.ppid) && !below.has(p.pid)) {
        below.add(p.pid);
        out.push(p);
        grew = true;
      }
    }
  }
  return out;
}

describeWithBinary('flatline run --backend toxiproxy: SIGINT mid-run', () => {
  it(
    'exits 130 and leaves no toxiproxy-server, supervisor or listening socket',
    async () => {
      requireBinary();
      // 30 scenario minutes at 0.01 = 18 s of real time: the run is certainly still going at SIGINT.
      const scenario = ws.write('long.yaml', blackholeScenario({ name: 'interrupted', duration: '30m' }));
      // TOXIPROXY_URL empty: the CLI launches (and must stop) its own toxiproxy-server.
      const cli = startFlatline(['run', scenario, '--backend', 'toxiproxy', '--time-scale', '0.01'], {
        env: { TOXIPROXY_URL: '' },
      });
      const pid = cli.child.pid!;
      let toxiproxy: Proc | undefined;
      await waitUntil(
        () => {
          toxiproxy = descendants(pid).find((p) => p.cmdline[0]?.endsWith('toxiproxy-server'));
          return toxiproxy !== undefined || cli.child.exitCode !== null;
        },
        60_000,
        'the CLI to launch toxiproxy-server',
      );
      expect(toxiproxy, `no toxiproxy-server under the CLI; stderr:\n${cli.stderr()}`).toBeDefined();
      const apiPort = Number(toxiproxy!.cmdline[toxiproxy!.cmdline.indexOf('-port') + 1]);
      const api = `http://127.0.0.1:${apiPort}`;
      // Mid-run means the scenario's proxy exists (the subjects are started right after it).
      let proxyListen: string | undefined;
      const started = performance.now();
      while (proxyListen === undefined && performance.now() - started < 60_000) {
        // The API may not answer yet; the launcher's own marker proxy may still be listed.
        const proxies = (await fetch(`${api}/proxies`)
          .then((r) => r.json())
          .catch(() => ({}))) as Record<string, { listen: string }>;
        // Real names are <prefix>-<pid>-<n>-<scenario's name for it>.
        proxyListen = Object.entries(proxies).find(([name]) => name.endsWith('-flatline-interrupted'))?.[1]
          .listen;
        if (proxyListen === undefined) await new Promise((r) => setTimeout(r, 50));
      }
      expect(proxyListen, 'the scenario never created its proxy').toBeDefined();
      const proxyPort = Number(proxyListen!.slice(proxyListen!.lastIndexOf(':') + 1));
      await new Promise((r) => setTimeout(r, 500));
      const tree = descendants(pid);
      expect(tree.map((p) => p.pid)).toContain(toxiproxy!.pid);
      expect(await listening(apiPort)).toBe(true);
      expect(await listening(proxyPort)).toBe(true);

      cli.child.kill('SIGINT');
      const run = await cli.done;
      expect(run.signal).toBeNull();
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toContain('SIGINT: stopping, cleaning up');
      // Everything the CLI started (the supervisor and toxiproxy-server) is gone; allow the kernel a
      // moment to reap the last of them.
      for (const p of tree)
        await waitUntil(() => !isAlive(p.pid), 2000, `${p.cmdline.join(' ')} (pid ${p.pid}) to exit`);
      expect(await listening(apiPort)).toBe(false);
      expect(await listening(proxyPort)).toBe(false);
    },
    TEST_TIMEOUT,
  );
});

describeWithBinary('flatline run --backend toxiproxy: a finished run', () => {
  it(
    'exits within 2 s of its last result line, its own toxiproxy-server stopped (it once lingered 5 s)',
    async () => {
      requireBinary();
      const scenario = ws.write('short.yaml', blackholeScenario({ name: 'finishes', duration: '2m' }));
      const cli = startFlatline(['run', scenario, '--backend', 'toxiproxy', '--time-scale', '0.01'], {
        env: { TOXIPROXY_URL: '' },
      });
      let summaryAt: number | undefined;
      await waitUntil(
        () => {
          if (summaryAt === undefined && /\d+ passed, \d+ failed/.test(cli.stderr()))
            summaryAt = performance.now();
          return summaryAt !== undefined || cli.child.exitCode !== null;
        },
        60_000,
        'the run to print its summary',
      );
      const run = await cli.done;
      const lingered = performance.now() - summaryAt!;
      expect(run.code, run.stderr).toBe(0);
      // Tolerance: 2 s covers stopping toxiproxy-server (SIGTERM, it exits in milliseconds) on a busy
      // machine; the bug held the exit for the supervisor's whole 5 s grace.
      expect(lingered).toBeLessThan(2000);
    },
    TEST_TIMEOUT,
  );
});

describeWithBinary('flatline run --backend toxiproxy: interrupted after a scenario finished', () => {
  it(
    'writes the reports of the finished scenarios, marked incomplete, and exits 130',
    async () => {
      requireBinary();
      // Sorted by path: a-short (2 scenario min, 1.2 s) finishes, b-long (30 min, 18 s) is cut short.
      const short = ws.write(
        'partial/a-short.yaml',
        blackholeScenario({ name: 'partial-short', duration: '2m' }),
      );
      const long = ws.write(
        'partial/b-long.yaml',
        blackholeScenario({ name: 'partial-long', duration: '30m' }),
      );
      const html = ws.path('partial/out/r.html');
      const junit = ws.path('partial/out/r.xml');
      const cli = startFlatline(
        [
          'run',
          short,
          long,
          '--backend',
          'toxiproxy',
          '--time-scale',
          '0.01',
          '--report',
          html,
          '--junit',
          junit,
        ],
        { env: { TOXIPROXY_URL: '' } },
      );
      await waitUntil(
        () => /PASS partial-short/.test(cli.stderr()) || cli.child.exitCode !== null,
        60_000,
        'the first scenario to finish',
      );
      cli.child.kill('SIGINT');
      const run = await cli.done;
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toContain(`wrote ${html}`);
      const page = readFileSync(html, 'utf8');
      expect(page).toContain('INCOMPLETE: interrupted by SIGINT after 1 of 2 scenario file(s)');
      expect(page).toContain('partial-short');
      expect(page).not.toContain('partial-long');
      const xml = readFileSync(junit, 'utf8');
      expect(xml).toMatch(
        /<testsuites name="flatline — INCOMPLETE: interrupted by SIGINT after 1 of 2 scenario file\(s\)"/,
      );
      expect(xml).toContain('partial-short');
    },
    TEST_TIMEOUT,
  );
});
