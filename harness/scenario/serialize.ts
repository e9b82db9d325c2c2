/**
 * Normalized scenario → input form (and YAML), so a scenario built in code or shrunk by a property
 * test can be written out as a file that loads back to the same thing.
 */
import { stringify } from 'yaml';
import { kindOf } from '../faults/registry.ts';
import type { ReferenceConfig } from '../subjects/reference-config.ts';
import { formatDuration } from './duration.ts';
import type { ExpectationInput } from './expectation-schema.ts';
import {
  type FaultEntryInput,
  type FaultInput,
  referenceConfigOf,
  type Scenario,
  type ScenarioInput,
} from './schema.ts';

export interface ToInputOptions {
  /** Write durations as strings ("1m30s") rather than ms numbers. Default false. */
  readable?: boolean;
}

function configInput(c: ReferenceConfig, d: (ms: number) => string | number): Record<string, unknown> {
  const { backoff } = c;
  const b: Record<string, unknown> = {
    policy: backoff.policy,
    base: d(backoff.base),
    cap: d(backoff.cap),
    multiplier: backoff.multiplier,
  };
  if (backoff.policy === 'seed') b.jitter = d(backoff.jitter);
  if (backoff.policy === 'grpc') b.jitter = backoff.jitter;
  if (backoff.maxAttempts !== undefined) b.maxAttempts = backoff.maxAttempts;
  const out: Record<string, unknown> = {
    interval: d(c.interval),
    pongTimeout: d(c.pongTimeout),
    writeDeadline: d(c.writeDeadline),
    readDeadline: d(c.readDeadline),
    keepalive: c.keepalive === false ? false : d(c.keepalive),
    missThreshold: c.missThreshold,
    suspectThreshold: c.suspectThreshold,
    backoff: b,
    connectTimeout: d(c.connectTimeout),
    serverHeartbeat:
      c.serverHeartbeat === false
        ? false
        : { interval: d(c.serverHeartbeat.interval), pongTimeout: d(c.serverHeartbeat.pongTimeout) },
    adaptive:
      c.adaptive === false
        ? false
        : { busyInterval: d(c.adaptive.busyInterval), idleInterval: d(c.adaptive.idleInterval) },
    connectionThresholds: { ...c.connectionThresholds },
  };
  if (c.businessTimeout !== undefined) out.businessTimeout = d(c.businessTimeout);
  if (c.business !== undefined) {
    out.business = {
      every: d(c.business.every),
      bytes: c.business.bytes,
      handlerDelay: d(c.business.handlerDelay),
    };
  }
  if (c.maxConnections !== undefined) out.maxConnections = c.maxConnections;
  return out;
}

/** The input form of a normalized scenario; parseScenario(scenarioToInput(s)) equals s. */
export function scenarioToInput(s: Scenario, options: ToInputOptions = {}): ScenarioInput {
  const d = (ms: number): string | number => (options.readable ? formatDuration(ms) : ms);
  const reference = referenceConfigOf(s);
  const faults: FaultEntryInput[] = s.faults.map((e) => {
    const fault = kindOf(e.fault).toInput(e.fault as never, d);
    const entry: FaultEntryInput = { id: e.id, at: d(e.at), fault: fault as FaultInput };
    if (e.until !== undefined) entry.until = d(e.until);
    return entry;
  });
  const expect = s.expect.map((e) => {
    const out: Record<string, unknown> = { ...e };
    for (const key of ['within', 'tolerance'] as const) {
      if (typeof out[key] === 'number') out[key] = d(out[key] as number);
    }
    return out as ExpectationInput;
  });
  const out: ScenarioInput = {
    name: s.name,
    description: s.description,
    subject: s.subject,
    config: reference ? configInput(reference, d) : structuredClone(s.config as Record<string, unknown>),
    topology: {
      kind: s.topology.kind,
      up: { latency: d(s.topology.link.up.latency), jitter: d(s.topology.link.up.jitter) },
      down: { latency: d(s.topology.link.down.latency), jitter: d(s.topology.link.down.jitter) },
    },
    duration: d(s.duration),
    clients: s.clients,
    faults,
    expect,
  };
  if (s.seed !== undefined) out.seed = s.seed;
  return out;
}

/** YAML for a scenario, headed by the editor's schema modeline. */
export function scenarioToYaml(
  s: Scenario,
  options: ToInputOptions & { schemaPath?: string; comment?: string } = {},
): string {
  const header = [`# yaml-language-server: $schema=${options.schemaPath ?? './scenario.schema.json'}`];
  if (options.comment) header.push(...options.comment.split('\n').map((l) => `# ${l}`.trimEnd()));
  const body = stringify(scenarioToInput(s, { readable: options.readable ?? true }), { lineWidth: 110 });
  return `${header.join('\n')}\n${body}`;
}
