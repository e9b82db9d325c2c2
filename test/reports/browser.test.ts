/**
 * The reports in a real browser: headless Chromium opens each generated file from a file:// URL
 * with the network off and every request refused and recorded. Asserts: no request at all, no
 * console or page error (a CSP violation would be one), the timeline, bound table and heatmap are
 * laid out with a real size, and the JUnit XML parses in the browser's XML parser. The run report's
 * screenshot is kept as test-artifacts/report.png.
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

// The functions passed to page.evaluate run in the browser; tsconfig has no DOM lib, so declare
// the little they use.
interface BrowserXmlDocument {
  documentElement: { getAttribute(name: string): string | null };
  getElementsByTagName(name: string): { length: number };
}
declare const document: { documentElement: { scrollWidth: number } };
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
  let junit: string;
  const results = [...runFixture(), hostileRun()];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flatline-browser-'));
    runFile = join(dir, 'run.html');
    sweepFile = join(dir, 'sweep.html');
    const [run, sweep] = await Promise.all([renderRunHtml(results), renderSweepHtml(sweepFixture())]);
    await writeFile(runFile, run);
    await writeFile(sweepFile, sweep);
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
      await mkdir(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'sweep.png'), fullPage: true });
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
