/**
 * Reconnect backoff as a sweep axis value. On the command line: `policy[:base[:cap[:multiplier[:jitter]]]]`
 * (`seed`, `seed:500ms:30s`, `grpc:1s:2m:1.6:0.2`, `full:1s:1m:2`); in a sweep file the same string or
 * the scenario's `config.backoff` mapping. Validation and per-policy defaults are the scenario
 * schema's own (referenceConfigSchema), so a backoff means the same thing in both places.
 */
import type { SweepBackoff } from '../result.ts';
import { formatDuration } from '../scenario/duration.ts';
import { didYouMean, friendlyIssues } from '../scenario/issues.ts';
import { BACKOFF_POLICIES, type BackoffConfig, referenceConfigSchema } from '../subjects/reference-config.ts';
import { ValueError } from './errors.ts';

/** BOUNDS.md calls the gRPC variant "symmetric jitter"; the scenario schema calls it grpc. */
const ALIASES: Record<string, string> = { symmetric: 'grpc' };

const FIELDS = ['base', 'cap', 'multiplier', 'jitter'] as const;

function validate(input: Record<string, unknown>): SweepBackoff {
  const parsed = referenceConfigSchema.safeParse({ backoff: input }, { reportInput: true });
  if (!parsed.success) {
    const issues = friendlyIssues(
      parsed.error.issues.map((zi) => ({
        path: zi.path as (string | number)[],
        message: zi.message,
        zod: zi,
      })),
      { config: { backoff: input } },
    );
    throw new ValueError(
      issues.map((i) => `${i.path.slice(1).join('.') || 'backoff'}: ${i.message}`).join('; '),
    );
  }
  return fromConfig(parsed.data.backoff);
}

export function fromConfig(b: BackoffConfig): SweepBackoff {
  return { base: b.base, cap: b.cap, multiplier: b.multiplier, jitter: b.jitter, variant: b.policy };
}

/** The scenario-schema form of a sweep backoff (no maxAttempts: a sweep never gives up). */
export function toConfig(b: SweepBackoff): BackoffConfig {
  return {
    policy: b.variant as BackoffConfig['policy'],
    base: b.base,
    cap: b.cap,
    multiplier: b.multiplier,
    jitter: b.jitter,
  };
}

function policyOf(word: unknown): string {
  const w = String(word ?? '')
    .trim()
    .toLowerCase();
  const name = ALIASES[w] ?? w;
  if (!(BACKOFF_POLICIES as readonly string[]).includes(name)) {
    const guess = didYouMean(w, [...BACKOFF_POLICIES, ...Object.keys(ALIASES)]);
    throw new ValueError(
      `unknown backoff policy "${w}"${guess ? ` (did you mean "${guess}"?)` : ''}: use ${BACKOFF_POLICIES.join(', ')}`,
    );
  }
  return name;
}

/** `policy[:base[:cap[:multiplier[:jitter]]]]`. Throws ValueError. */
export function parseBackoff(text: string): SweepBackoff {
  const parts = text.trim().split(':');
  if (parts.length > 5) {
    throw new ValueError(
      `"${text}": expected policy[:base[:cap[:multiplier[:jitter]]]], got ${parts.length} parts`,
    );
  }
  const input: Record<string, unknown> = { policy: policyOf(parts[0]) };
  parts.slice(1).forEach((p, i) => {
    const key = FIELDS[i]!;
    if (p.trim() === '') return;
    input[key] = key === 'multiplier' ? Number(p) : p.trim();
  });
  if (typeof input.multiplier === 'number' && Number.isNaN(input.multiplier)) {
    throw new ValueError(`"${text}": the multiplier must be a number, got "${parts[3]}"`);
  }
  return validate(input);
}

/** The sweep-file mapping form (the scenario's config.backoff). Throws ValueError. */
export function parseBackoffObject(input: Record<string, unknown>): SweepBackoff {
  const policy = policyOf(input.policy ?? 'seed');
  const rest = Object.fromEntries(Object.entries(input).filter(([k]) => k !== 'policy'));
  if ('maxAttempts' in rest) {
    throw new ValueError(
      'maxAttempts is not a sweep setting: a sweep measures reconnects, so clients never give up',
    );
  }
  return validate({ policy, ...rest });
}

/** Canonical flag form, e.g. `seed:1s:1m:2:1s`, `grpc:1s:2m:1.6:0.2`, `full:1s:1m:2`. */
export function formatBackoff(b: SweepBackoff): string {
  const head = `${b.variant}:${formatDuration(b.base)}:${formatDuration(b.cap)}:${b.multiplier}`;
  if (b.variant === 'seed') return `${head}:${formatDuration(b.jitter)}`;
  if (b.variant === 'grpc') return `${head}:${b.jitter}`;
  return head;
}

/** Human form: `seed 1s→1m ×2 +0–1s`, `grpc 1s→2m ×1.6 ±20%`, `full 1s→1m ×2`. */
export function describeBackoff(b: SweepBackoff): string {
  const head = `${b.variant} ${formatDuration(b.base)}→${formatDuration(b.cap)} ×${b.multiplier}`;
  if (b.variant === 'seed') return b.jitter > 0 ? `${head} +0–${formatDuration(b.jitter)}` : head;
  if (b.variant === 'grpc') return `${head} ±${Math.round(b.jitter * 1000) / 10}%`;
  return head;
}
