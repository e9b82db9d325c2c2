/**
 * The HTML report of a sweep. Ids: #recommendation (with #best, #runner-up, table#rejected),
 * #heatmap (figure.heatmap[data-metric]), #spread, table.cells#cells (one row per cell,
 * data-verdict), table#presets, #replay, #environment.
 */
import type { SweepCell, SweepResult } from '../../harness/result.ts';
import { bothWays, MSG_BOTH_WAYS } from '../../harness/sweep/overhead.ts';
import { spreadSpec } from '../charts/distribution.ts';
import { heatmapSpec } from '../charts/heatmap.ts';
import { COLORS, renderChart } from '../charts/vega.ts';
import { fmtAccuracy, fmtBytes, fmtDuration, fmtMs, fmtNum } from '../format.ts';
import {
  type ConfigSummary,
  configLabel,
  restKey,
  sameConfig,
  seconds,
  summarizeConfig,
  summarizeConfigs,
} from '../sweep-summary.ts';
import { assertSweepResult } from '../validate.ts';
import { type Html, html, join } from './markup.ts';
import { badge, figure, kvList, page, type ReportMeta, replayBlock, stat, table } from './page.ts';

const PALETTE = [COLORS.ping, '#e4a11b', COLORS.state, COLORS.pong, '#bf3989', '#6e7781'];

const opt = (v: number | undefined, f: (n: number) => string = fmtMs) => (v === undefined ? '—' : f(v));

function summaryStats(s: ConfigSummary): Html {
  return html`<div class="stats">${[
    stat(
      'p99 detection (worst)',
      opt(s.detectionP99, fmtDuration),
      html`max ${opt(s.detectionMax, fmtDuration)}`,
    ),
    stat(
      'false detections',
      `${fmtNum(s.falseDetectionRate, 2)}/h`,
      'per conn·h (worst)',
      s.falseDetectionRate > 0,
    ),
    stat('query accuracy P_A', opt(s.queryAccuracy, fmtAccuracy), 'lowest cell'),
    stat('reconnect p99', opt(s.reconnectP99, fmtDuration)),
    stat(
      'heartbeat',
      fmtNum(s.overhead.messagesPerHour, 0),
      `${MSG_BOTH_WAYS} · ${fmtBytes(s.overhead.bytesPerHour)}/conn·h (worst)`,
    ),
    stat(
      'latency tolerance',
      fmtDuration(s.toleranceClient),
      html`client · server ${fmtDuration(s.toleranceServer)}`,
    ),
  ]}</div>`;
}

function recommendation(sweep: SweepResult, summaries: ConfigSummary[]): Html {
  const rec = sweep.recommendation;
  const find = (c: SweepResult['recommendation']['best']) => summaries.find((s) => sameConfig(s.config, c));
  const best = find(rec.best);
  const runnerUp = find(rec.runnerUp);
  const bestBlock = rec.best
    ? html`<div id="best"><div class="card-head">${badge(true, 'recommended')}<span class="rec cfg mono">${configLabel(
        rec.best,
        true,
      )}</span></div>${best ? summaryStats(best) : ''}</div>`
    : html`<div id="best" class="callout"><b>No configuration met every goal.</b></div>`;
  const runnerBlock = rec.runnerUp
    ? html`<div id="runner-up" class="note"><b>Runner-up:</b> <span class="mono">${configLabel(rec.runnerUp, true)}</span>${
        runnerUp
          ? html` — p99 detection ${opt(runnerUp.detectionP99, fmtDuration)}, ${fmtNum(runnerUp.falseDetectionRate, 2)} false/conn·h, ${fmtNum(runnerUp.overhead.messagesPerHour, 0)} ${MSG_BOTH_WAYS}`
          : ''
      }</div>`
    : '';
  const rejected =
    rec.rejected.length > 0
      ? html`<h3>Rejected (${rec.rejected.length})</h3>${table(
          [{ title: '' }, { title: 'configuration' }, { title: 'why' }],
          rec.rejected.map((r) => ({
            verdict: false,
            cells: [
              badge(false, 'rejected'),
              html`<span class="mono nowrap">${configLabel(r.config)}</span>`,
              html`<span class="why">${r.why}</span>`,
            ],
          })),
          html`id="rejected" class="rejected"`,
        )}`
      : '';
  return html`<section class="card" id="recommendation"><div class="card-head"><h2>Recommendation</h2><span class="sub">goals: ${join(
    sweep.goals.map((g) => html`<span class="mono">${g}</span>`),
    ' · ',
  )}</span></div>${bestBlock}<p class="note" id="why"><b>Why:</b> ${rec.why}</p>${runnerBlock}${rejected}</section>`;
}

async function heatmaps(sweep: SweepResult, width: number): Promise<Html> {
  const isBest = (c: SweepCell['config']) => sameConfig(c, sweep.recommendation.best);
  const metrics = [
    {
      id: 'detection-p99',
      metric: {
        title: 'p99 detection time Δ (s)',
        value: (c: SweepCell) => (c.detection && c.detection.n > 0 ? c.detection.p99 / 1000 : undefined),
        text: (v: number) => `${fmtNum(v, 1)} s`,
        scheme: 'blues',
      },
    },
    {
      id: 'false-detections',
      metric: {
        title: 'false detections per conn·h',
        value: (c: SweepCell) => c.falseDetectionRate,
        text: (v: number) => fmtNum(v, 2),
        scheme: 'oranges',
        // 0 false detections is "nothing": neutral grey, whatever the other cells hold
        zeroIsNothing: true,
      },
    },
  ];
  const charts = await Promise.all(
    metrics.map(async (m) => {
      const chart = await renderChart(
        heatmapSpec(sweep.cells, m.metric, isBest, undefined, width),
        `heatmap '${m.metric.title}'`,
      );
      return figure(chart.svg, html`class="heatmap" data-metric="${m.id}"`);
    }),
  );
  return html`<section class="card" id="heatmap"><div class="card-head"><h2>Interval × timeout</h2><span class="sub">one panel per scenario · latency profile; <span class="ok">★</span> recommended, <span class="bad">✗</span> a goal failed (red outline)</span></div><div class="charts">${charts}</div></section>`;
}

async function spread(sweep: SweepResult, summaries: ConfigSummary[], width: number): Promise<Html> {
  const oneScenario = new Set(sweep.cells.map((c) => c.scenario)).size === 1;
  const groupOf = (c: SweepCell) => (oneScenario ? c.latencyProfile : `${c.scenario} · ${c.latencyProfile}`);
  const groups = [...new Set(sweep.cells.map(groupOf))];
  const rows = sweep.cells.flatMap((c) =>
    c.detection && c.detection.n > 0
      ? [
          {
            label: configLabel(
              c.config,
              summaries.length > new Set(summaries.map((s) => configLabel(s.config))).size,
            ),
            group: groupOf(c),
            stats: c.detection,
            met: c.goals.every((g) => g.met),
          },
        ]
      : [],
  );
  if (rows.length === 0) return html``;
  // the plot takes the width the configuration labels leave (vega sizes them at 0.8 em a character)
  const labelWidth = Math.max(...rows.map((r) => r.label.length)) * 8;
  const chart = await renderChart(
    spreadSpec(rows, groups, PALETTE.slice(0, groups.length), Math.max(320, width - labelWidth - 40)),
    'detection spread',
  );
  return html`<section class="card" id="spread"><div class="card-head"><h2>Detection time per configuration</h2><span class="sub">over ${sweep.seeds.length} seeds</span></div>${figure(
    chart.svg,
    html`class="spread"`,
  )}</section>`;
}

function cellsTable(sweep: SweepResult): Html {
  const st = (s: SweepCell['detection']) => (s && s.n > 0 ? s : undefined);
  const n = (v: number) => fmtNum(v);
  return table(
    [
      { title: '' },
      { title: 'I / T / R / N' },
      { title: 'profile' },
      { title: 'T_D min', num: true },
      { title: 'median', num: true },
      { title: 'p99', num: true },
      { title: 'max', num: true },
      { title: 'false/conn·h', num: true },
      { title: 'T_M med', num: true },
      { title: 'T_MR med', num: true },
      { title: 'P_A', num: true },
      { title: 'reconn. p99', num: true },
      { title: `${MSG_BOTH_WAYS} · bytes`, num: true },
      { title: 'tol. C / S', num: true },
      { title: 'goals' },
    ],
    sweep.cells.map((c) => {
      const det = st(c.detection);
      const both = bothWays(c.overhead);
      const met = c.goals.every((g) => g.met);
      return {
        verdict: met,
        cells: [
          badge(met),
          html`<span class="mono nowrap">${seconds(c.config.interval)} / ${seconds(c.config.pongTimeout)} / ${seconds(
            c.config.readDeadline,
          )} / ${c.config.missThreshold}</span>`,
          html`<span class="nowrap">${c.latencyProfile}</span>${
            new Set(sweep.cells.map((x) => x.scenario)).size > 1
              ? html`<div class="why">${c.scenario}</div>`
              : ''
          }`,
          opt(det?.min, n),
          opt(det?.median, n),
          opt(det?.p99, n),
          opt(det?.max, n),
          html`<span class="${c.falseDetectionRate > 0 ? 'bad' : ''}">${fmtNum(c.falseDetectionRate, 2)}</span>`,
          opt(st(c.mistakeDuration)?.median, n),
          opt(st(c.mistakeRecurrence)?.median, fmtDuration),
          opt(c.queryAccuracy, fmtAccuracy),
          opt(st(c.reconnect)?.p99, n),
          html`${fmtNum(both.messagesPerHour, 0)} · ${fmtBytes(both.bytesPerHour)}`,
          html`${n(c.latencyTolerance.client)} / ${n(c.latencyTolerance.server)}`,
          html`<span class="goals nowrap">${c.goals.map((g) => {
            const i = sweep.goals.indexOf(g.goal);
            return html`<span class="${g.met ? 'ok' : 'bad'}" title="${g.goal}: ${g.why}">${g.met ? '✓' : '✗'}${
              i >= 0 ? i + 1 : g.goal
            }</span> `;
          })}</span>`,
        ],
      };
    }),
    html`class="cells" id="cells"`,
  );
}

/** Failed goals, each once, with the scenario/profile panels where it failed. */
function failedGoals(s: ConfigSummary): Html {
  const byGoal = new Map<string, string[]>();
  for (const f of s.failed) byGoal.set(f.goal, [...(byGoal.get(f.goal) ?? []), f.where]);
  return html`${[...byGoal].map(
    ([goal, where]) =>
      html`<div><span class="bad">✗</span> ${goal} <span class="why">(${where.join(', ')})</span></div>`,
  )}`;
}

function presetsTable(sweep: SweepResult, best: ConfigSummary | undefined): Html {
  if (sweep.presets.length === 0) return html``;
  const rows = sweep.presets.map((p) => ({ preset: p, s: summarizeConfig(p.config, p.cells) }));
  const all = best
    ? [
        ...rows.map((r) => ({ name: r.preset.name, source: r.preset.source, s: r.s, best: false })),
        { name: 'recommended', source: 'this sweep', s: best, best: true },
      ]
    : rows.map((r) => ({ name: r.preset.name, source: r.preset.source, s: r.s, best: false }));
  return html`<section class="card" id="presets-section"><div class="card-head"><h2>Presets compared</h2><span class="sub">same scenarios and seeds as the grid (BOUNDS.md presets)</span></div>${table(
    [
      { title: '' },
      { title: 'preset' },
      { title: 'configuration' },
      { title: 'p99 detection', num: true },
      { title: 'max', num: true },
      { title: 'false/conn·h', num: true },
      { title: 'reconn. p99', num: true },
      { title: MSG_BOTH_WAYS, num: true },
      { title: 'tol. client', num: true },
      { title: 'failed goals' },
    ],
    all.map((r) => ({
      verdict: r.s.goalsMet,
      attrs: r.best ? html` class="best"` : undefined,
      cells: [
        badge(r.s.goalsMet, r.s.goalsMet ? 'meets goals' : 'fails'),
        html`<b>${r.name}</b>${r.source ? html`<div class="why">${r.source}</div>` : ''}`,
        html`<span class="mono nowrap">${configLabel(r.s.config)}</span><div class="why">${restKey(r.s.config)}</div>`,
        opt(r.s.detectionP99, fmtDuration),
        opt(r.s.detectionMax, fmtDuration),
        fmtNum(r.s.falseDetectionRate, 2),
        opt(r.s.reconnectP99, fmtDuration),
        fmtNum(r.s.overhead.messagesPerHour, 0),
        fmtDuration(r.s.toleranceClient),
        r.s.failed.length === 0 ? html`<span class="dim">—</span>` : failedGoals(r.s),
      ],
    })),
    html`id="presets" class="presets"`,
  )}</section>`;
}

/** One self-contained HTML page for a sweep. Async because vega renders asynchronously. */
export async function renderSweepHtml(sweep: SweepResult, meta: ReportMeta = {}): Promise<string> {
  assertSweepResult(sweep);
  const width = meta.chartWidth ?? 1040;
  const summaries = summarizeConfigs(sweep.cells);
  const best = summaries.find((s) => sameConfig(s.config, sweep.recommendation.best));
  const title = meta.title ?? `flatline sweep: ${sweep.name}`;
  const met = summaries.filter((s) => s.goalsMet).length;
  const header = html`<span class="brand">flatline <span>sweep</span></span><h1>${sweep.name}</h1>
<span class="pill ${sweep.recommendation.best ? 'pass' : 'fail'}" id="verdict">${
    sweep.recommendation.best
      ? `recommended: ${configLabel(sweep.recommendation.best)}`
      : 'no configuration met every goal'
  }</span><span class="meta mono">${summaries.length} configs · ${met} meet goals · ${sweep.cells.length} cells · ${sweep.seeds.length} seeds · ${sweep.backend}${
    meta.generatedAt ? ` · ${meta.generatedAt}` : ''
  }</span>`;
  const body = html`${recommendation(sweep, summaries)}
${await heatmaps(sweep, width)}
${await spread(sweep, summaries, width)}
<section class="card" id="cells-section"><div class="card-head"><h2>Every cell</h2><span class="sub">${sweep.seeds.length} seeds per cell · times in ms unless marked · T_D detection, T_M mistake duration, T_MR mistake recurrence, P_A query accuracy · heartbeat overhead per connection-hour both ways (client pings + server pongs) · tolerance: added latency tolerated (client T − r, server R − I)</span></div><p class="note">Goals: ${join(
    sweep.goals.map((g, i) => html`<b>${i + 1}</b> ${g}`),
    ' · ',
  )}</p><div style="overflow-x:auto">${cellsTable(sweep)}</div></section>
${presetsTable(sweep, best)}
<section class="card"><div class="cols"><div><h3>Replay</h3>${replayBlock(sweep.replay, 'replay')}</div><div><h3>Environment</h3><div id="environment">${kvList(
    [
      ['backend', sweep.backend],
      ['time scale', String(sweep.timeScale)],
      [
        'seeds',
        sweep.seeds.length <= 12
          ? sweep.seeds.join(', ')
          : `${sweep.seeds.slice(0, 12).join(', ')} … (${sweep.seeds.length})`,
      ],
      ...Object.entries(sweep.environment).filter(([k]) => k !== 'backend' && k !== 'timeScale'),
    ],
  )}</div></div></div></section>`;
  return page({ title, header, body, meta });
}
