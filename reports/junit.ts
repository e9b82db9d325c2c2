/**
 * JUnit XML for CI, of runs or of a sweep. Scenario time is not wall time, so no `time` attribute is
 * written.
 *
 * Runs (ScenarioResult[]): one <testsuite> per result (scenario × backend × seed), one <testcase> per
 * expectation; a failed expectation carries its detail, the measured-vs-bound lines of the result
 * and the replay command. When a result has no expectations, or failed for a reason none of its
 * expectations records, one extra test case "scenario verdict" carries the overall outcome, so a
 * failure can never be reported as green.
 *
 * A sweep (SweepResult): a first suite "recommendation" whose one case fails when no configuration
 * met every goal (the sweep's own exit status), then one <testsuite> per configuration — the grid's,
 * then each preset that is not also a grid configuration — with one <testcase> per goal × scenario ×
 * latency profile. A missed goal is a failure carrying the numbers behind the verdict and the
 * command that replays the cell's worst seed; a rejected configuration's suite also carries the
 * recommendation's reason.
 */
import type { ScenarioResult, SweepCell, SweepConfig, SweepResult } from '../harness/result.ts';
import { describeBackoff } from '../harness/sweep/backoff.ts';
import { describeConfig } from '../harness/sweep/describe.ts';
import { escAttr, esc as escText } from './escape.ts';
import { configKey, sameConfig } from './sweep-summary.ts';
import { assertScenarioResults, assertSweepResult, isSweepResult } from './validate.ts';

const VERDICT_CASE = 'scenario verdict';
/** The sweep's one test of its overall outcome; CI greps for it. */
export const SWEEP_VERDICT_CASE = 'a configuration meets every goal';

type Attrs = Record<string, string | number | undefined>;

function attrs(map: Attrs): string {
  return Object.entries(map)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escAttr(v)}"`)
    .join('');
}

interface Case {
  classname: string;
  name: string;
  failure?: { message: string; type: string; body: string };
  out?: string;
}

interface Suite {
  name: string;
  file?: string;
  properties: [string, string | number | undefined][];
  cases: Case[];
  out?: string;
}

function caseXml(c: Case): string[] {
  const head = `    <testcase${attrs({ classname: c.classname, name: c.name })}`;
  const body = [
    ...(c.failure
      ? [
          `      <failure${attrs({ message: c.failure.message, type: c.failure.type })}>${escText(c.failure.body)}</failure>`,
        ]
      : []),
    ...(c.out ? [`      <system-out>${escText(c.out)}</system-out>`] : []),
  ];
  return body.length > 0 ? [`${head}>`, ...body, '    </testcase>'] : [`${head}/>`];
}

function document(name: string, suites: Suite[]): string {
  const failuresOf = (cases: Case[]) => cases.filter((c) => c.failure).length;
  const total = suites.reduce((n, s) => n + s.cases.length, 0);
  const failures = suites.reduce((n, s) => n + failuresOf(s.cases), 0);
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(`<testsuites${attrs({ name, tests: total, failures, errors: 0, skipped: 0 })}>`);
  suites.forEach((s, id) => {
    out.push(
      `  <testsuite${attrs({
        name: s.name,
        id,
        tests: s.cases.length,
        failures: failuresOf(s.cases),
        errors: 0,
        skipped: 0,
        file: s.file,
      })}>`,
    );
    const props = s.properties.filter(([, v]) => v !== undefined);
    if (props.length > 0) {
      out.push('    <properties>');
      for (const [k, v] of props) out.push(`      <property${attrs({ name: k, value: v })}/>`);
      out.push('    </properties>');
    }
    for (const c of s.cases) out.push(...caseXml(c));
    if (s.out) out.push(`    <system-out>${escText(s.out)}</system-out>`);
    out.push('  </testsuite>');
  });
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------
// runs

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

function runSuite(r: ScenarioResult): Suite {
  const classname = `flatline.${r.backend}.${r.scenario}`;
  const context = [...boundLines(r), `replay: ${r.replay}`].join('\n');
  const cases: Case[] = r.expectations.map((e) =>
    e.passed
      ? { classname, name: e.name }
      : {
          classname,
          name: e.name,
          failure: { message: e.detail, type: 'expectation', body: `${e.detail}\n\n${context}` },
        },
  );
  const anyFailed = r.expectations.some((e) => !e.passed);
  if (r.expectations.length === 0 || (!r.passed && !anyFailed)) {
    cases.push(
      r.passed
        ? { classname, name: VERDICT_CASE }
        : {
            classname,
            name: VERDICT_CASE,
            failure: {
              message: 'the scenario failed although no expectation did',
              type: 'expectation',
              body: context,
            },
          },
    );
  }
  return {
    name: `${r.scenario} [${r.backend} seed ${r.seed}]`,
    ...(r.file === undefined ? {} : { file: r.file }),
    properties: [
      ['scenario', r.scenario],
      ['backend', r.backend],
      ['seed', r.seed],
      ['timeScale', r.timeScale],
      ['traceHash', r.traceHash],
      ['replay', r.replay],
      ['file', r.file],
      ...Object.entries(r.environment).map(([k, v]): [string, string] => [`env.${k}`, v]),
    ],
    cases,
    out: `replay: ${r.replay}\n${boundLines(r).join('\n')}`,
  };
}

// ---------------------------------------------------------------------------------------------------
// sweeps

interface Candidate {
  config: SweepConfig;
  cells: SweepCell[];
  preset?: { name: string; source?: string };
}

/** Grid configurations in the order they first appear, then presets that are not one of them. */
function candidates(sweep: SweepResult): Candidate[] {
  const grid = new Map<string, Candidate>();
  for (const cell of sweep.cells) {
    const key = configKey(cell.config);
    const known = grid.get(key);
    if (known) known.cells.push(cell);
    else grid.set(key, { config: cell.config, cells: [cell] });
  }
  const out = [...grid.values()];
  for (const p of sweep.presets) {
    const preset = { name: p.name, ...(p.source === undefined ? {} : { source: p.source }) };
    const same = grid.get(configKey(p.config));
    // A preset equal to a grid configuration ran the same cells: one suite, named for both.
    if (same) same.preset ??= preset;
    else out.push({ config: p.config, cells: p.cells, preset });
  }
  return out;
}

function verdictOf(sweep: SweepResult, c: Candidate): string {
  const rec = sweep.recommendation;
  if (sameConfig(rec.best, c.config)) return 'recommended';
  if (sameConfig(rec.runnerUp, c.config)) return 'runner-up';
  return c.cells.length > 0 && c.cells.every((cell) => cell.goals.every((g) => g.met))
    ? 'meets every goal'
    : 'rejected';
}

function cellCase(classname: string, cell: SweepCell, goal: SweepCell['goals'][number]): Case {
  const name = `${goal.goal} · ${cell.scenario} · ${cell.latencyProfile}`;
  const seeds = `${cell.seeds.length} seed${cell.seeds.length === 1 ? '' : 's'}`;
  const where = `scenario ${cell.scenario}, latency ${cell.latencyProfile}, ${seeds}`;
  const replay = cell.replay === undefined ? '' : `\nreplay (worst seed): ${cell.replay}`;
  if (goal.met) return { classname, name, out: `${goal.why}\n${where}` };
  return {
    classname,
    name,
    failure: { message: goal.why, type: 'goal', body: `${goal.goal}: ${goal.why}\n${where}${replay}` },
  };
}

function configSuite(sweep: SweepResult, c: Candidate, name: string): Suite {
  const classname = `flatline.sweep.${name}`;
  const cases = c.cells.flatMap((cell) => cell.goals.map((g) => cellCase(classname, cell, g)));
  if (cases.length === 0) {
    cases.push({
      classname,
      name: 'configuration verdict',
      failure: {
        message: 'no goal was judged: no cells were run',
        type: 'goal',
        body: `replay: ${sweep.replay}`,
      },
    });
  }
  const rejected = sweep.recommendation.rejected.find((r) => sameConfig(r.config, c.config));
  return {
    name,
    properties: [
      ['verdict', verdictOf(sweep, c)],
      ['preset', c.preset?.name],
      ['preset.source', c.preset?.source],
      ['interval', c.config.interval],
      ['pongTimeout', c.config.pongTimeout],
      ['readDeadline', c.config.readDeadline],
      ['missThreshold', c.config.missThreshold],
      ['backoff', describeBackoff(c.config.backoff)],
    ],
    cases,
    ...(rejected ? { out: `rejected: ${rejected.why}` } : {}),
  };
}

function sweepSuites(sweep: SweepResult): Suite[] {
  const rec = sweep.recommendation;
  const classname = 'flatline.sweep.recommendation';
  const verdict: Case = rec.best
    ? { classname, name: SWEEP_VERDICT_CASE, out: `${describeConfig(rec.best)}\n${rec.why}` }
    : {
        classname,
        name: SWEEP_VERDICT_CASE,
        failure: { message: rec.why, type: 'goals', body: `${rec.why}\n\nreplay: ${sweep.replay}` },
      };
  const suites: Suite[] = [
    {
      name: 'recommendation',
      properties: [
        ['sweep', sweep.name],
        ['backend', sweep.backend],
        ['timeScale', sweep.timeScale],
        ['seeds', sweep.seeds.join(', ')],
        ['replay', sweep.replay],
        ...sweep.goals.map((g, i): [string, string] => [`goal.${i + 1}`, g]),
        ...Object.entries(sweep.environment).map(([k, v]): [string, string] => [`env.${k}`, v]),
      ],
      cases: [verdict],
      out: `replay: ${sweep.replay}`,
    },
  ];
  const used = new Map<string, number>();
  for (const c of candidates(sweep)) {
    const base = c.preset ? `${c.preset.name}: ${describeConfig(c.config)}` : describeConfig(c.config);
    // Two configurations can read alike (a jitter the description leaves out): keep names unique.
    const n = (used.get(base) ?? 0) + 1;
    used.set(base, n);
    suites.push(configSuite(sweep, c, n === 1 ? base : `${base} #${n}`));
  }
  return suites;
}

/** JUnit XML of runs (one suite per result) or of a sweep (one suite per configuration). */
export function renderJunit(input: ScenarioResult[] | SweepResult, name?: string): string {
  if (isSweepResult(input)) {
    assertSweepResult(input);
    return document(name ?? `flatline sweep ${input.name}`, sweepSuites(input));
  }
  assertScenarioResults(input);
  return document(name ?? 'flatline', input.map(runSuite));
}
