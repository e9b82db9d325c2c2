/**
 * On the toxiproxy backend every detection and reconnect bound is widened by a stated real-network
 * tolerance (REAL_EPSILON_MS real ms, in scenario ms at the run's time scale); the simulator's bounds
 * stay exact.
 */
import { describe, expect, it } from 'vitest';
import { REAL_EPSILON_MS, widenForRealNetwork } from '../../harness/scenario/runner.ts';

describe('real-network tolerance on bounds (toxiproxy backend)', () => {
  it(`widens [5, 5] by ${REAL_EPSILON_MS} real ms at ×0.05 (1000 scenario ms) and re-judges, saying why`, () => {
    const detection = {
      delta: 109,
      bound: { min: 5, max: 5, why: 'proxy disabled: d = 5' },
      withinBound: false,
    };
    const reconnect = { delta: 40, bound: { min: 20, max: 30, why: 'convergence' }, withinBound: false };
    widenForRealNetwork({ detections: [detection], reconnects: [reconnect] }, 0.05);
    expect(detection.bound).toEqual({
      min: 0,
      max: 1005,
      why: `proxy disabled: d = 5 ± ε 1000 (real network: ${REAL_EPSILON_MS} real ms at ×0.05)`,
    });
    expect(detection.withinBound).toBe(true);
    expect(reconnect.bound.max).toBe(1030);
    expect(reconnect.withinBound).toBe(true);
  });

  it('still fails a time beyond the widened bound', () => {
    const detection = { delta: 5000, bound: { min: 5, max: 5, why: 'd' }, withinBound: false };
    widenForRealNetwork({ detections: [detection], reconnects: [] }, 0.05);
    expect(detection.withinBound).toBe(false);
  });
});
