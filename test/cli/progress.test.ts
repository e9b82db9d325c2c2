/**
 * Progress output of `flatline run`: plain `PASS name` / `FAIL name` lines when stderr is not a
 * terminal or CI is set (logs stay readable), a redrawn bar on a terminal. The terminal cases use
 * `script` (util-linux) to give the child a pseudo-terminal; without it they are skipped, loudly.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blackholeScenario, flatline, killStragglers, startCommand, TEST_TIMEOUT, Workspace } from './cli.ts';

const ESC = '\x1b';

let ws: Workspace;
let passing: string;
let failing: string;

beforeAll(() => {
  ws = new Workspace();
  passing = ws.write('passing.yaml', blackholeScenario({ name: 'progress-pass' }));
  failing = ws.write(
    'failing.yaml',
    blackholeScenario({
      name: 'progress-fail',
      expect: `  - type: detect
    side: client
    within: 1ms
    fault: blackhole`,
    }),
  );
});

afterAll(() => {
  killStragglers();
  ws.remove();
});

const script = ((): string | undefined => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return 'script';
  } catch {
    return undefined;
  }
})();
if (!script) console.warn('\n⚠️  SKIPPING terminal progress tests: `script` (util-linux) is not installed\n');

/** Runs flatline with stdout and stderr on a pseudo-terminal; returns what the terminal showed. */
async function onTerminal(args: string[], env: Record<string, string | undefined>) {
  const command = ['node', 'bin/flatline.mjs', ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const run = await startCommand(script!, ['-qec', command, '/dev/null'], { env }, `script ${command}`).done;
  return run;
}

/** The terminal turns "\n" into "\r\n"; any other carriage return is a redraw. */
const redraws = (text: string) => text.replace(/\r\n/g, '\n').includes('\r');

describe.concurrent('progress', { timeout: TEST_TIMEOUT }, () => {
  it('no TTY, no CI: plain PASS/FAIL lines on stderr, no carriage returns or ANSI escapes', async () => {
    const run = await flatline(['run', passing, failing]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/^PASS progress-pass \[sim, seed 1\] {2}3 expectation\(s\)$/m);
    expect(run.stderr).toMatch(
      /^FAIL progress-fail \[sim, seed 1\] {2}detect \(side=client, within=1, fault=blackhole\): /m,
    );
    expect(run.stderr).toMatch(/^1 passed, 1 failed$/m);
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).not.toContain(ESC);
    expect(run.stdout).toBe('');
  });

  it.skipIf(!script)('a terminal with CI=true: plain lines, no redraws or ANSI escapes', async () => {
    const run = await onTerminal(['run', passing], { CI: 'true' });
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toMatch(/^PASS progress-pass \[sim, seed 1\]/m);
    expect(redraws(run.stdout)).toBe(false);
    expect(run.stdout).not.toContain(ESC);
  });

  it.skipIf(!script)('a terminal without CI: a redrawn progress bar, then the PASS line', async () => {
    const run = await onTerminal(['run', passing], {});
    expect(run.code, run.stdout).toBe(0);
    expect(run.stdout).toContain(`\r${ESC}[2K[........................] 0/1 progress-pass`);
    expect(run.stdout).toContain(`\r${ESC}[2KPASS progress-pass [sim, seed 1]`);
    expect(run.stdout).toContain('[########################] 1/1');
  });
});
