/**
 * compareResults on hand-made results: which rows it produces, when they agree, and the two races it
 * recognizes (a heartbeat at the onset, a reconnect attempt at the heal). Tolerance at ×0.01 with the
 * defaults: ±3000 ms (30 real ms) + 5 % of the simulator's value; +500 ms per reconnect attempt.
 */
import { describe, expect, it } from 'vitest';
import { compareResults } from '../../harness/parity/compare.ts';
import { formatParityDiff, formatParityTable } from '../../harness/parity/format.ts';
import { parityTolerance } from '../../harness/parity/tolerance.ts';
import type { ParityRow } from '../../harness/result.ts';
import { BLACKHOLE, detection, lane, reconnect, result } from './synthetic.ts';

const TOL = parityTolerance(0.01);
const disagreeing = (rows: ParityRow[]) => rows.filter((r) => !r.agree).map((r) => r.field);
const rowOf = (rows: ParityRow[], field: string): ParityRow => {
  const r = rows.find((x) => x.field === field);
  if (!r) throw new Error(`no row "${field}" in: ${rows.map((x) => x.field).join(', ')}`);
  return r;
};

describe('compareResults: agreement', () => {
  it('agrees when the real run is within the tolerance, with one row per field', () => {
    const sim = result('sim');
    const real = result('toxiproxy', {
      detections: [detection('client', 9954, 'heartbeat-timeout'), detection('server', 10_049, 'fin')],
      reconnects: [reconnect(9087, 5)],
    });
    const rows = compareResults(sim, real, TOL);
    expect(rows.map((r) => r.field)).toEqual([
      'blackhole · client detected',
      'blackhole · client reason',
      'blackhole · client detection Δ',
      'blackhole · server detected',
      'blackhole · server reason',
      'blackhole · server detection Δ',
      'blackhole · client reconnected',
      'blackhole · client reconnect Δ',
      'blackhole · client reconnect attempts',
      'false detections · client',
      'false detections · server',
      'expect: detect (side=client)',
    ]);
    expect(disagreeing(rows)).toEqual([]);
    expect(rows.every((r) => r.scenario === 'synthetic-blackhole')).toBe(true);
    const delta = rowOf(rows, 'blackhole · client detection Δ');
    expect(delta).toMatchObject({ sim: '9000 ms', toxiproxy: '9954 ms (+954)' });
    expect(delta.tolerance).toBe('±3000 ms (30 real ms at ×0.01) + 5%');
    expect(rowOf(rows, 'blackhole · client reconnect Δ').tolerance).toBe(
      '±3000 ms (30 real ms at ×0.01) + 5% + 5 attempt(s) × 500 ms',
    );
  });

  it('a fault nobody detects on either backend still gets "detected: no" rows that agree', () => {
    const sim = result('sim', { detections: [], reconnects: [] });
    const real = result('toxiproxy', { detections: [], reconnects: [] });
    const rows = compareResults(sim, real, TOL);
    expect(rowOf(rows, 'blackhole · client detected')).toMatchObject({
      sim: 'no',
      toxiproxy: 'no',
      agree: true,
    });
    expect(rowOf(rows, 'blackhole · server detected')).toMatchObject({
      sim: 'no',
      toxiproxy: 'no',
      agree: true,
    });
  });
});

describe('compareResults: disagreement', () => {
  it('side: the client detects on sim but not through Toxiproxy', () => {
    const sim = result('sim');
    const real = result('toxiproxy', { detections: [detection('server', 9000, 'fin')], reconnects: [] });
    const rows = compareResults(sim, real, TOL);
    expect(disagreeing(rows)).toEqual(['blackhole · client detected', 'blackhole · client reconnected']);
    expect(rowOf(rows, 'blackhole · client detected')).toMatchObject({ sim: 'yes', toxiproxy: 'no' });
    // No reason or Δ row for a detection that exists on one side only.
    expect(rows.some((r) => r.field === 'blackhole · client reason')).toBe(false);
  });

  it('reason (F15): heartbeat-timeout on sim, fin through Toxiproxy', () => {
    const rows = compareResults(
      result('sim'),
      result('toxiproxy', {
        detections: [detection('client', 9000, 'fin'), detection('server', 9000, 'fin')],
      }),
      TOL,
    );
    expect(disagreeing(rows)).toEqual(['blackhole · client reason']);
    expect(rowOf(rows, 'blackhole · client reason')).toMatchObject({
      sim: 'heartbeat-timeout',
      toxiproxy: 'fin',
      tolerance: 'exact',
    });
  });

  it('detection time: 3450 ms late is the edge of ±3000 + 5 % of 9000; 3451 ms is beyond it', () => {
    const at = (delta: number) =>
      compareResults(
        result('sim'),
        result('toxiproxy', {
          detections: [detection('client', delta, 'heartbeat-timeout'), detection('server', 9000, 'fin')],
        }),
        TOL,
      );
    expect(disagreeing(at(9000 + 3450))).toEqual([]);
    expect(disagreeing(at(9000 - 3450))).toEqual([]);
    expect(disagreeing(at(9000 + 3451))).toEqual(['blackhole · client detection Δ']);
    expect(rowOf(at(9000 + 3451), 'blackhole · client detection Δ').toxiproxy).toBe('12451 ms (+3451)');
  });

  it('false detections: a count that differs fails, listing each one', () => {
    const rows = compareResults(
      result('sim'),
      result('toxiproxy', {
        falseDetections: [{ side: 'server', conn: 'server#3', reason: 'read-deadline', at: 200_000 }],
      }),
      TOL,
    );
    expect(disagreeing(rows)).toEqual(['false detections · server']);
    expect(rowOf(rows, 'false detections · server').toxiproxy).toBe('1 (read-deadline at 200000 ms)');
  });

  it('false detections are paired in time order: reason exact, time from the latest onset within the slack', () => {
    const fd = (at: number, reason = 'heartbeat-timeout') => ({
      side: 'client' as const,
      conn: 'client#2',
      reason,
      at,
    });
    const sim = result('sim', { falseDetections: [fd(60_000)] });
    const rows = (at: number, reason?: string) =>
      compareResults(sim, result('toxiproxy', { falseDetections: [fd(at, reason)] }), TOL);
    expect(disagreeing(rows(60_000 + 3000 + 750))).toEqual([]); // Δ = 15 000 from the onset: 5 % is 750
    expect(rowOf(rows(61_000), 'false detection · client at')).toMatchObject({
      sim: '60000 ms',
      toxiproxy: '61000 ms (+1000)',
      agree: true,
    });
    expect(disagreeing(rows(60_000 + 3751))).toEqual(['false detection · client at']);
    expect(disagreeing(rows(60_000, 'write-deadline'))).toEqual(['false detection · client reason']);
  });

  it('expectation verdicts must be equal (a state without a time limit is not about a time)', () => {
    const name = 'state (side=client, state=SUSPECT, fault=blackhole)';
    const rows = compareResults(
      result('sim', { expectations: [{ name, passed: true, detail: 'ok' }] }),
      result('toxiproxy', {
        expectations: [{ name, passed: false, detail: 'client never reached SUSPECT' }],
      }),
      TOL,
    );
    expect(disagreeing(rows)).toEqual([`expect: ${name}`]);
    expect(rowOf(rows, `expect: ${name}`)).toMatchObject({
      sim: 'pass',
      toxiproxy: 'fail: client never reached SUSPECT',
      tolerance: 'exact verdict',
    });
  });

  it('a state reached within a time of the onset is judged by the detection rows of that fault', () => {
    const name = 'state (side=client, state=SUSPECT, within=8000, fault=blackhole)';
    const verdicts = (passed: boolean) => [
      { name, passed, detail: passed ? 'ok' : 'client never reached SUSPECT' },
    ];
    const sim = result('sim', { expectations: verdicts(true) });
    const explained = compareResults(sim, result('toxiproxy', { expectations: verdicts(false) }), TOL);
    expect(disagreeing(explained)).toEqual([]);
    const late = compareResults(
      sim,
      result('toxiproxy', {
        detections: [detection('client', 20_000, 'heartbeat-timeout'), detection('server', 9000, 'fin')],
        expectations: verdicts(false),
      }),
      TOL,
    );
    expect(disagreeing(late)).toEqual(['blackhole · client detection Δ', `expect: ${name}`]);
  });

  it('a time verdict that flips only because a time within the tolerance crossed its limit agrees, saying so', () => {
    // An exact bound (RST delivery, tolerance 0): 515 ms on sim, 540 ms through Toxiproxy.
    const name = 'detect (side=client, within=bound, reason=reset, fault=blackhole)';
    const verdicts = (passed: boolean) => [
      { name, passed, detail: passed ? 'ok' : 'client reset after 540 ms' },
    ];
    const dets = (d: number) => [detection('client', d, 'reset'), detection('server', d, 'reset')];
    const sim = result('sim', { detections: dets(515), expectations: verdicts(true) });
    const near = compareResults(
      sim,
      result('toxiproxy', { detections: dets(540), expectations: verdicts(false) }),
      TOL,
    );
    expect(disagreeing(near)).toEqual([]);
    expect(rowOf(near, `expect: ${name}`).tolerance).toBe(
      'verdict follows from times that agree within the tolerance (blackhole · client detected; blackhole · client reason; blackhole · client detection Δ; blackhole · server detected; blackhole · server reason; blackhole · server detection Δ): the expectation has no slack for a real network',
    );
    const far = compareResults(
      sim,
      result('toxiproxy', { detections: dets(9000), expectations: verdicts(false) }),
      TOL,
    );
    expect(disagreeing(far)).toEqual([
      'blackhole · client detection Δ',
      'blackhole · server detection Δ',
      `expect: ${name}`,
    ]);
  });

  it('reconnect attempts are loose (±1) but not unbounded', () => {
    const at = (attempts: number) =>
      compareResults(result('sim'), result('toxiproxy', { reconnects: [reconnect(8763, attempts)] }), TOL, {
        simDials: { client: [] },
      });
    expect(disagreeing(at(6))).toEqual([]);
    expect(disagreeing(at(4))).toEqual([]);
    expect(disagreeing(at(7))).toEqual(['blackhole · client reconnect attempts']);
  });

  it('attempts are compared at the pace of the real outage: a later real detection leaves room for fewer', () => {
    // Sim: detected at 54 000, 6 attempts until the heal at 120 000 (66 s). Real: detected 30 s later
    // (36 s outage), so the same pace fits 6 · 36/66 ≈ 3.3 attempts.
    const at = (attempts: number) =>
      rowOf(
        compareResults(
          result('sim', { reconnects: [reconnect(800, 6)] }),
          result('toxiproxy', {
            detections: [detection('client', 39_000, 'heartbeat-timeout'), detection('server', 9000, 'fin')],
            reconnects: [reconnect(800, attempts)],
          }),
          TOL,
          { simDials: { client: [] } },
        ),
        'blackhole · client reconnect attempts',
      );
    expect(at(3)).toMatchObject({
      agree: true,
      tolerance: '±1, around 3.3: the real outage is 36000 ms, not 66000 ms',
    });
    expect(at(4).agree).toBe(true);
    expect(at(6).agree).toBe(false);
  });

  it('many attempts in an outage widen the count by their drift: 24 cycles × 125 ms in 66 s ≈ 1 more', () => {
    const t = parityTolerance(0.04);
    const at = (attempts: number) =>
      compareResults(
        result('sim', { reconnects: [reconnect(800, 24)] }),
        result('toxiproxy', { reconnects: [reconnect(800, attempts)] }),
        t,
        {
          simDials: { client: [] },
        },
      );
    expect(disagreeing(at(22))).toEqual([]);
    expect(rowOf(at(22), 'blackhole · client reconnect attempts').tolerance).toBe(
      '±1 + 1 (24 cycles drifting 125 ms each in a 66000 ms outage)',
    );
    expect(disagreeing(at(21))).toEqual(['blackhole · client reconnect attempts']);
  });
});

describe('compareResults: races at the onset and the heal', () => {
  // Pings at 4900 + k·10000: the one at 44 900 escapes the onset (45 000) on sim, so the first lost
  // ping is 54 900 and Δ = 54 900 + T − 45 000 = 13 900. Late by ≥ 100 ms on a real run, it is lost
  // instead: Δ = 3900 + lateness, one interval earlier.
  const raceSim = () =>
    result('sim', {
      detections: [detection('client', 13_900, 'heartbeat-timeout'), detection('server', 13_900, 'fin')],
      lanes: [lane(4900, 58_900)],
    });
  const realEarlier = (lanes = [lane(4900, 58_900)]) =>
    result('toxiproxy', {
      detections: [detection('client', 4100, 'heartbeat-timeout'), detection('server', 4150, 'fin')],
      lanes,
    });

  it('a heartbeat within the slack of the onset lets the detection move by one interval I', () => {
    const rows = compareResults(raceSim(), realEarlier(), TOL);
    expect(disagreeing(rows)).toEqual([]);
    expect(rowOf(rows, 'blackhole · client detection Δ').tolerance).toContain(
      'or ± I (10000 ms): a heartbeat at 44900 ms is within 3000 ms of the onset',
    );
  });

  it('without a heartbeat near the onset, the same one-interval shift is a disagreement', () => {
    const sim = result('sim', {
      detections: [detection('client', 13_900, 'heartbeat-timeout'), detection('server', 13_900, 'fin')],
      lanes: [lane(8900, 58_900)], // pings at 38 900 and 48 900: 6100 and 3900 ms from the onset
    });
    const rows = compareResults(sim, realEarlier(), TOL);
    expect(disagreeing(rows)).toEqual(['blackhole · client detection Δ', 'blackhole · server detection Δ']);
  });

  it('the race allows I ± slack, not anything in between', () => {
    const real = result('toxiproxy', {
      detections: [detection('client', 8000, 'heartbeat-timeout'), detection('server', 13_900, 'fin')],
    });
    expect(disagreeing(compareResults(raceSim(), real, TOL))).toEqual(['blackhole · client detection Δ']);
  });

  it('a simulator dial within the slack of the heal lets the reconnect move by one worst wait (W_cap = c + J)', () => {
    // Sim: an attempt at 118 500 (refused: before the heal at 120 000), the next one succeeds at
    // 128 763. Real: the same attempt, late by a few real ms, lands after the heal and succeeds.
    const sim = result('sim');
    const real = result('toxiproxy', { reconnects: [reconnect(150, 4)] });
    const near = compareResults(sim, real, TOL, { simDials: { client: [118_500, 128_763] } });
    expect(disagreeing(near)).toEqual([]);
    expect(rowOf(near, 'blackhole · client reconnect Δ').tolerance).toContain(
      '+ W_cap 9000 ms: an attempt at 118500 ms is within the slack of the heal',
    );
    const far = compareResults(sim, real, TOL, { simDials: { client: [100_000, 128_763] } });
    expect(disagreeing(far)).toEqual(['blackhole · client reconnect Δ']);
  });

  it('without dial evidence, attempt counts that differ by one are read as an attempt crossing the heal', () => {
    const sim = result('sim');
    expect(
      disagreeing(compareResults(sim, result('toxiproxy', { reconnects: [reconnect(150, 4)] }), TOL)),
    ).toEqual([]);
    expect(
      disagreeing(compareResults(sim, result('toxiproxy', { reconnects: [reconnect(150, 5)] }), TOL)),
    ).toEqual(['blackhole · client reconnect Δ']);
  });
});

describe('compareResults: several clients', () => {
  it('groups detections per client host and numbers several server connections', () => {
    const dets = (shift: number) => [
      detection('client', 9000 + shift, 'heartbeat-timeout', 'client-1#1'),
      detection('client', 9100 + shift, 'heartbeat-timeout', 'client-2#1'),
      detection('server', 9000 + shift, 'fin', 'server#1'),
      detection('server', 9100 + shift, 'fin', 'server#2'),
    ];
    const sim = result('sim', { detections: dets(0), reconnects: [] });
    const real = result('toxiproxy', { detections: dets(500), reconnects: [] });
    const rows = compareResults(sim, real, TOL);
    expect(rows.map((r) => r.field).filter((f) => f.startsWith('blackhole'))).toEqual([
      'blackhole · client-1 detected',
      'blackhole · client-1 reason',
      'blackhole · client-1 detection Δ',
      'blackhole · client-2 detected',
      'blackhole · client-2 reason',
      'blackhole · client-2 detection Δ',
      'blackhole · server detected',
      'blackhole · server #1 reason',
      'blackhole · server #1 detection Δ',
      'blackhole · server #2 reason',
      'blackhole · server #2 detection Δ',
    ]);
    expect(rowOf(rows, 'blackhole · server detected')).toMatchObject({
      sim: 'yes (2)',
      toxiproxy: 'yes (2)',
    });
    expect(disagreeing(rows)).toEqual([]);
  });

  it('attributes each reconnect to the fault whose heal it is measured from', () => {
    const second = { ...BLACKHOLE, id: 'second', at: 200_000, until: 250_000 };
    const d2 = {
      ...detection('client', 9000, 'heartbeat-timeout', 'client#9'),
      fault: 'second',
      at: 209_000,
    };
    const r2 = { ...reconnect(3000, 3), at: 253_000, delta: 3000 };
    const sim = result('sim', {
      faults: [BLACKHOLE, second],
      detections: [detection('client', 9000, 'heartbeat-timeout'), d2],
      reconnects: [reconnect(8763, 5), r2],
    });
    const rows = compareResults(sim, sim, TOL);
    expect(rowOf(rows, 'second · client reconnect Δ').sim).toBe('3000 ms');
    expect(rowOf(rows, 'blackhole · client reconnect Δ').sim).toBe('8763 ms');
  });
});

describe('formatParityDiff', () => {
  it('is empty when everything agrees, else a table of the disagreeing rows only', () => {
    const sim = result('sim');
    expect(formatParityDiff(compareResults(sim, sim, TOL))).toBe('');
    const rows = compareResults(
      sim,
      result('toxiproxy', {
        detections: [detection('client', 20_000, 'fin'), detection('server', 9000, 'fin')],
      }),
      TOL,
    );
    const text = formatParityDiff(rows);
    const lines = text.split('\n');
    expect(lines[0]).toBe('synthetic-blackhole: 2 of 12 parity row(s) disagree between sim and toxiproxy');
    expect(lines[1]).toMatch(/^field +│ sim +│ toxiproxy +│ tolerance$/);
    expect(lines.slice(3).map((l) => l.split('│')[0]!.trim())).toEqual([
      'blackhole · client reason',
      'blackhole · client detection Δ',
    ]);
    expect(lines[4]).toContain('20000 ms (+11000)');
  });

  it('marks disagreeing rows with ✗ in the full table', () => {
    const rows = compareResults(
      result('sim'),
      result('toxiproxy', {
        detections: [detection('client', 9000, 'fin'), detection('server', 9000, 'fin')],
      }),
      TOL,
    );
    const marked = formatParityTable(rows, { mark: true })
      .split('\n')
      .filter((l) => l.startsWith('✗'));
    expect(marked).toHaveLength(1);
    expect(marked[0]).toContain('blackhole · client reason');
  });
});
