import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../harness/result.ts';
import { ReportError } from '../../reports/errors.ts';
import { renderJunit } from '../../reports/junit.ts';
import { blackHoleRun, HOSTILE, hostileRun, runFixture } from './fixtures.ts';
import { childElements, findAll, parseXml, textOf } from './xml.ts';

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
