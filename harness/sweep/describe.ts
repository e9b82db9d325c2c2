/** Short human forms of sweep configurations, shared by the recommendation and the text summary. */
import type { SweepConfig } from '../result.ts';
import { formatDuration } from '../scenario/duration.ts';
import { describeBackoff } from './backoff.ts';

/** Canonical identity of a configuration (every field, backoff included). */
export function configKey(c: SweepConfig): string {
  const b = c.backoff;
  return [
    c.interval,
    c.pongTimeout,
    c.readDeadline,
    c.missThreshold,
    b.base,
    b.cap,
    b.multiplier,
    b.jitter,
    b.variant,
  ].join('|');
}

/** Both present and the same configuration. */
export function sameConfig(a: SweepConfig | undefined, b: SweepConfig | undefined): boolean {
  return a !== undefined && b !== undefined && configKey(a) === configKey(b);
}

/** "I 10s · T 3s · R 15s · N 1 · seed 1s→1m ×2 +0–1s" */
export function describeConfig(c: SweepConfig): string {
  return `I ${formatDuration(c.interval)} · T ${formatDuration(c.pongTimeout)} · R ${formatDuration(c.readDeadline)} · N ${c.missThreshold} · ${describeBackoff(c.backoff)}`;
}

/** Heartbeat messages per connection-hour the configuration sends by design: a ping and its pong per I. */
export function nominalMessagesPerHour(c: SweepConfig): number {
  return Math.round((2 * 3_600_000) / c.interval);
}

/** A duration for people: whole ms in the shortest form (real-network runs measure fractions). */
export function fmtMs(ms: number): string {
  return formatDuration(Math.round(ms));
}

export function fmtNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Number.isInteger(x) ? String(x) : String(Math.round(x * 1000) / 1000);
}
