/**
 * `--subject`: a user's own implementation (examples/my-subject.ts, a line-based ping/pong written
 * against the Runtime's net, reporting no events) run from a scenario file with no harness code.
 * Its detections come from the generic observation — sockets closing — alone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliResult, flatline, killStragglers, ROOT, TEST_TIMEOUT, Workspace } from './cli.ts';

const EXAMPLE = 'examples/my-subject.yaml';
const SUBJECT = 'examples/my-subject.ts';

let ws: Workspace;
beforeAll(() => {
  ws = new Workspace();
});
afterAll(() => {
  killStragglers();
  ws.remove();
});

let example: Promise<CliResult> | undefined;
const runExample = () => {
  example ??= flatline(['run', EXAMPLE, '--subject', SUBJECT, '--json']);
  return example;
};

describe.concurrent('flatline run --subject', { timeout: TEST_TIMEOUT }, () => {
  it('runs examples/my-subject.yaml with examples/my-subject.ts and finds both detections by socket closes', async () => {
    const run = await runExample();
    expect(run.code, run.stderr).toBe(0);
    const [r] = JSON.parse(run.stdout) as {
      scenario: string;
      passed: boolean;
      detections: { side: string; reason: string; delta: number; at: number }[];
      falseDetections: unknown[];
      environment: Record<string, string>;
      replay: string;
    }[];
    expect(r!.scenario).toBe('my-subject-blackhole');
    expect(r!.passed).toBe(true);
    expect(r!.environment.subject).toBe('my-subject');
    // The black hole starts at 20 s. The client's first ping into it goes at 20.01 s (connected at
    // 10 ms, pinging every 1000 ms); its 3000 ms pong deadline destroys the socket at 23.01 s —
    // reason `closed`, since the subject reports no deaths. Its FIN crosses the `timeout` toxic and
    // reaches the server d_u = 5 ms later: `fin`.
    expect(r!.detections.map((d) => [d.side, d.reason, d.delta])).toEqual([
      ['client', 'closed', 3010],
      ['server', 'fin', 3015],
    ]);
    expect(r!.falseDetections).toEqual([]);
    expect(r!.replay).toContain(`--subject ${SUBJECT}`);
  });

  it('report re-renders its results, even with an open bound (--json writes ∞ as "Infinity")', async () => {
    const run = await runExample();
    expect(run.code, run.stderr).toBe(0);
    // JSON has no ∞: --json writes an open bound as "Infinity" (as reports/json.ts does), and report
    // must read it back as a number, or validation rejects the file.
    const results = JSON.parse(run.stdout) as { detections: { bound: { max: unknown } }[] }[];
    results[0]!.detections[0]!.bound.max = 'Infinity';
    const json = ws.write('my-subject.json', JSON.stringify(results));
    const out = await flatline(['report', json, '--markdown', ws.path('my-subject.md')]);
    expect(out.code, out.stderr).toBe(0);
    const markdown = readFileSync(ws.path('my-subject.md'), 'utf8');
    expect(markdown).toContain('my-subject-blackhole');
    expect(markdown).toContain('∞');
  });

  it('a module that exports no Subject exits 2 saying what it must export', async () => {
    const module = ws.write('not-a-subject.ts', 'export const answer = 42;\n');
    const run = await flatline(['run', EXAMPLE, '--subject', module]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `--subject ${module}: expected a Subject as the default export or as "subject"`,
    );
    expect(run.stderr).toContain('missing startServer, startClient');
  });

  it('a subject outside a "type": "module" package (CommonJS to Node) loads too, default export only', async () => {
    // The workspace is in the temp directory, under no package.json.
    const module = ws.write(
      'cjs-scope.ts',
      `export { default } from ${JSON.stringify(join(ROOT, SUBJECT))};\n`,
    );
    const run = await flatline(['run', EXAMPLE, '--subject', module]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^PASS my-subject-blackhole \[sim, seed 1\]/m);
  });

  it('a subject whose startServer resolves to nothing exits 2 saying what it must return', async () => {
    const module = ws.write(
      'no-handle.ts',
      'export default { name: "broken", async startServer() {}, async startClient() { return { close: async () => {} }; } };\n',
    );
    const run = await flatline(['run', EXAMPLE, '--subject', module]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `--subject ${module}: startServer must resolve to { address, close() }, got undefined`,
    );
  });

  it('a scenario naming a subject that is not built in, without --subject, exits 2 saying to pass one', async () => {
    const run = await flatline(['run', EXAMPLE]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'scenario "my-subject-blackhole": subject "my-subject" is not built in (built in: reference, socket.io, mqtt, grpc, nats); pass your implementation with --subject <module>',
    );
  });
});
