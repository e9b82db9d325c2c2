/**
 * F20 overhead: a result counts each side's writes per connection-hour (client pings, server pongs).
 * Sweeps judge and show their sum, labelled "both ways"; run reports show each side and the sum.
 * These tests pin the labels and check that every view quotes the same number for the same data.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { SweepResult } from '../../harness/result.ts';
import { bothWays, MSG_BOTH_WAYS, MSG_CLIENT, MSG_SERVER } from '../../harness/sweep/overhead.ts';
import { summarizeConfig } from '../../harness/sweep/summary.ts';
import { sweepSummary } from '../../harness/sweep/text.ts';
import { fmtNum } from '../../reports/format.ts';
import { renderRunHtml, renderSweepHtml } from '../../reports/index.ts';
import { renderMarkdown } from '../../reports/markdown.ts';
import { latencySpikeRun, sweepFixture } from './fixtures.ts';
import { byId, childElements, findAll, parseXml, textOf, type XmlElement } from './xml.ts';

const headers = (table: XmlElement) => findAll(table, (e) => e.name === 'th').map(textOf);
const dataRows = (table: XmlElement) =>
  findAll(table, (e) => e.name === 'tr' && childElements(e, 'td').length > 0).map((r) =>
    childElements(r, 'td').map(textOf),
  );

let sweep: SweepResult;
let sweepDoc: XmlElement;
beforeAll(async () => {
  // Make the two sides differ, so a client-only number cannot pass for the two-way one.
  sweep = sweepFixture();
  for (const cell of sweep.cells) {
    cell.overhead = {
      client: { messagesPerHour: 700, bytesPerHour: 40_000 },
      server: { messagesPerHour: cell.config.interval / 100, bytesPerHour: 30_000 },
    };
  }
  sweepDoc = parseXml(await renderSweepHtml(sweep));
});

describe('F20 heartbeat overhead labels (client vs both ways)', () => {
  it('bothWays adds the client’s and the server’s writes', () => {
    expect(
      bothWays({
        client: { messagesPerHour: 720, bytesPerHour: 36_000 },
        server: { messagesPerHour: 710, bytesPerHour: 35_500 },
      }),
    ).toEqual({ messagesPerHour: 1430, bytesPerHour: 71_500 });
  });

  it('the sweep HTML cells table shows both ways, under a both-ways header', () => {
    const table = byId(sweepDoc, 'cells')!;
    const col = headers(table).indexOf(`${MSG_BOTH_WAYS} · bytes`);
    expect(col).toBeGreaterThan(0);
    dataRows(table).forEach((row, i) => {
      const both = bothWays(sweep.cells[i]!.overhead);
      expect(row[col]!.startsWith(`${fmtNum(both.messagesPerHour)} · `)).toBe(true);
    });
  });

  it('the sweep text summary, HTML presets table and Markdown quote the same worst two-way figure', () => {
    const worst = (cells: SweepResult['cells']) =>
      summarizeConfig(cells[0]!.config, cells).overhead.messagesPerHour;
    const byConfig = new Map<string, SweepResult['cells']>();
    for (const c of sweep.cells) {
      const k = JSON.stringify(c.config);
      byConfig.set(k, [...(byConfig.get(k) ?? []), c]);
    }
    const expected = [...byConfig.values()].map(worst);
    // 700 client + I/100 server: 750, 850 and 1000 for I = 5 s, 15 s, 30 s
    expect(new Set(expected)).toEqual(new Set([750, 850, 1000]));

    const text = sweepSummary(sweep).split('\n');
    const header = text.find((l) => l.includes('configuration') && l.includes(MSG_BOTH_WAYS))!;
    expect(header).toBeDefined();
    const at = [...header].indexOf(MSG_BOTH_WAYS[0]!, header.indexOf('reconnect p99') + 1);
    const rows = text.slice(text.indexOf(header) + 1, text.indexOf(header) + 1 + expected.length);
    expect(rows.map((l) => Number([...l].slice(at).join('').split(/\s+/)[0]))).toEqual(expected);

    const md = renderMarkdown(sweep).split('\n');
    const mdHeader = md.find((l) => l.startsWith('|') && l.includes(MSG_BOTH_WAYS))!;
    const mdCol = mdHeader
      .split('|')
      .map((c) => c.trim())
      .indexOf(MSG_BOTH_WAYS);
    const mdRows = md.slice(md.indexOf(mdHeader) + 2, md.indexOf(mdHeader) + 2 + expected.length);
    expect(mdRows.map((l) => l.split('|').map((c) => c.trim())[mdCol])).toEqual(
      expected.map((n) => fmtNum(n)),
    );

    const presets = byId(sweepDoc, 'presets')!;
    expect(headers(presets)).toContain(MSG_BOTH_WAYS);
    expect(headers(byId(sweepDoc, 'cells')!).some((h) => /msg\/h|\/h client|msg · bytes \/h/.test(h))).toBe(
      false,
    );
  });

  it('a run report names each side and the sum, and never a bare "msg/h"', async () => {
    const run = latencySpikeRun();
    run.overhead = {
      client: { messagesPerHour: 720, bytesPerHour: 36_000 },
      server: { messagesPerHour: 710, bytesPerHour: 35_500 },
    };
    const source = await renderRunHtml([run]);
    const qos = dataRows(byId(parseXml(source), 'qos-1')!);
    const row = (label: string) => qos.find((r) => r[0] === label)!;
    expect(row('heartbeat overhead, client')[1]).toMatch(new RegExp(`^720 ${MSG_CLIENT} · `));
    expect(row('heartbeat overhead, server')[1]).toMatch(new RegExp(`^710 ${MSG_SERVER} · `));
    expect(row('heartbeat overhead, both ways')[1]).toMatch(new RegExp(`^1\u202F430 ${MSG_BOTH_WAYS} · `));
    expect(source).not.toMatch(/msg\/h\b/);
    expect(source).toContain(`${MSG_BOTH_WAYS} (client 720 + server 710)`);
  });
});
