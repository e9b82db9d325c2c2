/**
 * Library subjects on real Toxiproxy: socket.io 4, unmodified, on real loopback sockets, with its own
 * timers scaled by --time-scale (pingInterval 25 s runs as 2.5 s at ×0.1). The detections come from the
 * library's own heartbeat, at the instants BOUNDS.md's library rules give (the simulator's exact
 * values, socketio-blackhole 95 030 / 95 035 and socketio-reset 75 040 / 75 035), within a stated
 * real-network tolerance: 250 real ms (2500 scenario ms at ×0.1) for timer lateness and Toxiproxy API
 * calls on a loaded 2-core machine.
 */
import { expect, it } from 'vitest';
import { loadScenarioFile } from '../../harness/scenario/loader.ts';
import { runScenario } from '../../harness/scenario/runner.ts';
import { createToxiproxyBackend } from '../../harness/toxiproxy/backend.ts';
import { describeToxiproxy, useToxiproxyServer } from './support.ts';

const TIME_SCALE = 0.1;
const TOLERANCE = 250 / TIME_SCALE;

describeToxiproxy('unmodified socket.io through real Toxiproxy, its timers scaled', () => {
  const server = useToxiproxyServer();

  async function real(name: string) {
    const file = `scenarios/libraries/${name}.yaml`;
    const s = await loadScenarioFile(file);
    const backend = await createToxiproxyBackend({ server: server(), timeScale: TIME_SCALE });
    try {
      return await runScenario(s, { backend: 'toxiproxy', backendInstance: backend, file });
    } finally {
      await backend.close();
    }
  }

  const at = (r: Awaited<ReturnType<typeof real>>, side: string) => {
    const d = r.detections.find((x) => x.side === side && x.conn.endsWith('#1'));
    return d && { reason: d.reason, at: d.at };
  };

  it('black hole: both sides time out with "ping timeout" where the simulator says', {
    timeout: 90_000,
  }, async () => {
    const r = await real('socketio-blackhole');
    expect(at(r, 'client')?.reason).toBe('heartbeat-timeout');
    expect(at(r, 'server')?.reason).toBe('heartbeat-timeout');
    expect(Math.abs(at(r, 'client')!.at - 95_030)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(at(r, 'server')!.at - 95_035)).toBeLessThanOrEqual(TOLERANCE);
    expect(r.passed).toBe(true);
  });

  it('reset_peer: the server’s next ping meets the toxic and both ends close', {
    timeout: 90_000,
  }, async () => {
    const r = await real('socketio-reset');
    expect(Math.abs(at(r, 'client')!.at - 75_040)).toBeLessThanOrEqual(TOLERANCE);
    expect(Math.abs(at(r, 'server')!.at - 75_035)).toBeLessThanOrEqual(TOLERANCE);
    expect(r.passed).toBe(true);
  });
});
