/**
 * The HTML report of a run: a list of ScenarioResults (one scenario on one backend with one seed
 * each). Element ids and classes tests and users can rely on:
 *   #summary, #distributions, section.scenario#s-<n> (n from 1, data-verdict), #timeline-<n> with
 *   figure.lane[data-conn] per connection, #zoom-<n> with figure.zoom, table.bounds#bounds-<n>,
 *   #expectations-<n>, #faults-<n>, #qos-<n>, #parity-<n>, #replay-<n>, #environment-<n>.
 */
import { runQos } from '../../harness/observe/qos.ts';
import type { ScenarioResult } from '../../harness/result.ts';
import {
  bothWays,
  MSG_BOTH_WAYS,
  MSG_CLIENT,
  MSG_SERVER,
  messageSplit,
} from '../../harness/sweep/overhead.ts';
import { ecdfSpec } from '../charts/distribution.ts';
import { laneTimeline, zoomTimeline, zoomWindows } from '../charts/timeline.ts';
import { COLORS, renderChart } from '../charts/vega.ts';
import { fmtAccuracy, fmtBytes, fmtClock, fmtDuration, fmtMs, fmtNum } from '../format.ts';
import { assertScenarioResults } from '../validate.ts';
import { type Html, html, join } from './markup.ts';
import {
  badge,
  compactJson,
  figure,
  kvList,
  page,
  type ReportMeta,
  replayBlock,
  stat,
  table,
} from './page.ts';

const DEFAULT_WIDTH = 1040;
/** Environment keys already shown from the result's own fields. */
const SHOWN_ENV = new Set(['backend', 'timeScale', 'seed', 'traceHash']);

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The legend names who pings whom: a server-initiated ping (socket.io) is not a client's pong. */
function legend(pinger: 'client' | 'server'): Html {
  const item = (cls: string, color: string, text: string) =>
    html`<span><i class="${cls}" style="background:${color};border-color:${color}"></i>${text}</span>`;
  const peer = pinger === 'client' ? 'server' : 'client';
  return html`<div class="legend">${[
    item('tick', COLORS.ping, `ping (${pinger} → ${peer})`),
    item('tick', COLORS.pong, `pong (${peer} → ${pinger})`),
    item('', COLORS.faultFill, 'fault window'),
    item('', COLORS.boundFill, 'detection bound [min, max]'),
    item('rule', COLORS.detect, 'detection ▼'),
    item('rule', COLORS.reconnect, 'reconnect ●'),
    item('rule', COLORS.mistake, 'false detection'),
    html`<span>■ FIN  ✚ RST/error  ◆ close  ▲ state</span>`,
  ]}</div>`;
}

async function timelineSection(r: ScenarioResult, n: number, width: number): Promise<Html> {
  const lanes = await Promise.all(
    r.lanes.map(async (lane) => {
      const plan = laneTimeline(r, lane, width);
      const chart = await renderChart(
        plan.spec,
        `timeline of scenario '${r.scenario}', connection '${lane.conn}'`,
      );
      const span = `${fmtClock(lane.opened)} → ${lane.closed === undefined ? 'end' : fmtClock(lane.closed)}`;
      const binNote =
        plan.binMs === undefined
          ? `${plan.heartbeats} heartbeat events, each drawn`
          : `${plan.heartbeats} heartbeat events in ${fmtDuration(plan.binMs)} bins (opacity = count)`;
      return figure(
        chart.svg,
        html`class="lane" data-conn="${lane.conn}" data-binned="${String(plan.binMs !== undefined)}"`,
        html`<b>${lane.conn}</b> · ${lane.client} · ${span} · <span class="dim">${binNote}</span>`,
      );
    }),
  );
  const windows = zoomWindows(r);
  const zooms = await Promise.all(
    windows.map(async (w, i) => {
      const plan = zoomTimeline(r, w, width);
      const chart = await renderChart(plan.spec, `zoom ${i + 1} of scenario '${r.scenario}'`);
      return figure(
        chart.svg,
        html`class="zoom" data-faults="${w.faults.join(' ')}"`,
        html`<b>${fmtClock(w.start)} → ${fmtClock(w.end)}</b> · ${w.title}${
          plan.binMs === undefined ? '' : html` · <span class="dim">binned ${fmtDuration(plan.binMs)}</span>`
        }`,
      );
    }),
  );
  return html`<h3>Timeline</h3>${legend(r.pinger ?? 'client')}
<div class="timeline" id="timeline-${n}">${
    lanes.length > 0 ? lanes : html`<p class="note">No connection was recorded.</p>`
  }</div>
${
  zooms.length > 0
    ? html`<h3>Around each fault</h3><p class="note">Every lane alive in the window; rows are <span class="mono">conn C</span>(lient) / <span class="mono">S</span>(erver); each ping and pong at its exact time; labels give Δ from onset (detections) or heal (reconnects).</p><div class="zooms" id="zoom-${n}">${zooms}</div>`
    : ''
}`;
}

function boundsTable(r: ScenarioResult, n: number): Html {
  const rows = [
    ...r.detections.map((d) => ({
      verdict: d.withinBound,
      cells: [
        badge(d.withinBound),
        'detection',
        html`<span class="mono">${d.side}</span>`,
        html`<span class="mono">${d.conn}</span>`,
        d.reason,
        html`<span class="mono">${d.fault}</span>`,
        fmtMs(d.delta),
        html`[${fmtNum(d.bound.min, 1)}, ${fmtNum(d.bound.max, 1)}]`,
        headroom(d.delta, d.bound.min, d.bound.max),
        html`<span class="why">${d.bound.why}</span>`,
      ],
    })),
    ...r.reconnects.map((c) => ({
      verdict: c.withinBound,
      cells: [
        badge(c.withinBound),
        'reconnect',
        html`<span class="mono">client</span>`,
        html`<span class="mono">${c.client}</span>`,
        plural(c.attempts, 'attempt'),
        html`<span class="dim">heal</span>`,
        fmtMs(c.delta),
        html`[${fmtNum(c.bound.min, 1)}, ${fmtNum(c.bound.max, 1)}]`,
        headroom(c.delta, c.bound.min, c.bound.max),
        html`<span class="why">${c.bound.why}</span>`,
      ],
    })),
  ];
  if (rows.length === 0)
    return html`<p class="note" id="bounds-${n}">No detections or reconnects were measured.</p>`;
  return table(
    [
      { title: '' },
      { title: 'what' },
      { title: 'side' },
      { title: 'conn / client' },
      { title: 'reason' },
      { title: 'from' },
      { title: 'measured Δ', num: true },
      { title: 'bound (ms)', num: true },
      { title: 'headroom', num: true },
      { title: 'why (BOUNDS.md)' },
    ],
    rows,
    html`class="bounds" id="bounds-${n}"`,
  );
}

/** Distance to the nearer edge of the bound; negative (red) when outside. */
function headroom(v: number, min: number, max: number): Html {
  if (v < min) return html`<span class="bad">${fmtNum(v - min, 1)} below</span>`;
  if (v > max) return html`<span class="bad">+${fmtNum(v - max, 1)} over</span>`;
  return Number.isFinite(max) ? html`${fmtNum(max - v, 1)} to max` : html`<span class="dim">open</span>`;
}

function expectationsTable(r: ScenarioResult, n: number): Html {
  if (r.expectations.length === 0)
    return html`<p class="note" id="expectations-${n}">No expectations declared.</p>`;
  return table(
    [{ title: '' }, { title: 'expectation' }, { title: 'detail' }],
    r.expectations.map((e) => ({
      verdict: e.passed,
      cells: [badge(e.passed), e.name, html`<span class="why">${e.detail}</span>`],
    })),
    html`class="expectations" id="expectations-${n}"`,
  );
}

function faultsTable(r: ScenarioResult, n: number): Html {
  if (r.faults.length === 0) return html`<p class="note" id="faults-${n}">No faults injected.</p>`;
  return table(
    [
      { title: 'id' },
      { title: 'type' },
      { title: 'target' },
      { title: 'onset', num: true },
      { title: 'heal', num: true },
      { title: 'lasts', num: true },
      { title: 'conv.' },
      { title: 'attributes' },
    ],
    r.faults.map((f) => ({
      cells: [
        html`<span class="mono">${f.id}</span>`,
        html`<span class="mono">${f.type}</span>`,
        f.target,
        fmtClock(f.at),
        f.until === undefined ? html`<span class="dim">end</span>` : fmtClock(f.until),
        fmtDuration((f.until ?? r.duration) - f.at),
        f.convention ?? '—',
        html`<span class="why">${compactJson(f.attributes)}</span>`,
      ],
    })),
    html`class="faults" id="faults-${n}"`,
  );
}

function qosTable(r: ScenarioResult, n: number): Html {
  const q = runQos(r);
  const both = bothWays(r.overhead);
  const ms = (v: number | undefined) => (v === undefined ? '—' : fmtMs(Math.round(v)));
  const rows: [string, string, string][] = [
    ['false detections (mistakes)', String(q.mistakes), ''],
    ['observed connection time W', fmtDuration(q.exposure), 'clients × run duration'],
    [
      'E(T_M) mistake duration',
      ms(q.mistakeDuration.mean),
      'mistake → same client connected again (cut at the end of the run)',
    ],
    ['E(T_MR) mistake recurrence', ms(q.mistakeRecurrence.mean), 'W / mistakes'],
    ['λ_M mistake rate', `${fmtNum(q.mistakesPerHour, 3)} /conn·h`, '1 / E(T_MR) = mistakes / W'],
    ['P_A query accuracy', fmtAccuracy(q.queryAccuracy), '1 − E(T_M)/E(T_MR) = 1 − Σ T_M / W'],
    [
      'heartbeat overhead, client',
      `${fmtNum(r.overhead.client.messagesPerHour, 1)} ${MSG_CLIENT} · ${fmtBytes(r.overhead.client.bytesPerHour)}/conn·h`,
      'F20: what the client writes (pings)',
    ],
    [
      'heartbeat overhead, server',
      `${fmtNum(r.overhead.server.messagesPerHour, 1)} ${MSG_SERVER} · ${fmtBytes(r.overhead.server.bytesPerHour)}/conn·h`,
      'F20: what the server writes (pongs)',
    ],
    [
      'heartbeat overhead, both ways',
      `${fmtNum(both.messagesPerHour, 1)} ${MSG_BOTH_WAYS} · ${fmtBytes(both.bytesPerHour)}/conn·h`,
      'F20: client + server, as sweeps count it',
    ],
  ];
  const falseRows = r.falseDetections.map((f) => ({
    verdict: false,
    cells: [
      fmtClock(f.at),
      html`<span class="mono">${f.side}</span>`,
      html`<span class="mono">${f.conn}</span>`,
      f.reason,
    ],
  }));
  return html`${table(
    [{ title: 'metric' }, { title: 'value', num: true }, { title: 'definition' }],
    rows.map(([k, v, d]) => ({ cells: [k, v, html`<span class="dim">${d}</span>`] })),
    html`class="qos" id="qos-${n}"`,
  )}${
    falseRows.length > 0
      ? html`<h3>False detections</h3>${table(
          [{ title: 'at', num: true }, { title: 'side' }, { title: 'conn' }, { title: 'reason' }],
          falseRows,
          html`class="false-detections" id="false-${n}"`,
        )}`
      : ''
  }`;
}

function parityTable(r: ScenarioResult, n: number): Html {
  if (!r.parity || r.parity.length === 0) return html``;
  const agree = r.parity.filter((p) => p.agree).length;
  return html`<h3>Parity sim ↔ toxiproxy · ${agree}/${r.parity.length} agree</h3>${table(
    [
      { title: '' },
      { title: 'scenario' },
      { title: 'field' },
      { title: 'sim', num: true },
      { title: 'toxiproxy', num: true },
      { title: 'tolerance', num: true },
    ],
    r.parity.map((p) => ({
      verdict: p.agree,
      cells: [
        badge(p.agree, p.agree ? 'agree' : 'differ'),
        p.scenario,
        p.field,
        p.sim,
        p.toxiproxy,
        p.tolerance,
      ],
    })),
    html`class="parity" id="parity-${n}"`,
  )}`;
}

function keyStats(r: ScenarioResult): Html {
  const items: Html[] = [];
  for (const d of r.detections.slice(0, 4)) {
    items.push(
      stat(
        `${d.side} detection`,
        fmtDuration(d.delta),
        html`${d.withinBound ? '✓' : '✗'} bound ${fmtDuration(d.bound.min)}–${fmtDuration(d.bound.max)}`,
        !d.withinBound,
      ),
    );
  }
  for (const c of r.reconnects.slice(0, 2)) {
    items.push(
      stat(
        'reconnect',
        fmtDuration(c.delta),
        html`${c.withinBound ? '✓' : '✗'} ${plural(c.attempts, 'attempt')}`,
        !c.withinBound,
      ),
    );
  }
  items.push(
    stat('false detections', String(r.falseDetections.length), undefined, r.falseDetections.length > 0),
  );
  items.push(
    stat(
      'heartbeat',
      fmtNum(bothWays(r.overhead).messagesPerHour, 0),
      `${MSG_BOTH_WAYS} (${messageSplit(r.overhead)})`,
    ),
  );
  return html`<div class="stats">${items}</div>`;
}

async function scenarioSection(r: ScenarioResult, n: number, width: number): Promise<Html> {
  const failed = r.expectations.filter((e) => !e.passed);
  const failedBounds = [
    ...r.detections
      .filter((d) => !d.withinBound)
      .map(
        (d) => `${d.side} detection on ${d.conn}: Δ ${d.delta} ms outside [${d.bound.min}, ${d.bound.max}]`,
      ),
    ...r.reconnects
      .filter((c) => !c.withinBound)
      .map((c) => `reconnect of ${c.client}: Δ ${c.delta} ms outside [${c.bound.min}, ${c.bound.max}]`),
  ];
  const callout =
    !r.passed || failed.length > 0
      ? html`<div class="callout"><b>Failed</b><ul>${[
          ...failed.map((e) => html`<li><b>${e.name}</b> — ${e.detail}</li>`),
          ...failedBounds.map((s) => html`<li class="mono">${s}</li>`),
          failed.length === 0 && failedBounds.length === 0 ? html`<li>the run reported a failure</li>` : '',
        ]}</ul></div>`
      : '';
  const sub = [
    r.backend,
    `seed ${r.seed}`,
    fmtDuration(r.duration),
    r.timeScale === 1 ? undefined : `time scale ${r.timeScale}`,
    r.file,
  ].filter((x): x is string => x !== undefined);
  return html`<section class="card scenario" id="s-${n}" data-verdict="${r.passed ? 'pass' : 'fail'}">
<div class="card-head">${badge(r.passed)}<h2>${r.scenario}</h2><span class="sub mono">${join(sub, ' · ')}</span></div>
${callout}${keyStats(r)}
${await timelineSection(r, n, width)}
<h3>Measured vs bound</h3>${boundsTable(r, n)}
<h3>Expectations</h3>${expectationsTable(r, n)}
<h3>Faults</h3>${faultsTable(r, n)}
<h3>QoS and overhead</h3>${qosTable(r, n)}
${parityTable(r, n)}
<div class="cols"><div><h3>Configuration</h3>${kvList(
    Object.entries(r.config).map(([k, v]) => [k, typeof v === 'string' ? v : compactJson(v)]),
  )}</div><div><h3>Environment</h3><div id="environment-${n}">${kvList([
    ['backend', r.backend],
    ['time scale', String(r.timeScale)],
    ['seed', String(r.seed)],
    ['trace hash', r.traceHash],
    ...Object.entries(r.environment).filter(([k]) => !SHOWN_ENV.has(k)),
  ])}</div></div></div>
<h3>Replay</h3>${replayBlock(r.replay, `replay-${n}`)}
</section>`;
}

function summaryTable(results: ScenarioResult[]): Html {
  return table(
    [
      { title: '' },
      { title: 'scenario' },
      { title: 'backend' },
      { title: 'seed', num: true },
      { title: 'detections in bound', num: true },
      { title: 'reconnects in bound', num: true },
      { title: 'false det.', num: true },
      { title: 'expectations', num: true },
      { title: 'duration', num: true },
    ],
    results.map((r, i) => {
      const dIn = r.detections.filter((d) => d.withinBound).length;
      const cIn = r.reconnects.filter((c) => c.withinBound).length;
      const eIn = r.expectations.filter((e) => e.passed).length;
      const frac = (a: number, b: number) => html`<span class="${a === b ? '' : 'bad'}">${a}/${b}</span>`;
      return {
        verdict: r.passed,
        cells: [
          badge(r.passed),
          html`<a href="#s-${i + 1}">${r.scenario}</a>`,
          r.backend,
          String(r.seed),
          frac(dIn, r.detections.length),
          frac(cIn, r.reconnects.length),
          html`<span class="${r.falseDetections.length > 0 ? 'bad' : ''}">${r.falseDetections.length}</span>`,
          frac(eIn, r.expectations.length),
          fmtDuration(r.duration),
        ],
      };
    }),
    html`class="summary"`,
  );
}

async function distributions(results: ScenarioResult[], width: number): Promise<Html> {
  const det = (side: string) =>
    results.flatMap((r) => r.detections.filter((d) => d.side === side).map((d) => d.delta));
  const client = det('client');
  const server = det('server');
  const rec = results.flatMap((r) => r.reconnects.map((c) => c.delta));
  const half = Math.floor((width - 150) / 2);
  const parts: Html[] = [];
  if (client.length + server.length > 0) {
    const chart = await renderChart(
      ecdfSpec(
        [
          { name: `client (n=${client.length})`, color: COLORS.ping, values: client },
          { name: `server (n=${server.length})`, color: COLORS.state, values: server },
        ],
        'detection time Δ after fault onset (s)',
        half,
      ),
      'detection-time distribution',
    );
    parts.push(
      figure(chart.svg, html`class="ecdf" data-metric="detection"`, html`<b>Detection time</b> · ECDF`),
    );
  }
  if (rec.length > 0) {
    const chart = await renderChart(
      ecdfSpec(
        [{ name: `reconnect (n=${rec.length})`, color: COLORS.reconnect, values: rec }],
        'reconnect time Δ after heal (s)',
        half,
      ),
      'reconnect-time distribution',
    );
    parts.push(
      figure(chart.svg, html`class="ecdf" data-metric="reconnect"`, html`<b>Reconnect time</b> · ECDF`),
    );
  }
  if (parts.length === 0) return html``;
  return html`<section class="card" id="distributions"><div class="card-head"><h2>Distributions</h2><span class="sub">across ${plural(results.length, 'result')} (all scenarios, seeds and backends)</span></div><div class="charts">${parts}</div></section>`;
}

/** One self-contained HTML page for a run. Async because vega renders asynchronously. */
export async function renderRunHtml(results: ScenarioResult[], meta: ReportMeta = {}): Promise<string> {
  assertScenarioResults(results);
  const width = meta.chartWidth ?? DEFAULT_WIDTH;
  const failed = results.filter((r) => !r.passed).length;
  const passed = results.length - failed;
  const title = meta.title ?? 'flatline run report';
  const backends = [...new Set(results.map((r) => r.backend))].join(' + ') || '—';
  const header = html`<span class="brand">flatline <span>report</span></span><h1>${title}</h1>
<span class="pill ${failed === 0 ? 'pass' : 'fail'}" id="verdict">${
    failed === 0 ? `all ${results.length} passed` : `${failed} failed · ${passed} passed`
  }</span><span class="meta mono">${plural(results.length, 'result')} · ${backends}${
    meta.generatedAt ? ` · ${meta.generatedAt}` : ''
  }</span>`;
  const sections: Html[] = [];
  for (const [i, r] of results.entries()) sections.push(await scenarioSection(r, i + 1, width));
  const toc = html`<nav class="toc">${results.map(
    (r, i) =>
      html`<a href="#s-${i + 1}"><span class="dot ${r.passed ? 'pass' : 'fail'}"></span>${r.scenario} <span class="dim">${r.backend}·${r.seed}</span></a>`,
  )}</nav>`;
  const body = html`${toc}
<section class="card" id="summary"><div class="card-head"><h2>Summary</h2><span class="sub">${passed} passed, ${failed} failed</span></div>${
    results.length > 0 ? summaryTable(results) : html`<p class="note">No results.</p>`
  }</section>
${await distributions(results, width)}
${sections}`;
  return page({ title, header, body, meta });
}
