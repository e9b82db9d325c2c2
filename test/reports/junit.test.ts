import { describe, expect, it } from 'vitest';
import type { ScenarioResult, SweepResult } from '../../harness/result.ts';
import { describeConfig } from '../../harness/sweep/describe.ts';
import { ReportError } from '../../reports/errors.ts';
import { renderJunit, SWEEP_VERDICT_CASE } from '../../reports/junit.ts';
import { blackHoleRun, HOSTILE, hostileRun, runFixture, sweepFixture } from './fixtures.ts';
import { childElements, findAll, parseXml, textOf, type XmlElement } from './xml.ts';

describe('JUnit XML', () => {
  const results = runFixture();
  const xml = renderJunit(results);
  const root = parseXml(xml);

  it('is well-formed with one testsuite per scenario run and one testcase per expectation', () => {
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
    expect(root.name).toBe('testsuites');
    const suites = childElements(root, 'testsuite');
    expect(suites).toHaveLength(results.length);
    suites.forEach((suite, i) => {
      const r = results[i]!;
      expect(suite.attrs.name).toBe(`${r.scenario} [${r.backend} seed ${r.seed}]`);
      const cases = childElements(suite, 'testcase');
      expect(cases.map((c) => c.attrs.name)).toEqual(r.expectations.map((e) => e.name));
      expect(Number(suite.attrs.tests)).toBe(r.expectations.length);
      expect(Number(suite.attrs.failures)).toBe(r.expectations.filter((e) => !e.passed).length);
      expect(cases.every((c) => c.attrs.classname === `flatline.${r.backend}.${r.scenario}`)).toBe(true);
    });
  });

  it('totals tests and failures on <testsuites>', () => {
    const all = results.flatMap((r) => r.expectations);
    expect(Number(root.attrs.tests)).toBe(all.length);
    expect(Number(root.attrs.failures)).toBe(all.filter((e) => !e.passed).length);
    expect(Number(root.attrs.failures)).toBe(2);
    expect(root.attrs.errors).toBe('0');
  });

  it('gives each failure its detail, the measured-vs-bound lines and the replay command', () => {
    const spike = results[1]!;
    const suite = childElements(root, 'testsuite')[1]!;
    const failures = findAll(suite, (e) => e.name === 'failure');
    expect(failures).toHaveLength(2);
    const first = failures[0]!;
    expect(first.attrs.message).toBe(spike.expectations[0]!.detail);
    expect(first.attrs.type).toBe('expectation');
    const body = textOf(first);
    expect(body).toContain(`replay: ${spike.replay}`);
    expect(body).toContain('FAIL server detection on c2 (read-deadline) of f2: Δ 15000 ms, bound [0, 26]');
    expect(body).toContain('FAIL false detection: client on c1');
    const props = Object.fromEntries(
      findAll(suite, (e) => e.name === 'property').map((p) => [p.attrs.name, p.attrs.value]),
    );
    expect(props).toMatchObject({
      seed: '7',
      backend: 'toxiproxy',
      replay: spike.replay,
      traceHash: spike.traceHash,
    });
  });

  it('adds a failing "scenario verdict" case when the run failed but no expectation says why, or there are none', () => {
    const silent: ScenarioResult = { ...blackHoleRun(), passed: false };
    const empty: ScenarioResult = { ...blackHoleRun(), expectations: [] };
    const doc = parseXml(renderJunit([silent, empty]));
    const [a, b] = childElements(doc, 'testsuite');
    expect(childElements(a!, 'testcase').map((c) => c.attrs.name)).toEqual([
      ...silent.expectations.map((e) => e.name),
      'scenario verdict',
    ]);
    expect(a!.attrs.failures).toBe('1');
    expect(childElements(b!, 'testcase').map((c) => c.attrs.name)).toEqual(['scenario verdict']);
    expect(b!.attrs.failures).toBe('0');
    expect(doc.attrs.tests).toBe(String(silent.expectations.length + 2));
  });

  it('escapes hostile names, details and properties (and drops characters XML forbids)', () => {
    const hostile = renderJunit([hostileRun()]);
    const doc = parseXml(hostile);
    const suite = childElements(doc, 'testsuite')[0]!;
    expect(suite.attrs.name).toBe(`${HOSTILE.scenario} [sim seed 1]`);
    const failure = findAll(suite, (e) => e.name === 'failure')[0]!;
    expect(failure.attrs.message).toBe(HOSTILE.detail.replace('\u0000', '\uFFFD'));
    expect(hostile).not.toContain('<script');
    expect(findAll(doc, (e) => e.name === 'script')).toEqual([]);
  });

  it('rejects input that is not a list of results', () => {
    expect(() => renderJunit({} as unknown as ScenarioResult[])).toThrow(ReportError);
  });
});

describe('JUnit XML of a sweep', () => {
  const sweep = sweepFixture();
  const root = parseXml(renderJunit(sweep));
  const suites = childElements(root, 'testsuite');
  const props = (suite: XmlElement) =>
    Object.fromEntries(
      findAll(suite, (e) => e.name === 'property').map((p) => [p.attrs.name, p.attrs.value]),
    );
  const unmet = (cells: SweepResult['cells']) => cells.flatMap((c) => c.goals.filter((g) => !g.met));

  it('has the recommendation suite, then one suite per configuration: the grid, then the presets', () => {
    const grid = [...new Map(sweep.cells.map((c) => [describeConfig(c.config), c.config])).keys()];
    expect(suites.map((s) => s.attrs.name)).toEqual([
      'recommendation',
      ...grid,
      ...sweep.presets.map((p) => `${p.name}: ${describeConfig(p.config)}`),
    ]);
    const verdict = childElements(suites[0]!, 'testcase');
    expect(verdict.map((c) => [c.attrs.classname, c.attrs.name])).toEqual([
      ['flatline.sweep.recommendation', SWEEP_VERDICT_CASE],
    ]);
    expect(findAll(suites[0]!, (e) => e.name === 'failure')).toEqual([]);
    expect(props(suites[0]!)).toMatchObject({ replay: sweep.replay, 'goal.1': sweep.goals[0] });
  });

  it('has one test case per goal × scenario × latency profile, failing with the reason when a goal was missed', () => {
    for (const suite of suites.slice(1, 10)) {
      const cells = sweep.cells.filter((c) => describeConfig(c.config) === suite.attrs.name);
      expect(cells).toHaveLength(2);
      const cases = childElements(suite, 'testcase');
      expect(cases.map((c) => c.attrs.name)).toEqual(
        cells.flatMap((c) => c.goals.map((g) => `${g.goal} · ${c.scenario} · ${c.latencyProfile}`)),
      );
      expect(Number(suite.attrs.tests)).toBe(6);
      expect(Number(suite.attrs.failures)).toBe(unmet(cells).length);
      const failures = findAll(suite, (e) => e.name === 'failure');
      expect(failures.map((f) => f.attrs.message)).toEqual(unmet(cells).map((g) => g.why));
      for (const f of failures) {
        expect(f.attrs.type).toBe('goal');
        expect(textOf(f)).toMatch(
          /^.+: .+\nscenario black-hole-both-ways, latency .+, 20 seeds\nreplay \(worst seed\): npx flatline run /,
        );
      }
    }
  });

  it('marks each configuration recommended, runner-up or rejected, with the rejection reason', () => {
    const byName = new Map(suites.map((s) => [s.attrs.name, s]));
    const best = byName.get(describeConfig(sweep.recommendation.best!))!;
    expect(props(best).verdict).toBe('recommended');
    expect(best.attrs.failures).toBe('0');
    expect(props(byName.get(describeConfig(sweep.recommendation.runnerUp!))!).verdict).toBe('runner-up');
    expect(sweep.recommendation.rejected.length).toBeGreaterThan(0);
    for (const r of sweep.recommendation.rejected) {
      const suite = byName.get(describeConfig(r.config))!;
      expect(props(suite).verdict).toBe('rejected');
      expect(Number(suite.attrs.failures)).toBeGreaterThan(0);
      expect(textOf(childElements(suite, 'system-out')[0]!)).toBe(`rejected: ${r.why}`);
    }
  });

  it('totals tests and failures over every suite', () => {
    const all = [...sweep.cells, ...sweep.presets.flatMap((p) => p.cells)];
    expect(Number(root.attrs.tests)).toBe(1 + all.reduce((n, c) => n + c.goals.length, 0));
    expect(Number(root.attrs.failures)).toBe(unmet(all).length);
    expect(root.attrs.name).toBe(`flatline sweep ${sweep.name}`);
  });

  it('fails the verdict case when no configuration met every goal', () => {
    const none = sweepFixture();
    none.recommendation = { why: 'No configuration met every goal (9 tried).', rejected: [] };
    const doc = parseXml(renderJunit(none));
    const verdict = childElements(childElements(doc, 'testsuite')[0]!, 'testcase')[0]!;
    const failure = childElements(verdict, 'failure')[0]!;
    expect(failure.attrs.message).toBe(none.recommendation.why);
    expect(textOf(failure)).toContain(`replay: ${none.replay}`);
  });

  it('gives a preset equal to a grid configuration no second suite, and names that suite after it', () => {
    const shared = sweepFixture();
    const grid = shared.cells[0]!.config;
    const cells = shared.cells.filter((c) => c.config === grid);
    shared.presets = [{ name: 'same as grid', config: grid, cells }];
    const doc = parseXml(renderJunit(shared));
    const names = childElements(doc, 'testsuite').map((s) => s.attrs.name);
    expect(names).toHaveLength(1 + 9);
    const suite = childElements(doc, 'testsuite')[1]!;
    expect(props(suite).preset).toBe('same as grid');
  });

  it('escapes hostile scenario, profile and goal strings', () => {
    const evil = sweepFixture();
    evil.cells = evil.cells.map((c) => ({
      ...c,
      scenario: HOSTILE.scenario,
      goals: c.goals.map((g) => ({ ...g, why: HOSTILE.detail })),
    }));
    const xml = renderJunit(evil);
    const doc = parseXml(xml);
    expect(xml).not.toContain('<script');
    expect(findAll(doc, (e) => e.name === 'failure')[0]!.attrs.message).toBe(
      HOSTILE.detail.replace('\u0000', '\uFFFD'),
    );
  });

  it('rejects a malformed sweep with a ReportError', () => {
    expect(() => renderJunit({ cells: 'x' } as unknown as SweepResult)).toThrow(ReportError);
  });
});
