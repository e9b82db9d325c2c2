/**
 * What each generated fault must produce, in exact numbers for one configuration: I = 5000, N = 2,
 * d_u = 10, d_d = 20 (r = 30), no jitter, T = 2030, R = 8010. BOUNDS.md client black-hole
 * [T − ρ, T − ρ + I) + (N−1)·I with ρ per fault; server read deadline [R − G, R) (C1) or
 * [R − G + d_u, R + d_u) (C2) with G = I + d_u; a side that hears the other's FIN one leg later.
 */
import { describe, expect, it } from 'vitest';
import type { Fault } from '../../harness/faults/registry.ts';
import {
  convergenceBound,
  expectedDetections,
  hammeringBound,
  type PropertyCase,
} from '../../harness/property/index.ts';
import type { FaultEntry } from '../../harness/scenario/schema.ts';
import { REFERENCE_DEFAULTS } from '../../harness/subjects/reference-config.ts';

const c: PropertyCase = {
  config: {
    ...REFERENCE_DEFAULTS,
    interval: 5000,
    pongTimeout: 2030,
    readDeadline: 8010,
    missThreshold: 2,
    keepalive: false,
    connectTimeout: 2000,
    backoff: { policy: 'seed', base: 500, cap: 5000, multiplier: 2, jitter: 0 },
  },
  link: { up: { latency: 10, jitter: 0 }, down: { latency: 20, jitter: 0 } },
  faults: [],
  duration: 300_000,
  seed: 1,
};

const entry = (fault: Fault): FaultEntry => ({ id: 'f', at: 60_000, until: 120_000, fault });
const partition = (
  direction: 'both' | 'client->server' | 'server->client',
  convention: 'C1' | 'C2',
): Fault => ({
  type: 'partition',
  direction,
  mode: 'drop',
  convention,
});
const bounds = (f: Fault) =>
  Object.fromEntries(expectedDetections(c, entry(f)).map((e) => [e.side, [e.bound.min, e.bound.max]]));

describe('expected detections (BOUNDS.md black-hole and read-deadline bounds, per fault)', () => {
  it('partition both ways, C1: client ρ = r = 30 → [7000, 12000); server [R − G, R) = [3000, 8010)', () => {
    expect(bounds(partition('both', 'C1'))).toEqual({ client: [7000, 11_999], server: [3000, 8009] });
  });

  it('partition both ways, C2: client ρ = d_u = 10 → [7020, 12020); server [R − G + d_u, R + d_u) = [3010, 8020)', () => {
    expect(bounds(partition('both', 'C2'))).toEqual({ client: [7020, 12_019], server: [3010, 8019] });
  });

  it('partition client→server: the server times out; the client hears its FIN d_d later, before its own heartbeat', () => {
    expect(bounds(partition('client->server', 'C1'))).toEqual({ server: [3000, 8009], client: [3020, 8029] });
    expect(bounds(partition('client->server', 'C2'))).toEqual({ server: [3010, 8019], client: [3030, 8039] });
  });

  it('partition server→client: the client times out (C1 ρ = r, C2 ρ = d_u); the server hears its FIN d_u later', () => {
    expect(bounds(partition('server->client', 'C1'))).toEqual({
      client: [7000, 11_999],
      server: [7010, 12_009],
    });
    expect(bounds(partition('server->client', 'C2'))).toEqual({
      client: [7020, 12_019],
      server: [7030, 12_029],
    });
  });

  it('crash: the survivor detects (server crash: ρ = d_u for the client; client crash: C2 read deadline for the server)', () => {
    expect(bounds({ type: 'crash', host: 'server', close: 'none', convention: 'C1' })).toEqual({
      client: [7020, 12_019],
    });
    expect(bounds({ type: 'crash', host: 'client', close: 'none', convention: 'C1' })).toEqual({
      server: [3010, 8019],
    });
  });

  it('jitter widens the client bound by the spread of ρ', () => {
    const jittery: PropertyCase = {
      ...c,
      link: { up: { latency: 10, jitter: 4 }, down: { latency: 20, jitter: 6 } },
    };
    const [client] = expectedDetections(jittery, entry(partition('both', 'C1')));
    expect([client!.bound.min, client!.bound.max]).toEqual([7000 - 10, 11_999 + 10]);
  });
});

describe('convergence and no-hammering bounds for the same case', () => {
  it('convergence ≤ A_max + W_cap + H = 2000 + 5000 + 30', () => {
    expect(convergenceBound(c).max).toBe(7030);
    expect(convergenceBound(c).min).toBe(0);
  });

  it('no hammering over 60 s with black-holed attempts (A_min = connect timeout 2000): waits 500, 1000, 2000, 4000, 5000…', () => {
    // Σ(A + w): 2500, 5500, 9500, 15 500, 22 500, 29 500, 36 500, 43 500, 50 500, 57 500 ≤ 60 000
    // → 10 completed, and an 11th may have started.
    expect(hammeringBound(c, 60_000).max).toBe(11);
  });
});
