/**
 * The arbitraries on their own: configurations are healthy by construction (BOUNDS.md: r + J_u + J_d
 * < T, I + d_u + J < R and I + 2J < R), timelines are well-formed and valid scenarios, and shrinking
 * a timeline removes faults, shortens them and moves them earlier.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientHealthy, serverHealthy } from '../../harness/observe/bounds.ts';
import { arbitraries, caseScenario, type PropertyCase } from '../../harness/property/index.ts';
import { BUSINESS_FRAME_MAX, BUSINESS_FRAME_MIN } from '../../harness/subjects/reference-config.ts';

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

describe('arbitraries.quietCase(): the three flavours, each healthy by construction', () => {
  const worstRtt = (c: PropertyCase) =>
    c.link.up.latency + c.link.down.latency + c.link.up.jitter + c.link.down.jitter;

  it('plain, business and high-rtt cases all come up; T covers the worst round trip, the connect timeout the handshake', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(arbitraries.quietCase(), (c) => {
        const { config } = c;
        const shortest = c.link.up.latency + c.link.down.latency - c.link.up.jitter - c.link.down.jitter;
        seen.add(config.business ? 'business' : shortest > config.interval ? 'high-rtt' : 'plain');
        expect(c.faults).toEqual([]);
        expect(config.pongTimeout).toBeGreaterThan(worstRtt(c));
        expect(config.connectTimeout).toBeGreaterThan(worstRtt(c));
        // A valid scenario (business frame sizes inside the protocol's limits included).
        expect(caseScenario(c, { name: 'quiet' }).config).toEqual(config);
      }),
      { numRuns: 300 },
    );
    expect([...seen].sort()).toEqual(['business', 'high-rtt', 'plain']);
  });

  it('business: R exceeds the longest the server can go without a byte — the pings’ gap or the business messages’ (F4: any byte re-arms it)', () => {
    let relying = 0;
    fc.assert(
      fc.property(arbitraries.quietCase({ flavours: ['business'] }), (c) => {
        const b = c.config.business!;
        expect(b.bytes).toBeGreaterThanOrEqual(BUSINESS_FRAME_MIN);
        expect(b.bytes).toBeLessThanOrEqual(BUSINESS_FRAME_MAX);
        const ping = arbitraries.pingGap(c.config.interval, c.link);
        const business = arbitraries.businessGap(b, c.link);
        expect(c.config.readDeadline).toBeGreaterThan(Math.min(ping, business));
        if (c.config.readDeadline <= ping) relying++;
        // The server's backlog of unhandled messages stays far below its 1 MiB cap.
        if (b.handlerDelay > b.every)
          expect(Math.ceil(c.duration / b.every) * b.bytes).toBeLessThanOrEqual(512 * 1024);
      }),
      { numRuns: 300 },
    );
    // Often the pings alone would not keep the read deadline: only the business messages do.
    expect(relying).toBeGreaterThan(50);
  });

  it('high-rtt: several pings in flight (I below the shortest round trip), every pong still inside T', () => {
    fc.assert(
      fc.property(arbitraries.quietCase({ flavours: ['high-rtt'] }), (c) => {
        const shortest = c.link.up.latency + c.link.down.latency - c.link.up.jitter - c.link.down.jitter;
        expect(c.config.interval).toBeLessThan(shortest);
        expect(c.config.interval).toBeGreaterThanOrEqual(50);
        expect(c.config.pongTimeout).toBeGreaterThan(worstRtt(c));
        const server = serverHealthy({
          interval: c.config.interval,
          readDeadline: c.config.readDeadline,
          up: c.link.up.latency,
          jitter: c.link.up.jitter,
        });
        expect(server.healthy, server.why).toBe(true);
      }),
      { numRuns: 200 },
    );
    expect(() => arbitraries.quietCase({ flavours: [] })).toThrow(/flavours must be a non-empty list/);
  });
});

describe('arbitraries.faultCase(): herds, outages that close the connection, at least N faults', () => {
  it('clients: 2–5 hosts, written to the scenario; one client is the default and leaves no field', () => {
    fc.assert(
      fc.property(arbitraries.faultCase({ clients: { min: 2, max: 5 } }), (c) => {
        expect(c.clients).toBeGreaterThanOrEqual(2);
        expect(c.clients).toBeLessThanOrEqual(5);
        expect(caseScenario(c, { name: 'herd' }).clients).toBe(c.clients);
      }),
      { numRuns: 50 },
    );
    fc.assert(
      fc.property(arbitraries.faultCase(), (c) => c.clients === undefined),
      { numRuns: 50 },
    );
  });

  it('timelines may kill a process on a live OS: its kernel sends RST or FIN (crash close rst/fin)', () => {
    expect(arbitraries.TIMELINE_FAULTS).toEqual(
      expect.arrayContaining(['crash-server-closing', 'crash-client-closing']),
    );
    const closes = new Set<string>();
    fc.assert(
      fc.property(arbitraries.timeline({ duration: 300_000, kinds: ['crash-server-closing'] }), (faults) => {
        for (const f of faults) closes.add((f.fault as { close: string }).close);
      }),
      { numRuns: 100 },
    );
    expect([...closes].sort()).toEqual(['fin', 'rst']);
  });

  it('minFaults: at least that many faults whenever they fit in the run', () => {
    fc.assert(
      fc.property(
        arbitraries.timeline({
          duration: 300_000,
          minFaults: 2,
          maxFaults: 4,
          length: { min: 1000, max: 100_000 },
          gap: { min: 0, max: 60_000 },
        }),
        (faults) => faults.length >= 2 || faults.at(-1)?.until === undefined,
      ),
      { numRuns: 200 },
    );
    expect(() => arbitraries.timeline({ duration: 1000, minFaults: 4, maxFaults: 3 })).toThrow(/minFaults/);
  });
});
