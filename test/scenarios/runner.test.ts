/**
 * The runner's contract beyond the library: nothing is left running after a run (no timer, no
 * socket — checked on a simulator the test owns, passed as backendInstance), faults still on at the
 * end are undone, teardown works around paused and crashed hosts, and input the runner cannot run is
 * refused with a RunError that names the problem before anything starts.
 */
import { describe, expect, it } from 'vitest';
import { RunError, runScenario } from '../../harness/scenario/runner.ts';
import { parseScenario, type Scenario, type ScenarioInput } from '../../harness/scenario/schema.ts';
import { createSimBackend } from '../../harness/sim/backend.ts';

function scenario(input: Partial<ScenarioInput> & Pick<ScenarioInput, 'faults'>): Scenario {
  const parsed = parseScenario({
    name: 'runner-test',
    topology: { kind: 'direct', latency: '5ms' },
    duration: '40s',
    config: {
      interval: '5s',
      pongTimeout: '2s',
      readDeadline: '12s',
      backoff: { base: '1s', cap: '4s', jitter: '500ms' },
    },
    ...input,
  });
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  return parsed.scenario;
}

/** Runs on a simulator the test owns and returns what is left on it afterwards. */
async function leftovers(s: Scenario) {
  const backend = createSimBackend({ seed: 3 });
  try {
    const result = await runScenario(s, { backend: 'sim', backendInstance: backend });
    return { result, timers: backend.sim.pendingTimers(), sockets: backend.sim.openSockets() };
  } finally {
    await backend.close();
  }
}

describe('teardown leaves nothing behind (hygiene)', () => {
  it('a healed black-hole through the proxy: no pending timer, no open socket, proxy removed', async () => {
    const { result, timers, sockets } = await leftovers(
      scenario({
        topology: { kind: 'proxy', latency: '5ms' },
        faults: [
          { id: 'bh', at: '10s', until: '25s', fault: { type: 'timeout', stream: 'both', timeout: 0 } },
        ],
        expect: [{ type: 'detect', side: 'client' }],
      }),
    );
    expect(result.expectations.filter((e) => !e.passed)).toEqual([]);
    expect(timers).toBe(0);
    expect(sockets).toBe(0);
  });

  it('faults still on at the end (a partition, a NAT, a latency toxic) are undone, so every FIN gets through', async () => {
    for (const s of [
      scenario({ faults: [{ id: 'cut', at: '10s', fault: { type: 'partition', direction: 'both' } }] }),
      scenario({ faults: [{ id: 'nat', at: '5s', fault: { type: 'nat', idleTimeout: '1s' } }] }),
      scenario({
        topology: { kind: 'proxy', latency: '5ms' },
        faults: [{ id: 'slow', at: '10s', fault: { type: 'latency', latency: '1500ms' } }],
      }),
    ]) {
      const { result, timers, sockets } = await leftovers(s);
      expect(result.expectations.filter((e) => e.name === 'clean teardown')).toEqual([]);
      expect([s.faults[0]!.id, timers, sockets]).toEqual([s.faults[0]!.id, 0, 0]);
    }
  });

  it('a server paused to the end of the run is closed at its resume; a crashed, never restarted host is skipped', async () => {
    for (const s of [
      scenario({ faults: [{ id: 'gc', at: '30s', until: '40s', fault: { type: 'pause', host: 'server' } }] }),
      scenario({ faults: [{ id: 'dead', at: '20s', fault: { type: 'crash', host: 'server' } }] }),
      scenario({
        faults: [{ id: 'dead', at: '20s', fault: { type: 'crash', host: 'client', close: 'rst' } }],
      }),
    ]) {
      const { result, timers, sockets } = await leftovers(s);
      expect(result.expectations.filter((e) => e.name === 'clean teardown')).toEqual([]);
      expect([timers, sockets]).toEqual([0, 0]);
    }
  });

  it('a runner-owned simulator is closed: a second run with the same seed replays the first exactly', async () => {
    const s = scenario({ faults: [{ id: 'cut', at: '10s', until: '20s', fault: { type: 'partition' } }] });
    const a = await runScenario(s, { backend: 'sim', seed: 9 });
    const b = await runScenario(s, { backend: 'sim', seed: 9 });
    expect(b.traceHash).toBe(a.traceHash);
    expect(b.seed).toBe(9);
    expect(a.replay).toBe('npx flatline run <runner-test.yaml> --backend sim --seed 9');
  });
});

describe('crash fault (sim-only): what the peer sees, and the restart', () => {
  it('close: rst — the client process dies on a live OS: the server gets the RST one leg later (d_u = 5 ms)', async () => {
    const s = scenario({
      faults: [
        { id: 'kill', at: '20s', until: '30s', fault: { type: 'crash', host: 'client', close: 'rst' } },
      ],
      expect: [{ type: 'detect', side: 'server', reason: 'reset' }],
    });
    const { result } = await leftovers(s);
    expect(result.detections.map((d) => [d.side, d.reason, d.delta])).toEqual([['server', 'reset', 5]]);
    expect(result.passed).toBe(true);
    // The restarted client connects again: a second lane for it.
    expect(result.lanes.filter((l) => l.client === 'client').length).toBe(2);
  });
});

describe('a fault that cannot be applied mid-run', () => {
  it('fails the run with a RunError naming the fault and its instant, and still leaves nothing behind', async () => {
    const s = scenario({
      faults: [
        { id: 'dead', at: '10s', fault: { type: 'crash', host: 'server' } },
        // The simulator refuses to pause a host that is down.
        { id: 'gc', at: '20s', for: '5s', fault: { type: 'pause', host: 'server' } },
      ],
    });
    const backend = createSimBackend({ seed: 1 });
    try {
      const err = await runScenario(s, { backend: 'sim', backendInstance: backend }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunError);
      expect((err as Error).message).toMatch(/applying fault "gc" \(pause\) at 20000 ms: .*down/);
      expect([backend.sim.pendingTimers(), backend.sim.openSockets()]).toEqual([0, 0]);
    } finally {
      await backend.close();
    }
  });
});

describe('loss fault (sim-only): drawn from the seed, healed at teardown', () => {
  it('replays with its seed, leaves nothing behind; another seed loses other packets', async () => {
    const s = scenario({
      faults: [{ id: 'lossy', at: '5s', until: '35s', fault: { type: 'loss', probability: 0.3 } }],
    });
    const runs = [];
    for (const seed of [4, 4, 5]) {
      const backend = createSimBackend({ seed, retainTrace: true });
      try {
        const result = await runScenario(s, { backend: 'sim', backendInstance: backend, seed });
        const drops = backend.sim.trace
          .events()
          .filter((e) => e.kind === 'drop')
          .map((e) => [e.t, e.reason]);
        runs.push({ result, drops, left: [backend.sim.pendingTimers(), backend.sim.openSockets()] });
      } finally {
        await backend.close();
      }
    }
    const [a, b, c] = runs as [(typeof runs)[0], (typeof runs)[0], (typeof runs)[0]];
    expect(a.result.expectations.filter((e) => e.name === 'clean teardown')).toEqual([]);
    expect(a.left).toEqual([0, 0]);
    expect(a.drops.length).toBeGreaterThan(0);
    // Every loss falls inside the fault's window, reason loss.
    expect(
      a.drops.every(([t, why]) => (t as number) >= 5000 && (t as number) < 35_000 && why === 'loss'),
    ).toBe(true);
    expect(b.drops).toEqual(a.drops);
    expect(b.result.traceHash).toBe(a.result.traceHash);
    expect(c.drops).not.toEqual(a.drops);
    // Benign: 30 % loss against T = 2 s is no detection, and the window says C2 (drawn at send time).
    expect(a.result.detections).toEqual([]);
    expect(a.result.faults).toEqual([
      {
        id: 'lossy',
        type: 'loss',
        at: 5000,
        until: 35_000,
        target: 'client↔server',
        attributes: { direction: 'both', probability: 0.3, retransmitAfter: 200 },
        convention: 'C2',
      },
    ]);
  });

  it('probability 1 one way is a C2 partition: detected within the partition’s bound', async () => {
    const s = scenario({
      faults: [
        { id: 'cut', at: '20s', fault: { type: 'loss', direction: 'client->server', probability: 1 } },
      ],
      expect: [{ type: 'detect', side: 'both', within: 'bound' }],
    });
    const { result } = await leftovers(s);
    // Pings 4 (20.01 s) onward are lost at send time. The server's last byte is ping 3 (15.01 s, read
    // at 15.015 s): its read deadline R = 12 s later fires first, and its FIN crosses the healthy
    // downstream to the client d_d later — before the client's third miss (20.01 + 2·I + T).
    expect(result.detections.map((d) => [d.side, d.reason, d.delta])).toEqual([
      ['server', 'read-deadline', 15_015 + 12_000 - 20_000],
      ['client', 'fin', 15_015 + 12_000 + 5 - 20_000],
    ]);
    expect(result.passed).toBe(true);
  });
});

describe('business traffic (F6) and the F20 overhead', () => {
  it('business messages share the connection, yet the overhead counts only the heartbeat protocol (pings and the hello)', async () => {
    const base = { interval: '5s', pongTimeout: '2s', readDeadline: '12s' };
    const quiet = await leftovers(scenario({ duration: '60s', config: base, faults: [] }));
    const busy = await leftovers(
      scenario({
        duration: '60s',
        config: {
          ...base,
          business: { every: '100ms', bytes: 1000, handlerDelay: '3s' },
          businessTimeout: '1s',
        },
        faults: [],
      }),
    );
    // 11 pings (5.01 … 55.01 s) and one hello over 59 990 ms of connection, with or without 600
    // business messages of 1000 bytes beside them (every 100 ms, 0.1 s … 60 s).
    expect(busy.result.overhead).toEqual(quiet.result.overhead);
    // …though the business writes were there, on the same socket: the client's lane draws every write.
    const writes = (r: typeof busy.result) =>
      r.lanes.flatMap((l) => l.events).filter((e) => e.side === 'client' && e.kind === 'ping').length;
    expect(writes(busy.result) - writes(quiet.result)).toBe(600);
    expect(busy.result.overhead.client.messagesPerHour).toBe(Math.round(12 / (59_990 / 3_600_000)));
    // The slow handler (3 s per message, one at a time) never delays a pong: no false detection.
    expect(busy.result.falseDetections).toEqual([]);
    expect([busy.timers, busy.sockets]).toEqual([0, 0]);
  });
});

describe('input the runner cannot run is refused with a RunError', () => {
  it('a sim-only fault on the toxiproxy backend names the fault, before any Toxiproxy is needed', async () => {
    const s = scenario({ faults: [{ id: 'split', at: '10s', fault: { type: 'partition' } }] });
    const err = await runScenario(s, { backend: 'toxiproxy' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect((err as RunError).message).toMatch(
      /fault "split" \(partition\) cannot run on the toxiproxy backend: it needs hostFaults.*--backend sim/,
    );
    expect((err as RunError).scenario).toBe('runner-test');
  });

  it('an unknown subject is named, with the built-in ones and how to pass one', async () => {
    const s = scenario({ subject: 'my-heartbeat', config: {}, faults: [] });
    const err = await runScenario(s, { backend: 'sim' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunError);
    expect((err as Error).message).toMatch(
      /subject "my-heartbeat" is not built in \(built in: reference, socket.io, mqtt, grpc, nats\).*--subject/,
    );
  });
});
