/**
 * F14: picks the ping interval from a load signal the owner provides (0 = idle … 1 = saturated).
 * Busy (load ≥ busyAbove) → busyInterval; idle (load ≤ idleBelow) → idleInterval; in between the
 * current choice stays (hysteresis, so a load hovering at one threshold does not flap the interval).
 */
import type { AdaptiveSettings } from './config.ts';

export type LoadSignal = () => number;
export type LoadLevel = 'busy' | 'idle';

export class AdaptiveInterval {
  private _level: LoadLevel = 'idle';

  constructor(readonly settings: AdaptiveSettings) {}

  get level(): LoadLevel {
    return this._level;
  }

  get interval(): number {
    return this._level === 'busy' ? this.settings.busyInterval : this.settings.idleInterval;
  }

  /** Feeds one load sample; returns the interval to use from now on. Throws on a non-finite load. */
  update(load: number): number {
    if (typeof load !== 'number' || !Number.isFinite(load)) {
      throw new RangeError(
        `adaptive interval: load signal returned ${String(load)}, expected a number in [0, 1]`,
      );
    }
    if (load >= this.settings.busyAbove) this._level = 'busy';
    else if (load <= this.settings.idleBelow) this._level = 'idle';
    return this.interval;
  }
}
