/**
 * What a scenario may expect (the `expect` list): the zod schema of each expectation and its
 * normalized type. harness/scenario/expectations.ts evaluates them against a run.
 */
import { z } from 'zod';
import type { Side } from '../model/index.ts';
import { duration, sideSchema, time } from './fields.ts';

const within = (description: string) => time({ keywords: ['bound'] as const, description });

const reasonSchema = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .optional()
  .meta({
    description:
      'F15 reason(s) that count: fin, reset, heartbeat-timeout, read-deadline, write-deadline, write-error, keepalive, …',
  });
const faultRef = z
  .string()
  .min(1)
  .optional()
  .meta({ description: 'id of the fault this is about (default: every fault)' });

export const expectationInputSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('detect'),
    side: z.enum(['client', 'server', 'both', 'either']).default('either'),
    within: within('"bound" (the BOUNDS.md bound for this fault) or a duration from the onset').default(
      'bound',
    ),
    reason: reasonSchema,
    fault: faultRef,
    tolerance: duration('slack added to the bound or duration (real networks)').default(0),
  }),
  z.strictObject({
    type: z.literal('noFalseDetection'),
    side: z.enum(['client', 'server', 'both']).default('both'),
  }),
  z.strictObject({
    type: z.literal('falseDetection'),
    side: z.enum(['client', 'server', 'either']).default('either'),
    within: duration('from the onset of the fault').optional(),
    fault: faultRef,
  }),
  z.strictObject({
    type: z.literal('reconnect'),
    within: within('"bound" (BOUNDS.md convergence) or a duration from the heal').default('bound'),
    fault: faultRef,
    tolerance: duration('slack added to the bound or duration (real networks)').default(0),
  }),
  z.strictObject({
    type: z.literal('maxAttempts'),
    n: z.union([z.number().int().min(0), z.literal('bound')]).meta({
      description: 'most reconnect attempts during the outage, or "bound" (BOUNDS.md no-hammering)',
    }),
    fault: faultRef,
  }),
  z.strictObject({
    type: z.literal('gaveUp'),
    within: duration('from the onset of the fault').optional(),
    fault: faultRef,
  }),
  z.strictObject({
    type: z.literal('state'),
    side: sideSchema.default('client'),
    state: z
      .enum(['HEALTHY', 'SUSPECT', 'DISCONNECTED'])
      .meta({ description: 'F11 state the side must reach' }),
    within: duration('from the onset of the fault').optional(),
    fault: faultRef,
  }),
  z.strictObject({
    type: z.literal('overhead'),
    side: sideSchema.default('client'),
    messagesPerHour: z
      .number()
      .min(0)
      .optional()
      .meta({ description: 'F20: at most this many heartbeat messages per hour' }),
    bytesPerHour: z
      .number()
      .min(0)
      .optional()
      .meta({ description: 'F20: at most this many heartbeat bytes per hour' }),
  }),
]);

export type ExpectationInput = z.input<typeof expectationInputSchema>;
export type ExpectationParsed = z.output<typeof expectationInputSchema>;

export type Within = number | 'bound';
export interface DetectExpectation {
  type: 'detect';
  side: 'client' | 'server' | 'both' | 'either';
  within: Within;
  reason?: string[];
  fault?: string;
  tolerance: number;
}
export interface NoFalseDetectionExpectation {
  type: 'noFalseDetection';
  side: 'client' | 'server' | 'both';
}
export interface FalseDetectionExpectation {
  type: 'falseDetection';
  side: 'client' | 'server' | 'either';
  within?: number;
  fault?: string;
}
export interface ReconnectExpectation {
  type: 'reconnect';
  within: Within;
  fault?: string;
  tolerance: number;
}
export interface MaxAttemptsExpectation {
  type: 'maxAttempts';
  n: number | 'bound';
  fault?: string;
}
export interface GaveUpExpectation {
  type: 'gaveUp';
  within?: number;
  fault?: string;
}
export interface StateExpectation {
  type: 'state';
  side: Side;
  state: 'HEALTHY' | 'SUSPECT' | 'DISCONNECTED';
  within?: number;
  fault?: string;
}
export interface OverheadExpectation {
  type: 'overhead';
  side: Side;
  messagesPerHour?: number;
  bytesPerHour?: number;
}
export type Expectation =
  | DetectExpectation
  | NoFalseDetectionExpectation
  | FalseDetectionExpectation
  | ReconnectExpectation
  | MaxAttemptsExpectation
  | GaveUpExpectation
  | StateExpectation
  | OverheadExpectation;
export type ExpectationType = Expectation['type'];

export function normalizeExpectation(e: ExpectationParsed): Expectation {
  const out = Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)) as Record<
    string,
    unknown
  >;
  if (e.type === 'detect' && e.reason !== undefined)
    out.reason = typeof e.reason === 'string' ? [e.reason] : e.reason;
  return out as unknown as Expectation;
}
