/**
 * Building blocks of the scenario format shared by every part of it (the scenario, the reference
 * config, each fault kind in harness/faults, expectations): durations with units, counts, the
 * vocabulary enums, and how a wrong value is shown in an error.
 */
import { z } from 'zod';
import { DIRECTIONS, SIDES } from '../model/index.ts';
import {
  DURATION_PATTERN,
  type DurationOptions,
  parseDuration,
  SIGNED_DURATION_PATTERN,
} from './duration.ts';
import { durationLimit, LIMITS } from './limits.ts';
import { firstUnsafeCharacter, hasUnsafeCharacters, printable, quote } from './text.ts';

export { printable, quote };

/** How a value is shown in an error: strings quoted (escaped, cut), everything else by kind. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return printable(String(value), LIMITS.echo);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface TimeOptions extends DurationOptions {
  /** Words accepted instead of a duration (e.g. 'bound'). */
  keywords?: readonly string[];
  description: string;
  /**
   * The largest value, in ms, whatever the unit (default LIMITS.duration, or LIMITS.skew with
   * allowNegative, as a bound on the magnitude).
   */
  maxMs?: number;
}

/**
 * A duration field: a string such as "30s" or a plain number (ms, or µs with unit 'us'), normalized
 * to a whole number. Keywords (like 'bound') pass through unchanged.
 */
export function time<const K extends string = never>(options: TimeOptions & { keywords?: readonly K[] }) {
  const keywords = options.keywords ?? [];
  const maxMs = options.maxMs ?? (options.allowNegative ? LIMITS.skew : LIMITS.duration);
  const base = options.allowNegative ? SIGNED_DURATION_PATTERN : DURATION_PATTERN;
  const pattern = keywords.length ? `^(${keywords.map(escapeRegex).join('|')})$|${base}` : base;
  const unitWord = options.unit === 'us' ? 'µs' : 'ms';
  const expected = `${keywords.length ? `${keywords.map((k) => `"${k}"`).join(' or ')} or ` : ''}a duration like 30s, 500ms, 1m30s or a number of ${unitWord}`;
  return z
    .union(
      [
        z.string().regex(new RegExp(pattern), {
          error: (issue) => {
            // Words near a keyword ("bnd") read better as "expected bound or a duration".
            if (keywords.length && !/\d/.test(String(issue.input))) {
              return `expected ${expected}, got ${showValue(issue.input)}`;
            }
            try {
              parseDuration(issue.input, options);
            } catch (e) {
              return (e as Error).message;
            }
            return `expected ${expected}, got ${showValue(issue.input)}`;
          },
        }),
        options.allowNegative ? z.number() : z.number().min(0),
      ],
      { error: (issue) => `expected ${expected}, got ${showValue(issue.input)}` },
    )
    .transform((value, ctx): number | K => {
      if (typeof value === 'string' && (keywords as readonly string[]).includes(value.trim())) {
        return value.trim() as K;
      }
      let parsed: number;
      try {
        parsed = parseDuration(value, options);
      } catch (e) {
        ctx.issues.push({ code: 'custom', message: (e as Error).message, input: value });
        return z.NEVER;
      }
      if (Math.abs(parsed) > maxMs * (options.unit === 'us' ? 1000 : 1)) {
        ctx.issues.push({
          code: 'custom',
          message: `must be at most ${options.allowNegative ? '±' : ''}${durationLimit(maxMs)}, got ${showValue(value)}`,
          input: value,
        });
        return z.NEVER;
      }
      return parsed;
    })
    .meta({ description: options.description });
}

export const duration = (description: string) => time({ description });
export const positiveInt = (description: string) => z.number().int().min(1).meta({ description });

/**
 * A name people type and messages echo (scenario name, fault id, toxic name): not empty, at most
 * LIMITS.label characters, and without control, invisible or bidi characters, which would make what a
 * terminal shows differ from what is there.
 */
export const label = (description: string) =>
  z
    .string()
    .min(1)
    .max(LIMITS.label, {
      error: (issue) =>
        `at most ${LIMITS.label} characters, got ${String(issue.input).length}: ${showValue(issue.input)}`,
    })
    .refine((s) => !hasUnsafeCharacters(s), {
      error: (issue) => {
        const first = firstUnsafeCharacter(String(issue.input));
        return `must not contain control, invisible or bidi characters (${first?.name ?? 'one'} at index ${first?.index ?? 0}), got ${showValue(issue.input)}`;
      },
    })
    .meta({ description });
export const nonNegativeInt = (description: string) => z.number().int().min(0).meta({ description });

export const sideSchema = z.enum(SIDES as ['client', 'server']);
export const directionSchema = z.enum(DIRECTIONS as ['both', 'client->server', 'server->client']);
export const conventionSchema = z
  .enum(['C1', 'C2'])
  .meta({ description: 'BOUNDS.md drop convention: C1 cut (in-flight bytes lost too) or C2 send-time' });
