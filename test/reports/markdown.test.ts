import { describe, expect, it } from 'vitest';
import { fmtAccuracy, fmtDuration } from '../../reports/format.ts';
import { mdCode, mdText, renderMarkdown } from '../../reports/markdown.ts';
import { configLabel } from '../../reports/sweep-summary.ts';
import { HOSTILE, hostileRun, runFixture, sweepFixture } from './fixtures.ts';

/** Cells of a GFM table row, splitting on unescaped pipes. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      cur += c + (line[i + 1] ?? '');
      i++;
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.slice(1, -1).map((s) => s.trim());
}

/** The tables of a Markdown document: runs of lines starting with '|', as rows of cells. */
function tables(md: string): string[][][] {
  const out: string[][][] = [];
  let cur: string[][] | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      cur ??= [];
      cur.push(cells(line));
    } else if (cur) {
      out.push(cur);
      cur = undefined;
    }
  }
  if (cur) out.push(cur);
  return out;
}

/** The Markdown with fenced blocks and code spans removed. */
function outsideCode(md: string): string {
  const lines: string[] = [];
  let fence: string | undefined;
  for (const line of md.split('\n')) {
    if (fence !== undefined) {
      if (line === fence) fence = undefined;
      continue;
    }
    if (line.startsWith('```')) {
      fence = line.slice(0, line.length - line.replace(/^`+/, '').length);
      continue;
    }
    lines.push(line);
  }
  let out = '';
  const text = lines.join('\n');
  for (let i = 0; i < text.length; ) {
    if (text[i] !== '`') {
      out += text[i];
      i++;
      continue;
    }
    let n = 0;
    while (text[i + n] === '`') n++;
    const ticks = '`'.repeat(n);
    let j = text.indexOf(ticks, i + n);
    while (j >= 0 && text[j + n] === '`') j = text.indexOf(ticks, j + n + 1);
    if (j < 0) throw new Error(`unclosed code span at ${i}`);
    i = j + n;
  }
  return out;
}

function expectWellFormed(t: string[][]): void {
  const width = t[0]!.length;
  for (const row of t) expect(row).toHaveLength(width);
  expect(t[1]!.every((c) => c === '---' || c === '--:')).toBe(true);
}

describe('Markdown summary for a pull request', () => {
  it('has a verdict line, a pass/fail table per scenario run and a detections-vs-bounds table', () => {
    const results = runFixture();
    const md = renderMarkdown(results);
    expect(md.split('\n')[0]).toBe('### flatline — ❌ 1 failed · 3 passed');
    const [summary, bounds, parity] = tables(md);
    for (const t of [summary!, bounds!, parity!]) expectWellFormed(t);
    expect(summary!.slice(2).map((r) => r[0])).toEqual(results.map((r) => (r.passed ? '✅' : '❌')));
    expect(summary!.slice(2).map((r) => r[1])).toEqual(results.map((r) => mdCode(r.scenario)));
    const boundRows = bounds!.slice(2);
    const all = results.flatMap((r) => [...r.detections, ...r.reconnects]);
    expect(boundRows).toHaveLength(all.length);
    // failures first
    expect(boundRows[0]![0]).toBe('❌');
    expect(boundRows[0]!.slice(3, 8)).toEqual([
      'server detection',
      '`c2`',
      'read-deadline',
      '15\u202F000',
      '[0, 26]',
    ]);
    expect(parity!.slice(2).map((r) => r[0])).toEqual(['✅', '✅', '✅', '✅', '❌']);
    expect(md).toContain('#### Failures');
    expect(md).toContain(
      '```sh\nnpx flatline run scenarios/latency-spike-mobile.yaml --backend toxiproxy --seed 7 --time-scale 0.01\n```',
    );
  });

  it('caps the bounds table and says how many rows were left out', () => {
    const md = renderMarkdown(runFixture(), { maxBoundRows: 3 });
    expect(tables(md)[1]!.slice(2)).toHaveLength(3);
    expect(md).toMatch(/… and 9 more rows/);
  });

  it('summarises a sweep: recommendation, runner-up, per-configuration table, rejected, presets', () => {
    const sweep = sweepFixture();
    const md = renderMarkdown(sweep);
    expect(md).toContain(`**Recommended:** ${mdCode(configLabel(sweep.recommendation.best!, true))}`);
    expect(md).toContain(`**Runner-up:** ${mdCode(configLabel(sweep.recommendation.runnerUp!, true))}`);
    const [configs, rejected, presets] = tables(md);
    for (const t of [configs!, rejected!, presets!]) expectWellFormed(t);
    expect(configs!.slice(2)).toHaveLength(9);
    expect(configs!.slice(2).filter((r) => r[0] === '⭐')).toHaveLength(1);
    expect(configs!.slice(2).filter((r) => r[0] === '🥈')).toHaveLength(1);
    expect(rejected!.slice(2)).toHaveLength(sweep.recommendation.rejected.length);
    expect(presets!.slice(2).map((r) => r[1])).toEqual([
      'seed defaults',
      'Socket.IO / engine.io',
      'MQTT (mqtt.js)',
    ]);
    expect(md).toContain('<details><summary>Rejected (7)</summary>');
  });

  it('shows T_M, T_MR and P_A per configuration (worst cell), and labels overhead as both ways', () => {
    const sweep = sweepFixture();
    const [configs] = tables(renderMarkdown(sweep));
    const head = configs![0]!;
    const col = head.indexOf('P_A');
    expect(head.slice(col - 2, col + 1)).toEqual(['T_M med', 'T_MR med', 'P_A']);
    expect(head).toContain('msg/conn·h both ways');
    const configsInOrder = [
      ...new Map(sweep.cells.map((c) => [JSON.stringify(c.config), c.config])).values(),
    ];
    configsInOrder.forEach((config, i) => {
      const mine = sweep.cells.filter((c) => c.config === config);
      const lowest = Math.min(...mine.map((c) => c.queryAccuracy!));
      expect(configs![i + 2]![col]).toBe(fmtAccuracy(lowest));
      const tmr = mine.flatMap((c) => (c.mistakeRecurrence ? [c.mistakeRecurrence.median] : []));
      expect(configs![i + 2]![col - 1]).toBe(tmr.length ? fmtDuration(Math.min(...tmr)) : '—');
    });
    expect(configs!.slice(2).some((r) => r[col] !== '100 %')).toBe(true);
  });

  it('neutralises HTML, table pipes, code fences and @mentions coming from results', () => {
    const md = renderMarkdown([hostileRun()]);
    // '<' appears only inside code spans and fenced blocks, where GitHub shows it as text
    expect(outsideCode(md)).not.toContain('<');
    expect(md).not.toContain('@octocat');
    for (const t of tables(md)) expectWellFormed(t);
    expect(mdText('a|b <i> @x #1 *y*')).toBe('a\\|b &lt;i&gt; @\u200Bx #\u200B1 \\*y\\*');
    expect(mdCode('a`b|c')).toBe('``a`b\\|c``');
    expect(mdCode('`x`')).toBe('`` `x` ``');
    // the replay command is kept verbatim inside a fence longer than any backtick run in it
    expect(md).toContain(`\`\`\`sh\n${HOSTILE.replay}\n\`\`\``);
  });
});
