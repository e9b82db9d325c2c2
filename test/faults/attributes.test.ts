/**
 * What a fault needs is checked when the scenario loads, with a file position — not by the proxy or
 * the simulator once the run has started (issue 15: `{type: slicer}` passed validation and failed
 * 15 s into the run). For every kind: the fault with no attributes either fails validation naming
 * each missing attribute, or runs; so do its attributes at their smallest values; and for every
 * toxic, whatever the schema accepts, the proxies' own validation (harness/toxics/vocabulary.ts,
 * shared by the simulated and the real Toxiproxy) accepts too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAULT_KINDS, kindOf } from '../../harness/faults/registry.ts';
import { isToxicFault, toxicInputs } from '../../harness/faults/toxic.ts';
import { formatPath, friendlyIssues } from '../../harness/scenario/issues.ts';
import { runScenario } from '../../harness/scenario/runner.ts';
import { parseScenario, type Scenario } from '../../harness/scenario/schema.ts';
import { createSimBackend } from '../../harness/sim/backend.ts';
import { normalizeToxic, TOXIC_TYPES } from '../../harness/toxics/vocabulary.ts';

function input(fault: Record<string, unknown>) {
  const kind = kindOf(String(fault.type));
  return {
    name: 'attributes',
    topology: { kind: kind.placement, latency: '5ms' },
    duration: '90s',
    config: { interval: '5s', pongTimeout: '2s', readDeadline: '12s', backoff: { base: '1s', cap: '4s' } },
    faults: [{ id: 'f', at: '20s', until: '50s', fault }],
  };
}

function parse(fault: Record<string, unknown>): { scenario?: Scenario; problems: string[] } {
  const raw = input(fault);
  const r = parseScenario(raw);
  if (r.ok) return { scenario: r.scenario, problems: [] };
  return { problems: friendlyIssues(r.issues, raw).map((i) => `${formatPath(i.path)}: ${i.message}`) };
}

async function run(s: Scenario) {
  const backend = createSimBackend({ seed: 3 });
  try {
    return await runScenario(s, { backend: 'sim', backendInstance: backend, seed: 3 });
  } finally {
    await backend.close();
  }
}

/** What each kind needs at least, and its smallest values: what passes must run. */
const REQUIRED: Record<string, string[]> = {
  slicer: ['average_size'],
  crash: ['host'],
  pause: ['host'],
  'clock-skew': ['host', 'offset'],
  nat: ['idleTimeout'],
  loss: ['probability'],
  'burst-loss': ['good', 'bad'],
};
const SMALLEST: Record<string, Record<string, unknown>> = {
  latency: { latency: 0, jitter: 0 },
  bandwidth: { rate: 0 },
  slow_close: { delay: 0 },
  timeout: { timeout: 0 },
  reset_peer: { timeout: 0 },
  slicer: { average_size: 1, size_variation: 0, delay: 0 },
  limit_data: { bytes: 0 },
  noop: { toxicity: 0 },
  'proxy-down': {},
  partition: {},
  crash: { host: 'server' },
  pause: { host: 'client' },
  'clock-skew': { host: 'client', offset: 0 },
  nat: { idleTimeout: 0 },
  loss: { probability: 0, retransmitAfter: 0 },
  'burst-loss': { good: 0, bad: 0, goodLoss: 0, badLoss: 0 },
};

describe('every kind with no attributes fails validation at each missing one, or runs', () => {
  it('the table covers every kind', () => {
    expect(Object.keys(SMALLEST).sort()).toEqual(FAULT_KINDS.map((k) => k.type).sort());
  });

  it.each(FAULT_KINDS.map((k) => k.type))('%s', async (type) => {
    const { scenario, problems } = parse({ type });
    const required = REQUIRED[type] ?? [];
    if (required.length) {
      expect(scenario).toBeUndefined();
      expect(problems.map((p) => p.replace(/: .*/, ''))).toEqual(
        required.map((key) => `faults[0].fault.${key}`),
      );
      for (const p of problems) expect(p).toMatch(/: (required|expected .*got nothing)/);
      return;
    }
    const result = await run(scenario!);
    expect(result.faults).toEqual([expect.objectContaining({ id: 'f', type })]);
  });
});

describe('every kind at its smallest values runs on the simulator', () => {
  it.each(FAULT_KINDS.map((k) => k.type))('%s', async (type) => {
    const { scenario, problems } = parse({ type, ...SMALLEST[type] });
    expect(problems).toEqual([]);
    const result = await run(scenario!);
    expect(result.faults).toEqual([expect.objectContaining({ id: 'f', type })]);
  });
});

describe('what the schema accepts for a toxic, Toxiproxy’s validation accepts', () => {
  const value = fc.oneof(
    fc.integer({ min: 0, max: 20 }),
    fc.integer({ min: 0, max: 2 ** 40 }),
    fc.constantFrom(-1, 0.5, 1e300, Number.MAX_SAFE_INTEGER, '1s', '100ms', '-1s'),
  );
  it('for random attributes of every toxic (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TOXIC_TYPES),
        fc.dictionary(
          fc.constantFrom(
            'average_size',
            'size_variation',
            'delay',
            'latency',
            'jitter',
            'rate',
            'timeout',
            'bytes',
          ),
          value,
        ),
        (type, attrs) => {
          const shape = (kindOf(type).schema as unknown as { shape: Record<string, unknown> }).shape;
          const own = Object.fromEntries(Object.entries(attrs).filter(([k]) => k in shape));
          const { scenario } = parse({ type, ...own });
          if (!scenario) return;
          const fault = scenario.faults[0]!.fault;
          if (!isToxicFault(fault)) throw new Error(`${type} is a toxic`);
          for (const t of toxicInputs(fault)) expect(() => normalizeToxic(t, 'p')).not.toThrow();
        },
      ),
      { numRuns: 400, seed: 15 },
    );
  });
});
