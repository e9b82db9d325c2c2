/**
 * Markdown summary for a pull-request comment (GitHub-flavoured): a verdict line, a table per
 * scenario run or per sweep configuration, measured-vs-bound rows, and for failures the detail and
 * the replay command. Every string from a result is escaped: identifiers go in code spans (where
 * GitHub shows '<' literally), free text has HTML turned into entities and the inline Markdown
 * metacharacters that could format or break a table cell backslash-escaped, and @mentions / #refs
 * are broken with a zero-width space so a scenario name cannot ping anyone.
 */
import type { ScenarioResult, SweepResult } from '../harness/result.ts';
import { MSG_BOTH_WAYS } from '../harness/sweep/overhead.ts';
import { cleanText } from './escape.ts';
import { fmtAccuracy, fmtDuration, fmtNum } from './format.ts';
import { configLabel, sameConfig, seconds, summarizeConfig, summarizeConfigs } from './sweep-summary.ts';
import { assertScenarioResults, assertSweepResult, isSweepResult } from './validate.ts';

const ZWSP = '\u200B';
const PASS = '✅';
const FAIL = '❌';

function oneLine(s: unknown): string {
  return cleanText(s).replace(/\r\n|\r|\n/g, ' ');
}

function breakRefs(s: string): string {
  return s.replace(/@/g, `@${ZWSP}`).replace(/#(?=\w)/g, `#${ZWSP}`);
}

/** Free text inside a table cell or a paragraph. */
export function mdText(s: unknown): string {
  const escaped = oneLine(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|~])/g, '\\$1');
  return breakRefs(escaped);
}

/** An identifier as a code span (safe in table cells: pipes escaped, backticks fenced around). */
export function mdCode(s: unknown): string {
  const text = breakRefs(oneLine(s)).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') || text.length === 0 ? ' ' : '';
  return `${fence}${pad}${text}${pad}${fence}`;
}

function codeBlock(s: string, lang = 'sh'): string {
  const text = cleanText(s);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${lang}\n${text}\n${fence}`;
}

function row(cells: string[]): string {
  return `| ${cells.join(' | ')} |`;
}

function tableMd(head: string[], align: ('l' | 'r')[], rows: string[][]): string {
  return [row(head), row(align.map((a) => (a === 'r' ? '--:' : '---'))), ...rows.map(row)].join('\n');
}

export interface MarkdownOptions {
  /** Heading level of the top heading (default 3: fits under a PR comment's own text). */
  level?: number;
  /** Most rows in the detections-vs-bounds table (failures first); default 30. */
  maxBoundRows?: number;
  title?: string;
}

function runMarkdown(results: ScenarioResult[], o: MarkdownOptions): string {
  const h = '#'.repeat(o.level ?? 3);
  const failed = results.filter((r) => !r.passed);
  const verdict =
    failed.length === 0
      ? `${PASS} all ${results.length} passed`
      : `${FAIL} ${failed.length} failed · ${results.length - failed.length} passed`;
  const out: string[] = [`${h} ${mdText(o.title ?? 'flatline')} — ${verdict}`, ''];
  if (results.length === 0) return out.concat('No results.', '').join('\n');
  const frac = (a: number, b: number) => (a === b ? `${a}/${b}` : `**${a}/${b}**`);
  out.push(
    tableMd(
      [
        '',
        'scenario',
        'backend',
        'seed',
        'detections in bound',
        'reconnects in bound',
        'false det.',
        'expectations',
      ],
      ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
      results.map((r) => [
        r.passed ? PASS : FAIL,
        mdCode(r.scenario),
        mdText(r.backend),
        String(r.seed),
        frac(r.detections.filter((d) => d.withinBound).length, r.detections.length),
        frac(r.reconnects.filter((c) => c.withinBound).length, r.reconnects.length),
        r.falseDetections.length === 0 ? '0' : `**${r.falseDetections.length}**`,
        frac(r.expectations.filter((e) => e.passed).length, r.expectations.length),
      ]),
    ),
    '',
  );
  const bounds = results.flatMap((r) => [
    ...r.detections.map((d) => ({
      ok: d.withinBound,
      cells: [
        mdCode(r.scenario),
        mdText(r.backend),
        `${mdText(d.side)} detection`,
        mdCode(d.conn),
        mdText(d.reason),
        fmtNum(d.delta, 1),
        `[${fmtNum(d.bound.min, 1)}, ${fmtNum(d.bound.max, 1)}]`,
        mdText(d.bound.why),
      ],
    })),
    ...r.reconnects.map((c) => ({
      ok: c.withinBound,
      cells: [
        mdCode(r.scenario),
        mdText(r.backend),
        'reconnect',
        mdCode(c.client),
        `${c.attempts} attempts`,
        fmtNum(c.delta, 1),
        `[${fmtNum(c.bound.min, 1)}, ${fmtNum(c.bound.max, 1)}]`,
        mdText(c.bound.why),
      ],
    })),
  ]);
  if (bounds.length > 0) {
    const max = o.maxBoundRows ?? 30;
    const ordered = [...bounds.filter((b) => !b.ok), ...bounds.filter((b) => b.ok)];
    out.push(
      `${h}# Measured vs bound`,
      '',
      tableMd(
        ['', 'scenario', 'backend', 'what', 'conn / client', 'reason', 'Δ (ms)', 'bound (ms)', 'why'],
        ['l', 'l', 'l', 'l', 'l', 'l', 'r', 'r', 'l'],
        ordered.slice(0, max).map((b) => [b.ok ? PASS : FAIL, ...b.cells]),
      ),
    );
    if (ordered.length > max)
      out.push('', `… and ${ordered.length - max} more rows (all within bound) in the HTML report.`);
    out.push('');
  }
  const parity = results.flatMap((r) => r.parity ?? []);
  if (parity.length > 0) {
    out.push(
      `${h}# Parity sim ↔ toxiproxy — ${parity.filter((p) => p.agree).length}/${parity.length} agree`,
      '',
      tableMd(
        ['', 'scenario', 'field', 'sim', 'toxiproxy', 'tolerance'],
        ['l', 'l', 'l', 'r', 'r', 'r'],
        parity.map((p) => [
          p.agree ? PASS : FAIL,
          mdCode(p.scenario),
          mdText(p.field),
          mdText(p.sim),
          mdText(p.toxiproxy),
          mdText(p.tolerance),
        ]),
      ),
      '',
    );
  }
  if (failed.length > 0) {
    out.push(`${h}# Failures`, '');
    for (const r of failed) {
      out.push(`**${mdCode(r.scenario)}** (${mdText(r.backend)}, seed ${r.seed})`, '');
      const bad = r.expectations.filter((e) => !e.passed);
      for (const e of bad) out.push(`- ${FAIL} ${mdText(e.name)}: ${mdText(e.detail)}`);
      for (const f of r.falseDetections)
        out.push(
          `- ${FAIL} false detection: ${mdText(f.side)} on ${mdCode(f.conn)} at ${fmtNum(f.at)} ms (${mdText(f.reason)})`,
        );
      if (bad.length === 0 && r.falseDetections.length === 0) out.push('- the run reported a failure');
      out.push('', codeBlock(r.replay), '');
    }
  }
  return out.join('\n');
}

const opt = (v: number | undefined, f: (n: number) => string) => (v === undefined ? '—' : f(v));

function sweepMarkdown(sweep: SweepResult, o: MarkdownOptions): string {
  const h = '#'.repeat(o.level ?? 3);
  const rec = sweep.recommendation;
  const summaries = summarizeConfigs(sweep.cells);
  const out: string[] = [`${h} ${mdText(o.title ?? 'flatline sweep')}: ${mdText(sweep.name)}`, ''];
  out.push(
    rec.best
      ? `**Recommended:** ${mdCode(configLabel(rec.best, true))} — ${mdText(rec.why)}`
      : `${FAIL} **No configuration met every goal.** ${mdText(rec.why)}`,
  );
  if (rec.runnerUp) out.push('', `**Runner-up:** ${mdCode(configLabel(rec.runnerUp, true))}`);
  out.push('', `Goals: ${sweep.goals.map((g, i) => `(${i + 1}) ${mdText(g)}`).join(' · ')}`, '');
  out.push(
    tableMd(
      [
        '',
        'configuration',
        'p99 detection',
        'max',
        'false det./conn·h',
        'T_M med',
        'T_MR med',
        'P_A',
        'reconnect p99',
        MSG_BOTH_WAYS,
        'latency tolerance',
        'failed goals',
      ],
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
      summaries.map((s) => {
        const mark = sameConfig(s.config, rec.best)
          ? '⭐'
          : sameConfig(s.config, rec.runnerUp)
            ? '🥈'
            : s.goalsMet
              ? PASS
              : FAIL;
        const failedGoals = [...new Set(s.failed.map((f) => sweep.goals.indexOf(f.goal)))].map((i) =>
          i >= 0 ? `(${i + 1})` : '?',
        );
        return [
          mark,
          mdCode(configLabel(s.config)),
          opt(s.detectionP99, fmtDuration),
          opt(s.detectionMax, fmtDuration),
          fmtNum(s.falseDetectionRate, 2),
          opt(s.mistakeDurationMedian, fmtDuration),
          opt(s.mistakeRecurrenceMedian, fmtDuration),
          opt(s.queryAccuracy, fmtAccuracy),
          opt(s.reconnectP99, fmtDuration),
          fmtNum(s.overhead.messagesPerHour, 0),
          fmtDuration(s.toleranceClient),
          failedGoals.join(' ') || '—',
        ];
      }),
    ),
    '',
    `Worst cell of each configuration: T_M mistake duration (longest median), T_MR mistake recurrence (shortest median), P_A query accuracy (lowest); ${MSG_BOTH_WAYS}: heartbeat messages per connection-hour, client pings + server pongs.`,
    '',
  );
  if (rec.rejected.length > 0) {
    out.push(
      `<details><summary>Rejected (${rec.rejected.length})</summary>`,
      '',
      tableMd(
        ['configuration', 'why'],
        ['l', 'l'],
        rec.rejected.map((r) => [mdCode(configLabel(r.config)), mdText(r.why)]),
      ),
      '',
      '</details>',
      '',
    );
  }
  if (sweep.presets.length > 0) {
    out.push(
      `${h}# Presets compared`,
      '',
      tableMd(
        ['', 'preset', 'configuration', 'p99 detection', 'false det./conn·h', 'P_A', MSG_BOTH_WAYS],
        ['l', 'l', 'l', 'r', 'r', 'r', 'r'],
        sweep.presets.map((p) => {
          const s = summarizeConfig(p.config, p.cells);
          return [
            s.goalsMet ? PASS : FAIL,
            mdText(p.name),
            mdCode(configLabel(p.config, true)),
            opt(s.detectionP99, fmtDuration),
            fmtNum(s.falseDetectionRate, 2),
            opt(s.queryAccuracy, fmtAccuracy),
            fmtNum(s.overhead.messagesPerHour, 0),
          ];
        }),
      ),
      '',
    );
  }
  out.push(
    `${sweep.cells.length} cells · ${sweep.seeds.length} seeds · ${mdText(sweep.backend)} · intervals ${[
      ...new Set(sweep.cells.map((c) => c.config.interval)),
    ]
      .sort((a, b) => a - b)
      .map(seconds)
      .join(', ')}`,
    '',
    codeBlock(sweep.replay),
    '',
  );
  return out.join('\n');
}

export function renderMarkdown(input: ScenarioResult[] | SweepResult, options: MarkdownOptions = {}): string {
  if (isSweepResult(input)) {
    assertSweepResult(input);
    return sweepMarkdown(input, options);
  }
  assertScenarioResults(input);
  return runMarkdown(input, options);
}
