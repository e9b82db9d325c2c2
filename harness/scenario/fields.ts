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

/** How a value is shown in an error: strings quoted, everything else by kind. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface TimeOptions extends DurationOptions {
  /** Words accepted instead of a duration (e.g. 'bound'). */
  keywords?: readonly string[];
  description: string;
}

/**
 * A duration field: a string such as "30s" or a plain number (ms, or µs with unit 'us'), normalized
 * to a whole number. Keywords (like 'bound') pass through unchanged.
 */
export function time<const K extends string = never>(options: TimeOptions & { keywords?: readonly K[] }) {
  const keywords = options.keywords ?? [];
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
      try {
        return parseDuration(value, options);
      } catch (e) {
        ctx.issues.push({ code: 'custom', message: (e as Error).message, input: value });
        return z.NEVER;
      }
    })
    .meta({ description: options.description });
}

export const duration = (description: string) => time({ description });
export const positiveInt = (description: string) => z.number().int().min(1).meta({ description });
export const nonNegativeInt = (description: string) => z.number().int().min(0).meta({ description });

export const sideSchema = z.enum(SIDES as ['client', 'server']);
export const directionSchema = z.enum(DIRECTIONS as ['both', 'client->server', 'server->client']);
export const conventionSchema = z
  .enum(['C1', 'C2'])
  .meta({ description: 'BOUNDS.md drop convention: C1 cut (in-flight bytes lost too) or C2 send-time' });
