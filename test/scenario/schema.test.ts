import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Fault } from '../../harness/faults/registry.ts';
import { FAULT_TYPES, kindOf, typesPlaced } from '../../harness/faults/registry.ts';
import { TOXIC_COMMON_KEYS, toxicInputs, toxicNames } from '../../harness/faults/toxic.ts';
import { worstWait } from '../../harness/observe/bounds.ts';
import { formatPath, friendlyIssues } from '../../harness/scenario/issues.ts';
import { parseScenario, referenceConfigOf, type Scenario } from '../../harness/scenario/schema.ts';
import {
  BACKOFF_DEFAULTS,
  BUSINESS_FRAME_MIN,
  REFERENCE_DEFAULTS,
} from '../../harness/subjects/reference-config.ts';
import {
  isToxicType,
  normalizeToxic,
  TOXIC_ATTRIBUTES,
  TOXIC_TYPES,
} from '../../harness/toxics/vocabulary.ts';

function ok(raw: Record<string, unknown>): Scenario {
  const r = parseScenario({ name: 't', duration: '10m', ...raw });
  if (!r.ok) throw new Error(r.issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n'));
  return r.scenario;
}

/** The messages an author would see (friendly, with paths), without file positions. */
function problems(raw: Record<string, unknown>): string[] {
  const input = { name: 't', duration: '10m', ...raw };
  const r = parseScenario(input);
  if (r.ok) return [];
  return friendlyIssues(r.issues, input).map((i) => `${formatPath(i.path)}: ${i.message}`);
}

const one = (fault: Record<string, unknown>, topology = 'proxy'): Fault =>
  ok({ topology, faults: [{ at: '1s', until: '2s', fault }] }).faults[0]!.fault;

describe('toxic faults (TOXICS.md vocabulary)', () => {
  it('cover exactly the toxics of harness/toxics/vocabulary.ts, with the same attribute names', () => {
    expect(FAULT_TYPES.filter(isToxicType).sort()).toEqual([...TOXIC_TYPES].sort());
    for (const type of TOXIC_TYPES) {
      const keys = Object.keys((kindOf(type).schema as z.ZodObject).shape).filter(
        (k) => !(TOXIC_COMMON_KEYS as readonly string[]).includes(k),
      );
      expect(keys.sort(), type).toEqual(Object.keys(TOXIC_ATTRIBUTES[type]).sort());
    }
  });

  // slicer's default average_size, 0, never stops slicing: it is required (test/faults/attributes.test.ts).
  it.each(TOXIC_TYPES.filter((t) => t !== 'slicer'))(
    '%s with no attributes gets Toxiproxy’s defaults and stream downstream',
    (type) => {
      expect(one({ type })).toEqual({
        type,
        stream: 'downstream',
        toxicity: 1,
        attributes: TOXIC_ATTRIBUTES[type],
      });
    },
  );

  it.each([
    [
      { type: 'latency', latency: '1.5s', jitter: '100ms', stream: 'both', toxicity: 0.5 },
      { type: 'latency', stream: 'both', toxicity: 0.5, attributes: { latency: 1500, jitter: 100 } },
    ],
    [
      { type: 'bandwidth', rate: 10 },
      { type: 'bandwidth', stream: 'downstream', toxicity: 1, attributes: { rate: 10 } },
    ],
    [
      { type: 'slow_close', delay: '2s', name: 'slow' },
      { type: 'slow_close', stream: 'downstream', toxicity: 1, name: 'slow', attributes: { delay: 2000 } },
    ],
    [
      { type: 'timeout', stream: 'upstream', timeout: 0 },
      { type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } },
    ],
    [
      { type: 'reset_peer', timeout: '500ms' },
      { type: 'reset_peer', stream: 'downstream', toxicity: 1, attributes: { timeout: 500 } },
    ],
    [
      { type: 'slicer', average_size: 64, size_variation: 8, delay: '2ms' },
      {
        type: 'slicer',
        stream: 'downstream',
        toxicity: 1,
        attributes: { average_size: 64, size_variation: 8, delay: 2000 },
      },
    ],
    [
      { type: 'slicer', average_size: 1, delay: 150 },
      {
        type: 'slicer',
        stream: 'downstream',
        toxicity: 1,
        attributes: { average_size: 1, size_variation: 0, delay: 150 },
      },
    ],
    [
      { type: 'limit_data', bytes: 100 },
      { type: 'limit_data', stream: 'downstream', toxicity: 1, attributes: { bytes: 100 } },
    ],
    [
      { type: 'noop', stream: 'upstream' },
      { type: 'noop', stream: 'upstream', toxicity: 1, attributes: {} },
    ],
    [{ type: 'proxy-down' }, { type: 'proxy-down' }],
  ])('%j parses', (input, expected) => {
    expect(one(input)).toEqual(expected);
  });

  it('toxicInputs are valid addToxic requests (spec.ts normalizeToxic accepts them unchanged)', () => {
    const both = one({ type: 'latency', latency: '1s', stream: 'both' });
    if (both.type !== 'latency') throw new Error('latency expected');
    const inputs = toxicInputs(both);
    expect(inputs.map((i) => [i.name, i.stream])).toEqual([
      ['latency_upstream', 'upstream'],
      ['latency_downstream', 'downstream'],
    ]);
    for (const input of inputs) expect(normalizeToxic(input, 'p')).toEqual(input);
    const named = one({ type: 'timeout', name: 'bh', stream: 'both' });
    if (named.type !== 'timeout') throw new Error('timeout expected');
    expect(toxicNames(named)).toEqual(['bh_upstream', 'bh_downstream']);
  });

  it('rejects bad attributes with the expected form', () => {
    expect(problems({ faults: [{ at: 0, fault: { type: 'bandwidth', rate: -1 } }] })).toEqual([
      'faults[0].fault.rate: must be ≥ 0, got -1',
    ]);
    expect(problems({ faults: [{ at: 0, fault: { type: 'latency', toxicity: 2 } }] })).toEqual([
      'faults[0].fault.toxicity: must be ≤ 1, got 2',
    ]);
    expect(problems({ faults: [{ at: 0, fault: { type: 'timeout', stream: 'up' } }] })).toEqual([
      'faults[0].fault.stream: expected one of upstream, downstream, both, got "up" (did you mean "upstream"?)',
    ]);
    expect(problems({ faults: [{ at: 0, fault: { type: 'latency', latency: '10x' } }] })[0]).toMatch(
      /^faults\[0\]\.fault\.latency: invalid duration "10x": unknown unit "x"/,
    );
  });
});

describe('sim-only faults (direct topology)', () => {
  it.each([
    [{ type: 'partition' }, { type: 'partition', direction: 'both', mode: 'drop', convention: 'C1' }],
    [
      { type: 'partition', direction: 'client->server', mode: 'hold', convention: 'C2' },
      { type: 'partition', direction: 'client->server', mode: 'hold', convention: 'C2' },
    ],
    [
      { type: 'crash', host: 'server' },
      { type: 'crash', host: 'server', close: 'none', convention: 'C1' },
    ],
    [
      { type: 'crash', host: 'client', close: 'rst' },
      { type: 'crash', host: 'client', close: 'rst', convention: 'C1' },
    ],
    [
      { type: 'pause', host: 'client' },
      { type: 'pause', host: 'client' },
    ],
    [
      { type: 'clock-skew', host: 'server', offset: '-5s' },
      { type: 'clock-skew', host: 'server', offset: -5000 },
    ],
    [
      { type: 'nat', idleTimeout: '30s' },
      { type: 'nat', idleTimeout: 30_000, action: 'drop' },
    ],
    [
      { type: 'nat', idleTimeout: 1000, action: 'rst' },
      { type: 'nat', idleTimeout: 1000, action: 'rst' },
    ],
    [
      { type: 'loss', probability: 0.1 },
      { type: 'loss', direction: 'both', probability: 0.1, retransmitAfter: 200 },
    ],
  ])('%j parses', (input, expected) => {
    expect(one(input, 'direct')).toEqual(expected);
  });

  it('pause: `for` inside the fault, `for` on the entry or `until` all set the heal time', () => {
    const s = ok({
      topology: 'direct',
      faults: [
        { at: '10s', fault: { type: 'pause', host: 'client', for: '3s' } },
        { at: '20s', for: '3s', fault: { type: 'pause', host: 'client' } },
        { at: '30s', until: '33s', fault: { type: 'pause', host: 'client' } },
      ],
    });
    expect(s.faults.map((f) => [f.at, f.until])).toEqual([
      [10_000, 13_000],
      [20_000, 23_000],
      [30_000, 33_000],
    ]);
    expect(
      problems({
        topology: 'direct',
        faults: [{ at: '1s', until: '5s', fault: { type: 'pause', host: 'client', for: '3s' } }],
      }),
    ).toEqual(['faults[0].fault.for: give only one of until, fault.for (they all set when the fault heals)']);
  });

  it('crash: C1 only — a dead host cannot take delivery of what was sent before it died (C2 has no meaning)', () => {
    expect(one({ type: 'crash', host: 'server', convention: 'C1' }, 'direct')).toMatchObject({
      convention: 'C1',
    });
    expect(
      problems({
        topology: 'direct',
        faults: [{ at: '1s', fault: { type: 'crash', host: 'server', convention: 'C2' } }],
      }),
    ).toEqual(['faults[0].fault.convention: expected "C1", got "C2"']);
  });

  it('loss: probability in [0, 1]; retransmitAfter is the path’s RTO floor, default the kernel’s 200 ms', () => {
    expect(
      one({ type: 'loss', direction: 'server->client', probability: 1, retransmitAfter: '50ms' }, 'direct'),
    ).toEqual({
      type: 'loss',
      direction: 'server->client',
      probability: 1,
      retransmitAfter: 50,
    });
    expect(
      problems({ topology: 'direct', faults: [{ at: '1s', fault: { type: 'loss', probability: 1.5 } }] }),
    ).toHaveLength(1);
    expect(problems({ topology: 'direct', faults: [{ at: '1s', fault: { type: 'loss' } }] })).toHaveLength(1);
  });

  it('clock skew is the only signed duration', () => {
    expect(
      problems({ topology: 'direct', faults: [{ at: '-1s', fault: { type: 'nat', idleTimeout: '1s' } }] })[0],
    ).toMatch(/^faults\[0\]\.at: invalid duration "-1s": must not be negative/);
  });
});

describe('topology compatibility', () => {
  it.each(typesPlaced('direct'))('%s in a proxy topology names the fault and the fix', (type) => {
    const fault: Record<string, unknown> = { type };
    if (type === 'crash' || type === 'pause' || type === 'clock-skew') fault.host = 'client';
    if (type === 'clock-skew') fault.offset = '1s';
    if (type === 'nat') fault.idleTimeout = '1s';
    if (type === 'loss') fault.probability = 0.5;
    if (type === 'burst-loss') Object.assign(fault, { good: '10s', bad: '1s' });
    expect(problems({ faults: [{ at: '1s', fault }] })).toEqual([
      `faults[0].fault.type: ${type} is a sim-only fault: it needs topology direct (this scenario uses proxy); Toxiproxy cannot make it`,
    ]);
  });

  it('a toxic or proxy-down in a direct topology is rejected', () => {
    expect(problems({ topology: 'direct', faults: [{ at: '1s', fault: { type: 'proxy-down' } }] })).toEqual([
      'faults[0].fault.type: proxy-down is a Toxiproxy fault: it needs topology proxy (this scenario uses direct); use a sim-only fault (partition, crash, pause, clock-skew, nat, loss, burst-loss) on a direct topology',
    ]);
  });

  it('topology shorthand, shared link, per-leg link', () => {
    expect(ok({}).topology).toEqual({
      kind: 'proxy',
      link: { up: { latency: 0, jitter: 0 }, down: { latency: 0, jitter: 0 } },
    });
    expect(
      ok({ topology: { kind: 'direct', latency: '5ms', jitter: 1, down: { latency: '20ms' } } }).topology,
    ).toEqual({
      kind: 'direct',
      link: { up: { latency: 5, jitter: 1 }, down: { latency: 20, jitter: 0 } },
    });
    expect(problems({ topology: 'tcp' })).toEqual([
      'topology: expected one of proxy, direct or a mapping, got "tcp"',
    ]);
  });
});

describe('the timeline', () => {
  it('until must come after at, and both inside the run', () => {
    expect(problems({ faults: [{ at: '60s', until: '60s', fault: { type: 'noop' } }] })).toEqual([
      'faults[0].until: the fault must heal after it starts: until (60000 ms) ≤ at (60000 ms)',
    ]);
    expect(problems({ duration: '1m', faults: [{ at: '1m', fault: { type: 'noop' } }] })).toEqual([
      'faults[0].at: the fault starts at 60000 ms, at or after the end of the run (duration 60000 ms)',
    ]);
    expect(
      problems({ duration: '1m', faults: [{ at: '30s', for: '31s', fault: { type: 'noop' } }] }),
    ).toEqual(['faults[0].for: the fault heals at 61000 ms, after the end of the run (duration 60000 ms)']);
    expect(problems({ faults: [{ at: '1s', for: '1s', until: '3s', fault: { type: 'noop' } }] })).toEqual([
      'faults[0].for: give only one of until, for (they all set when the fault heals)',
    ]);
  });

  it('ids default to <type>-<n> and must be unique', () => {
    const s = ok({
      faults: [
        { at: 0, fault: { type: 'noop' } },
        { at: 0, id: 'x', fault: { type: 'latency' } },
      ],
    });
    expect(s.faults.map((f) => f.id)).toEqual(['noop-1', 'x']);
    expect(
      problems({
        faults: [
          { at: 0, id: 'x', fault: { type: 'noop' } },
          { at: 0, id: 'x', fault: { type: 'latency' } },
        ],
      }),
    ).toEqual(['faults[1].id: fault id "x" is already used by faults[0]']);
  });

  it('two toxics with one Toxiproxy name may not overlap (409); other streams or times may', () => {
    expect(
      problems({
        faults: [
          { at: '1s', until: '5s', fault: { type: 'latency', latency: 10 } },
          { at: '4s', until: '6s', fault: { type: 'latency', latency: 20 } },
        ],
      }),
    ).toEqual([
      'faults[1].fault.type: toxic "latency_downstream" is already active from faults[0] at this time (Toxiproxy answers 409); give one a different name or stream, or make them not overlap',
    ]);
    expect(
      problems({
        faults: [
          { at: '1s', until: '5s', fault: { type: 'latency', stream: 'both' } },
          { at: '5s', until: '6s', fault: { type: 'latency' } },
          { at: '1s', until: '6s', fault: { type: 'latency', name: 'other' } },
        ],
      }),
    ).toEqual([]);
    expect(
      problems({
        faults: [
          { at: '1s', fault: { type: 'proxy-down' } },
          { at: '2s', until: '3s', fault: { type: 'proxy-down' } },
        ],
      }),
    ).toEqual(['faults[1].at: the proxy is already down from faults[0] at this time']);
  });
});

describe('expectations', () => {
  const fault = [{ at: '1m', until: '2m', id: 'bh', fault: { type: 'timeout' } }];

  it('normalize with their defaults', () => {
    const s = ok({
      faults: fault,
      config: { backoff: { maxAttempts: 5 } },
      expect: [
        { type: 'detect' },
        {
          type: 'detect',
          side: 'both',
          within: '40s',
          reason: 'heartbeat-timeout',
          fault: 'bh',
          tolerance: '50ms',
        },
        { type: 'noFalseDetection' },
        { type: 'reconnect', within: 'bound' },
        { type: 'maxAttempts', n: 4 },
        { type: 'maxAttempts', n: 'bound' },
        { type: 'gaveUp', within: '10m' },
        { type: 'state', state: 'SUSPECT', within: '1m' },
        { type: 'overhead', side: 'server', bytesPerHour: 10_000 },
      ],
    });
    expect(s.expect).toEqual([
      { type: 'detect', side: 'either', within: 'bound', tolerance: 0 },
      {
        type: 'detect',
        side: 'both',
        within: 40_000,
        reason: ['heartbeat-timeout'],
        fault: 'bh',
        tolerance: 50,
      },
      { type: 'noFalseDetection', side: 'both' },
      { type: 'reconnect', within: 'bound', tolerance: 0 },
      { type: 'maxAttempts', n: 4 },
      { type: 'maxAttempts', n: 'bound' },
      { type: 'gaveUp', within: 600_000 },
      { type: 'state', side: 'client', state: 'SUSPECT', within: 60_000 },
      { type: 'overhead', side: 'server', bytesPerHour: 10_000 },
    ]);
  });

  it('falseDetection is expected for latency beyond the tolerance', () => {
    const s = ok({
      faults: [{ at: '1m', until: '2m', fault: { type: 'latency', latency: '15s' } }],
      expect: [{ type: 'falseDetection', side: 'client', within: '30s' }],
    });
    expect(s.expect).toEqual([{ type: 'falseDetection', side: 'client', within: 30_000 }]);
  });

  it('cross checks: unknown fault id, no fault, gaveUp without maxAttempts, contradictions, empty overhead', () => {
    expect(
      problems({
        faults: fault,
        expect: [
          { type: 'detect', fault: 'nope' },
          { type: 'gaveUp' },
          { type: 'noFalseDetection', side: 'client' },
          { type: 'falseDetection', side: 'client' },
          { type: 'overhead' },
        ],
      }),
    ).toEqual([
      'expect[0].fault: no fault has id "nope" (known: bh)',
      'expect[1].type: gaveUp needs config.backoff.maxAttempts: without it the client never gives up (F13)',
      'expect[4]: overhead needs messagesPerHour or bytesPerHour',
      'expect[3].type: falseDetection (side client) contradicts noFalseDetection (side client) at expect[2]',
    ]);
    expect(problems({ expect: [{ type: 'reconnect' }] })).toEqual([
      'expect[0].type: reconnect is about a fault, but the scenario has no faults',
    ]);
    expect(problems({ faults: fault, expect: [{ type: 'detect', within: 'soon' }] })).toEqual([
      'expect[0].within: expected "bound" or a duration like 30s, 500ms, 1m30s or a number of ms, got "soon"',
    ]);
    expect(problems({ faults: fault, expect: [{ type: 'detected' }] })).toEqual([
      'expect[0].type: expected one of detect, noFalseDetection, falseDetection, reconnect, maxAttempts, gaveUp, state, overhead, got "detected" (did you mean "detect"?)',
    ]);
  });
});

describe('reference config (F18)', () => {
  it('fills in the seed defaults', () => {
    expect(ok({}).config).toEqual(REFERENCE_DEFAULTS);
    expect(referenceConfigOf(ok({}))).toEqual(REFERENCE_DEFAULTS);
  });

  it('accepts durations as strings or ms and keeps everything else at its default', () => {
    const c = referenceConfigOf(
      ok({ config: { interval: '5s', pongTimeout: 2000, keepalive: false, missThreshold: 1 } }),
    )!;
    expect([c.interval, c.pongTimeout, c.keepalive, c.missThreshold, c.readDeadline]).toEqual([
      5000,
      2000,
      false,
      1,
      45_000,
    ]);
  });

  it('backoff defaults per policy; the normalized backoff feeds the bounds directly', () => {
    for (const policy of ['seed', 'grpc', 'full', 'equal', 'decorrelated'] as const) {
      const b = referenceConfigOf(ok({ config: { backoff: { policy } } }))!.backoff;
      expect(b).toEqual({ policy, ...BACKOFF_DEFAULTS[policy] });
    }
    const grpc = referenceConfigOf(
      ok({ config: { backoff: { policy: 'grpc', jitter: '10%', maxAttempts: 9 } } }),
    )!.backoff;
    expect(grpc).toEqual({
      policy: 'grpc',
      base: 1000,
      cap: 120_000,
      multiplier: 1.6,
      jitter: 0.1,
      maxAttempts: 9,
    });
    expect(worstWait(grpc)).toBe(132_000);
    const seed = referenceConfigOf(
      ok({ config: { backoff: { base: '500ms', cap: '30s', jitter: '250ms' } } }),
    )!.backoff;
    expect(worstWait(seed)).toBe(30_250);
  });

  it('backoff jitter means what the policy says, and cap ≥ base', () => {
    expect(problems({ config: { backoff: { policy: 'grpc', jitter: '1s' } } })).toEqual([
      'config.backoff.jitter: with policy grpc, jitter is a fraction in [0, 1] (the wait is β(1±j)), e.g. 0.2 or "20%"; got "1s"',
    ]);
    expect(problems({ config: { backoff: { policy: 'equal', jitter: 0.1 } } })).toEqual([
      'config.backoff.jitter: policy equal has no jitter setting (its randomness is built in); remove it or use policy seed or grpc',
    ]);
    expect(problems({ config: { backoff: { base: '10s', cap: '5s' } } })).toEqual([
      'config.backoff.cap: cap (5000 ms) must not be below base (10000 ms)',
    ]);
  });

  it('two-way heartbeat (F10) and adaptive interval (F14)', () => {
    const c = referenceConfigOf(
      ok({ config: { interval: '2s', serverHeartbeat: true, adaptive: { busyInterval: '500ms' } } }),
    )!;
    expect(c.serverHeartbeat).toEqual({ interval: 2000, pongTimeout: 5000 });
    expect(c.adaptive).toEqual({ busyInterval: 500, idleInterval: 5000 });
  });

  it('business traffic (F6): every, bytes (the whole frame on the wire), handlerDelay default 0', () => {
    expect(referenceConfigOf(ok({}))!.business).toBeUndefined();
    const c = referenceConfigOf(
      ok({ config: { business: { every: '10ms', bytes: 4000, handlerDelay: '2s' } } }),
    )!;
    expect(c.business).toEqual({ every: 10, bytes: 4000, handlerDelay: 2000 });
    expect(referenceConfigOf(ok({ config: { business: { every: 50, bytes: 29 } } }))!.business).toEqual({
      every: 50,
      bytes: 29,
      handlerDelay: 0,
    });
    expect(BUSINESS_FRAME_MIN).toBe(29); // {"type":"data","payload":""} and the newline
    expect(problems({ config: { business: { every: 0, bytes: 28 } } })).toEqual([
      'config.business.every: business.every must be more than 0 ms',
      'config.business.bytes: business.bytes is the whole frame on the wire: between 29 (an empty payload) and 65537 (the frame limit), got 28',
    ]);
    expect(problems({ config: { business: { every: '1s', bytes: 70_000 } } })).toEqual([
      'config.business.bytes: business.bytes is the whole frame on the wire: between 29 (an empty payload) and 65537 (the frame limit), got 70000',
    ]);
    expect(problems({ config: { business: { bytes: 100 } } })).toHaveLength(1);
  });

  it('unknown config keys are rejected for the reference subject; another subject’s config is free-form', () => {
    expect(problems({ config: { intervall: '5s' } })).toHaveLength(1);
    const s = ok({ subject: 'mine', config: { anything: { goes: 1 } } });
    expect(s.config).toEqual({ anything: { goes: 1 } });
    expect(referenceConfigOf(s)).toBeUndefined();
  });
});

describe('scenario fields', () => {
  it('requires name and duration; defaults the rest', () => {
    const r = parseScenario({});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => formatPath(i.path))).toEqual(['name', 'duration']);
    const s = ok({ seed: 7 });
    expect(s).toMatchObject({
      name: 't',
      description: '',
      subject: 'reference',
      duration: 600_000,
      clients: 1,
      seed: 7,
    });
    expect(s.faults).toEqual([]);
    expect(s.expect).toEqual([]);
  });

  it('rejects a zero duration, fractional clients and an out-of-range seed', () => {
    expect(problems({ duration: 0 })).toEqual(['duration: duration must be more than 0 ms']);
    expect(problems({ clients: 1.5, seed: -1 })).toEqual([
      'clients: expected a whole number, got 1.5',
      'seed: must be ≥ 0, got -1',
    ]);
  });
});
