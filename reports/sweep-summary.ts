/**
 * Per-configuration view of a sweep for the reports: the worst-case summaries are the sweep engine's
 * own (harness/sweep/summary.ts, the numbers the recommendation ranked), plus the short labels the
 * HTML, Markdown and charts put on a configuration. Light on purpose: no chart code, so the Markdown
 * renderer does not load vega.
 */
import type { SweepConfig } from '../harness/result.ts';

export { configKey, sameConfig } from '../harness/sweep/describe.ts';
export {
  type ConfigSummary,
  type FailedGoal,
  summarizeConfig,
  summarizeConfigs,
} from '../harness/sweep/summary.ts';

/** 2500 → "2.5 s". */
export function seconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : Number(s.toFixed(2))} s`;
}

/** Parameters other than interval and pong timeout, as a short label (a heatmap row when they vary). */
export function restKey(c: SweepConfig): string {
  const b = c.backoff;
  return `R ${seconds(c.readDeadline)} · N ${c.missThreshold} · backoff ${seconds(b.base)}→${seconds(b.cap)} ×${b.multiplier} ${b.variant}`;
}

/** "I 5 s · T 2 s", plus the other parameters when `full`. */
export function configLabel(c: SweepConfig, full = false): string {
  const head = `I ${seconds(c.interval)} · T ${seconds(c.pongTimeout)}`;
  return full ? `${head} · ${restKey(c)}` : head;
}
