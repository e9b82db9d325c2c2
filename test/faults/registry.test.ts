/**
 * Every fault kind of the registry, through every place that iterates over it: the schema takes its
 * example, serialization gives it back, the JSON Schema for editors lists it, the builder has it, the
 * simulator runs it (and the run's trace shows it acted), the real backend refuses exactly the kinds
 * placed on the direct topology, and a kind that kills the path yields a detection bound. A kind that
 * forgets one of these fails here, not in a user's run.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { detectionBound } from '../../harness/faults/bounds.ts';
import { FAULT_KINDS, faultClass, kindOf } from '../../harness/faults/registry.ts';
import { faults } from '../../harness/scenario/builder.ts';
import { runScenario, unrunnableFaults } from '../../harness/scenario/runner.ts';
import { parseScenario, type Scenario } from '../../harness/scenario/schema.ts';
import { scenarioToInput } from '../../harness/scenario/serialize.ts';
import { createSimBackend } from '../../harness/sim/backend.ts';
import type { ReferenceConfig } from '../../harness/subjects/reference-config.ts';

function withFault(fault: Record<string, unknown> | undefined, topology: 'proxy' | 'direct'): Scenario {
  const parsed = parseScenario({
    name: 'registry',
    topology: { kind: topology, latency: '5ms' },
    duration: '90s',
    config: { interval: '5s', pongTimeout: '2s', readDeadline: '12s', backoff: { base: '1s', cap: '4s' } },
    faults: fault ? [{ id: 'f', at: '20s', until: '50s', fault }] : [],
  });
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'));
  return parsed.scenario;
}

async function run(s: Scenario) {
  const backend = createSimBackend({ seed: 9 });
  try {
    return await runScenario(s, { backend: 'sim', backendInstance: backend, seed: 9 });
  } finally {
    await backend.close();
  }
}

const schemaJson = readFileSync(new URL('../../scenarios/scenario.schema.json', import.meta.url), 'utf8');
const types = FAULT_KINDS.map((k) => k.type);

describe('the fault registry: every kind, everywhere', () => {
  it('has each type once, and kindOf names the known types when asked for an unknown one', () => {
    expect(new Set(types).size).toBe(types.length);
    expect(() => kindOf('packet_loss')).toThrow(
      /unknown fault type "packet_loss" \(known: latency, .*burst-loss\)/,
    );
  });

  it.each(types)('%s: its example parses, round-trips, is in the JSON Schema and has a builder', (type) => {
    const kind = kindOf(type);
    const s = withFault(kind.example, kind.placement);
    expect(s.faults[0]!.fault.type).toBe(type);
    const back = parseScenario(scenarioToInput(s, { readable: true }));
    expect(back.ok && back.scenario).toEqual(s);
    expect(schemaJson).toContain(`"const": "${type}"`);
    const { type: _, ...options } = kind.example;
    const built = (faults as unknown as Record<string, (o: object) => { type: string }>)[
      type.replace(/[-_]([a-z])/g, (_m, c: string) => c.toUpperCase())
    ]!(options);
    expect(built).toEqual(kind.example);
  });

  it.each(types)(
    '%s: runs on the simulator, leaves its mark on the trace, and tears down clean',
    async (type) => {
      const kind = kindOf(type);
      const s = withFault(kind.example, kind.placement);
      const result = await run(s);
      const quiet = await run(withFault(undefined, kind.placement));
      expect(result.traceHash).not.toBe(quiet.traceHash);
      expect(result.faults).toEqual([expect.objectContaining({ id: 'f', type, at: 20_000, until: 50_000 })]);
      expect(result.expectations.filter((e) => e.name === 'clean teardown')).toEqual([]);
    },
  );

  it.each(types)(
    '%s: the real backend refuses it exactly when it is placed on the direct topology',
    (type) => {
      const kind = kindOf(type);
      const refused = unrunnableFaults(withFault(kind.example, kind.placement), 'toxiproxy');
      if (kind.placement === 'proxy') expect(refused).toEqual([]);
      else
        expect(refused).toEqual([
          expect.stringMatching(
            new RegExp(`^fault "f" \\(${type}\\) cannot run on the toxiproxy backend: .*--backend sim`),
          ),
        ]);
      expect(unrunnableFaults(withFault(kind.example, kind.placement), 'sim')).toEqual([]);
    },
  );

  it.each(types)('%s: a kind that kills the path gives some side a detection bound', (type) => {
    const kind = kindOf(type);
    const s = withFault(kind.example, kind.placement);
    const entry = s.faults[0]!;
    const c = {
      config: s.config as ReferenceConfig,
      link: s.topology.link,
      remaining: s.duration - entry.at,
    };
    const bounds = (['client', 'server'] as const).map((side) => detectionBound(entry, side, c));
    if (faultClass(entry) === 'dead') {
      expect(bounds.some((b) => b !== undefined)).toBe(true);
      for (const b of bounds) if (b) expect(b.min).toBeLessThanOrEqual(b.max);
    } else expect(bounds).toEqual([undefined, undefined]);
  });
});
