/**
 * The arbitraries on their own: configurations are healthy by construction (BOUNDS.md: r + J_u + J_d
 * < T, I + d_u + J < R and I + 2J < R), timelines are well-formed and valid scenarios, and shrinking
 * a timeline removes faults, shortens them and moves them earlier.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientHealthy, serverHealthy } from '../../harness/observe/bounds.ts';
import { arbitraries, caseScenario, type PropertyCase } from '../../harness/property/index.ts';

describe('arbitraries.config()', () => {
  it('is healthy before any fault: clientHealthy (r + J_u + J_d < T) and serverHealthy (I + d_u + J < R, I + 2J < R)', () => {
    fc.assert(
      fc.property(arbitraries.config(), ({ config, link }) => {
        const client = clientHealthy({
          path: { up: link.up.latency, down: link.down.latency },
          pongTimeout: config.pongTimeout,
          jitterUp: link.up.jitter,
          jitterDown: link.down.jitter,
        });
        const server = serverHealthy({
          interval: config.interval,
          readDeadline: config.readDeadline,
          up: link.up.latency,
          jitter: link.up.jitter,
        });
        expect(client.healthy, client.why).toBe(true);
        expect(server.healthy, server.why).toBe(true);
        expect(config.interval).toBeGreaterThanOrEqual(1000);
        expect(config.interval).toBeLessThanOrEqual(30_000);
        expect(config.suspectThreshold).toBeLessThanOrEqual(config.missThreshold);
        expect(config.backoff.cap).toBeGreaterThanOrEqual(config.backoff.base);
        expect(link.up.jitter).toBeLessThanOrEqual(link.up.latency);
        expect(link.down.jitter).toBeLessThanOrEqual(link.down.latency);
      }),
      { numRuns: 300 },
    );
  });

  it('honours its ranges and rejects impossible ones with a RangeError naming the option', () => {
    fc.assert(
      fc.property(
        arbitraries.config({ interval: { min: 5000, max: 5000 }, missThreshold: { min: 2, max: 2 } }),
        ({ config }) => config.interval === 5000 && config.missThreshold === 2,
      ),
      { numRuns: 50 },
    );
    expect(() => arbitraries.config({ interval: { min: 10, max: 5 } })).toThrow(/interval must be integers/);
    expect(() => arbitraries.config({ backoffPolicies: [] })).toThrow(
      /backoffPolicies must be a non-empty list/,
    );
    expect(() => arbitraries.timeline({ duration: 0 })).toThrow(/duration must be a positive integer/);
    expect(() => arbitraries.timeline({ duration: 1000, kinds: ['meteor' as never] })).toThrow(
      /kinds must be a non-empty list/,
    );
  });
});

describe('arbitraries.timeline()', () => {
  const duration = 300_000;

  it('lays faults out in order, without overlap, inside the run, after the warmup', () => {
    fc.assert(
      fc.property(arbitraries.timeline({ duration, warmup: 5000 }), (faults) => {
        let t = 5000;
        faults.forEach((f, i) => {
          expect(f.at).toBeGreaterThanOrEqual(t);
          expect(f.at).toBeLessThan(duration);
          if (f.until === undefined) expect(i).toBe(faults.length - 1);
          else {
            expect(f.until).toBeGreaterThan(f.at);
            expect(f.until).toBeLessThan(duration);
            t = f.until;
          }
        });
        expect(new Set(faults.map((f) => f.id)).size).toBe(faults.length);
      }),
      { numRuns: 300 },
    );
  });

  it('every generated case is a valid scenario (schema and cross-field checks)', () => {
    fc.assert(
      fc.property(arbitraries.faultCase(), (c: PropertyCase) => {
        const s = caseScenario(c, { name: 'valid' });
        expect(s.faults).toEqual(c.faults);
        expect(s.seed).toBe(c.seed);
      }),
      { numRuns: 100 },
    );
  });

  it('shrinks by removing faults, shortening them and moving them earlier', () => {
    // Fails whenever some fault lasts ≥ 20 s: the minimal counterexample is one fault of exactly
    // 20 s, at the warmup (gap 0), of the first kind.
    const details = fc.check(
      fc.property(arbitraries.timeline({ duration, warmup: 5000 }), (faults) =>
        faults.every((f) => (f.until ?? duration) - f.at < 20_000),
      ),
      { seed: 42, numRuns: 200 },
    );
    expect(details.failed).toBe(true);
    expect(details.counterexample?.[0]).toEqual([
      {
        id: 'partition-1',
        at: 5000,
        until: 25_000,
        fault: { type: 'partition', direction: 'both', mode: 'drop', convention: 'C1' },
      },
    ]);
  });
});
