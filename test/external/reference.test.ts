/**
 * The reference implementation run as external programs (examples/node-reference) through real
 * Toxiproxy, judged the way any binary is: from the proxy side (taps) and from its JSON-lines events.
 * It must get the same verdicts as the same code run in-process, on the same backend and time scale —
 * the check that external observation measures what in-process observation measures. And with its
 * event channel switched off it is still judged: detection and reconnect times from the proxy side
 * alone, within the same bounds; only the reason is then unknown.
 *
 * Real-network tolerance: the runner widens every bound by ε = 50 real ms (2 500 scenario ms at
 * ×0.02), as for every real run; the comparisons here are of verdicts, not of instants.
 */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import { loadExternalSubject } from '../../harness/external/subject.ts';
import type { ScenarioResult } from '../../harness/result.ts';
import { loadScenarioFile } from '../../harness/scenario/loader.ts';
import { runScenario } from '../../harness/scenario/runner.ts';
import { createToxiproxyBackend } from '../../harness/toxiproxy/backend.ts';
import { Workspace } from '../cli/cli.ts';
import { describeToxiproxy, useToxiproxyServer } from '../toxiproxy/support.ts';

const TIME_SCALE = 0.02;
const EXAMPLE = path.resolve(import.meta.dirname, '..', '..', 'examples', 'node-reference');

let ws: Workspace;
beforeAll(() => {
  ws = new Workspace();
});
afterAll(() => ws.remove());

const verdicts = (r: ScenarioResult) => r.expectations.map((e) => `${e.passed ? 'PASS' : 'FAIL'} ${e.name}`);
const detail = (r: ScenarioResult) =>
  r.expectations
    .filter((e) => !e.passed)
    .map((e) => `${e.name}: ${e.detail}`)
    .join('\n');

describeToxiproxy('the reference as external processes, through real Toxiproxy', () => {
  const server = useToxiproxyServer();

  async function run(file: string, subject?: Subject<never>): Promise<ScenarioResult> {
    const s = await loadScenarioFile(file);
    const backend = await createToxiproxyBackend({ server: server(), timeScale: TIME_SCALE });
    try {
      return await runScenario(s, {
        backend: 'toxiproxy',
        backendInstance: backend,
        file,
        ...(subject ? { subject } : {}),
      });
    } finally {
      await backend.close();
    }
  }

  for (const name of ['blackhole-both', 'reset-peer', 'proxy-down']) {
    it(`${name}: the same verdicts as in-process`, { timeout: 60_000 }, async () => {
      const external = await loadExternalSubject(path.join(EXAMPLE, 'subject.yaml'));
      const file = `scenarios/${name}.yaml`;
      const inProcess = await run(file);
      const asProcesses = await run(file, external);
      expect(asProcesses.environment.subject).toBe('reference-process');
      expect(verdicts(asProcesses), detail(asProcesses)).toEqual(verdicts(inProcess));
      expect(asProcesses.passed, detail(asProcesses)).toBe(true);
    });
  }

  it('process-pause: SIGSTOP/SIGCONT of the server’s process group gives the simulator’s verdicts', {
    timeout: 60_000,
  }, async () => {
    // In-process, a pause needs the simulator's host faults; real processes take it as signals.
    const file = 'scenarios/process-pause.yaml';
    const simulated = await runScenario(await loadScenarioFile(file), { backend: 'sim', file });
    const asProcesses = await run(file, await loadExternalSubject(path.join(EXAMPLE, 'subject.yaml')));
    expect(verdicts(asProcesses), detail(asProcesses)).toEqual(verdicts(simulated));
    expect(asProcesses.passed, detail(asProcesses)).toBe(true);
    // The paused server notices only at resume (100 s): Δ = 40 s after the stall began.
    const server = asProcesses.detections.find((d) => d.side === 'server' && d.fault === 'stall')!;
    expect(server.reason).toBe('fin');
    expect(Math.abs(server.delta - 40_000)).toBeLessThanOrEqual(5_000);
  });

  it('without its events: detections and reconnects measured from the proxy side, within the bounds; the reason unknown', {
    timeout: 60_000,
  }, async () => {
    const silent = ws.write(
      'silent.yaml',
      `name: reference-silent
time: scaled
server:
  command: node
  args: [--import, tsx, main.ts, server, "{listen}"]
  cwd: ${JSON.stringify(EXAMPLE)}
client:
  command: node
  args: [--import, tsx, main.ts, client, "{upstream}"]
  cwd: ${JSON.stringify(EXAMPLE)}
`,
    );
    const r = await run('scenarios/blackhole-both.yaml', await loadExternalSubject(silent));
    const client = r.detections.find((d) => d.side === 'client' && d.fault === 'blackhole')!;
    const server = r.detections.find((d) => d.side === 'server' && d.fault === 'blackhole')!;
    // The client's own decision, seen as its FIN at its tap: on time, reason unknown ("closed").
    expect(client.reason).toBe('closed');
    expect(client.withinBound, JSON.stringify(client)).toBe(true);
    // The server meets the client's FIN: that much the proxy side does tell.
    expect(server.reason).toBe('fin');
    expect(server.withinBound, JSON.stringify(server)).toBe(true);
    expect(r.reconnects.every((x) => x.withinBound)).toBe(true);
    const byReason = r.expectations.find((e) => e.name.startsWith('detect (side=client'))!;
    expect(byReason.passed).toBe(false);
    expect(byReason.detail).toMatch(
      /reason not heartbeat-timeout \(the subject closed the connection itself without reporting why/,
    );
    expect(r.expectations.filter((e) => !e.passed)).toHaveLength(1);
  });
});
