import { describe, expect, it } from 'vitest';
import { AdaptiveInterval } from '../../impl/adaptive.ts';
import { resolveAdaptive } from '../../impl/config.ts';
import { HealthTracker } from '../../impl/health.ts';

describe('F11 health state machine (HEALTHY / SUSPECT / DISCONNECTED)', () => {
  it('goes SUSPECT after 2 consecutive misses and DISCONNECTED at the F12 threshold of 3', () => {
    const h = new HealthTracker(2, 3);
    expect(h.miss()).toEqual({ misses: 1, state: 'HEALTHY', becameSuspect: false, dead: false });
    expect(h.miss()).toEqual({ misses: 2, state: 'SUSPECT', becameSuspect: true, dead: false });
    expect(h.miss()).toEqual({ misses: 3, state: 'DISCONNECTED', becameSuspect: false, dead: true });
    expect(h.state).toBe('DISCONNECTED');
  });

  it('returns to HEALTHY on a pong in time and restarts the count', () => {
    const h = new HealthTracker(2, 3);
    h.miss();
    h.miss();
    expect(h.answered()).toBe(true);
    expect(h.state).toBe('HEALTHY');
    expect(h.miss().misses).toBe(1);
  });

  it('F12: misses separated by a pong are not consecutive', () => {
    const h = new HealthTracker(2, 3);
    for (let i = 0; i < 10; i++) {
      expect(h.miss().dead).toBe(false);
      expect(h.miss().dead).toBe(false);
      h.answered();
    }
  });

  it('with suspectAfter = missThreshold goes straight to DISCONNECTED', () => {
    const h = new HealthTracker(1, 1);
    expect(h.miss()).toMatchObject({ dead: true, becameSuspect: false });
  });

  it('DISCONNECTED is final', () => {
    const h = new HealthTracker(2, 3);
    expect(h.disconnect()).toBe(true);
    expect(h.answered()).toBe(false);
    expect(h.miss().dead).toBe(false);
    expect(h.disconnect()).toBe(false);
  });

  it('rejects suspectAfter above the threshold', () => {
    expect(() => new HealthTracker(4, 3)).toThrow(/suspectAfter/);
  });
});

describe('F14 adaptive interval from a load signal', () => {
  it('busy → 1 s, idle → 5 s, with hysteresis between the thresholds', () => {
    const a = new AdaptiveInterval(resolveAdaptive({ enabled: true }));
    expect(a.interval).toBe(5_000);
    expect(a.update(0.5)).toBe(5_000);
    expect(a.update(0.7)).toBe(1_000);
    expect(a.update(0.5)).toBe(1_000);
    expect(a.update(0.3)).toBe(5_000);
  });

  it('rejects a non-finite load', () => {
    const a = new AdaptiveInterval(resolveAdaptive({}));
    expect(() => a.update(Number.NaN)).toThrow(/load signal/);
  });
});
