import { beforeAll, describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../../harness/result.ts';
import { BIN_THRESHOLD } from '../../reports/charts/timeline.ts';
import { ReportError } from '../../reports/errors.ts';
import { CSP } from '../../reports/html/page.ts';
import { renderRunHtml } from '../../reports/index.ts';
import { blackHoleRun, HOSTILE, hostileRun, runFixture } from './fixtures.ts';
import { byId, childElements, findAll, hasClass, parseXml, textOf, type XmlElement } from './xml.ts';

let results: ScenarioResult[];
let doc: XmlElement;
let source: string;

beforeAll(async () => {
  results = runFixture();
  source = await renderRunHtml(results, { generatedAt: '2025-01-01T00:00:00Z', title: 'fixture run' });
  doc = parseXml(source);
});

const section = (n: number) => byId(doc, `s-${n}`)!;
const rowsOf = (table: XmlElement) =>
  findAll(table, (e) => e.name === 'tr' && e.attrs['data-verdict'] !== undefined);

describe('run report HTML', () => {
  it('is one well-formed document with a CSP that forbids scripts and fetches, and nothing external', () => {
    expect(doc.name).toBe('html');
    const csp = findAll(doc, (e) => e.name === 'meta' && e.attrs['http-equiv'] === 'Content-Security-Policy');
    expect(csp.map((m) => m.attrs.content)).toEqual([CSP]);
    expect(CSP).toContain("default-src 'none'");
    expect(
      findAll(doc, (e) => ['script', 'link', 'img', 'iframe', 'object', 'embed'].includes(e.name)),
    ).toEqual([]);
    const urls = findAll(doc, (e) => 'src' in e.attrs || 'href' in e.attrs || 'xlink:href' in e.attrs).map(
      (e) => e.attrs.src ?? e.attrs.href ?? e.attrs['xlink:href'] ?? '',
    );
    expect(urls.length).toBeGreaterThan(0);
    for (const url of urls) expect(url.startsWith('#')).toBe(true);
    expect(source).not.toMatch(/url\(|@import|https?:\/\/(?!www\.w3\.org\/)/);
  });

  it('has a section per result with its verdict, and the summary counts them', () => {
    const sections = findAll(doc, (e) => e.name === 'section' && hasClass(e, 'scenario'));
    expect(sections).toHaveLength(results.length);
    expect(sections.map((s) => s.attrs['data-verdict'])).toEqual(
      results.map((r) => (r.passed ? 'pass' : 'fail')),
    );
    const summary = byId(doc, 'summary')!;
    expect(rowsOf(summary).map((r) => r.attrs['data-verdict'])).toEqual(
      results.map((r) => (r.passed ? 'pass' : 'fail')),
    );
    expect(textOf(byId(doc, 'verdict')!)).toBe('1 failed · 3 passed');
  });

  it('draws one swimlane timeline SVG per connection (lane), each a vega chart', () => {
    results.forEach((r, i) => {
      const timeline = byId(section(i + 1), `timeline-${i + 1}`)!;
      const lanes = findAll(timeline, (e) => e.name === 'figure' && hasClass(e, 'lane'));
      expect(lanes.map((l) => l.attrs['data-conn'])).toEqual(r.lanes.map((l) => l.conn));
      for (const lane of lanes) {
        const svgs = childElements(lane, 'svg');
        expect(svgs).toHaveLength(1);
        expect(svgs[0]!.attrs.class).toBe('marks');
        // the swimlane has a row per side
        const labels = findAll(svgs[0]!, (e) => e.name === 'text').map(textOf);
        expect(labels).toEqual(expect.arrayContaining(['client', 'server']));
      }
    });
  });

  it(`aggregates heartbeats into bins above ${BIN_THRESHOLD} events (hour-long lane) and draws them exactly below`, () => {
    const hour = findAll(byId(doc, 'timeline-1')!, (e) => e.name === 'figure');
    expect(hour.map((f) => f.attrs['data-binned'])).toEqual(['true', 'true']);
    expect(textOf(hour[0]!)).toMatch(/heartbeat events in 15 s bins/);
    const short = findAll(byId(doc, 'timeline-2')!, (e) => e.name === 'figure');
    expect(short.map((f) => f.attrs['data-binned'])).toEqual(['false', 'false', 'false']);
  });

  it('adds a zoomed panel around each fault onset and heal, with every ping and the Δ labels', () => {
    const zooms = findAll(byId(doc, 'zoom-1')!, (e) => e.name === 'figure' && hasClass(e, 'zoom'));
    expect(zooms.map((z) => z.attrs['data-faults'])).toEqual(['f1', 'f1']);
    const texts = findAll(zooms[0]!, (e) => e.name === 'text').map(textOf);
    const r = results[0]!;
    expect(texts).toEqual(expect.arrayContaining(['✓ Δ 1.99 s', '✓ Δ 7.01 s', 'f1 · timeout']));
    expect(r.detections.map((d) => d.delta)).toEqual([1990, 7010]);
  });

  it('puts every measured time next to its bound, with pass/fail and the BOUNDS.md why', () => {
    results.forEach((r, i) => {
      const table = byId(doc, `bounds-${i + 1}`)!;
      expect(table.name).toBe('table');
      const rows = rowsOf(table);
      const expected = [...r.detections.map((d) => d.withinBound), ...r.reconnects.map((c) => c.withinBound)];
      expect(rows.map((row) => row.attrs['data-verdict'])).toEqual(
        expected.map((ok) => (ok ? 'pass' : 'fail')),
      );
      r.detections.forEach((d, k) => {
        const cells = childElements(rows[k]!, 'td').map(textOf);
        expect(cells[0]).toBe(d.withinBound ? 'pass' : 'fail');
        expect(cells[2]).toBe(d.side);
        expect(cells[9]).toBe(d.bound.why);
      });
    });
    const failing = rowsOf(byId(doc, 'bounds-2')!).filter((row) => row.attrs['data-verdict'] === 'fail');
    expect(failing).toHaveLength(1);
    expect(childElements(failing[0]!, 'td').map(textOf)[8]).toBe('+14\u202F974 over');
  });

  it('lists expectation verdicts, the parity table, the replay command and the environment', () => {
    results.forEach((r, i) => {
      const n = i + 1;
      expect(rowsOf(byId(doc, `expectations-${n}`)!).map((row) => row.attrs['data-verdict'])).toEqual(
        r.expectations.map((e) => (e.passed ? 'pass' : 'fail')),
      );
      expect(textOf(byId(doc, `replay-${n}`)!)).toBe(`$ ${r.replay}`);
      const env = textOf(byId(doc, `environment-${n}`)!);
      expect(env).toContain(r.traceHash);
      expect(env).toContain(`seed${r.seed}`);
    });
    expect(byId(doc, 'parity-3')).toBeUndefined();
    const parity = rowsOf(byId(doc, 'parity-4')!);
    expect(parity.map((p) => p.attrs['data-verdict'])).toEqual(
      results[3]!.parity!.map((p) => (p.agree ? 'pass' : 'fail')),
    );
  });

  it('quotes the QoS of harness/observe/qos.ts: one mistake gives a finite λ_M, E(T_MR) and P_A', () => {
    const qos = (n: number) => {
      const rows = findAll(
        byId(doc, `qos-${n}`)!,
        (e) => e.name === 'tr' && childElements(e, 'td').length > 0,
      );
      return new Map(rows.map((r) => childElements(r, 'td').map(textOf)).map(([k, v]) => [k!, v!]));
    };
    // blackHoleRun: no false detection.
    const none = qos(1);
    expect(none.get('false detections (mistakes)')).toBe('0');
    expect(none.get('λ_M mistake rate')).toBe('0 /conn·h');
    expect(none.get('E(T_MR) mistake recurrence')).toBe('—');
    expect(none.get('P_A query accuracy')).toBe('100 %');
    // latencySpikeRun: one false detection in 15 min with one client → 4 per conn·h, E(T_MR) = W.
    const one = qos(2);
    expect(one.get('false detections (mistakes)')).toBe('1');
    expect(one.get('observed connection time W')).toBe('15 min');
    expect(one.get('λ_M mistake rate')).toBe('4 /conn·h');
    expect(one.get('E(T_MR) mistake recurrence')).toBe('900\u202F000 ms');
    expect(one.get('P_A query accuracy')).not.toBe('—');
    expect(one.get('P_A query accuracy')).not.toBe('100 %');
  });

  it('shows detection and reconnect distributions as ECDF charts', () => {
    const dist = byId(doc, 'distributions')!;
    const charts = findAll(dist, (e) => e.name === 'figure' && hasClass(e, 'ecdf'));
    expect(charts.map((c) => c.attrs['data-metric'])).toEqual(['detection', 'reconnect']);
    const detections = results.flatMap((r) => r.detections);
    const legend = findAll(charts[0]!, (e) => e.name === 'text').map(textOf);
    expect(legend).toContain(`client (n=${detections.filter((d) => d.side === 'client').length})`);
  });

  it('is deterministic: the same results render to the same bytes', async () => {
    const [a, b] = await Promise.all([renderRunHtml([runFixture()[1]!]), renderRunHtml([runFixture()[1]!])]);
    expect(a).toBe(b);
    expect(a.length).toBeGreaterThan(10_000);
  });
});

describe('run report escaping', () => {
  let hostile: string;
  let tree: XmlElement;
  beforeAll(async () => {
    hostile = await renderRunHtml([hostileRun()], { title: HOSTILE.scenario, command: HOSTILE.replay });
    tree = parseXml(hostile);
  });

  it('renders a scenario named <script>alert(1)</script> as text, in HTML and in the SVG vega drew', () => {
    expect(findAll(tree, (e) => e.name === 'script' || e.name === 'img' || e.name === 'iframe')).toEqual([]);
    expect(hostile).not.toContain('<script');
    expect(hostile).not.toContain('<img');
    expect(hostile).not.toContain('<iframe');
    expect(textOf(findAll(byId(tree, 's-1')!, (e) => e.name === 'h2')[0]!)).toBe(HOSTILE.scenario);
    expect(findAll(tree, (e) => e.name === 'title').map(textOf)).toEqual([HOSTILE.scenario]);
    // Inside an SVG: the fault type is a chart label, the hostile conn a zoom row label.
    const svgTexts = findAll(tree, (e) => e.name === 'svg').flatMap((svg) =>
      findAll(svg, (e) => e.name === 'text').map(textOf),
    );
    expect(svgTexts.some((t) => t.startsWith('f1 · </svg><script>'))).toBe(true);
    expect(svgTexts.some((t) => t.startsWith('c"><img'))).toBe(true);
  });

  it('no element gets an event-handler attribute or a javascript: URL from data', () => {
    const attrs = findAll(tree, () => true).flatMap((e) => Object.entries(e.attrs));
    expect(attrs.filter(([k]) => k.toLowerCase().startsWith('on'))).toEqual([]);
    expect(attrs.filter(([, v]) => v.toLowerCase().includes('javascript:'))).toEqual([]);
    const conns = findAll(tree, (e) => e.attrs['data-conn'] !== undefined).map((e) => e.attrs['data-conn']);
    expect(conns).toContain(HOSTILE.conn);
  });

  it('keeps the hostile strings intact as text (escaped, not dropped)', () => {
    const text = textOf(tree);
    expect(text).toContain(HOSTILE.replay);
    expect(text).toContain(HOSTILE.env);
    expect(text).toContain('a & b <b>bold</b> ]]> \uFFFD');
  });
});

describe('run report input errors', () => {
  it('rejects a malformed result with a ReportError naming the field', async () => {
    const bad = { ...blackHoleRun(), lanes: 'nope' } as unknown as ScenarioResult;
    const err = await renderRunHtml([bad]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReportError);
    expect((err as ReportError).code).toBe('bad-input');
    expect((err as ReportError).message).toMatch(/\[0\]\.lanes/);
  });

  it('renders a bare result (no lanes, faults, detections, expectations; zero duration)', async () => {
    const bare: ScenarioResult = {
      ...blackHoleRun(),
      duration: 0,
      faults: [],
      detections: [],
      reconnects: [],
      expectations: [],
      lanes: [{ conn: 'c1', client: 'k', opened: 0, events: [] }],
    };
    const page = parseXml(await renderRunHtml([bare]));
    expect(findAll(byId(page, 'timeline-1')!, (e) => e.name === 'svg')).toHaveLength(1);
    expect(byId(page, 'zoom-1')).toBeUndefined();
    expect(textOf(byId(page, 'bounds-1')!)).toBe('No detections or reconnects were measured.');
    expect(byId(page, 'distributions')).toBeUndefined();
  });

  it('renders an empty run without failing', async () => {
    const page = parseXml(await renderRunHtml([]));
    expect(textOf(byId(page, 'summary')!)).toContain('No results.');
  });
});
