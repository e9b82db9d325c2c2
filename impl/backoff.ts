/**
 * F13: reconnect backoff policies, as tabulated in BOUNDS.md ("Reconnect convergence").
 * Nominal wait β_n = min(c, b·mⁿ), rounded to integer ms; n = 0 for the first reconnect.
 * Randomness comes from the caller (the Runtime's seeded `random()`), never Math.random.
 */
import type { BackoffSettings } from './config.ts';

export interface WaitRange {
  min: number;
  max: number;
}

/** Pluggable: pass any object of this shape as HeartbeatClient's `backoffPolicy`. */
export interface BackoffPolicy {
  readonly name: string;
  /** Integer ms to wait before reconnect attempt `attempt` (0-based since the last success). */
  next(attempt: number, random: () => number): number;
  /** The closed range `next(attempt)` can return in the policy's current state. */
  range(attempt: number): WaitRange;
  /** Called when a connection is established again. */
  reset(): void;
}

/** β_n = min(c, b·mⁿ), exact (not rounded): the bounds in BOUNDS.md are stated on it. */
export function nominalWait(
  settings: Pick<BackoffSettings, 'base' | 'cap' | 'multiplier'>,
  attempt: number,
): number {
  return Math.min(settings.cap, settings.base * settings.multiplier ** attempt);
}

/**
 * Integer ms inside the real interval [lo, hi]: waits are timer delays, so they are whole ms, and
 * they must never leave the interval the bounds module checks them against.
 */
function integerWithin(value: number, lo: number, hi: number): number {
  const min = Math.ceil(lo);
  const max = Math.floor(hi);
  if (min > max) return Math.round(value); // the interval holds no integer (width < 1 ms)
  return Math.min(max, Math.max(min, Math.round(value)));
}

function integerRange(lo: number, hi: number): WaitRange {
  const min = Math.ceil(lo);
  const max = Math.floor(hi);
  return min > max ? { min: Math.round(lo), max: Math.round(lo) } : { min, max };
}

export function createBackoff(settings: BackoffSettings): BackoffPolicy {
  switch (settings.policy) {
    case 'seed':
      return seedBackoff(settings);
    case 'full':
      return fullJitterBackoff(settings);
    case 'equal':
      return equalJitterBackoff(settings);
    case 'decorrelated':
      return decorrelatedBackoff(settings);
    case 'grpc':
      return grpcBackoff(settings);
  }
}

/** Builds a stateless policy from its real interval [lo(β_n), hi(β_n)] and a draw inside it. */
function stateless(
  name: string,
  s: BackoffSettings,
  interval: (beta: number) => [number, number],
  draw: (beta: number, r: number) => number,
): BackoffPolicy {
  return {
    name,
    next: (n, random) => {
      const beta = nominalWait(s, n);
      const [lo, hi] = interval(beta);
      return integerWithin(draw(beta, random()), lo, hi);
    },
    range: (n) => integerRange(...interval(nominalWait(s, n))),
    reset() {},
  };
}

/** The seed formula: min(b·2ⁿ, c) + uniform(0, J) → [β_n, β_n + J]. */
export function seedBackoff(s: BackoffSettings): BackoffPolicy {
  return stateless(
    'seed',
    s,
    (beta) => [beta, beta + s.jitter],
    (beta, r) => beta + r * s.jitter,
  );
}

/** Full jitter: uniform(0, β_n) → [0, β_n]. */
export function fullJitterBackoff(s: BackoffSettings): BackoffPolicy {
  return stateless(
    'full',
    s,
    (beta) => [0, beta],
    (beta, r) => r * beta,
  );
}

/** Equal jitter: β_n/2 + uniform(0, β_n/2) → [β_n/2, β_n]. */
export function equalJitterBackoff(s: BackoffSettings): BackoffPolicy {
  return stateless(
    'equal',
    s,
    (beta) => [beta / 2, beta],
    (beta, r) => beta / 2 + (r * beta) / 2,
  );
}

/** gRPC connection backoff: β_n·(1 ± j), uniform → [β_n(1−j), β_n(1+j)]. */
export function grpcBackoff(s: BackoffSettings): BackoffPolicy {
  const j = s.jitterFraction;
  return stateless(
    'grpc',
    s,
    (beta) => [beta * (1 - j), beta * (1 + j)],
    (beta, r) => beta * (1 + j * (2 * r - 1)),
  );
}

/**
 * Decorrelated jitter: w_n = min(c, uniform(b, m·w_{n−1})), w_{−1} = b, m = 3 by default
 * → [b, min(c, m·w_{n−1})]. Stateful: the previous wait is remembered until reset().
 */
export function decorrelatedBackoff(s: BackoffSettings): BackoffPolicy {
  let previous = s.base;
  const interval = (): [number, number] => [
    Math.min(s.base, s.cap),
    Math.min(s.cap, Math.max(s.base, s.multiplier * previous)),
  ];
  return {
    name: 'decorrelated',
    next: (_n, random) => {
      const [lo, hi] = interval();
      previous = integerWithin(lo + random() * (hi - lo), lo, hi);
      return previous;
    },
    range: () => integerRange(...interval()),
    reset() {
      previous = s.base;
    },
  };
}
