import { beforeAll, describe, expect, it } from 'vitest';
import type { SweepResult } from '../../harness/result.ts';
import { fmtAccuracy } from '../../reports/format.ts';
import { renderSweepHtml } from '../../reports/index.ts';
import { configLabel } from '../../reports/sweep-summary.ts';
import { sweepFixture } from './fixtures.ts';
import { byId, childElements, findAll, hasClass, parseXml, textOf, type XmlElement } from './xml.ts';

let sweep: SweepResult;
let doc: XmlElement;
let source: string;

beforeAll(async () => {
  sweep = sweepFixture();
  source = await renderSweepHtml(sweep, { generatedAt: '2025-01-01T00:00:00Z' });
  doc = parseXml(source);
});

const verdictRows = (table: XmlElement) =>
  findAll(table, (e) => e.name === 'tr' && e.attrs['data-verdict'] !== undefined);

describe('sweep report HTML', () => {
  it('is one well-formed, script-free document', () => {
    expect(doc.name).toBe('html');
    expect(findAll(doc, (e) => e.name === 'script' || e.name === 'link' || e.name === 'img')).toEqual([]);
  });

  it('draws interval × timeout heatmaps (p99 detection and false detections) with a panel per latency profile', () => {
    const heat = byId(doc, 'heatmap')!;
    const figures = findAll(heat, (e) => e.name === 'figure' && hasClass(e, 'heatmap'));
    expect(figures.map((f) => f.attrs['data-metric'])).toEqual(['detection-p99', 'false-detections']);
    for (const f of figures) {
      const svg = childElements(f, 'svg')[0]!;
      const texts = findAll(svg, (e) => e.name === 'text').map(textOf);
      // both latency profiles as panel headers, the 3×3 axis labels
      expect(texts).toEqual(
        expect.arrayContaining(['lan 1 ms', 'mobile p99 3 s', '5 s', '15 s', '30 s', '2 s', '10 s']),
      );
      // 3 × 3 cells × 2 panels, each with a label; the recommended one starred in both panels
      expect(texts.filter((t) => t.startsWith('★'))).toHaveLength(2);
    }
    const p99Texts = findAll(figures[0]!, (e) => e.name === 'text').map(textOf);
    const best = sweep.cells.find(
      (c) =>
        c.config ===
        sweep.cells.find((x) => configLabel(x.config) === configLabel(sweep.recommendation.best!))!.config,
    )!;
    expect(p99Texts).toContain(`★ ${(best.detection!.p99 / 1000).toFixed(1)} s`);
  });

  it('shows the recommendation, the runner-up, why, and every rejected configuration with its reason', () => {
    const rec = byId(doc, 'recommendation')!;
    expect(textOf(byId(rec, 'best')!)).toContain(configLabel(sweep.recommendation.best!, true));
    expect(textOf(byId(rec, 'runner-up')!)).toContain(configLabel(sweep.recommendation.runnerUp!, true));
    expect(textOf(byId(rec, 'why')!)).toBe(`Why: ${sweep.recommendation.why}`);
    const rejected = verdictRows(byId(rec, 'rejected')!);
    expect(rejected).toHaveLength(sweep.recommendation.rejected.length);
    rejected.forEach((row, i) => {
      const cells = childElements(row, 'td').map(textOf);
      expect(cells[1]).toBe(configLabel(sweep.recommendation.rejected[i]!.config));
      expect(cells[2]).toBe(sweep.recommendation.rejected[i]!.why);
    });
  });

  it('lists every cell with its goals verdict and QoS numbers', () => {
    const rows = verdictRows(byId(doc, 'cells')!);
    expect(rows).toHaveLength(sweep.cells.length);
    expect(rows.map((r) => r.attrs['data-verdict'])).toEqual(
      sweep.cells.map((c) => (c.goals.every((g) => g.met) ? 'pass' : 'fail')),
    );
    const first = childElements(rows[0]!, 'td').map(textOf);
    expect(first[1]).toBe('5 s / 2 s / 14 s / 1');
    expect(first[5]).toBe(String(sweep.cells[0]!.detection!.p99).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202F'));
  });

  it('shows P_A (query accuracy) next to T_M and T_MR, never rounding a shortfall up to 100 %', () => {
    const table = byId(doc, 'cells')!;
    const heads = findAll(table, (e) => e.name === 'th').map(textOf);
    const col = heads.indexOf('P_A');
    expect(heads.slice(col - 2, col + 1)).toEqual(['T_M med', 'T_MR med', 'P_A']);
    const rows = verdictRows(table).map((r) => childElements(r, 'td').map(textOf));
    expect(rows.map((row) => row[col])).toEqual(sweep.cells.map((c) => fmtAccuracy(c.queryAccuracy!)));
    const imperfect = sweep.cells.filter((c) => c.queryAccuracy! < 1);
    expect(imperfect.length).toBeGreaterThan(0);
    for (const c of imperfect) expect(fmtAccuracy(c.queryAccuracy!)).not.toBe('100 %');
    expect(fmtAccuracy(0.99999)).toBe('99.999 %');
    expect(fmtAccuracy(1)).toBe('100 %');
    expect(textOf(byId(doc, 'best')!)).toContain('query accuracy P_A');
  });

  it('compares presets against the recommended configuration', () => {
    const rows = verdictRows(byId(doc, 'presets')!);
    expect(rows.map((r) => textOf(childElements(r, 'td')[1]!))).toEqual([
      'seed defaultsSEED-SPEC F1/F4/F5',
      'Socket.IO / engine.iopingInterval 25 s, pingTimeout 20 s',
      'MQTT (mqtt.js)keepalive 60 s, broker 1.5·K',
      'recommendedthis sweep',
    ]);
    expect(rows.at(-1)!.attrs['data-verdict']).toBe('pass');
  });

  it('shows the detection spread chart, replay command and environment', () => {
    expect(childElements(findAll(byId(doc, 'spread')!, (e) => e.name === 'figure')[0]!, 'svg')).toHaveLength(
      1,
    );
    expect(textOf(byId(doc, 'replay')!)).toBe(`$ ${sweep.replay}`);
    expect(textOf(byId(doc, 'environment')!)).toContain('v20.20.2');
  });

  it('escapes scenario, profile and goal strings in HTML and in the heatmap SVG', async () => {
    const evil = sweepFixture();
    const name = '<script>alert(1)</script>';
    evil.name = name;
    evil.cells = evil.cells.map((c) => ({ ...c, latencyProfile: `${name} ${c.latencyProfile}` }));
    evil.recommendation.why = `<img src=x onerror=alert(2)>`;
    const html = await renderSweepHtml(evil);
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    const tree = parseXml(html);
    expect(findAll(tree, (e) => e.name === 'script')).toEqual([]);
    const heatTexts = findAll(byId(tree, 'heatmap')!, (e) => e.name === 'text').map(textOf);
    // vega may truncate a long header with '…', but what it shows is the literal text
    expect(heatTexts.some((t) => t.startsWith('<script>alert(1)'))).toBe(true);
  });

  it('says so when no configuration met every goal', async () => {
    const none = sweepFixture();
    none.recommendation = { why: 'every configuration failed a goal', rejected: [] };
    const tree = parseXml(await renderSweepHtml(none));
    expect(textOf(byId(tree, 'verdict')!)).toBe('no configuration met every goal');
    expect(textOf(byId(tree, 'best')!)).toBe('No configuration met every goal.');
  });
});
