/**
 * JUnit XML for CI: one <testsuite> per ScenarioResult (scenario × backend × seed), one <testcase>
 * per expectation; a failed expectation carries its detail, the measured-vs-bound lines of the
 * result and the replay command. When a result has no expectations, or failed for a reason none of
 * its expectations records, one extra test case "scenario verdict" carries the overall outcome, so
 * a failure can never be reported as green. Scenario time is not wall time, so no `time` attribute
 * is written.
 */
import type { ScenarioResult } from '../harness/result.ts';
import { escAttr, esc as escText } from './escape.ts';
import { assertScenarioResults } from './validate.ts';

const VERDICT_CASE = 'scenario verdict';

function attrs(map: Record<string, string | number | undefined>): string {
  return Object.entries(map)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escAttr(v)}"`)
    .join('');
}

function suiteName(r: ScenarioResult): string {
  return `${r.scenario} [${r.backend} seed ${r.seed}]`;
}

function boundLines(r: ScenarioResult): string[] {
  return [
    ...r.detections.map(
      (d) =>
        `${d.withinBound ? 'ok  ' : 'FAIL'} ${d.side} detection on ${d.conn} (${d.reason}) of ${d.fault}: Δ ${d.delta} ms, bound [${d.bound.min}, ${d.bound.max}] — ${d.bound.why}`,
    ),
    ...r.reconnects.map(
      (c) =>
        `${c.withinBound ? 'ok  ' : 'FAIL'} reconnect of ${c.client}: Δ ${c.delta} ms after heal, ${c.attempts} attempts, bound [${c.bound.min}, ${c.bound.max}] — ${c.bound.why}`,
    ),
    ...r.falseDetections.map(
      (f) => `FAIL false detection: ${f.side} on ${f.conn} at ${f.at} ms (${f.reason})`,
    ),
  ];
}

interface Case {
  name: string;
  failure?: { message: string; body: string };
}

function casesOf(r: ScenarioResult): Case[] {
  const context = [...boundLines(r), `replay: ${r.replay}`].join('\n');
  const cases: Case[] = r.expectations.map((e) =>
    e.passed
      ? { name: e.name }
      : { name: e.name, failure: { message: e.detail, body: `${e.detail}\n\n${context}` } },
  );
  const anyFailed = r.expectations.some((e) => !e.passed);
  if (r.expectations.length === 0 || (!r.passed && !anyFailed)) {
    cases.push(
      r.passed
        ? { name: VERDICT_CASE }
        : {
            name: VERDICT_CASE,
            failure: { message: 'the scenario failed although no expectation did', body: context },
          },
    );
  }
  return cases;
}

export function renderJunit(results: ScenarioResult[], name = 'flatline'): string {
  assertScenarioResults(results);
  const suites = results.map((r) => ({ r, cases: casesOf(r) }));
  const total = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + s.cases.filter((c) => c.failure).length, 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attrs({ name, tests: total, failures, errors: 0, skipped: 0 })}>`);
  suites.forEach(({ r, cases }, i) => {
    const classname = `flatline.${r.backend}.${r.scenario}`;
    out.push(
      `  <testsuite${attrs({
        name: suiteName(r),
        id: i,
        tests: cases.length,
        failures: cases.filter((c) => c.failure).length,
        errors: 0,
        skipped: 0,
        file: r.file,
      })}>`,
    );
    out.push('    <properties>');
    const props: [string, string | number | undefined][] = [
      ['scenario', r.scenario],
      ['backend', r.backend],
      ['seed', r.seed],
      ['timeScale', r.timeScale],
      ['traceHash', r.traceHash],
      ['replay', r.replay],
      ['file', r.file],
      ...Object.entries(r.environment).map(([k, v]): [string, string] => [`env.${k}`, v]),
    ];
    for (const [k, v] of props)
      if (v !== undefined) out.push(`      <property${attrs({ name: k, value: v })}/>`);
    out.push('    </properties>');
    for (const c of cases) {
      if (!c.failure) {
        out.push(`    <testcase${attrs({ classname, name: c.name })}/>`);
        continue;
      }
      out.push(`    <testcase${attrs({ classname, name: c.name })}>`);
      out.push(
        `      <failure${attrs({ message: c.failure.message, type: 'expectation' })}>${escText(c.failure.body)}</failure>`,
      );
      out.push('    </testcase>');
    }
    out.push(`    <system-out>${escText(`replay: ${r.replay}\n${boundLines(r).join('\n')}`)}</system-out>`);
    out.push('  </testsuite>');
  });
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
