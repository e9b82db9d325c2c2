/**
 * burst-loss (harness/faults/burst-loss.ts), the kind added as one file: Gilbert–Elliott bursts on
 * the simulator's virtual clock. The state switches are traced as the loss primitive going on and off,
 * so the tests read the schedule back from the trace and check it exactly: the first burst at the
 * onset, alternating states, nothing after the heal, the same schedule for the same seed.
 */
import { describe, expect, it } from 'vitest';
import { RunError, runScenario, unrunnableFaults } from '../../harness/scenario/runner.ts';
import { parseScenario, type Scenario, type ScenarioInput } from '../../harness/scenario/schema.ts';
import { scenarioToInput } from '../../harness/scenario/serialize.ts';
import { createSimBackend } from '../../harness/sim/backend.ts';

function scenario(fault: Record<string, unknown>, extra: Partial<ScenarioInput> = {}): Scenario {
  const parsed = parseScenario({
    name: 'burst-loss',
    topology: { kind: 'direct', latency: '5ms' },
    duration: '5m',
    config: { interval: '5s', pongTimeout: '2s', readDeadline: '12s', missThreshold: 1 },
    faults: [{ id: 'bursts', at: '30s', until: '4m', fault: { type: 'burst-loss', ...fault } }],
    ...extra,
  });
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  return parsed.scenario;
}

/** Runs on a simulator that keeps its trace; returns the result and the loss switches (t, p). */
async function run(s: Scenario, seed: number) {
  const backend = createSimBackend({ seed, retainTrace: true });
  try {
    const result = await runScenario(s, { backend: 'sim', backendInstance: backend, seed });
    const switches = backend.sim.trace
      .events()
      .filter((e) => e.fault === 'loss')
      .map((e) => ({ t: e.t, on: e.kind === 'fault.on', p: e.probability }));
    return { result, switches, pending: backend.sim.pendingTimers() };
  } finally {
    await backend.close();
  }
}

describe('burst-loss: Gilbert–Elliott bursts on the virtual clock', () => {
  it('opens with a burst at the onset, alternates bad/good, and stops exactly at the heal', async () => {
    const { result, switches, pending } = await run(scenario({ good: '20s', bad: '3s', badLoss: 0.3 }), 7);
    const ons = switches.filter((s) => s.on);
    // goodLoss 0: only bursts switch the loss on, each one switched off when it ends.
    expect(ons[0]).toEqual({ t: 30_000, on: true, p: 0.3 });
    expect(ons.length).toBeGreaterThan(3);
    expect(ons.every((s) => s.p === 0.3)).toBe(true);
    for (let i = 0; i < switches.length; i++) expect(switches[i]!.on).toBe(i % 2 === 0);
    expect(switches.at(-1)!.t).toBeLessThanOrEqual(240_000);
    expect(switches.every((s) => s.t >= 30_000)).toBe(true);
    // Bursts average 3 s and good periods 20 s: the loss is on for a small share of the window.
    let on = 0;
    for (let i = 0; i < switches.length; i += 2) on += (switches[i + 1]?.t ?? 240_000) - switches[i]!.t;
    expect(on / 210_000).toBeLessThan(0.4);
    // 30 % loss for a few seconds is absorbed by TCP: no false detection, and nothing left running.
    expect(result.falseDetections).toEqual([]);
    expect(result.passed).toBe(true);
    expect(pending).toBe(0);
  });

  it('replays: the same seed gives the same schedule and trace hash, another seed another schedule', async () => {
    const s = scenario({ good: '10s', bad: '2s', goodLoss: 0.01, badLoss: 0.5 });
    const a = await run(s, 11);
    const b = await run(s, 11);
    const c = await run(s, 12);
    expect(b.switches).toEqual(a.switches);
    expect(b.result.traceHash).toBe(a.result.traceHash);
    expect(c.switches).not.toEqual(a.switches);
    // goodLoss > 0: the good state has its own loss, so the switch events carry both rates.
    expect(new Set(a.switches.filter((x) => x.on).map((x) => x.p))).toEqual(new Set([0.5, 0.01]));
  });

  it('a total burst (badLoss 1) longer than the pong timeout is an outage the client detects', async () => {
    const { result } = await run(
      scenario(
        { good: '1m', bad: '40s', badLoss: 1 },
        { expect: [{ type: 'detect', side: 'client', reason: 'heartbeat-timeout' }] },
      ),
      5,
    );
    const d = result.detections.find((x) => x.side === 'client');
    expect(d?.fault).toBe('bursts');
    expect(d?.reason).toBe('heartbeat-timeout');
    // No closed form: the bound is the loose one, and says why.
    expect(d?.bound.why).toMatch(/burst lengths are random/);
    expect(result.passed).toBe(true);
  });

  it('round-trips through the input form and refuses the real backend, naming the alternative', async () => {
    const s = scenario({ good: '20s', bad: '3s' });
    const back = parseScenario(scenarioToInput(s, { readable: true }));
    expect(back.ok && back.scenario.faults).toEqual(s.faults);
    expect(s.faults[0]!.fault).toEqual({
      type: 'burst-loss',
      direction: 'both',
      good: 20_000,
      bad: 3000,
      goodLoss: 0,
      badLoss: 1,
    });
    const [refusal] = unrunnableFaults(s, 'toxiproxy');
    expect(refusal).toMatch(/fault "bursts" \(burst-loss\) cannot run on the toxiproxy backend/);
    expect(refusal).toMatch(/--backend sim/);
    await expect(runScenario(s, { backend: 'toxiproxy' })).rejects.toThrow(RunError);
  });

  it('is rejected on the proxy topology and without its mean lengths, with the field named', () => {
    const proxy = parseScenario({
      name: 'x',
      duration: '1m',
      faults: [{ at: '1s', fault: { type: 'burst-loss', good: '1s', bad: '1s' } }],
    });
    expect(!proxy.ok && proxy.issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/^burst-loss is a sim-only fault: it needs topology direct/),
    ]);
    const missing = parseScenario({
      name: 'x',
      topology: 'direct',
      duration: '1m',
      faults: [{ at: '1s', fault: { type: 'burst-loss', bad: '1s', badLoss: 2 } }],
    });
    expect(!missing.ok && missing.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'faults.0.fault.badLoss',
      'faults.0.fault.good',
    ]);
  });
});
