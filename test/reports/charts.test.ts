import { describe, expect, it } from 'vitest';
import { ecdfSpec, spreadSpec } from '../../reports/charts/distribution.ts';
import { heatmapSpec } from '../../reports/charts/heatmap.ts';
import { laneTimeline, zoomTimeline, zoomWindows } from '../../reports/charts/timeline.ts';
import { COLORS, renderChart } from '../../reports/charts/vega.ts';
import { ReportError } from '../../reports/errors.ts';
import { blackHoleRun, latencySpikeRun, sweepFixture } from './fixtures.ts';
import { findAll, parseXml, textOf } from './xml.ts';

describe('vega-lite charts rendered to SVG at build time', () => {
  it('timelines (binned and exact) and zooms render as well-formed SVG with no vega warnings', async () => {
    for (const r of [blackHoleRun(), latencySpikeRun()]) {
      const plans = [
        ...r.lanes.map((l) => laneTimeline(r, l, 900)),
        ...zoomWindows(r).map((w) => zoomTimeline(r, w, 900)),
      ];
      for (const plan of plans) {
        const chart = await renderChart(plan.spec, 'test chart');
        expect(chart.warnings).toEqual([]);
        const svg = parseXml(chart.svg);
        expect(svg.name).toBe('svg');
        expect(Number(svg.attrs.width)).toBeGreaterThan(900);
      }
    }
  });

  it('labels the time axis as a clock (hh:mm:ss over an hour)', async () => {
    const r = blackHoleRun();
    const chart = await renderChart(laneTimeline(r, r.lanes[0]!, 900).spec, 'lane');
    const labels = findAll(parseXml(chart.svg), (e) => e.name === 'text').map(textOf);
    expect(labels).toEqual(expect.arrayContaining(['00:00:00', '00:20:00', '01:00:00']));
  });

  it('heatmap, ECDF and spread charts render without warnings', async () => {
    const sweep = sweepFixture();
    const specs = [
      heatmapSpec(
        sweep.cells,
        { title: 'p99', value: (c) => c.detection?.p99, text: String, scheme: 'blues' },
        () => false,
      ),
      ecdfSpec([{ name: 'client', color: COLORS.ping, values: [1000, 2000, 2000, 5000] }], 'Δ (s)', 400),
      spreadSpec(
        sweep.cells.map((c) => ({
          label: String(c.config.interval),
          group: c.latencyProfile,
          stats: c.detection!,
          met: true,
        })),
        ['lan 1 ms', 'mobile p99 3 s'],
        ['#000', '#111'],
        400,
      ),
    ];
    for (const spec of specs) expect((await renderChart(spec, 'chart')).warnings).toEqual([]);
  });

  it('an ECDF of one distinct value still gets a readable axis around it', async () => {
    const chart = await renderChart(
      ecdfSpec([{ name: 'r', color: COLORS.reconnect, values: [604] }], 'Δ (s)', 300),
      'ecdf',
    );
    const labels = findAll(parseXml(chart.svg), (e) => e.name === 'text').map(textOf);
    expect(labels).toEqual(expect.arrayContaining(['0.2', '0.6', '1.0']));
  });

  it('wraps a vega failure in a ReportError naming the chart', async () => {
    const err = await renderChart({ mark: 'nope' } as never, "timeline of scenario 'x'").catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ReportError);
    expect((err as ReportError).message).toMatch(/^could not render the timeline of scenario 'x': /);
  });
});
