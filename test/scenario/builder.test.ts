import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  detect,
  falseDetection,
  faults,
  gaveUp,
  maxAttempts,
  noFalseDetection,
  overhead,
  reconnect,
  scenario,
  state,
  toxicFaults,
} from '../../harness/scenario/builder.ts';
import { ScenarioError } from '../../harness/scenario/errors.ts';
import { loadScenarioFile, loadScenarioText } from '../../harness/scenario/loader.ts';
import { type FaultInput, parseScenario, type Scenario } from '../../harness/scenario/schema.ts';
import { scenarioToInput, scenarioToYaml } from '../../harness/scenario/serialize.ts';
import { TOXIC_TYPES } from '../../harness/toxics/vocabulary.ts';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'black-hole.yaml');

function buildError(f: () => unknown): ScenarioError {
  try {
    f();
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('expected a ScenarioError');
}

describe('builder', () => {
  it('builds the same normalized scenario as the YAML fixture', async () => {
    const built = scenario('black-hole-upstream')
      .description("Upstream black-hole through the proxy; the client's pong timeout detects it.")
      .proxy({ latency: '5ms' })
      .duration('10m')
      .clients(3)
      .seed(42)
      .config({ interval: '5s', pongTimeout: '2s', readDeadline: '15s' })
      .config({ backoff: { policy: 'seed', base: '500ms', cap: '30s', jitter: '250ms' } })
      .fault({
        id: 'blackhole',
        at: '60s',
        until: '120s',
        fault: faults.timeout({ stream: 'upstream', timeout: 0 }),
      })
      .expect(detect({ side: 'client', within: 'bound', fault: 'blackhole' }))
      .expect(reconnect({ within: '30s', fault: 'blackhole' }), maxAttempts('bound'))
      .build();
    expect(built).toEqual(await loadScenarioFile(FIXTURE));
  });

  it('the chain from the docs builds', () => {
    const s = scenario('name')
      .proxy()
      .clients(3)
      .duration('10m')
      .config({ interval: '5s' })
      .fault({ at: '60s', until: '120s', fault: faults.timeout({ stream: 'upstream', timeout: 0 }) })
      .expect(detect({ side: 'client', within: 'bound' }))
      .build();
    expect(s.faults[0]).toEqual({
      id: 'timeout-1',
      at: 60_000,
      until: 120_000,
      fault: { type: 'timeout', stream: 'upstream', toxicity: 1, attributes: { timeout: 0 } },
    });
  });

  it('has a helper named after every Toxiproxy toxic', () => {
    expect(Object.keys(toxicFaults).sort()).toEqual([...TOXIC_TYPES].sort());
    for (const [type, make] of Object.entries(toxicFaults))
      expect((make as () => { type: string })().type).toBe(type);
    expect(
      [
        faults.latency(),
        faults.bandwidth(),
        faults.slowClose(),
        faults.resetPeer(),
        faults.slicer(),
        faults.limitData(),
        faults.noop(),
      ].map((f) => f.type),
    ).toEqual(['latency', 'bandwidth', 'slow_close', 'reset_peer', 'slicer', 'limit_data', 'noop']);
  });

  it('sim-only faults and every expectation helper build on a direct topology', () => {
    const s = scenario('sim')
      .direct({ latency: 2 })
      .duration('5m')
      .config({ backoff: { maxAttempts: 3 } })
      .fault({
        at: '10s',
        until: '20s',
        fault: faults.partition({ direction: 'server->client', mode: 'hold' }),
      })
      .fault({ at: '30s', until: '40s', fault: faults.crash({ host: 'server' }) })
      .fault({ at: '50s', fault: faults.pause({ host: 'client', for: '2s' }) })
      .fault({ at: '60s', until: '70s', fault: faults.clockSkew({ host: 'client', offset: '-1s' }) })
      .fault({ at: '80s', until: '90s', fault: faults.nat({ idleTimeout: '5s', action: 'rst' }) })
      .fault({ at: '100s', until: '110s', fault: faults.loss({ probability: 0.2 }) })
      .expect(detect(), reconnect(), maxAttempts(4), gaveUp(), falseDetection({ side: 'server' }))
      .expect(
        noFalseDetection({ side: 'client' }),
        state({ state: 'DISCONNECTED' }),
        overhead({ messagesPerHour: 200 }),
      )
      .build();
    expect(s.faults.map((f) => [f.fault.type, f.at, f.until])).toEqual([
      ['partition', 10_000, 20_000],
      ['crash', 30_000, 40_000],
      ['pause', 50_000, 52_000],
      ['clock-skew', 60_000, 70_000],
      ['nat', 80_000, 90_000],
      ['loss', 100_000, 110_000],
    ]);
    expect(s.expect.map((e) => e.type)).toEqual([
      'detect',
      'reconnect',
      'maxAttempts',
      'gaveUp',
      'falseDetection',
      'noFalseDetection',
      'state',
      'overhead',
    ]);
  });

  it('errors name the builder call that supplied the value', () => {
    const e = buildError(() =>
      scenario('bad')
        .duration('1m')
        .config({ intervl: '5s' } as Record<string, unknown>)
        .fault({ at: '10s', fault: faults.latency() })
        .fault({ at: '50s', until: '40s', fault: faults.timeout() })
        .expect(detect(), detect({ side: 'nobody' as 'client' }))
        .build(),
    );
    expect(e.message.split('\n')).toEqual([
      'scenario("bad") .config(): config.intervl: unknown key "intervl" (did you mean "interval"?); expected one of interval, pongTimeout, writeDeadline, readDeadline, keepalive, missThreshold, suspectThreshold, backoff, connectTimeout, serverHeartbeat, adaptive, businessTimeout, business, maxConnections, connectionThresholds',
      'scenario("bad") .expect() expectation #2: expect[1].side: expected one of client, server, both, either, got "nobody"',
    ]);
    expect(e.issues[0]).toMatchObject({ file: 'scenario("bad")', call: '.config()', path: 'config.intervl' });
    expect(e.line).toBeUndefined();
    const cross = buildError(() =>
      scenario('x').duration('1m').fault({ at: '50s', until: '40s', fault: faults.timeout() }).build(),
    );
    expect(cross.message).toBe(
      'scenario("x") .fault() #1: faults[0].until: the fault must heal after it starts: until (40000 ms) ≤ at (50000 ms)',
    );
    const topo = buildError(() =>
      scenario('x').direct().duration('1m').fault({ at: '5s', fault: faults.proxyDown() }).build(),
    );
    expect(topo.issues[0]!.call).toBe('.fault() #1');
    expect(buildError(() => scenario('x').build()).message).toBe(
      'scenario("x") .duration(): duration: expected a duration like 30s, 500ms, 1m30s or a number of ms, got nothing',
    );
  });
});

describe('serialize: normalized → input / YAML', () => {
  it('the fixture written back as YAML loads to the same scenario', async () => {
    const s = await loadScenarioFile(FIXTURE);
    const yaml = scenarioToYaml(s, { comment: 'regenerated' });
    expect(yaml.split('\n').slice(0, 2)).toEqual([
      '# yaml-language-server: $schema=./scenario.schema.json',
      '# regenerated',
    ]);
    expect(yaml).toContain('at: 1m');
    expect(loadScenarioText(yaml, 'roundtrip.yaml')).toEqual(s);
  });

  const ms = (max: number) => fc.integer({ min: 0, max });
  const toxicFault: fc.Arbitrary<FaultInput> = fc.oneof(
    fc.record({ type: fc.constant('latency' as const), latency: ms(5000), jitter: ms(100) }),
    fc.record({ type: fc.constant('bandwidth' as const), rate: ms(1000) }),
    fc.record({ type: fc.constant('slow_close' as const), delay: ms(5000) }),
    fc.record({ type: fc.constant('timeout' as const), timeout: ms(5000) }),
    fc.record({ type: fc.constant('reset_peer' as const), timeout: ms(5000) }),
    fc
      .record({ average_size: fc.integer({ min: 1, max: 100 }), size_variation: ms(10), delay: ms(9999) })
      .map((a) => ({
        type: 'slicer' as const,
        ...a,
        size_variation: Math.min(a.size_variation, a.average_size),
      })),
    fc.record({ type: fc.constant('limit_data' as const), bytes: ms(1000) }),
    fc.record({ type: fc.constant('noop' as const) }),
  );
  const simFault: fc.Arbitrary<FaultInput> = fc.oneof(
    fc.record({
      type: fc.constant('partition' as const),
      direction: fc.constantFrom('both' as const, 'client->server' as const, 'server->client' as const),
      mode: fc.constantFrom('drop' as const, 'hold' as const),
      convention: fc.constantFrom('C1' as const, 'C2' as const),
    }),
    fc.record({
      type: fc.constant('crash' as const),
      host: fc.constantFrom('client' as const, 'server' as const),
    }),
    fc.record({
      type: fc.constant('pause' as const),
      host: fc.constantFrom('client' as const, 'server' as const),
    }),
    fc.record({
      type: fc.constant('clock-skew' as const),
      host: fc.constant('server' as const),
      offset: fc.integer({ min: -1e6, max: 1e6 }),
    }),
    fc.record({
      type: fc.constant('nat' as const),
      idleTimeout: ms(1e6),
      action: fc.constantFrom('drop' as const, 'rst' as const),
    }),
    fc.record({
      type: fc.constant('loss' as const),
      probability: fc.double({ min: 0, max: 1, noNaN: true }),
      retransmitAfter: ms(1000),
    }),
  );

  it('parse(toInput(s)) = s for generated scenarios (property), readable or in ms', () => {
    const duration = 600_000;
    const entries = (fault: fc.Arbitrary<FaultInput>) =>
      fc.array(
        fc.record({
          at: ms(duration - 2),
          len: fc.option(fc.integer({ min: 1, max: duration }), { nil: undefined }),
          fault,
        }),
        { maxLength: 6 },
      );
    const arb = fc.oneof(
      entries(toxicFault).map((e) => ({ topology: 'proxy', e })),
      entries(simFault).map((e) => ({ topology: 'direct', e })),
    );
    fc.assert(
      fc.property(
        arb,
        fc.boolean(),
        fc.integer({ min: 1, max: 20 }),
        ({ topology, e }, readable, clients) => {
          // Toxics get unique names so overlapping windows never clash (Toxiproxy's 409 rule).
          const faults = e.map((x, i) => ({
            at: x.at,
            ...(x.len === undefined ? {} : { until: Math.min(duration, x.at + x.len) }),
            fault: (topology === 'proxy' ? { ...x.fault, name: `t${i}` } : x.fault) as FaultInput,
          }));
          const input = { name: 'gen', duration, clients, topology, faults };
          const first = parseScenario(input);
          expect(first.ok, JSON.stringify(!first.ok && first.issues.map((i) => i.message))).toBe(true);
          const s = (first as { scenario: Scenario }).scenario;
          const again = parseScenario(scenarioToInput(s, { readable }));
          expect(again).toEqual({ ok: true, scenario: s });
          expect(loadScenarioText(scenarioToYaml(s, { readable }))).toEqual(s);
        },
      ),
      { numRuns: 150 },
    );
  });
});
