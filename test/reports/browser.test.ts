/**
 * The reports in a real browser: headless Chromium opens each generated file from a file:// URL
 * with the network off and every request refused and recorded. Asserts: no request at all, no
 * console or page error (a CSP violation would be one), the timeline, bound table and heatmap are
 * laid out with a real size, the sweep's charts keep every text inside its chart and panel and stay
 * compact, and the JUnit XML parses in the browser's XML parser. The screenshots are kept as
 * test-artifacts/report.png and test-artifacts/sweep.png (the README's docs/report-example.png and
 * docs/sweep-report-example.png come from `npm run screenshot`, reports/screenshot.ts).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chromiumPath,
  HOW_TO_GET_CHROMIUM,
  hasChromium,
  launchChromium,
  openOffline,
} from '../../reports/chromium.ts';
import { renderJunit, renderRunHtml, renderSweepHtml } from '../../reports/index.ts';
import { hostileRun, runFixture, sweepFixture } from './fixtures.ts';

/** The sweep fixture with the README example's shape: two scenarios, long latency profile names. */
function longNamesSweep() {
  const sweep = sweepFixture();
  const profile = (p: string) => (p.startsWith('lan') ? 'lan (RTT 2ms)' : 'office (RTT 93ms/300ms)');
  sweep.cells = ['black-hole', 'partition-of-the-whole-data-centre'].flatMap((scenario) =>
    sweep.cells.map((c) => ({ ...c, scenario, latencyProfile: profile(c.latencyProfile) })),
  );
  return sweep;
}

interface ChartLayout {
  /** Texts (chart text) whose box leaves their chart's svg, or the svg leaving its card. */
  outside: string[];
  /** Pairs of panel headers whose boxes overlap. */
  overlapping: string[];
  /** Panel headers, as drawn. */
  headers: string[];
  heatmaps: { width: number; height: number }[];
  spread: { width: number; height: number };
}

/** Measures the sweep report's charts in the page (runs in the browser). */
function measureSweepCharts(): ChartLayout {
  const inside = (a: Box, b: Box) =>
    a.left >= b.left - 1 && a.right <= b.right + 1 && a.top >= b.top - 1 && a.bottom <= b.bottom + 1;
  const outside: string[] = [];
  for (const svg of document.querySelectorAll('#heatmap svg, #spread svg')) {
    const card = svg.closest('section.card')!;
    if (!inside(svg.getBoundingClientRect(), card.getBoundingClientRect()))
      outside.push(`svg in #${card.id}`);
    for (const t of svg.querySelectorAll('text')) {
      if (t.getBoundingClientRect().width === 0) continue;
      if (!inside(t.getBoundingClientRect(), svg.getBoundingClientRect())) outside.push(t.textContent ?? '');
    }
  }
  const headerTexts = [
    ...document.querySelectorAll('#heatmap .role-column-header text, #heatmap .role-header text'),
  ];
  const overlapping: string[] = [];
  headerTexts.forEach((a, i) => {
    for (const b of headerTexts.slice(i + 1)) {
      const p = a.getBoundingClientRect();
      const q = b.getBoundingClientRect();
      if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom)
        overlapping.push(`${a.textContent} / ${b.textContent}`);
    }
  });
  const size = (e: BrowserElement) => ({
    width: e.getBoundingClientRect().width,
    height: e.getBoundingClientRect().height,
  });
  return {
    outside,
    overlapping,
    headers: headerTexts.map((t) => t.textContent ?? ''),
    heatmaps: [...document.querySelectorAll('#heatmap figure.heatmap > svg')].map(size),
    spread: size(document.querySelector('#spread figure.spread > svg')!),
  };
}

// The functions passed to page.evaluate run in the browser; tsconfig has no DOM lib, so declare
// the little they use.
interface BrowserXmlDocument {
  documentElement: { getAttribute(name: string): string | null };
  getElementsByTagName(name: string): { length: number };
}
interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
  width: number;
  height: number;
}
interface BrowserElement {
  getBoundingClientRect(): Box;
  querySelectorAll(selector: string): BrowserElement[];
  closest(selector: string): BrowserElement | null;
  textContent: string | null;
  id: string;
}
declare const document: {
  documentElement: { scrollWidth: number };
  querySelector(selector: string): BrowserElement | null;
  querySelectorAll(selector: string): BrowserElement[];
};
declare class DOMParser {
  parseFromString(text: string, type: string): BrowserXmlDocument;
}

const available = hasChromium();
if (!available && process.env.CI === 'true') {
  throw new Error(`report-in-browser test: no Chromium at ${chromiumPath()}; ${HOW_TO_GET_CHROMIUM}`);
}
if (!available) {
  console.warn(`⚠ SKIPPING report-in-browser test: no Chromium at ${chromiumPath()}; ${HOW_TO_GET_CHROMIUM}`);
}

const ARTIFACTS = resolve('test-artifacts');

describe.skipIf(!available)('reports in headless Chromium (offline, file://)', () => {
  let browser: Browser;
  let dir: string;
  let runFile: string;
  let sweepFile: string;
  let longFile: string;
  let junit: string;
  const results = [...runFixture(), hostileRun()];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flatline-browser-'));
    runFile = join(dir, 'run.html');
    sweepFile = join(dir, 'sweep.html');
    longFile = join(dir, 'sweep-long.html');
    const [run, sweep, long] = await Promise.all([
      renderRunHtml(results),
      renderSweepHtml(sweepFixture()),
      renderSweepHtml(longNamesSweep()),
    ]);
    await writeFile(runFile, run);
    await writeFile(sweepFile, sweep);
    await writeFile(longFile, long);
    junit = renderJunit(results);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('run report: makes no request, logs no error, and lays out timelines, bound tables and zooms', async () => {
    const view = await openOffline(browser, runFile, { width: 1280, height: 900 });
    try {
      const { page } = view;
      expect(await page.title()).toBe('flatline run report');
      for (const [i, r] of results.entries()) {
        const lanes = page.locator(`#timeline-${i + 1} figure.lane > svg`);
        expect(await lanes.count()).toBe(r.lanes.length);
        const box = await lanes.first().boundingBox();
        expect(box!.width).toBeGreaterThan(600);
        expect(box!.height).toBeGreaterThan(40);
        expect(await page.locator(`table.bounds#bounds-${i + 1} tr[data-verdict]`).count()).toBe(
          r.detections.length + r.reconnects.length,
        );
      }
      expect(await page.locator('#bounds-2 tr[data-verdict="fail"]').count()).toBe(1);
      expect(await page.locator('#zoom-1 figure.zoom > svg').count()).toBe(2);
      expect(await page.locator('#distributions figure.ecdf > svg').count()).toBe(2);
      // the hostile scenario's name is text on the page, and nothing from it became an element
      expect(await page.locator('#s-5 h2').textContent()).toBe('<script>alert(1)</script>');
      expect(await page.locator('script, img, iframe').count()).toBe(0);
      // nothing overflows the viewport sideways
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
      expect(view.requests).toEqual([]);
      expect(view.consoleErrors).toEqual([]);
      expect(view.pageErrors).toEqual([]);
    } finally {
      await view.close();
    }
  });

  it('sweep report: makes no request, logs no error, and shows the heatmaps and recommendation', async () => {
    const view = await openOffline(browser, sweepFile, { width: 1280, height: 900 });
    try {
      const { page } = view;
      const heatmaps = page.locator('#heatmap figure.heatmap > svg');
      expect(await heatmaps.count()).toBe(2);
      const box = await heatmaps.first().boundingBox();
      expect(box!.width).toBeGreaterThan(300);
      expect(await page.locator('#recommendation #best').textContent()).toContain('I 15 s · T 5 s');
      expect(await page.locator('table#cells tr[data-verdict]').count()).toBe(18);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
      const layout = await page.evaluate(measureSweepCharts);
      expect(layout.outside).toEqual([]);
      expect(layout.overlapping).toEqual([]);
      expect(layout.headers).toEqual(expect.arrayContaining(['lan 1 ms', 'mobile p99 3 s']));
      for (const h of layout.heatmaps) expect(h.height).toBeGreaterThan(150);
      // 9 configurations: one compact row each plus the axis and legend (was 570 px)
      expect(layout.spread.width).toBeGreaterThan(600);
      expect(layout.spread.height).toBeGreaterThan(9 * 18);
      expect(layout.spread.height).toBeLessThanOrEqual(400);
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'sweep.png'), fullPage: true });
      expect(view.requests).toEqual([]);
      expect(view.consoleErrors).toEqual([]);
      expect(view.pageErrors).toEqual([]);
    } finally {
      await view.close();
    }
  });

  it('sweep report with long scenario and profile names: headers wrap inside their panels, nothing spills', async () => {
    const view = await openOffline(browser, longFile, { width: 1280, height: 900 });
    try {
      const { page } = view;
      const layout = await page.evaluate(measureSweepCharts);
      expect(layout.outside).toEqual([]);
      expect(layout.overlapping).toEqual([]);
      // every panel header is there whole (its lines run together in textContent), none cut with …
      const squash = (t: string) => t.replace(/[\s·]/g, '');
      for (const scenario of ['black-hole', 'partition-of-the-whole-data-centre'])
        for (const profile of ['lan (RTT 2ms)', 'office (RTT 93ms/300ms)'])
          expect(layout.headers.map(squash)).toContain(squash(`${scenario} · ${profile}`));
      expect(layout.headers.filter((h) => h.includes('…'))).toEqual([]);
      // the heatmaps wrap onto rows instead of shrinking below their natural size
      for (const h of layout.heatmaps) expect(h.width).toBeLessThanOrEqual(1106);
      // 9 configurations × 4 scenario·profile bands: 42 px a row, plus the axis and a 2-row legend
      expect(layout.spread.height).toBeLessThanOrEqual(560);
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
      expect(view.requests).toEqual([]);
      expect(view.consoleErrors).toEqual([]);
      expect(view.pageErrors).toEqual([]);
    } finally {
      await view.close();
    }
  });

  it('self-check: the offline page records a request, and the report’s CSP turns one into a console error', async () => {
    const plain = join(dir, 'plain.html');
    await writeFile(plain, '<!DOCTYPE html><html><body><img src="http://127.0.0.1:9/x.png"/></body></html>');
    const a = await openOffline(browser, plain);
    expect(a.requests).toEqual(['http://127.0.0.1:9/x.png']);
    await a.close();
    const injected = join(dir, 'injected.html');
    const report = await readFile(runFile, 'utf8');
    await writeFile(
      injected,
      report.replace('<main class="wrap">', '<main class="wrap"><img src="http://127.0.0.1:9/y.png"/>'),
    );
    const b = await openOffline(browser, injected);
    expect(b.consoleErrors.join('\n')).toMatch(/Content Security Policy/);
    await b.close();
  });

  it('the browser’s own XML parser accepts the JUnit XML and the run report as XHTML', async () => {
    const context = await browser.newContext({ offline: true });
    try {
      const page = await context.newPage();
      const report = await readFile(runFile, 'utf8');
      const verdicts = await page.evaluate(
        ([xml, xhtml]) => {
          const p = new DOMParser();
          const j = p.parseFromString(xml, 'application/xml');
          const h = p.parseFromString(xhtml.replace('<!DOCTYPE html>', ''), 'application/xhtml+xml');
          return {
            junitError: j.getElementsByTagName('parsererror').length,
            suites: j.getElementsByTagName('testsuite').length,
            failures: j.documentElement.getAttribute('failures'),
            htmlError: h.getElementsByTagName('parsererror').length,
          };
        },
        [junit, report] as const,
      );
      expect(verdicts).toEqual({ junitError: 0, suites: results.length, failures: '3', htmlError: 0 });
    } finally {
      await context.close();
    }
  });
});
