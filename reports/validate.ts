/**
 * Structural checks at the renderers' entry points. Results may come from a JSON file written by
 * another version, so a missing or mistyped field is reported with its path (a ReportError
 * 'bad-input') instead of surfacing as a TypeError deep in a renderer. Enumerations are checked
 * loosely: an unknown event kind or fault type renders as it is.
 */
import { z } from 'zod';
import type { ScenarioResult, SweepResult } from '../harness/result.ts';
import { ReportError } from './errors.ts';

/** Numbers, including ±Infinity (an open bound); NaN is rejected. */
const num = z.custom<number>((v) => typeof v === 'number' && !Number.isNaN(v), 'expected a number (not NaN)');
const str = z.string();
const side = z.enum(['client', 'server']);

const bound = z.object({ min: num, max: num, why: str });
const overhead = z.object({ messagesPerHour: num, bytesPerHour: num });
const overheads = z.object({ client: overhead, server: overhead });

const scenarioResult = z.object({
  scenario: str,
  file: str.optional(),
  backend: str,
  seed: num,
  timeScale: num,
  traceHash: str,
  passed: z.boolean(),
  duration: num,
  config: z.record(str, z.unknown()),
  faults: z.array(
    z.object({
      id: str,
      type: str,
      at: num,
      until: num.optional(),
      target: str,
      attributes: z.record(str, z.unknown()),
      convention: z.enum(['C1', 'C2']).optional(),
    }),
  ),
  detections: z.array(
    z.object({
      side,
      conn: str,
      reason: str,
      at: num,
      fault: str,
      delta: num,
      bound,
      withinBound: z.boolean(),
    }),
  ),
  reconnects: z.array(
    z.object({ client: str, at: num, delta: num, attempts: num, bound, withinBound: z.boolean() }),
  ),
  falseDetections: z.array(z.object({ side, conn: str, reason: str, at: num })),
  overhead: overheads,
  expectations: z.array(z.object({ name: str, passed: z.boolean(), detail: str })),
  lanes: z.array(
    z.object({
      conn: str,
      client: str,
      opened: num,
      closed: num.optional(),
      events: z.array(z.object({ t: num, kind: str, side, label: str.optional() })),
    }),
  ),
  replay: str,
  parity: z
    .array(
      z.object({ scenario: str, field: str, sim: str, toxiproxy: str, tolerance: str, agree: z.boolean() }),
    )
    .optional(),
  environment: z.record(str, str),
});

const stats = z.object({ n: num, min: num, median: num, p99: num, max: num });
const config = z.object({
  interval: num,
  pongTimeout: num,
  readDeadline: num,
  missThreshold: num,
  backoff: z.object({ base: num, cap: num, multiplier: num, jitter: num, variant: str }),
});
const cell = z.object({
  config,
  scenario: str,
  latencyProfile: str,
  seeds: z.array(num),
  detection: stats.optional(),
  falseDetectionRate: num,
  mistakeDuration: stats.optional(),
  mistakeRecurrence: stats.optional(),
  queryAccuracy: num.optional(),
  reconnect: stats.optional(),
  overhead: overheads,
  latencyTolerance: z.object({ client: num, server: num }),
  goals: z.array(z.object({ goal: str, met: z.boolean(), why: str })),
  samples: z.object({ detection: z.array(num).optional(), reconnect: z.array(num).optional() }).optional(),
  replay: str.optional(),
});
const sweepResult = z.object({
  name: str,
  backend: str,
  timeScale: num,
  goals: z.array(str),
  seeds: z.array(num),
  cells: z.array(cell),
  recommendation: z.object({
    best: config.optional(),
    runnerUp: config.optional(),
    why: str,
    rejected: z.array(z.object({ config, why: str })),
  }),
  presets: z.array(z.object({ name: str, source: str.optional(), config, cells: z.array(cell) })),
  replay: str,
  environment: z.record(str, str),
});

function check(schema: z.ZodType, value: unknown, what: string): void {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new ReportError('bad-input', `${what} is not valid:\n${z.prettifyError(parsed.error)}`);
  }
}

export function assertScenarioResults(value: unknown, what = 'results'): asserts value is ScenarioResult[] {
  check(z.array(scenarioResult), value, what);
}

export function assertSweepResult(value: unknown, what = 'sweep'): asserts value is SweepResult {
  check(sweepResult, value, what);
}

/** True when the value looks like a sweep rather than a list of runs (used to pick a renderer). */
export function isSweepResult(value: unknown): value is SweepResult {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'cells' in value;
}
