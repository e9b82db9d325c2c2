/**
 * Issue 15: realistic one-line bugs that once passed every built-in scenario. Each now fails the
 * scenario written for its class, at the virtual instant that scenario's header derives, while the
 * reference passes it (library.test.ts). The broken subjects are the property tests' own
 * (test/property/broken/), so the scenario library and `flatline check all` catch the same bugs.
 */
import { describe, expect, it } from 'vitest';
import type { Subject } from '../../harness/backend.ts';
import type { ScenarioResult } from '../../harness/result.ts';
import { loadScenarioFile } from '../../harness/scenario/loader.ts';
import { runScenario } from '../../harness/scenario/runner.ts';
import { subject as latestPongOnly } from '../property/broken/latest-pong-only.ts';
import { subject as noReconnectAfterReset } from '../property/broken/no-reconnect-after-reset.ts';
import { subject as pingOnlyReadDeadline } from '../property/broken/ping-only-read-deadline.ts';
import { subject as pongBehindBusiness } from '../property/broken/pong-behind-business.ts';
import { subject as stickyBackoff } from '../property/broken/sticky-backoff.ts';

const DIR = new URL('../../scenarios/', import.meta.url);

async function run(name: string, subject: Subject<unknown>): Promise<ScenarioResult> {
  const scenario = await loadScenarioFile(new URL(`${name}.yaml`, DIR).pathname);
  return runScenario(scenario, { backend: 'sim', file: `scenarios/${name}.yaml`, subject: subject as never });
}

/** The failed expectations' names. */
const failed = (r: ScenarioResult) => r.expectations.filter((e) => !e.passed).map((e) => e.name);

describe('the scenario library catches the bugs of issue 15', () => {
  it('business-slow-handler: a read deadline re-armed by pings only drops the healthy connection at accept + R', async () => {
    const r = await run('business-slow-handler', pingOnlyReadDeadline);
    expect(r.passed).toBe(false);
    // Accepted at 15 ms; the hello and the business bytes do not re-arm R = 4 s; no ping before 10 s.
    expect(r.falseDetections[0]).toMatchObject({ side: 'server', reason: 'read-deadline', at: 15 + 4000 });
    expect(failed(r)).toContain('noFalseDetection (side=both)');
  });

  it('business-slow-handler: pongs answered behind the business backlog miss, and the client gives up at 32.01 s', async () => {
    const r = await run('business-slow-handler', pongBehindBusiness);
    expect(r.passed).toBe(false);
    // Ping 1 (10.015 s at the server) waits for the ten 5 s handlers before it: misses at +T for
    // pings 1, 2, 3; the third is the death: 10.01 + 2·I + T.
    expect(r.falseDetections[0]).toMatchObject({
      side: 'client',
      reason: 'heartbeat-timeout',
      at: 10_010 + 2 * 10_000 + 2000,
    });
    expect(failed(r)).toContain('noFalseDetection (side=both)');
  });

  it('high-rtt: a pong counted only when it answers the latest ping: dead at the third miss, 11 s', async () => {
    const r = await run('high-rtt', latestPongOnly);
    expect(r.passed).toBe(false);
    // t0 = 3 s; ping 1 at 4 s; every pong arrives after two newer pings left: misses at 4 + T, 5 + T, 6 + T.
    expect(r.falseDetections[0]).toMatchObject({ side: 'client', reason: 'heartbeat-timeout', at: 11_000 });
    expect(failed(r)).toContain('noFalseDetection (side=both)');
  });

  it('server-crash-reset: no reconnect after an ECONNRESET death — never back', async () => {
    const r = await run('server-crash-reset', noReconnectAfterReset);
    expect(r.passed).toBe(false);
    expect(r.detections.map((d) => [d.side, d.reason, d.delta])).toEqual([['client', 'reset', 5]]);
    expect(r.reconnects).toEqual([]);
    expect(failed(r)).toContain('reconnect (within=bound, fault=kill)');
  });

  it('server-crash-reset: an attempt count kept from the first outage makes the second reconnect wait the capped 16 s', async () => {
    const r = await run('server-crash-reset', stickyBackoff);
    expect(r.passed).toBe(false);
    const second = r.reconnects.find((c) => c.fault === 'kill-again');
    // Detected at 90.005 s; one wait of at least c = 16 s to a successful attempt.
    expect(second!.attempts).toBe(1);
    expect(second!.at).toBeGreaterThanOrEqual(90_005 + 16_000);
    expect(failed(r)).toEqual(['reconnect (within=3000, fault=kill-again)']);
  });
});
