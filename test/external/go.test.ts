/**
 * examples/go — the seed articles' heartbeat in Go (ticker ping, write deadline, read deadline reset
 * by any traffic, pong timeout, miss count, reconnect with exponential backoff and jitter) — run by
 * flatline as two OS processes behind real Toxiproxy, built from source by the subject file's build
 * step with the Go toolchain the setup already needs for Toxiproxy.
 *
 * Every proxy-topology built-in scenario is run against it, and each verdict must be the right one:
 * all pass, except bandwidth-stall, whose write-deadline detection needs business traffic the Go
 * example does not send — there the correct verdict is that neither side detects the stall (the
 * pings stall too, and the heartbeat's bound is longer than the 8 s stall). Process faults are real
 * signals: the pause scenario's SIGSTOP, and a crash (SIGKILL, restart after the delay).
 *
 * Tolerance: every bound is widened by the runner's real-network ε, 50 real ms (2 500 scenario ms
 * at ×0.02); the instants checked here are checked against those widened bounds.
 */
import path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import { loadExternalSubject } from '../../harness/external/subject.ts';
import type { ScenarioResult } from '../../harness/result.ts';
import { loadScenarioFile, loadScenarioText } from '../../harness/scenario/loader.ts';
import { runScenario } from '../../harness/scenario/runner.ts';
import type { Scenario } from '../../harness/scenario/schema.ts';
import { createToxiproxyBackend } from '../../harness/toxiproxy/backend.ts';
import { describeToxiproxy, useToxiproxyServer } from '../toxiproxy/support.ts';

const GO = path.resolve(import.meta.dirname, '..', '..', 'examples', 'go', 'subject.yaml');

const failed = (r: ScenarioResult) =>
  r.expectations
    .filter((e) => !e.passed)
    .map((e) => `${e.name}: ${e.detail}`)
    .join('\n');

describeToxiproxy('the Go example through real Toxiproxy', () => {
  const server = useToxiproxyServer();
  let go: Subject<never>;

  beforeAll(async () => {
    go = await loadExternalSubject(GO);
    // The build (go build, cached after the first) belongs to no scenario's time.
    await go.external!.prepare();
  }, 300_000);

  async function run(s: Scenario, file?: string, timeScale = 0.02): Promise<ScenarioResult> {
    const backend = await createToxiproxyBackend({ server: server(), timeScale });
    try {
      return await runScenario(s, {
        backend: 'toxiproxy',
        backendInstance: backend,
        subject: go,
        ...(file ? { file } : {}),
      });
    } finally {
      await backend.close();
    }
  }

  const passing = [
    'blackhole-both',
    'blackhole-upstream',
    'blackhole-downstream',
    'latency-under-tolerance',
    'latency-over-tolerance',
    'limit-data',
    'proxy-down',
    'reset-peer',
    'slicer',
  ];
  // Toxiproxy's slicer sleeps `delay` µs between pieces, and a Go sleep that short lasts tens of µs
  // or more: at ×0.01 a sliced pong would take most of its 20 real ms timeout. At ×0.1 it does not.
  // The latency scenarios sit within milliseconds of the pong timeout: at ×0.05 a busy CI machine's
  // scheduling delays stay well inside the margin they leave; the rest run at ×0.02.
  const scaleOf = (name: string) => (name === 'slicer' ? 0.1 : name.startsWith('latency-') ? 0.05 : 0.02);
  for (const name of passing) {
    it(`${name}: every expectation holds`, { timeout: 60_000 }, async () => {
      const file = `scenarios/${name}.yaml`;
      const r = await run(await loadScenarioFile(file), file, scaleOf(name));
      expect(r.environment.subject).toBe('go-heartbeat');
      expect(r.passed, failed(r)).toBe(true);
      expect(r.expectations.length).toBeGreaterThan(0);
    });
  }

  it('blackhole-both: the detections are the heartbeat’s own, at the closed-form instants', {
    timeout: 60_000,
  }, async () => {
    const r = await run(await loadScenarioFile('scenarios/blackhole-both.yaml'));
    const client = r.detections.find((d) => d.side === 'client' && d.fault === 'blackhole')!;
    expect(client.reason).toBe('heartbeat-timeout');
    expect(client.withinBound, JSON.stringify(client)).toBe(true);
    // The Go client reported the death itself, naming its connection by its local address.
    expect(client.conn).toMatch(/^client#\d+$/);
  });

  it('bandwidth-stall: no business traffic, so neither side detects the 8 s stall (the right verdict)', {
    timeout: 60_000,
  }, async () => {
    const r = await run(await loadScenarioFile('scenarios/bandwidth-stall.yaml'));
    const side = (name: string) =>
      name.includes('side=client') ? ':client' : name.includes('side=server') ? ':server' : '';
    const verdicts = Object.fromEntries(
      r.expectations.map((e) => [`${e.name.split(' (')[0]}${side(e.name)}`, e.passed]),
    );
    expect(verdicts).toEqual({ 'detect:client': false, 'detect:server': false, noFalseDetection: true });
    expect(r.detections.filter((d) => d.fault === 'stall')).toEqual([]);
  });

  it('process-pause: SIGSTOP of the server is found by the client, the server notices at SIGCONT', {
    timeout: 60_000,
  }, async () => {
    const r = await run(await loadScenarioFile('scenarios/process-pause.yaml'));
    expect(r.passed, failed(r)).toBe(true);
  });

  it('crash: SIGKILL of the server; its kernel closes the connection, the client reconnects after the restart', {
    timeout: 60_000,
  }, async () => {
    const s = loadScenarioText(`name: go-crash
topology: { kind: direct }
duration: 60s
config:
  interval: 5s
  pongTimeout: 2s
  readDeadline: 12s
  backoff: { policy: seed, base: 1s, cap: 8s, jitter: 500ms }
faults:
  - id: crash
    at: 20s
    until: 30s
    fault: { type: crash, host: server, close: fin }
expect:
  - { type: detect, side: client, within: bound, reason: [fin, reset], fault: crash }
  - { type: reconnect, within: bound, fault: crash }
`);
    const r = await run(s);
    expect(r.passed, failed(r)).toBe(true);
    // The restarted server is a new process on the same port; the client's new connection reaches it.
    const reconnect = r.reconnects.find((x) => x.fault === 'crash')!;
    expect(reconnect.at).toBeGreaterThanOrEqual(30_000 - 5_000);
  });
});
