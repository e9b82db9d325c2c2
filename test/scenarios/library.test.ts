/**
 * The built-in scenario library (scenarios/*.yaml) on the simulator: every file passes with its own
 * expectations, replays to the same trace hash, and the key detections carry the side, the F15
 * reason and the exact virtual Δ the timeline implies (derivations next to each number).
 *
 * Shared timeline facts: one-way latency 5 ms (r = 10 ms); the client connects at t0 = r = 10 ms
 * (SYN and SYN-ACK, to the proxy or the server), so its ping k leaves at 10 + k·I; in the proxy
 * topology the proxy shares a rack with the server (0 ms between them).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Detection, ScenarioResult, Side } from '../../harness/result.ts';
import { loadScenarioFile } from '../../harness/scenario/loader.ts';
import { runScenario } from '../../harness/scenario/runner.ts';

const DIR = new URL('../../scenarios/', import.meta.url);
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const REQUIRED = [
  'blackhole-both',
  'blackhole-upstream',
  'blackhole-downstream',
  'reset-peer',
  'proxy-down',
  'latency-under-tolerance',
  'latency-over-tolerance',
  'bandwidth-stall',
  'server-restart-herd',
  'nat-idle-timeout',
  'process-pause',
  'clock-skew',
];

const results = new Map<string, ScenarioResult>();

async function run(file: string, seed?: number): Promise<ScenarioResult> {
  const scenario = await loadScenarioFile(new URL(file, DIR).pathname);
  return runScenario(scenario, {
    backend: 'sim',
    file: `scenarios/${file}`,
    ...(seed === undefined ? {} : { seed }),
  });
}

/** [reason, Δ] of every detection by one side of one fault, in time order. */
function seen(r: ScenarioResult, side: Side, fault?: string): [string, number][] {
  return r.detections
    .filter((d: Detection) => d.side === side && (fault === undefined || d.fault === fault))
    .sort((a, b) => a.at - b.at)
    .map((d) => [d.reason, d.delta]);
}

const T = 2000;
const I = 5000;
const N = 3;

/** The exact outcome each scenario's timeline implies (its header comment derives the same numbers). */
const KEY: Record<string, (r: ScenarioResult) => void> = {
  'blackhole-both': (r) => {
    // The onset (60.01 s) coincides with ping 12: it is the first lost (it reaches the proxy at
    // 60.015 s ≥ f), so the N-th miss is at exactly f + T + (N−1)·I.
    expect(seen(r, 'client')).toEqual([['heartbeat-timeout', T + (N - 1) * I]]);
    // The client's FIN crosses the timeout toxic (it passes EOF) and reaches the server d_u later.
    expect(seen(r, 'server')).toEqual([['fin', T + (N - 1) * I + 5]]);
    expect(r.reconnects.map((c) => [c.client, c.after, c.withinBound])).toEqual([['client', 'heal', true]]);
  },
  'blackhole-upstream': (r) => {
    // Last byte read: ping 11 (55.01 s) at 55.015 s; R = 8 s later = 63.015 s → Δ = 3015.
    expect(seen(r, 'server')).toEqual([['read-deadline', 55_015 + 8000 - 60_000]]);
    // Its FIN crosses the healthy downstream: d_d later.
    expect(seen(r, 'client')).toEqual([['fin', 55_015 + 8000 - 60_000 + 5]]);
  },
  'blackhole-downstream': (r) => {
    // First lost pong: ping 12 (60.01 s) reaches the proxy at 60.015 ≥ f; 3rd miss at 60.01 + 2·I + T.
    expect(seen(r, 'client')).toEqual([['heartbeat-timeout', 60_010 + (N - 1) * I + T - 60_000]]);
    // The read deadline never fires (pings keep arriving); the client's FIN arrives d_u later.
    expect(seen(r, 'server')).toEqual([['fin', 60_010 + (N - 1) * I + T - 60_000 + 5]]);
  },
  'reset-peer': (r) => {
    // Ping 6 (30.01 s) reaches the proxy at 30.015 s, is dropped; 500 ms later both sockets are reset:
    // the server at once, the client d_d later.
    expect(seen(r, 'server', 'reset')).toEqual([['reset', 515]]);
    expect(seen(r, 'client', 'reset')).toEqual([['reset', 520]]);
    expect(r.detections.every((d) => d.fault === 'reset')).toBe(true);
    // F13: new connections get the hello but never a pong, so the backoff is not reset: the waits
    // double (0.5, 1, 2, 4 s + J) and 4 attempts fit between the detection and the heal (bound 5).
    const attempts = r.expectations.find((e) => e.name.startsWith('maxAttempts'));
    expect(attempts?.passed).toBe(true);
    expect(attempts?.detail).toMatch(/client made 4 attempt\(s\) in \(30520, 45000\], limit 5 /);
  },
  'proxy-down': (r) => {
    // The disabled proxy closes at once: the server (same rack) at Δ = 0, the client d_d = 5 ms later.
    expect(seen(r, 'server')).toEqual([['fin', 0]]);
    expect(seen(r, 'client')).toEqual([['fin', 5]]);
  },
  'latency-under-tolerance': (r) => {
    expect(r.detections).toEqual([]);
    expect(r.falseDetections).toEqual([]);
  },
  'latency-over-tolerance': (r) => {
    // Pongs from 60.015 s on arrive 2.5 s late (> T): ping 12's pong misses, and the 3rd miss is at
    // 60.01 + 2·I + T = 72.01 s — a false detection by the client; every later one too, by the client.
    expect(r.detections).toEqual([]);
    expect(r.falseDetections[0]).toMatchObject({ side: 'client', reason: 'heartbeat-timeout', at: 72_010 });
    expect(r.falseDetections.every((m) => m.side === 'client' && m.reason === 'heartbeat-timeout')).toBe(
      true,
    );
  },
  'bandwidth-stall': (r) => {
    // F2: the first ping after the onset (10.01 s) is queued behind the business data that fills the
    // stalled buffers; W = 1 s later it is still queued: 10.01 + 1 − 6 = 5.01 s, where three pong
    // misses would take 10.01 + 2·I + T − 6 = 16.01 s (I = 5 s, T = 2 s here).
    expect(seen(r, 'client')).toEqual([['write-deadline', 10_010 + 1000 - 6000]]);
    expect(seen(r, 'client')[0]![1]).toBeLessThan(10_010 + 2 * 5000 + 2000 - 6000);
    // At the heal (14 s) the held data reaches the server, its replies draw RSTs from the client's
    // closed socket 5 ms later, and Toxiproxy closes the server side with a FIN 5 ms after that.
    expect(seen(r, 'server')).toEqual([['fin', 14_010 - 6000]]);
    expect(r.falseDetections).toEqual([]);
  },
  'lossy-link': (r) => {
    // Loss is benign: any death is a mistake, never a detection.
    expect(r.detections).toEqual([]);
    // 20 % loss (30 s – 5 min): none; 60 % (from 5 min): the client declares the live server dead.
    expect(r.falseDetections.filter((m) => m.at < 300_000)).toEqual([]);
    const client = r.falseDetections.filter((m) => m.side === 'client');
    expect(client.length).toBeGreaterThan(0);
    expect(client.every((m) => m.reason === 'heartbeat-timeout')).toBe(true);
    expect(r.falseDetections.every((m) => ['heartbeat-timeout', 'read-deadline'].includes(m.reason))).toBe(
      true,
    );
    // The numbers the header quotes for seed 1.
    expect(r.falseDetections.map((m) => [m.side, m.at]).slice(0, 2)).toEqual([
      ['server', 412_015],
      ['client', 475_806],
    ]);
  },
  'server-restart-herd': (r) => {
    // Each of the 20 clients hears the dead process's FIN one leg later.
    expect(seen(r, 'client')).toEqual(Array.from({ length: 20 }, () => ['fin', 5]));
    const herd = r.herd?.find((h) => h.fault === 'restart');
    expect(herd?.clients).toBe(20);
    const deltas = r.reconnects.map((c) => c.delta).sort((a, b) => a - b);
    expect(herd).toEqual({
      fault: 'restart',
      clients: 20,
      first: deltas[0],
      last: deltas[19],
      p50: deltas[9],
      spread: deltas[19]! - deltas[0]!,
    });
    // All twenty were in the same backoff step: only their jitter (≤ J = 1 s per wait, 5 waits at
    // most) spreads them, and it does.
    expect(herd!.spread).toBeGreaterThan(0);
    expect(herd!.spread).toBeLessThanOrEqual(5 * 1000);
  },
  'nat-idle-timeout': (r) => {
    // Ping 4 (90.01 s) is dropped after 30 s of silence; with N = 2 the client gives up at
    // 90.01 + I + T = 125.01 s (I = 30 s, T = 5 s).
    expect(seen(r, 'client')).toEqual([['heartbeat-timeout', 90_010 + 30_000 + 5000 - 60_000]]);
    // Last byte read: ping 3 at 60.015 s; R = 45 s.
    expect(seen(r, 'server')).toEqual([['read-deadline', 60_015 + 45_000 - 60_000]]);
  },
  'process-pause': (r) => {
    expect(seen(r, 'client', 'hiccup')).toEqual([]);
    expect(seen(r, 'client', 'stall')).toEqual([['heartbeat-timeout', 60_010 + (N - 1) * I + T - 60_000]]);
    // The paused server runs what fell due at resume, the client's FIN last: Δ = the pause, 40 s.
    expect(seen(r, 'server', 'stall')).toEqual([['fin', 40_000]]);
  },
  'clock-skew': (r) => {
    expect(r.falseDetections).toEqual([]);
    // C1 both ways at 70 s: first lost ping has t_k ≥ f − r, i.e. 70.01 s → 70.01 + 2·I + T.
    expect(seen(r, 'client', 'cut')).toEqual([['heartbeat-timeout', 70_010 + (N - 1) * I + T - 70_000]]);
    // Last byte read: ping 13 (65.01 s) at 65.015 s; R = 12 s.
    expect(seen(r, 'server', 'cut')).toEqual([['read-deadline', 65_015 + 12_000 - 70_000]]);
  },
  'server-crash-silent': (r) => {
    // What reaches the dead host from 60 s on is lost (ρ = d_u): ping 12 (60.01 s) is the first lost.
    expect(seen(r, 'client')).toEqual([['heartbeat-timeout', 60_010 + (N - 1) * I + T - 60_000]]);
    expect(r.reconnects.map((c) => c.after)).toEqual(['heal']);
  },
  'limit-data': (r) => {
    // Ping 12 reaches the proxy at 60.015 s: the proxy closes both sockets then.
    expect(seen(r, 'server')).toEqual([['fin', 15]]);
    expect(seen(r, 'client')).toEqual([['fin', 20]]);
  },
  'flapping-link': (r) => {
    expect(r.falseDetections).toEqual([]);
    for (const flap of ['flap-1', 'flap-2', 'flap-3', 'flap-4'])
      expect(r.detections.filter((d) => d.fault === flap)).toEqual([]);
    // C1 both at 70 s: ping 15 (70.01 s) is the first lost; last byte read: ping 14 at 65.015 s (R = 15 s).
    expect(seen(r, 'client', 'outage')).toEqual([['heartbeat-timeout', 12_010]]);
    expect(seen(r, 'server', 'outage')).toEqual([['read-deadline', 65_015 + 15_000 - 70_000]]);
  },
  slicer: (r) => {
    expect(r.detections).toEqual([]);
    expect(r.falseDetections).toEqual([]);
  },
  jitter: (r) => {
    expect(r.detections).toEqual([]);
    expect(r.falseDetections).toEqual([]);
  },
  'business-slow-handler': (r) => {
    // F6: pongs never wait for the 5 s handlers; F4: business bytes keep the 4 s read deadline
    // although pings come every 10 s. Nothing detected, no mistake.
    expect(r.detections).toEqual([]);
    expect(r.falseDetections).toEqual([]);
    // Heartbeat overhead only (business messages are not heartbeat cost, F20): pings at 10.01 s …
    // 110.01 s and the hello, 12 messages in 2 minutes.
    expect(r.overhead.client.messagesPerHour).toBe(360);
  },
  'high-rtt': (r) => {
    // Pings leave at 3 s + k·1 s, pongs come back 3 s later. First lost pong: the ping of 58 s (due at
    // 61 s ≥ f = 60.7 s); third miss at 58 + T + 2·I = 65 s.
    expect(seen(r, 'client')).toEqual([['heartbeat-timeout', 58_000 + 5000 + 2 * 1000 - 60_700]]);
    // Last ping received: the one of 59 s, at 60.5 s; R = 3 s.
    expect(seen(r, 'server')).toEqual([['read-deadline', 59_000 + 1500 + 3000 - 60_700]]);
    expect(r.falseDetections).toEqual([]);
    expect(r.reconnects.map((c) => [c.fault, c.after, c.withinBound])).toEqual([['cut', 'heal', true]]);
  },
  'server-crash-reset': (r) => {
    // The kernel's RST reaches the client one leg later, both times.
    expect(seen(r, 'client')).toEqual([
      ['reset', 5],
      ['reset', 5],
    ]);
    expect(seen(r, 'server')).toEqual([]);
    const [first, second] = r.reconnects;
    expect(first).toMatchObject({ fault: 'kill', after: 'heal', withinBound: true });
    // The backoff started over: b + U(0, J) ∈ [1, 2] s to a refused attempt (at 91.005–92.005 s,
    // answered 10 ms later), then 2–3 s more to the restarted server: back at most 2.025 s after
    // the heal at 93 s, in 2 attempts.
    expect(second).toMatchObject({ fault: 'kill-again', after: 'heal', attempts: 2 });
    expect(second!.delta).toBeLessThanOrEqual(2025);
  },
};

describe('built-in scenario library (scenarios/*.yaml)', () => {
  it('has at least 15 scenarios, among them every required one, each with a key check here', () => {
    const names = FILES.map((f) => f.replace(/\.yaml$/, ''));
    expect(names.length).toBeGreaterThanOrEqual(15);
    for (const required of REQUIRED) expect(names).toContain(required);
    for (const name of names) expect(Object.keys(KEY)).toContain(name);
  });

  for (const file of FILES) {
    const name = file.replace(/\.yaml$/, '');
    describe(name, () => {
      it('is documented: schema line, then a header comment saying what it shows', () => {
        const lines = readFileSync(new URL(file, DIR), 'utf8').split('\n');
        expect(lines[0]).toBe('# yaml-language-server: $schema=./scenario.schema.json');
        const header = lines.slice(
          1,
          lines.findIndex((l) => !l.startsWith('#')),
        );
        expect(header.join('\n')).toMatch(/What it shows/);
      });

      it('passes on the simulator with every expectation met, with the exact detections its timeline implies', async () => {
        const r = await run(file);
        results.set(file, r);
        expect(r.expectations.filter((e) => !e.passed)).toEqual([]);
        expect(r.passed).toBe(true);
        expect(r.expectations.length).toBeGreaterThan(0);
        KEY[name]!(r);
      });

      it('replays: the same seed gives the same trace hash and the same measurements', async () => {
        const first = results.get(file) ?? (await run(file));
        const again = await run(file);
        expect(again.traceHash).toBe(first.traceHash);
        expect(again.detections).toEqual(first.detections);
        expect(again.reconnects).toEqual(first.reconnects);
      });
    });
  }

  it('jitter draws from the seed: another seed gives another trace (and still passes)', async () => {
    const one = results.get('jitter.yaml') ?? (await run('jitter.yaml'));
    const other = await run('jitter.yaml', (one.seed + 1) >>> 0);
    expect(other.traceHash).not.toBe(one.traceHash);
    expect(other.passed).toBe(true);
  });
});
