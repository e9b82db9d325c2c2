import * as vega from 'vega';
import { beforeAll, describe, expect, it } from 'vitest';
import { summarize } from '../../harness/observe/samples.ts';
import type { SweepCell, SweepResult } from '../../harness/result.ts';
import { type SpreadRow, spreadDomain, spreadSpec, spreadStep } from '../../reports/charts/distribution.ts';
import { colorDomain, type HeatmapMetric, heatmapSpec, NOTHING } from '../../reports/charts/heatmap.ts';
import { renderChart, wrapText } from '../../reports/charts/vega.ts';
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

// ---- issue 13: the sweep report's charts -------------------------------------------------------

const FALSE_RATE: HeatmapMetric = {
  title: 'false detections per conn·h',
  value: (c) => c.falseDetectionRate,
  text: (v) => String(v),
  scheme: 'oranges',
  zeroIsNothing: true,
};

/** "rgb(r, g, b)" → [r, g, b]. */
function rgb(fill: string): [number, number, number] {
  const m = /^rgb\((\d+), ?(\d+), ?(\d+)\)$/.exec(fill);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(fill);
  if (h) return [Number.parseInt(h[1]!, 16), Number.parseInt(h[2]!, 16), Number.parseInt(h[3]!, 16)];
  throw new Error(`not a colour: ${fill}`);
}
const lightness = (fill: string) => {
  const [r, g, b] = rgb(fill);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
};

/** The fill of every heatmap cell in a rendered heatmap SVG, panel by panel in data order. */
function cellFills(svg: XmlElement): string[] {
  return findAll(svg, (e) => e.name === 'g' && hasClass(e, 'mark-rect') && hasClass(e, 'role-mark')).flatMap(
    (g) => childElements(g, 'path').map((p) => p.attrs.fill!),
  );
}

async function svgOf(spec: Parameters<typeof renderChart>[0]): Promise<XmlElement> {
  const chart = await renderChart(spec, 'test chart');
  expect(chart.warnings).toEqual([]);
  return parseXml(chart.svg);
}

/** Every number a vega spec sets as a `limit`, `labelLimit` or `titleLimit` (0 means no limit). */
function limits(spec: unknown): number[] {
  if (Array.isArray(spec)) return spec.flatMap(limits);
  if (spec === null || typeof spec !== 'object') return [];
  return Object.entries(spec).flatMap(([k, v]) =>
    /^(limit|labelLimit|titleLimit)$/.test(k) && typeof v === 'number' ? [v] : limits(v),
  );
}

/** The sweep fixture as the README's example shapes it: two scenarios, long profile names. */
function readmeLikeSweep(): SweepResult {
  const sweep = sweepFixture();
  const profile = (p: string) => (p.startsWith('lan') ? 'lan (RTT 2ms)' : 'office (RTT 93ms/300ms)');
  sweep.cells = ['black-hole', 'partition-of-the-whole-data-centre'].flatMap((scenario) =>
    sweep.cells.map((c) => ({ ...c, scenario, latencyProfile: profile(c.latencyProfile) })),
  );
  return sweep;
}

const allZero = (cells: SweepCell[]) => cells.map((c) => ({ ...c, falseDetectionRate: 0 }));

describe('sweep report: false-detection heatmap colours', () => {
  it('paints 0 as "nothing" (neutral, lighter than any orange) even when every cell is 0', async () => {
    const cells = allZero(sweepFixture().cells);
    const spec = heatmapSpec(cells, FALSE_RATE, () => false);
    const fills = cellFills(await svgOf(spec));
    expect(fills).toHaveLength(cells.length);
    // before the fix the domain was 0..0 and every cell got the scheme's darkest orange
    const lightestOrange = lightness(String(vega.scheme('oranges')(0)));
    for (const f of fills) expect(lightness(f)).toBeGreaterThan(lightestOrange);
    expect(new Set(fills.map((f) => rgb(f).join()))).toEqual(new Set([rgb(NOTHING).join()]));
  });

  it('keeps 0 neutral and the largest rate darkest when the rates differ, in the report itself', async () => {
    const fixture = sweepFixture();
    const tree = parseXml(await renderSweepHtml(fixture));
    const figure = findAll(
      tree,
      (e) => e.name === 'figure' && e.attrs['data-metric'] === 'false-detections',
    )[0]!;
    const fills = cellFills(figure);
    // vega draws the cells panel by panel (one panel per latency profile), each in data order
    const profiles = [...new Set(fixture.cells.map((c) => c.latencyProfile))];
    const rates = profiles.flatMap((p) =>
      fixture.cells.filter((c) => c.latencyProfile === p).map((c) => c.falseDetectionRate),
    );
    expect(fills).toHaveLength(rates.length);
    expect(rates.some((r) => r === 0) && rates.some((r) => r > 0)).toBe(true);
    const lightestOrange = lightness(String(vega.scheme('oranges')(0)));
    const zero = fills.filter((_, i) => rates[i] === 0);
    const nonZero = fills.filter((_, i) => rates[i]! > 0);
    // every 0 looks the same and lighter than any orange; every other rate is visibly tinted
    expect(new Set(zero.map((f) => rgb(f).join())).size).toBe(1);
    for (const f of zero) expect(lightness(f)).toBeGreaterThan(lightestOrange);
    for (const f of nonZero) expect(lightness(f)).toBeLessThan(lightness(zero[0]!) - 5);
    const darkest = fills[rates.indexOf(Math.max(...rates))]!;
    expect(lightness(darkest)).toBeCloseTo(lightness(String(vega.scheme('oranges')(1))), 0);
    expect(rgb(zero[0]!)).toEqual(rgb(NOTHING));
  });

  it('never gives the colour scale a degenerate domain', () => {
    expect(colorDomain([], true)).toEqual([0, 1]);
    expect(colorDomain([0, 0, 0], true)).toEqual([0, 1]);
    expect(colorDomain([0, 0, 0])).toEqual([0, 1]);
    expect(colorDomain([2, 2], true)).toEqual([0, 2]);
    expect(colorDomain([0.5, 3], true)).toEqual([0, 3]);
    expect(colorDomain([6.4, 88.8])).toEqual([6.4, 88.8]);
    const [lo, hi] = colorDomain([12.9]);
    expect(lo).toBeLessThan(12.9);
    expect(hi).toBeGreaterThan(12.9);
    expect(lo).toBeGreaterThanOrEqual(0);
    for (const d of [colorDomain([7], true), colorDomain([Number.NaN]), colorDomain([-3, -3])])
      expect(d[1] - d[0]).toBeGreaterThan(0);
  });

  it('gives a one-value p99 heatmap a mid colour, not the darkest', async () => {
    const cells = sweepFixture().cells.map((c) => ({ ...c, detection: summarize([12_900]) }));
    const p99: HeatmapMetric = {
      title: 'p99',
      value: (c) => (c.detection ? c.detection.p99 / 1000 : undefined),
      text: String,
      scheme: 'blues',
    };
    const fills = new Set(cellFills(await svgOf(heatmapSpec(cells, p99, () => false))));
    expect(fills.size).toBe(1);
    const [fill] = [...fills];
    const blues = vega.scheme('blues') as (t: number) => string;
    expect(lightness(fill!)).toBeGreaterThan(lightness(blues(0.9)));
    expect(lightness(fill!)).toBeLessThan(lightness(blues(0.1)));
  });
});

describe('sweep report: titles are shown in full', () => {
  it('sets no limit that would cut a title or label in the heatmap and spread specs', () => {
    const sweep = readmeLikeSweep();
    const heat = heatmapSpec(sweep.cells, FALSE_RATE, () => false, 58, 1040);
    const spread = spreadSpec(
      spreadRows(sweep),
      ['lan (RTT 2ms)', 'office (RTT 93ms/300ms)'],
      ['#000', '#111'],
      700,
    );
    // before the fix: header labelLimit 184 and an axis labelLimit of 220
    for (const spec of [heat, spread]) for (const limit of limits(spec)) expect(limit).toBe(0);
  });

  it('draws every panel header, chart title and legend label whole (no ellipsis), wrapping long ones', async () => {
    const sweep = readmeLikeSweep();
    const tree = parseXml(await renderSweepHtml(sweep));
    const heat = byId(tree, 'heatmap')!;
    const spread = byId(tree, 'spread')!;
    for (const section of [heat, spread]) {
      const texts = findAll(section, (e) => e.name === 'text').map(textOf);
      expect(texts.filter((t) => t.includes('…'))).toEqual([]);
    }
    const headers = findAll(
      heat,
      (e) => e.name === 'text' && childElements(e, 'tspan').length > 1 && e.attrs['font-weight'] === '600',
    );
    // each header's lines hold the whole panel name: nothing dropped, only line breaks added
    const squash = (t: string) => t.replace(/[\s·]/g, '');
    const shown = new Set(headers.map((h) => squash(childElements(h, 'tspan').map(textOf).join(''))));
    for (const scenario of ['black-hole', 'partition-of-the-whole-data-centre'])
      for (const profile of ['lan (RTT 2ms)', 'office (RTT 93ms/300ms)'])
        expect(shown).toContain(squash(`${scenario} · ${profile}`));
    expect(findAll(heat, (e) => e.name === 'tspan').map(textOf)).toEqual(
      expect.arrayContaining(['partition-of-the-whole-', 'data-centre', 'office (RTT 93ms/300ms)']),
    );
    const texts = findAll(heat, (e) => e.name === 'text').map(textOf);
    expect(texts).toEqual(
      expect.arrayContaining(['p99 detection time Δ (s)', 'false detections per conn·h']),
    );
    const legend = findAll(spread, (e) => e.name === 'g' && hasClass(e, 'role-legend-label')).flatMap((g) =>
      findAll(g, (e) => e.name === 'text').map(textOf),
    );
    expect(legend).toEqual(
      expect.arrayContaining([
        'black-hole · lan (RTT 2ms)',
        'partition-of-the-whole-data-centre · office (RTT 93ms/300ms)',
      ]),
    );
  });

  it('wraps a label at its separators and spaces, and breaks a word only when it is longer than a line', () => {
    expect(wrapText('black-hole · office (RTT 93ms/300ms)', 25)).toEqual([
      'black-hole',
      'office (RTT 93ms/300ms)',
    ]);
    expect(wrapText('black-hole · lan', 25)).toEqual(['black-hole · lan']);
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('abcdefghijkl', 5)).toEqual(['abcde', 'fghij', 'kl']);
    expect(wrapText('partition-of-the-whole-data-centre', 25)).toEqual([
      'partition-of-the-whole-',
      'data-centre',
    ]);
    for (const [text, n] of [
      ['partition-of-the-whole-data-centre · office (RTT 93ms/300ms)', 20],
      ['a · b · c · d', 4],
    ] as const) {
      const lines = wrapText(text, n);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(n);
      expect(lines.join('').replace(/[ ·]/g, '')).toBe(text.replace(/[ ·]/g, ''));
    }
  });
});

function spreadRows(sweep: SweepResult): SpreadRow[] {
  const oneScenario = new Set(sweep.cells.map((c) => c.scenario)).size === 1;
  return sweep.cells.map((c) => ({
    label: configLabel(c.config),
    group: oneScenario ? c.latencyProfile : `${c.scenario} · ${c.latencyProfile}`,
    stats: c.detection!,
    met: c.goals.every((g) => g.met),
  }));
}

/** The rendered spread chart of a sweep report: the svg element and its height. */
async function reportSpread(sweep: SweepResult): Promise<{ svg: XmlElement; height: number }> {
  const tree = parseXml(await renderSweepHtml(sweep));
  const svg = childElements(findAll(byId(tree, 'spread')!, (e) => e.name === 'figure')[0]!, 'svg')[0]!;
  return { svg, height: Number(svg.attrs.height) };
}

/** The numeric x-axis tick labels of a rendered spread chart. */
function xTicks(svg: XmlElement): number[] {
  return findAll(svg, (e) => e.name === 'g' && hasClass(e, 'role-axis-label'))
    .flatMap((g) => findAll(g, (e) => e.name === 'text').map(textOf))
    .filter((t) => /^[\d.,]+$/.test(t))
    .map(Number);
}

describe('sweep report: the detection-time chart is compact and fitted to its data', () => {
  it('takes one row per configuration: its height grows by a bounded step per configuration', async () => {
    const full = sweepFixture();
    const few = sweepFixture();
    few.cells = few.cells.filter((c) => c.config.interval === 5000); // 3 of the 9 configurations
    const a = await reportSpread(full);
    const b = await reportSpread(few);
    // 6 configurations more → 6 rows taller, a row being a band of ≤ 12 px per latency profile (2)
    // plus padding; before the fix the step applied to each band: 54 px a row, 570 px in all
    const row = (a.height - b.height) / 6;
    expect(row).toBeGreaterThanOrEqual(18);
    expect(row).toBeLessThanOrEqual(2 * 12 + 10);
    // 9 rows plus the x axis and the legend (~110 px)
    expect(a.height).toBeLessThanOrEqual(9 * row + 130);
    expect(row).toBeCloseTo(spreadStep(2), 0);
    // the step stays bounded however many latency profiles share a row
    expect(spreadStep(12)).toBe(60);
    expect(spreadStep(0)).toBe(18);
  });

  it('sizes the README-like sweep (6 configurations × 4 groups) under 400 px', async () => {
    const sweep = readmeLikeSweep();
    sweep.cells = sweep.cells.filter((c) => c.config.pongTimeout !== 10_000);
    const { height } = await reportSpread(sweep);
    // before the fix: 2 769 px for the README's sweep
    expect(height).toBeLessThanOrEqual(400);
    expect(height).toBeGreaterThan(6 * spreadStep(4));
  });

  it('leaves out groups with no detections instead of reserving a band for them', () => {
    const sweep = sweepFixture();
    const rows = spreadRows(sweep);
    const spec = spreadSpec(
      rows,
      ['lan 1 ms', 'latency-step · lan 1 ms', 'mobile p99 3 s'],
      ['#1', '#2', '#3'],
      600,
    ) as unknown as {
      height: { step: number; for: string };
      layer: { encoding: { yOffset: { scale: { domain: string[] } } } }[];
    };
    expect(spec.layer[0]!.encoding.yOffset.scale.domain).toEqual(['lan 1 ms', 'mobile p99 3 s']);
    expect(spec.height).toEqual({ step: spreadStep(2), for: 'position' });
  });

  it('fits the x domain to the data instead of starting at 0', async () => {
    const stats = (lo: number, hi: number) => summarize([lo, (lo + hi) / 2, hi])!;
    const rows: SpreadRow[] = [
      { label: 'I 30 s · T 2 s', group: 'partition', stats: stats(64_100, 85_800), met: false },
      { label: 'I 30 s · T 5 s', group: 'partition', stats: stats(67_000, 88_800), met: false },
    ];
    const ticks = xTicks(await svgOf(spreadSpec(rows, ['partition'], ['#000'], 600)));
    expect(ticks.length).toBeGreaterThan(2);
    const tick = ticks[1]! - ticks[0]!;
    // the axis starts at most one tick below the smallest time and ends at most one above the largest
    expect(ticks[0]).toBeLessThanOrEqual(64.1);
    expect(ticks[0]).toBeGreaterThan(64.1 - tick);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(88.8);
    expect(ticks.at(-1)).toBeLessThan(88.8 + tick);
    expect(spreadDomain([64.1, 67], [85.8, 88.8])).toEqual([64.1, 88.8]);
  });

  it('widens a single detection time into a readable axis', async () => {
    const [lo, hi] = spreadDomain([12], [12]);
    expect(lo).toBeLessThan(12);
    expect(hi).toBeGreaterThan(12);
    const row: SpreadRow = { label: 'I 5 s', group: 'lan', stats: summarize([12_000])!, met: true };
    expect(xTicks(await svgOf(spreadSpec([row], ['lan'], ['#000'], 400))).length).toBeGreaterThan(1);
  });
});
