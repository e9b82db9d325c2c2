/**
 * The page shell shared by run and sweep reports: one self-contained polyglot HTML file (also
 * well-formed XML), inline CSS, no script. A Content-Security-Policy forbids every fetch and every
 * script, so even a string that slipped past escaping could not run or load anything.
 */
import { MONO, SANS } from '../charts/vega.ts';
import { type Child, type Html, html, join, trusted } from './markup.ts';

export interface ReportMeta {
  /** Page title; defaults per report kind. */
  title?: string;
  /** When the report was built (ISO 8601). Renderers never read the clock, so pass it in. */
  generatedAt?: string;
  /** The command that produced the report. */
  command?: string;
  /** flatline's version. */
  version?: string;
  /** Chart width in CSS pixels (default 1040). */
  chartWidth?: number;
}

export const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; script-src 'none'";

const CSS = `
:root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--soft:#f6f8fa;--row:#eef1f4;--pass:#1a7f37;--pass-bg:#dafbe1;
--fail:#cf222e;--fail-bg:#ffebe9;--warn:#9a6700;--warn-bg:#fff8c5;--accent:#0969da;--ping:#3b6fb6;--pong:#2a9d8f;--fault:#ffd8d3;}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font:13px/1.45 ${SANS};color:var(--ink);background:#f3f5f7}
.mono,code,pre,td.num,.num{font-family:${MONO};font-variant-numeric:tabular-nums}
header.top{background:#0d1117;color:#e6edf3;padding:12px 0}
header.top .wrap{display:flex;flex-wrap:wrap;align-items:center;gap:10px 18px}
header.top .brand{font:700 15px ${MONO};letter-spacing:.02em;color:#fff}
header.top .brand span{color:#7d8590;font-weight:400}
header.top h1{font-size:15px;font-weight:600;margin:0;color:#e6edf3}
header.top .meta{color:#9198a1;font-size:12px;margin-left:auto}
.wrap{max-width:1180px;margin:0 auto;padding:0 20px}
main{padding:6px 0 40px}
section.card{background:#fff;border:1px solid var(--line);border-radius:8px;padding:12px 16px 14px;margin:12px 0}
h2{font-size:15px;margin:0;font-weight:650}
h3{font-size:11px;font-weight:650;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:16px 0 6px}
.card-head{display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 10px;margin-bottom:6px}
.card-head .sub{color:var(--muted);font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font:700 10.5px ${SANS};letter-spacing:.04em;text-transform:uppercase;vertical-align:1px;white-space:nowrap}
.badge.pass{background:var(--pass-bg);color:var(--pass)}
.badge.fail{background:var(--fail-bg);color:var(--fail)}
.badge.info{background:#ddf4ff;color:var(--accent)}
.pill{display:inline-flex;gap:8px;align-items:center;border-radius:999px;padding:2px 10px;font-weight:650;font-size:12px}
.pill.pass{background:#1a7f37;color:#fff}.pill.fail{background:#cf222e;color:#fff}
.ok{color:var(--pass);font-weight:600}.bad{color:var(--fail);font-weight:600}.dim{color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:12px}
th{text-align:left;font-weight:600;color:var(--muted);background:var(--soft);border-bottom:1px solid var(--line);padding:4px 8px;white-space:nowrap}
td{border-bottom:1px solid var(--row);padding:3px 8px;vertical-align:top}
td.num,th.num{text-align:right;white-space:nowrap}
tr[data-verdict=fail]>td{background:#fff6f5}
tr[data-verdict=fail]>td:first-child{box-shadow:inset 3px 0 0 var(--fail)}
tr[data-verdict=pass]>td:first-child{box-shadow:inset 3px 0 0 #4ac26b}
td .why,.why{color:var(--muted);font-family:${MONO};font-size:11px;overflow-wrap:anywhere}
td.wrap{overflow-wrap:anywhere}
.nowrap{white-space:nowrap}
.goals span{margin-right:4px;font-family:${MONO};font-size:11px}
tr.best>td{background:#f0fff4}
table.cells{font-size:11.5px}
table.cells td,table.cells th{padding:2px 5px}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
.stats{display:flex;flex-wrap:wrap;gap:8px;margin:8px 0 2px}
.stat{border:1px solid var(--line);border-radius:6px;padding:5px 10px;min-width:118px;background:#fff}
.stat .k{font-size:10.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
.stat .v{font:600 15px ${MONO};white-space:nowrap}
.stat .b{font:11px ${MONO};color:var(--muted);white-space:nowrap}
.stat.fail{border-color:#ffcecb;background:#fffafa}.stat.fail .v{color:var(--fail)}
.callout{border-left:3px solid var(--fail);background:var(--fail-bg);border-radius:0 6px 6px 0;padding:6px 10px;margin:8px 0;font-size:12px}
.callout.good{border-color:var(--pass);background:#f0fff4}
.callout ul{margin:2px 0 0;padding-left:18px}
figure{margin:0}
figure svg{display:block;max-width:100%;height:auto}
figure.lane{margin:2px 0 6px}
figcaption{font-size:11.5px;color:var(--muted);margin:0 0 1px}
figcaption b{color:var(--ink);font-family:${MONO};font-weight:600}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:11px;color:var(--muted);margin:2px 0 6px}
.legend i{display:inline-block;width:12px;height:10px;margin-right:4px;vertical-align:-1px;border-radius:2px}
.legend i.tick{width:2px;height:11px;border-radius:0}
.legend i.rule{width:0;height:11px;border-left:2px dashed;border-radius:0;background:none}
.note{font-size:11.5px;color:var(--muted);margin:2px 0 6px}
pre.replay{background:#0d1117;color:#e6edf3;padding:9px 12px;border-radius:6px;margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px}
pre.replay .prompt{color:#7d8590;user-select:none}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:1px 14px;margin:0;font-size:12px}
dl.kv dt{color:var(--muted)}dl.kv dd{margin:0;font-family:${MONO};overflow-wrap:anywhere}
.cols{display:grid;grid-template-columns:1fr 1fr;gap:0 24px}
@media (max-width:900px){.cols{grid-template-columns:1fr}}
nav.toc{display:flex;flex-wrap:wrap;gap:4px 6px;margin:12px 0 0;font-size:12px}
nav.toc a{border:1px solid var(--line);background:#fff;border-radius:999px;padding:1px 10px;color:var(--ink)}
nav.toc a .dot{display:inline-block;width:7px;height:7px;border-radius:50%;margin-right:6px;vertical-align:1px}
.dot.pass{background:#2da44e}.dot.fail{background:var(--fail)}
.charts{display:flex;flex-wrap:wrap;gap:12px 28px}
.rec{display:grid;grid-template-columns:auto 1fr;gap:4px 18px;align-items:baseline}
.rec .cfg{font:600 14px ${MONO}}
footer{color:var(--muted);font-size:11px;padding:8px 0 24px}
@media print{body{background:#fff}section.card{break-inside:avoid-page;border-color:#bbb}header.top{background:#fff;color:#000}}
`;

export function page(opts: { title: string; header: Html; body: Html; meta: ReportMeta }): string {
  const { title, header, body, meta } = opts;
  const footer = [
    meta.version ? `flatline ${meta.version}` : 'flatline',
    meta.generatedAt ? `generated ${meta.generatedAt}` : undefined,
    meta.command ? `by: ${meta.command}` : undefined,
  ].filter((x): x is string => x !== undefined);
  const doc = html`<!DOCTYPE html>
<html lang="en" xmlns="http://www.w3.org/1999/xhtml">
<head>
<meta charset="utf-8" />
<meta http-equiv="Content-Security-Policy" content="${CSP}" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<meta name="generator" content="flatline reports" />
<title>${title}</title>
<style>${trusted(CSS)}</style>
</head>
<body>
<header class="top"><div class="wrap">${header}</div></header>
<main class="wrap">
${body}
<footer>${join(footer, ' · ')}</footer>
</main>
</body>
</html>
`;
  return doc.value;
}

export function badge(passed: boolean, text?: string): Html {
  return html`<span class="badge ${passed ? 'pass' : 'fail'}">${text ?? (passed ? 'pass' : 'fail')}</span>`;
}

export function kvList(entries: [string, Child][]): Html {
  return html`<dl class="kv">${entries.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

export interface Column {
  title: string;
  num?: boolean;
}

/**
 * A table; each row may carry a verdict (data-verdict="pass|fail") so a failing row stands out
 * and tests can count rows by outcome.
 */
export function table(
  columns: Column[],
  rows: { cells: Child[]; verdict?: boolean; attrs?: Html }[],
  attrs: Html = html``,
): Html {
  return html`<table ${attrs}><thead><tr>${columns.map(
    (c) => html`<th${c.num ? html` class="num"` : ''}>${c.title}</th>`,
  )}</tr></thead><tbody>${rows.map(
    (r) =>
      html`<tr${r.verdict === undefined ? '' : html` data-verdict="${r.verdict ? 'pass' : 'fail'}"`}${r.attrs ?? ''}>${r.cells.map(
        (cell, i) => html`<td${columns[i]?.num ? html` class="num"` : ''}>${cell}</td>`,
      )}</tr>`,
  )}</tbody></table>`;
}

export function stat(key: string, value: Child, below?: Child, failed = false): Html {
  return html`<div class="stat${failed ? ' fail' : ''}"><div class="k">${key}</div><div class="v">${value}</div>${
    below === undefined ? '' : html`<div class="b">${below}</div>`
  }</div>`;
}

/** A chart: vega's SVG (which escapes its own text) inside a figure. */
export function figure(svg: string, attrs: Html, caption?: Html): Html {
  return html`<figure ${attrs}>${caption ? html`<figcaption>${caption}</figcaption>` : ''}${trusted(svg)}</figure>`;
}

/** The command, ready to paste. */
export function replayBlock(command: string, id: string): Html {
  return html`<pre class="replay" id="${id}"><span class="prompt">$ </span><code>${command}</code></pre>`;
}

/** JSON for attribute maps in tables; never throws (BigInt, cycles). */
export function compactJson(value: unknown): string {
  try {
    const s = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
    return s ?? String(value);
  } catch {
    return String(value);
  }
}
