import { describe, expect, it } from 'vitest';
import { clientBlackHole } from '../../harness/observe/bounds.ts';
import { REFERENCE_DEFAULTS, referenceConfigSchema } from '../../harness/subjects/reference-config.ts';
import { toConfig } from '../../harness/sweep/backoff.ts';
import { findPreset, PRESETS, parsePresets } from '../../harness/sweep/presets.ts';
import { legsFromRtt, modelOf, parseProfile } from '../../harness/sweep/profiles.ts';
import { presetList } from '../../harness/sweep/text.ts';

const S = 1000;
const preset = (id: string) => {
  const p = findPreset(id);
  if (!p) throw new Error(`no preset ${id}`);
  return p;
};

describe('presets map BOUNDS.md real-world settings onto I / T / R / N / backoff', () => {
  it('each maps to the numbers its source gives', () => {
    const table = Object.fromEntries(
      PRESETS.map((p) => [
        p.id,
        [
          p.config.interval,
          p.config.pongTimeout,
          p.config.readDeadline,
          p.config.missThreshold,
          p.config.backoff.variant,
        ],
      ]),
    );
    expect(table).toEqual({
      seed: [30 * S, 5 * S, 45 * S, 3, 'seed'],
      // 7200 s idle, then 9 probes 75 s apart: answer within 675 s, server kernel 7875 s.
      'linux-keepalive': [7200 * S, 675 * S, 7875 * S, 1, 'seed'],
      // setKeepAlive(true, 60 s): 10 probes 1 s apart.
      'node-keepalive': [60 * S, 10 * S, 70 * S, 1, 'seed'],
      // 5 min: the fastest a default gRPC server accepts without calls; timeout 20 s; server 2 h + 20 s.
      grpc: [300 * S, 20 * S, 7220 * S, 1, 'grpc'],
      'grpc-10s': [10 * S, 20 * S, 7220 * S, 1, 'grpc'],
      'grpc-backoff': [30 * S, 5 * S, 45 * S, 3, 'grpc'],
      // pingInterval 25 s, pingTimeout 20 s; the client's rule pingInterval + pingTimeout = R.
      socketio: [25 * S, 20 * S, 45 * S, 1, 'grpc'],
      // mqtt.js: PINGREQ at K, timeout at 1.5·K ⇒ T = K/2; broker 1.5·K.
      mqtt: [60 * S, 30 * S, 90 * S, 1, 'seed'],
      // 2 min, 2 outstanding pings: stale when the third is due.
      nats: [120 * S, 120 * S, 360 * S, 2, 'seed'],
      // heartbeat 3 s, session 45 s (coordinator), request timeout 30 s (consumer).
      kafka: [3 * S, 30 * S, 45 * S, 1, 'grpc'],
      // φ = 8 with a 1 s heartbeat, 3 s acceptable pause, σ ≥ 100 ms ⇒ ≈ 4.6 s of silence.
      akka: [1 * S, 3600, 4600, 1, 'seed'],
    });
  });

  it('the seed preset is the reference defaults', () => {
    const seed = preset('defaults').config;
    expect(seed.interval).toBe(REFERENCE_DEFAULTS.interval);
    expect(seed.pongTimeout).toBe(REFERENCE_DEFAULTS.pongTimeout);
    expect(seed.readDeadline).toBe(REFERENCE_DEFAULTS.readDeadline);
    expect(seed.missThreshold).toBe(REFERENCE_DEFAULTS.missThreshold);
    expect(toConfig(seed.backoff)).toEqual(REFERENCE_DEFAULTS.backoff);
  });

  it('gRPC backoff is BOUNDS.md’s 1 s × 1.6, cap 120 s, ±0.2, min connect timeout 20 s', () => {
    const g = preset('grpc-backoff');
    expect(g.config.backoff).toEqual({
      base: 1000,
      cap: 120_000,
      multiplier: 1.6,
      jitter: 0.2,
      variant: 'grpc',
    });
    expect(g.extra).toEqual({ connectTimeout: 20_000 });
  });

  it('the windows the mappings promise hold by BOUNDS.md’s black-hole bound (zero latency)', () => {
    const window = (id: string) => {
      const c = preset(id).config;
      const b = clientBlackHole({
        interval: c.interval,
        pongTimeout: c.pongTimeout,
        missThreshold: c.missThreshold,
        convention: 'C1',
        path: { up: 0, down: 0 },
      });
      return [b.min, b.max + 1];
    };
    // NATS: stale when a ping is due with 2 unanswered: [2·I, 3·I).
    expect(window('nats')).toEqual([240 * S, 360 * S]);
    // Linux keepalive: [675 s, 7875 s) like the kernel's 9 × 75 s after 7200 s idle.
    expect(window('linux-keepalive')).toEqual([675 * S, 7875 * S]);
    // Akka: a silence of 3.6–4.6 s after the last answered heartbeat.
    expect(window('akka')).toEqual([3600, 4600]);
    // mqtt.js: ping at K, give up at 1.5·K: [K/2, 1.5·K).
    expect(window('mqtt')).toEqual([30 * S, 90 * S]);
  });

  it('every preset is a valid reference config and says what it approximates', () => {
    for (const p of PRESETS) {
      const parsed = referenceConfigSchema.safeParse({
        interval: p.config.interval,
        pongTimeout: p.config.pongTimeout,
        readDeadline: p.config.readDeadline,
        missThreshold: p.config.missThreshold,
        backoff: { ...toConfig(p.config.backoff) },
        ...(p.extra ?? {}),
      });
      expect(parsed.success, `${p.id}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      expect(p.approximates.length).toBeGreaterThan(40);
      expect(presetList()).toContain(`${p.id}`);
    }
  });

  it('--preset takes ids, aliases and all; unknown names get a suggestion', () => {
    expect(parsePresets('grpc,socket.io,MQTT').map((p) => p.id)).toEqual(['grpc', 'socketio', 'mqtt']);
    expect(parsePresets('all')).toHaveLength(PRESETS.length);
    expect(parsePresets(['seed', 'defaults']).map((p) => p.id)).toEqual(['seed']);
    expect(() => parsePresets('kafak')).toThrow(/unknown preset "kafak" \(did you mean "kafka"\?\)/);
  });
});

describe('latency profiles: L and J from a round-trip p50/p99', () => {
  it('L = p50/2 per leg, J the smallest jitter whose model p99 reaches the target', () => {
    expect(legsFromRtt(2, 2)).toEqual({ up: { latency: 1, jitter: 0 }, down: { latency: 1, jitter: 0 } });
    const mobile = legsFromRtt(100, 800);
    expect(mobile).toEqual({ up: { latency: 50, jitter: 407 }, down: { latency: 50, jitter: 407 } });
    expect(modelOf(mobile.up, mobile.down)).toEqual({ p50: 244, p99: 800, max: 914 });
    // One less jitter misses the p99.
    expect(modelOf({ latency: 50, jitter: 406 }, { latency: 50, jitter: 406 }).p99).toBeLessThan(800);
    // Unclamped (J ≤ L): the median stays p50 and J ≈ (p99 − p50)/1.717.
    const wan = legsFromRtt(150, 250);
    expect(wan.up.jitter).toBe(58);
    expect(modelOf(wan.up, wan.down)).toEqual({ p50: 150, p99: 250, max: 266 });
    // An odd p50 splits ⌈p50/2⌉ up, ⌊p50/2⌋ down.
    expect(legsFromRtt(7, 7)).toEqual({ up: { latency: 4, jitter: 0 }, down: { latency: 3, jitter: 0 } });
  });

  it('reads names, p50/p99, L±J and named custom profiles; rejects the rest', () => {
    expect(parseProfile('satellite').label).toBe('satellite (RTT 603ms/1.2s)');
    expect(parseProfile('40ms/300ms')).toMatchObject({
      name: '40ms/300ms',
      spec: '40ms/300ms',
      label: '40ms/300ms',
    });
    expect(parseProfile('office=20ms±5ms')).toMatchObject({
      name: 'office',
      spec: 'office=20ms+-5ms',
      up: { latency: 20, jitter: 5 },
      model: { p50: 40, p99: 49, max: 50 },
    });
    expect(() => parseProfile('300ms/40ms')).toThrow(/p99 \(40ms\) is below p50 \(300ms\)/);
    expect(() => parseProfile('satelite')).toThrow(/did you mean "satellite"/);
    expect(() => parseProfile('my office=1ms/2ms')).toThrow(/a profile name starts with a letter/);
  });
});

describe('presets that are shipped libraries run the library itself', () => {
  it('socket.io: the preset runs unmodified socket.io, not the reference mapping of its numbers', async () => {
    const { buildSpec } = await import('../../harness/sweep/build.ts');
    const { runSweep } = await import('../../harness/sweep/engine.ts');
    const { describeConfig } = await import('../../harness/sweep/describe.ts');
    const preset = PRESETS.find((p) => p.id === 'socketio')!;
    // The grid holds exactly the preset's reference mapping: same numbers, two different programs.
    const spec = await buildSpec({
      flags: {
        interval: '25s',
        pongTimeout: '20s',
        readDeadline: '45s',
        missThreshold: '1',
        backoff: ['grpc:1s:5s:2:0.5'],
        preset: 'socketio',
        fault: 'black-hole',
        seed: '1',
        latency: 'lan',
      },
    });
    const result = await runSweep(spec);
    expect(describeConfig(result.cells[0]!.config)).toBe(describeConfig(preset.config));
    const reference = result.cells[0]!.samples!.detection;
    const library = result.presets[0]!.cells[0]!.samples!.detection;
    expect(result.presets[0]!.source).toMatch(/run as the unmodified library \(subject socket\.io\)/);
    // The reference client's pong timeout and socket.io's "no ping for I + T" are different rules.
    expect(library).not.toEqual(reference);
    expect(library?.length).toBeGreaterThan(0);
  });
});
