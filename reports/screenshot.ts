/**
 * Builds realistic reports and saves screenshots of them for the README: the run report as
 * docs/report-example.png and the sweep report as docs/sweep-report-example.png.
 *
 *   npx tsx reports/screenshot.ts [--run | --sweep] [--results results.json] [--out file.png]
 *                                 [--html report.html] [--width 1280] [--scale 1.5]
 *
 * With neither --run nor --sweep it makes both (`npm run screenshot`); --out and --html then apply
 * to one report only. What they show is real: the run report runs the README's three built-in
 * scenarios on the simulator (blackhole-both, reset-peer, server-restart-herd), or takes
 * `flatline run --json` output (a ScenarioResult list) from --results; the sweep report runs the
 * README's sweep example (README "Choosing settings: flatline sweep") on the simulator, or takes
 * `flatline sweep --json` output (a SweepResult) from --results. The HTML goes to --html, or to a
 * temporary file that is removed afterwards.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ScenarioResult, SweepResult } from '../harness/result.ts';
import { loadScenarios } from '../harness/scenario/loader.ts';
import { runScenario } from '../harness/scenario/runner.ts';
import { buildSpec } from '../harness/sweep/build.ts';
import { runSweep } from '../harness/sweep/engine.ts';
import type { SweepFlags } from '../harness/sweep/flags.ts';
import { launchChromium, openOffline } from './chromium.ts';
import { renderRunHtml } from './html/run.ts';
import { renderSweepHtml } from './html/sweep.ts';
import { assertScenarioResults, assertSweepResult } from './validate.ts';

/** The README's sweep example, flag by flag (README "Choosing settings: flatline sweep"). */
const README_SWEEP: SweepFlags = {
  interval: '5s,10s,30s',
  pongTimeout: '2s,5s',
  seeds: '5',
  fault: 'black-hole,partition',
  latency: 'lan,office=40ms/300ms',
  detectWithin: 'p99:40s',
  maxFalseRate: '0',
  tolerateLatency: '800ms',
  preset: 'grpc,socketio,mqtt',
};

const README_SWEEP_COMMAND =
  'npx flatline sweep --interval 5s,10s,30s --pong-timeout 2s,5s --seeds 5 --fault black-hole,partition --latency lan,office=40ms/300ms --detect-within p99:40s --max-false-rate 0 --tolerate-latency 800ms --preset grpc,socketio,mqtt --report out/sweep.html';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    results: { type: 'string' },
    html: { type: 'string' },
    run: { type: 'boolean', default: false },
    sweep: { type: 'boolean', default: false },
    width: { type: 'string', default: '1280' },
    scale: { type: 'string', default: '1.5' },
  },
});

const kinds: ('run' | 'sweep')[] =
  values.run === values.sweep ? ['run', 'sweep'] : values.sweep ? ['sweep'] : ['run'];
if (kinds.length > 1 && (values.out || values.html || values.results)) {
  throw new Error('--out, --html and --results apply to one report: add --run or --sweep');
}
const meta = { generatedAt: '2025-06-01T12:00:00Z', version: '0.1.0' };

interface Shot {
  html: string;
  out: string;
  /** The screenshot ends under this element. */
  until: string;
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

async function runShot(): Promise<Shot> {
  let results: ScenarioResult[];
  if (values.results) {
    const parsed = await readJson(values.results);
    assertScenarioResults(parsed, values.results);
    results = parsed;
  } else {
    const names = ['blackhole-both', 'reset-peer', 'server-restart-herd'];
    const loaded = await loadScenarios(names.map((n) => `scenarios/${n}.yaml`));
    results = [];
    for (const { file, scenario } of loaded)
      results.push(await runScenario(scenario, { backend: 'sim', file }));
  }
  return {
    html: await renderRunHtml(results, { ...meta, title: 'nightly heartbeat suite' }),
    out: values.out ?? 'docs/report-example.png',
    // enough to show the summary and one full scenario
    until: '#bounds-1',
  };
}

async function sweepShot(): Promise<Shot> {
  let sweep: SweepResult;
  if (values.results) {
    const parsed = await readJson(values.results);
    assertSweepResult(parsed);
    sweep = parsed;
  } else {
    sweep = await runSweep(await buildSpec({ flags: README_SWEEP }), {
      backend: 'sim',
      replay: README_SWEEP_COMMAND,
    });
  }
  return {
    html: await renderSweepHtml(sweep, meta),
    out: values.out ?? 'docs/sweep-report-example.png',
    // the recommendation, both heatmaps and the detection-time chart
    until: '#spread',
  };
}

const tempDir = values.html ? undefined : await mkdtemp(join(tmpdir(), 'flatline-screenshot-'));
const browser = await launchChromium();
try {
  for (const kind of kinds) {
    const shot = kind === 'sweep' ? await sweepShot() : await runShot();
    const out = resolve(shot.out);
    const htmlPath = values.html ? resolve(values.html) : join(tempDir!, `${kind}.html`);
    await mkdir(dirname(out), { recursive: true });
    await mkdir(dirname(htmlPath), { recursive: true });
    await writeFile(htmlPath, shot.html);
    const width = Number(values.width);
    const view = await openOffline(browser, htmlPath, { width, height: 900 }, Number(values.scale));
    const box = await view.page.locator(shot.until).first().boundingBox();
    const height = Math.ceil((box ? box.y + box.height : 1600) + 18);
    await view.page.screenshot({ path: out, clip: { x: 0, y: 0, width, height }, fullPage: true });
    if (view.requests.length > 0 || view.consoleErrors.length > 0 || view.pageErrors.length > 0) {
      throw new Error(
        `the ${kind} report was not clean offline: requests ${view.requests.join(', ')}; console ${view.consoleErrors.join('; ')}; page ${view.pageErrors.join('; ')}`,
      );
    }
    await view.close();
    console.log(`wrote ${out} (${width}×${height} CSS px)${values.html ? ` and ${htmlPath}` : ''}`);
  }
} finally {
  await browser.close();
  if (tempDir) await rm(tempDir, { recursive: true, force: true });
}
