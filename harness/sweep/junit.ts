/**
 * JUnit XML for a sweep (reports/junit.ts renders runs only). A sweep fails CI when no configuration
 * meets the goals — the one test case that can fail. Configurations and presets that miss a goal are
 * candidates ruled out, not test failures: they are written as skipped, with the reasons, so a CI
 * dashboard shows them without turning red.
 */
import { esc, escAttr } from '../../reports/escape.ts';
import type { SweepCell, SweepResult } from '../result.ts';
import { describeConfig } from './describe.ts';
import { failureReasons } from './recommend.ts';

function attrs(map: Record<string, string | number>): string {
  return Object.entries(map)
    .map(([k, v]) => ` ${k}="${escAttr(v)}"`)
    .join('');
}

interface Case {
  name: string;
  failure?: string;
  skipped?: string;
  out?: string;
}

function casesFor(name: string, cells: readonly SweepCell[]): Case {
  const failed = cells.flatMap((c) =>
    c.goals.filter((g) => !g.met).map((g) => ({ ...g, where: `${c.scenario} · ${c.latencyProfile}` })),
  );
  const detail = cells.map(
    (c) =>
      `${c.scenario} · ${c.latencyProfile}: ${c.goals.map((g) => `${g.met ? 'ok' : 'FAIL'} ${g.goal}: ${g.why}`).join('; ')}`,
  );
  return failed.length
    ? { name, skipped: `rejected: ${failureReasons(failed)}`, out: detail.join('\n') }
    : { name, out: detail.join('\n') };
}

function suite(name: string, id: number, cases: Case[]): string[] {
  const failures = cases.filter((c) => c.failure).length;
  const skipped = cases.filter((c) => c.skipped).length;
  const lines = [`  <testsuite${attrs({ name, id, tests: cases.length, failures, errors: 0, skipped })}>`];
  for (const c of cases) {
    const head = `    <testcase${attrs({ classname: `flatline.sweep.${name}`, name: c.name })}`;
    const body = [
      ...(c.failure
        ? [`      <failure${attrs({ message: c.failure, type: 'goals' })}>${esc(c.failure)}</failure>`]
        : []),
      ...(c.skipped ? [`      <skipped${attrs({ message: c.skipped })}/>`] : []),
      ...(c.out ? [`      <system-out>${esc(c.out)}</system-out>`] : []),
    ];
    lines.push(body.length ? `${head}>\n${body.join('\n')}\n    </testcase>` : `${head}/>`);
  }
  lines.push('  </testsuite>');
  return lines;
}

export function renderSweepJunit(r: SweepResult): string {
  const rec = r.recommendation;
  const verdict: Case = rec.best
    ? {
        name: 'a configuration meets every goal',
        out: `${describeConfig(rec.best)}\n${rec.why}\nreplay: ${r.replay}`,
      }
    : { name: 'a configuration meets every goal', failure: rec.why, out: `replay: ${r.replay}` };
  const byConfig = new Map<string, SweepCell[]>();
  for (const c of r.cells) {
    const k = describeConfig(c.config);
    byConfig.set(k, [...(byConfig.get(k) ?? []), c]);
  }
  const suites = [
    suite('recommendation', 0, [verdict]),
    suite(
      'configurations',
      1,
      [...byConfig].map(([name, cells]) => casesFor(name, cells)),
    ),
    ...(r.presets.length
      ? [
          suite(
            'presets',
            2,
            r.presets.map((p) => casesFor(p.name, p.cells)),
          ),
        ]
      : []),
  ];
  const total = 1 + byConfig.size + r.presets.length;
  const failures = verdict.failure ? 1 : 0;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs({ name: `flatline sweep ${r.name}`, tests: total, failures, errors: 0 })}>`,
    ...suites.flat(),
    '</testsuites>',
    '',
  ].join('\n');
}
