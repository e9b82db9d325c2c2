/**
 * flatline as a user gets it: `npm pack`, then the tarball installed into a scratch project outside
 * the repository, with only the npm registry (and npm's cache). There, with no flatline sources and
 * no special vitest config: `npx flatline run` on a scenario, `npx flatline check` on the user's
 * TypeScript subject, and a vitest file using flatline/vitest — which passes for a sound subject and
 * fails, naming the property and the replay command, for a subject with a one-line bug.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..', '..');
const VITEST = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', 'vitest', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function sh(cmd: string, args: string[], cwd: string, timeout = 120_000): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(cmd, args, {
      cwd,
      timeout,
      maxBuffer: 32 * 1024 * 1024,
      // The scratch project must not see this repository's environment (vitest's own workers set it).
      env: {
        ...process.env,
        VITEST: undefined,
        VITEST_POOL_ID: undefined,
        VITEST_WORKER_ID: undefined,
        NODE_OPTIONS: '',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : -1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    };
  }
}

const SUBJECT = `import type { Subject } from 'flatline';
import { referenceSubject, type ReferenceConfig } from 'flatline';

// The user's heartbeat, in TypeScript: the reference one under its own name.
export const subject: Subject<ReferenceConfig> = { ...referenceSubject, name: 'mine' };
`;

// A one-line bug: the client waits for two more missed pongs than it was configured for.
const BUGGY = `import type { Subject } from 'flatline';
import { referenceSubject, type ReferenceConfig } from 'flatline';

export const subject: Subject<ReferenceConfig> = {
  ...referenceSubject,
  name: 'buggy',
  startClient: (runtime, target, config) =>
    referenceSubject.startClient(runtime, target, { ...config, missThreshold: config.missThreshold + 2 }),
};
`;

const SCENARIO = `name: user-blackhole
topology: { kind: proxy, latency: 5ms }
duration: 3m
config: { interval: 5s, pongTimeout: 2s, readDeadline: 12s }
faults:
  - { id: hole, at: 60s, until: 90s, fault: { type: timeout, stream: upstream, timeout: 0 } }
expect:
  - { type: detect, side: client, within: bound, fault: hole }
  - { type: reconnect, within: bound, fault: hole }
`;

const suite = (file: string, module: string) => `import { flatlineProperties } from 'flatline/vitest';
import { subject } from '${module}';

flatlineProperties(subject, { subjectModule: '${module}', numRuns: 8, only: ['completeness', 'hygiene'], counterexamples: 'cx' });
// ${file}
`;

describe('the packed package, installed into a fresh project', () => {
  let dir: string;
  let project: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flatline-package-'));
    project = join(dir, 'user-project');
    const packed = await sh('npm', ['pack', '--pack-destination', dir, '--silent'], ROOT, 240_000);
    expect(packed.code, packed.stderr).toBe(0);
    const tarball = join(dir, packed.stdout.trim().split('\n').pop()!);
    expect(existsSync(tarball)).toBe(true);
    await sh('mkdir', ['-p', project], dir);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'user-project', private: true, type: 'module' }, null, 2),
    );
    const installed = await sh(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball, `vitest@${VITEST}`],
      project,
      240_000,
    );
    expect(installed.code, installed.stderr).toBe(0);
    writeFileSync(join(project, 'hb.yaml'), SCENARIO);
    writeFileSync(join(project, 'my-subject.ts'), SUBJECT);
    writeFileSync(join(project, 'buggy-subject.ts'), BUGGY);
  }, 480_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ships compiled JavaScript with declarations, and no TypeScript sources or dev tools', () => {
    const pkg = join(project, 'node_modules', 'flatline');
    expect(existsSync(join(pkg, 'dist', 'harness', 'index.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'harness', 'index.d.ts'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'harness', 'external', 'supervisor.mjs'))).toBe(true);
    expect(existsSync(join(pkg, 'harness'))).toBe(false);
    expect(existsSync(join(pkg, 'test'))).toBe(false);
    // A devDependency imported at run time is what broke the first try (fast-check).
    for (const dev of ['playwright-core', '@biomejs/biome', 'typescript', 'socket.io'])
      expect(existsSync(join(project, 'node_modules', dev)), dev).toBe(false);
  });

  it('npx flatline run: a scenario on the simulator, with its reports', async () => {
    const r = await sh(
      'npx',
      ['flatline', 'run', 'hb.yaml', '--junit', 'out/junit.xml', '--report', 'out/r.html'],
      project,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/PASS user-blackhole \[sim, seed 1\]\s+2 expectation/);
    expect(readFileSync(join(project, 'out', 'junit.xml'), 'utf8')).toMatch(/<testsuites[^>]* failures="0"/);
    expect(readFileSync(join(project, 'out', 'r.html'), 'utf8')).toContain('user-blackhole');
  }, 60_000);

  it('npx flatline check: the user’s TypeScript subject holds; the buggy one fails with exit 1', async () => {
    const ok = await sh(
      'npx',
      ['flatline', 'check', 'completeness', '--subject', './my-subject.ts', '--runs', '8'],
      project,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout + ok.stderr).toMatch(/completeness held for subject "mine" over 8 case/);
    const bad = await sh(
      'npx',
      ['flatline', 'check', 'completeness', '--subject', './buggy-subject.ts', '--runs', '20', '--seed', '1'],
      project,
    );
    expect(bad.code, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/npx flatline run .* --subject \.\/buggy-subject\.ts/);
  }, 120_000);

  it('a vitest file using flatline/vitest, with no vitest config: passes, and catches the bug', async () => {
    writeFileSync(join(project, 'hb.test.ts'), suite('hb.test.ts', './my-subject.ts'));
    const ok = await sh('npx', ['vitest', 'run', 'hb.test.ts'], project);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/Tests\s+2 passed/);
    writeFileSync(join(project, 'buggy.test.ts'), suite('buggy.test.ts', './buggy-subject.ts'));
    const bad = await sh('npx', ['vitest', 'run', 'buggy.test.ts'], project);
    expect(bad.code).toBe(1);
    expect(bad.stdout + bad.stderr).toMatch(/completeness/);
    expect(bad.stdout + bad.stderr).toMatch(
      /npx flatline run cx\/completeness-buggy-.*--subject \.\/buggy-subject\.ts/,
    );
  }, 180_000);
});
