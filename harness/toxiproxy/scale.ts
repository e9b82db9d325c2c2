/**
 * Scenario time ↔ real time on the toxiproxy backend. A scenario is written in scenario
 * milliseconds; with timeScale s, one scenario ms lasts s real ms (s = 0.01: a 30 s heartbeat
 * interval runs every 300 ms). Toxic attributes that are durations are multiplied by s before they
 * reach Toxiproxy; bandwidth is divided by s, so the bytes that pass per scenario second stay the
 * same. Toxiproxy takes integers: a non-zero value never rounds to 0 (0 means "never" for timeout),
 * so the resolution is 1 real ms = 1/s scenario ms.
 */
import type { ToxicType } from '../toxics/vocabulary.ts';

/** Attributes that are durations: latency, jitter, delay (ms, or µs for slicer), timeout. */
const DURATIONS: Readonly<Partial<Record<ToxicType, readonly string[]>>> = {
  latency: ['latency', 'jitter'],
  slow_close: ['delay'],
  timeout: ['timeout'],
  reset_peer: ['timeout'],
  slicer: ['delay'],
};

/** Attributes that are per-time rates. */
const RATES: Readonly<Partial<Record<ToxicType, readonly string[]>>> = {
  bandwidth: ['rate'],
};

export function checkTimeScale(timeScale: number): number {
  if (typeof timeScale !== 'number' || !Number.isFinite(timeScale) || timeScale <= 0) {
    throw new RangeError(`timeScale must be a finite number > 0, got ${JSON.stringify(timeScale)}`);
  }
  return timeScale;
}

function roundNonZero(value: number): number {
  return value === 0 ? 0 : Math.max(1, Math.round(value));
}

function convert(
  type: ToxicType,
  attributes: Record<string, number>,
  durationFactor: number,
): Record<string, number> {
  const durations = DURATIONS[type] ?? [];
  const rates = RATES[type] ?? [];
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(attributes)) {
    if (durations.includes(key)) out[key] = roundNonZero(value * durationFactor);
    else if (rates.includes(key)) out[key] = roundNonZero(value / durationFactor);
    else out[key] = value;
  }
  return out;
}

/** Scenario attributes → what Toxiproxy gets. Only the keys present are converted. */
export function toRealAttributes(
  type: ToxicType,
  attributes: Record<string, number>,
  timeScale: number,
): Record<string, number> {
  return convert(type, attributes, timeScale);
}

/** Toxiproxy's attributes → scenario units (rounded; see ToxicLedger for exact round trips). */
export function toScenarioAttributes(
  type: ToxicType,
  attributes: Record<string, number>,
  timeScale: number,
): Record<string, number> {
  return convert(type, attributes, 1 / timeScale);
}

/** Real milliseconds for a scenario duration. */
export function toRealMs(ms: number, timeScale: number): number {
  return ms * timeScale;
}

function sameAttributes(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}

/**
 * Remembers the scenario values behind each toxic we wrote, so reading it back returns exactly what
 * was set (1234 ms at s = 0.01 is sent as 12 ms, which alone would read back as 1200). A toxic
 * changed behind our back reads as its converted real values.
 */
export class ToxicLedger {
  private readonly written = new Map<
    string,
    { real: Record<string, number>; scenario: Record<string, number> }
  >();

  constructor(private readonly timeScale: number) {}

  record(name: string, real: Record<string, number>, scenario: Record<string, number>): void {
    this.written.set(name, { real: { ...real }, scenario: { ...scenario } });
  }

  forget(name: string): void {
    this.written.delete(name);
  }

  clear(): void {
    this.written.clear();
  }

  read(name: string, type: ToxicType, real: Record<string, number>): Record<string, number> {
    const entry = this.written.get(name);
    if (entry && sameAttributes(entry.real, real)) return { ...entry.scenario };
    return toScenarioAttributes(type, real, this.timeScale);
  }
}
