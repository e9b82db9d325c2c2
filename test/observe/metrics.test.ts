/**
 * What the metrics make of a run (harness/observe/metrics.ts), on small simulator runs: every end of
 * an established connection is a detection, part of an outage, a false detection or collateral;
 * server sockets pair with their client lane; reasons come from the subject's death events, or from
 * the socket for a subject that reports nothing; reconnects count only a connection that proved
 * healthy; overhead is per connection-hour and leaves teardown out.
 * Timeline facts: one-way 5 ms, the client connects at 10 and pings at 10 + k·5000.
 */
import { describe, expect, it } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import { runScenario } from '../../harness/scenario/runner.ts';
import { parseScenario, type Scenario, type ScenarioInput } from '../../harness/scenario/schema.ts';
import { referenceSubject } from '../../harness/subjects/reference.ts';

function scenario(input: Partial<ScenarioInput>): Scenario {
  const parsed = parseScenario({
    name: 'metrics-test',
    topology: { kind: 'direct', latency: '5ms' },
    duration: '60s',
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

const run = (s: Scenario, subject?: Subject<never>) =>
  runScenario(s, { backend: 'sim', ...(subject ? { subject } : {}) });

/** The reference implementation with its events withheld: code that was never written for flatline. */
const silent: Subject<never> = {
  name: 'silent-reference',
  async startServer(rt, address, config) {
    const { onEvent: _, ...handle } = await referenceSubject.startServer(rt, address, config as never);
    return handle;
  },
  async startClient(rt, target, config) {
    const { onEvent: _, ...handle } = await referenceSubject.startClient(rt, target, config as never);
    return handle;
  },
};

describe('attribution of every end', () => {
  it('a benign fault: the client timing out a live server is a false detection, the server hearing its FIN is not', async () => {
    const r = await run(
      scenario({
        topology: { kind: 'proxy', latency: '5ms' },
        faults: [{ id: 'slow', at: '20s', fault: { type: 'latency', stream: 'downstream', latency: '3s' } }],
      }),
    );
    expect(r.detections).toEqual([]);
    // Ping 4 (20.01 s) is the first whose pong is late; the 3rd miss at 20.01 + 2·5 + 2 = 32.01 s.
    expect(r.falseDetections[0]).toMatchObject({ side: 'client', reason: 'heartbeat-timeout', at: 32_010 });
    expect(r.falseDetections.filter((m) => m.side === 'server')).toEqual([]);
  });

  it('connections made while a fault keeps killing them are an outage: neither detections nor mistakes', async () => {
    const r = await run(
      scenario({
        topology: { kind: 'proxy', latency: '5ms' },
        faults: [
          {
            id: 'quota',
            at: '20s',
            until: '40s',
            fault: { type: 'limit_data', stream: 'upstream', bytes: 0 },
          },
        ],
      }),
    );
    const clientLanes = r.lanes.filter((l) => l.client === 'client');
    // Several connections died during the outage (each at its hello) …
    expect(clientLanes.filter((l) => l.opened > 20_000 && l.opened < 40_000).length).toBeGreaterThan(2);
    // … but only the one open at the onset is a detection, and nothing is a mistake.
    expect(r.detections.map((d) => [d.side, d.socket, d.delta])).toEqual([
      ['server', 'server#1', 15],
      ['client', 'client#1', 20],
    ]);
    expect(r.falseDetections).toEqual([]);
  });

  it('an end long after a short fault healed is not blamed on it', async () => {
    const r = await run(
      scenario({
        duration: '2m',
        topology: { kind: 'proxy', latency: '5ms' },
        faults: [
          // A 1 s stall holds a pong at most 1 s: too short to notice, and its removal closes nothing.
          { id: 'blip', at: '10s', for: '1s', fault: { type: 'bandwidth', stream: 'downstream', rate: 0 } },
          { id: 'slow', at: '80s', fault: { type: 'latency', stream: 'downstream', latency: '3s' } },
        ],
      }),
    );
    expect(r.detections).toEqual([]);
    expect(r.falseDetections[0]).toMatchObject({ side: 'client', at: 92_010 });
  });
});

describe('pairing and reasons', () => {
  it('through the proxy, each server detection lands on its own client lane', async () => {
    const r = await run(
      scenario({
        clients: 3,
        topology: { kind: 'proxy', latency: '5ms' },
        faults: [{ id: 'down', at: '20s', until: '30s', fault: { type: 'proxy-down' } }],
      }),
    );
    const server = r.detections.filter((d) => d.side === 'server');
    const client = r.detections.filter((d) => d.side === 'client');
    expect(server.map((d) => d.delta)).toEqual([0, 0, 0]);
    expect(client.map((d) => d.delta)).toEqual([5, 5, 5]);
    expect(server.map((d) => d.conn).sort()).toEqual(client.map((d) => d.conn).sort());
    expect(new Set(server.map((d) => d.socket)).size).toBe(3);
  });

  it('end to end, client and server sockets pair by address and port', async () => {
    const r = await run(
      scenario({
        clients: 2,
        faults: [{ id: 'cut', at: '20s', until: '40s', fault: { type: 'partition' } }],
      }),
    );
    for (const lane of r.lanes) {
      const sides = lane.events.filter((e) => e.kind === 'ping').map((e) => e.side);
      expect(new Set(sides)).toEqual(new Set(['client', 'server']));
    }
    const server = r.detections.filter((d) => d.side === 'server');
    expect(server.map((d) => d.conn).sort()).toEqual(['client-1#1', 'client-2#1']);
  });

  it('a subject that reports nothing: reasons come from the socket, times are the same', async () => {
    const s = scenario({
      topology: { kind: 'proxy', latency: '5ms' },
      config: {
        interval: '5s',
        pongTimeout: '2s',
        readDeadline: '30s',
        backoff: { base: '1s', cap: '4s', jitter: '500ms' },
      },
      faults: [{ id: 'bh', at: '20s', until: '40s', fault: { type: 'timeout', stream: 'both', timeout: 0 } }],
    });
    const told = await run(s);
    const mute = await run(s, silent);
    const at = (r: typeof told) => r.detections.map((d) => [d.side, d.delta]);
    expect(at(mute)).toEqual(at(told));
    expect(told.detections.map((d) => d.reason)).toEqual(['heartbeat-timeout', 'fin']);
    // Without its death event the client's own close is just "closed"; the server heard a FIN.
    expect(mute.detections.map((d) => d.reason)).toEqual(['closed', 'fin']);
    // A reconnect is still found (a connection that stayed up), only later than the subject's ready.
    expect(mute.reconnects.map((c) => c.client)).toEqual(['client']);
  });

  it('an RST reported by the socket alone is reason reset', async () => {
    const r = await run(
      scenario({
        faults: [
          { id: 'kill', at: '20s', until: '30s', fault: { type: 'crash', host: 'server', close: 'rst' } },
        ],
      }),
      silent,
    );
    expect(r.detections.map((d) => [d.side, d.reason, d.delta])).toEqual([['client', 'reset', 5]]);
  });
});

describe('reconnects and overhead', () => {
  it('a connection that comes up while the fault still swallows pings is not a reconnect', async () => {
    const r = await run(
      scenario({
        topology: { kind: 'proxy', latency: '5ms' },
        config: {
          interval: '5s',
          pongTimeout: '2s',
          readDeadline: '8s',
          backoff: { base: '1s', cap: '2s', jitter: '0ms' },
        },
        faults: [
          { id: 'up', at: '20s', until: '40s', fault: { type: 'timeout', stream: 'upstream', timeout: 0 } },
        ],
      }),
    );
    // Upstream only: the server's hello still reaches the client ('ready') on every attempt.
    const lanes = r.lanes.filter((l) => l.opened > 20_000 && l.opened < 40_000);
    expect(lanes.length).toBeGreaterThan(0);
    expect(r.reconnects).toHaveLength(1);
    expect(r.reconnects[0]).toMatchObject({ client: 'client', fault: 'up', after: 'heal' });
    expect(r.reconnects[0]!.at).toBeGreaterThanOrEqual(40_000);
  });

  it('overhead (F20) is writes per connection-hour, teardown left out', async () => {
    const r = await run(scenario({ faults: [] }));
    // 11 pings (5.01 … 55.01 s) and one hello over 59 990 ms of connection: 12 / 0.0166… h = 720.
    // The bye sent when the client is closed at the end is teardown, not overhead (13 would give 780).
    expect(r.overhead.client.messagesPerHour).toBe(Math.round(12 / (59_990 / 3_600_000)));
    expect(r.detections).toEqual([]);
    expect(r.falseDetections).toEqual([]);
  });
});
