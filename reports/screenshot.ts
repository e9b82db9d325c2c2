/**
 * Builds a realistic run report (or a sweep report, with --sweep) and saves a screenshot of it:
 * docs/report-example.png for the README.
 *
 *   npx tsx reports/screenshot.ts [--sweep] [--results results.json] [--out docs/report-example.png]
 *                                 [--html report.html] [--width 1280] [--scale 1.5]
 *
 * What it shows is real: without --results it runs the README's three built-in scenarios on the
 * simulator (blackhole-both, reset-peer, server-restart-herd); with --sweep, a small sweep of the
 * reference configuration. --results takes `flatline run --json` output (a ScenarioResult list)
 * instead. The HTML goes to --html, or to a temporary file that is removed afterwards.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ScenarioResult } from '../harness/result.ts';
import { loadScenarios } from '../harness/scenario/loader.ts';
import { runScenario } from '../harness/scenario/runner.ts';
import { buildSpec } from '../harness/sweep/build.ts';
import { runSweep } from '../harness/sweep/engine.ts';
import { launchChromium, openOffline } from './chromium.ts';
import { renderRunHtml } from './html/run.ts';
import { renderSweepHtml } from './html/sweep.ts';
import { assertScenarioResults } from './validate.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/report-example.png' },
    results: { type: 'string' },
    html: { type: 'string' },
    sweep: { type: 'boolean', default: false },
    width: { type: 'string', default: '1280' },
    scale: { type: 'string', default: '1.5' },
  },
});

const out = resolve(values.out);
const tempDir = values.html ? undefined : await mkdtemp(join(tmpdir(), 'flatline-screenshot-'));
const htmlPath = values.html ? resolve(values.html) : join(tempDir!, 'report.html');
const meta = { generatedAt: '2025-06-01T12:00:00Z', version: '0.1.0' };
let html: string;
// The screenshot ends under this element: enough to show the summary and one full scenario.
let until: string;
if (values.sweep) {
  const spec = await buildSpec({
    flags: {
      interval: '5s,15s,30s',
      pongTimeout: '2s,5s,10s',
      seeds: '3',
      fault: 'black-hole,partition',
      latency: 'lan,office=40ms/300ms',
      detectWithin: 'p99:40s',
      maxFalseRate: '0',
    },
  });
  html = await renderSweepHtml(await runSweep(spec), meta);
  until = '#cells-section';
} else {
  let results: ScenarioResult[];
  if (values.results) {
    const parsed: unknown = JSON.parse(await readFile(values.results, 'utf8'));
    assertScenarioResults(parsed, values.results);
    results = parsed;
  } else {
    const names = ['blackhole-both', 'reset-peer', 'server-restart-herd'];
    const loaded = await loadScenarios(names.map((n) => `scenarios/${n}.yaml`));
    results = [];
    for (const { file, scenario } of loaded)
      results.push(await runScenario(scenario, { backend: 'sim', file }));
  }
  html = await renderRunHtml(results, { ...meta, title: 'nightly heartbeat suite' });
  until = '#bounds-1';
}
await mkdir(dirname(out), { recursive: true });
await mkdir(dirname(htmlPath), { recursive: true });
await writeFile(htmlPath, html);

const browser = await launchChromium();
try {
  const width = Number(values.width);
  const view = await openOffline(browser, htmlPath, { width, height: 900 }, Number(values.scale));
  const box = await view.page.locator(until).first().boundingBox();
  const height = Math.ceil((box ? box.y + box.height : 1600) + 18);
  await view.page.screenshot({ path: out, clip: { x: 0, y: 0, width, height }, fullPage: true });
  if (view.requests.length > 0 || view.consoleErrors.length > 0 || view.pageErrors.length > 0) {
    throw new Error(
      `the report was not clean offline: requests ${view.requests.join(', ')}; console ${view.consoleErrors.join('; ')}; page ${view.pageErrors.join('; ')}`,
    );
  }
  await view.close();
  console.log(`wrote ${out} (${width}×${height} CSS px)${values.html ? ` and ${htmlPath}` : ''}`);
} finally {
  await browser.close();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
}
