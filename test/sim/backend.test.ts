/** The sim Backend (harness/backend.ts) over a Simulation. */
import { describe, expect, it } from 'vitest';
import { createSimBackend } from '../../harness/sim/backend.ts';

describe('createSimBackend', () => {
  it('is the sim kind on virtual time: runtime per host, runFor advances now(), close leaves nothing', async () => {
    const backend = createSimBackend({ seed: 11, latency: 5 });
    expect(backend.kind).toBe('sim');
    expect(backend.timeScale).toBe(1);
    const server = backend.runtime('server');
    const client = backend.runtime('client');
    const got: string[] = [];
    server.net.createServer((s) => s.on('data', (d) => got.push(`${backend.now()} ${d}`))).listen(9);
    const c = client.net.createConnection(9, 'server');
    c.on('connect', () => c.write('hi'));
    await backend.runFor(1000);
    expect(backend.now()).toBe(1000);
    expect(got).toEqual(['15 hi']);
    await backend.close();
    await backend.close();
    expect(backend.sim.pendingTimers()).toBe(0);
    expect(backend.sim.openSockets()).toBe(0);
  });

  it('sim.logs(host) keeps what a default runtime logger received', () => {
    const backend = createSimBackend({ seed: 1 });
    const rt = backend.sim.runtime('a');
    rt.logger.log({ ts: rt.now(), level: 'info', service: 'x', msg: 'hello' });
    expect(backend.sim.logs('a').map((r) => r.msg)).toEqual(['hello']);
  });
});
