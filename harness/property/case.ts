/**
 * One generated test case of a property: the subject's settings, the wire, the fault timeline, the
 * run's length and its seed — everything that, with a Subject, determines a simulator run. A case is
 * a normalized Scenario in all but name, so a failing one can be written out as a scenario file.
 */

import { describeFault } from '../faults/registry.ts';
import type { FaultEntry, Scenario } from '../scenario/schema.ts';
import { parseScenario } from '../scenario/schema.ts';
import { scenarioToInput } from '../scenario/serialize.ts';
import type { LinkLeg } from '../scenario/topology.ts';
import type { ReferenceConfig } from '../subjects/reference-config.ts';

/** The wire between client and server: up = client→server, down = server→client. */
export interface Link {
  up: LinkLeg;
  down: LinkLeg;
}

/** A heartbeat configuration and the wire it runs on, healthy before any fault (BOUNDS.md). */
export interface Setup {
  config: ReferenceConfig;
  link: Link;
}

export interface PropertyCase extends Setup {
  /** Non-overlapping, in time order, every one healed (`until` set) or lasting to the end. */
  faults: FaultEntry[];
  /** Length of the run, ms. */
  duration: number;
  /** Seed of the simulator. */
  seed: number;
  /** Where the faults act: direct (default; the simulator's host and wire faults) or through the proxy. */
  topology?: 'direct' | 'proxy';
  /** Clients, each on its own host with its own seeded randomness (default 1). */
  clients?: number;
}

/** A generated case the scenario schema rejects: a bug in the generator, not in the subject. */
export class CaseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaseError';
  }
}

export interface CaseScenarioOptions {
  name: string;
  description?: string;
  expect?: Scenario['expect'];
}

/**
 * The case as a validated Scenario (its topology and clients, the reference config vocabulary):
 * it goes through the same schema and cross-field checks as a scenario file, so what is written out
 * loads back to the same run.
 */
export function caseScenario(c: PropertyCase, options: CaseScenarioOptions): Scenario {
  const draft: Scenario = {
    name: options.name,
    description: options.description ?? '',
    subject: 'reference',
    config: c.config,
    topology: { kind: c.topology ?? 'direct', link: c.link },
    duration: c.duration,
    clients: c.clients ?? 1,
    seed: c.seed,
    faults: c.faults,
    expect: options.expect ?? [],
  };
  const parsed = parseScenario(scenarioToInput(draft));
  if (!parsed.ok) {
    const issues = parsed.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new CaseError(`generated case "${options.name}" is not a valid scenario: ${issues}`);
  }
  return parsed.scenario;
}

export { describeFault };

/** One line per case: the knobs that matter for the bounds, the wire and the timeline. */
export function describeCase(c: PropertyCase): string {
  const k = c.config;
  const b = k.backoff;
  const leg = (l: LinkLeg) => `${l.latency}±${l.jitter}`;
  const business = k.business;
  return [
    `I=${k.interval} T=${k.pongTimeout} R=${k.readDeadline} N=${k.missThreshold} connectTimeout=${k.connectTimeout}`,
    `backoff ${b.policy} b=${b.base} c=${b.cap} m=${b.multiplier} j=${b.jitter}`,
    `link up ${leg(c.link.up)} down ${leg(c.link.down)} ms`,
    ...((c.clients ?? 1) > 1 ? [`${c.clients} clients`] : []),
    ...(business
      ? [`business ${business.bytes} B every ${business.every} ms, handler ${business.handlerDelay} ms`]
      : []),
    `duration ${c.duration} ms, seed ${c.seed}`,
    c.faults.length ? `faults: ${c.faults.map(describeFault).join('; ')}` : 'no faults',
  ].join('; ');
}
