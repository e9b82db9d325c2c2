/**
 * Renders a Vega-Lite spec to an SVG string at report-build time (no script in the report). Data is
 * always inline; the loader refuses every URL, so building a report never touches the network.
 * Vega escapes text and attribute values in its SVG output (tested in test/reports).
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { Config } from 'vega-lite/types_unstable/config.js';
import { ReportError } from '../errors.ts';

export const SANS =
  'ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
export const MONO = 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace';

/** Report palette, shared with the HTML legend and CSS. */
export const COLORS = {
  ping: '#3b6fb6',
  pong: '#2a9d8f',
  data: '#8c959f',
  fault: '#d1242f',
  faultFill: '#ffd8d3',
  detect: '#cf222e',
  reconnect: '#1a7f37',
  mistake: '#bc4c00',
  bound: '#1a7f37',
  boundFill: '#d2f4dc',
  lifetime: '#afb8c1',
  close: '#57606a',
  state: '#8250df',
  ink: '#1f2328',
  muted: '#57606a',
  grid: '#eaeef2',
} as const;

const THEME: Config = {
  background: null as unknown as string,
  // Captions in the HTML describe each chart; per-mark aria labels would double the SVG size.
  aria: false,
  font: SANS,
  padding: { left: 4, right: 12, top: 4, bottom: 4 },
  view: { stroke: null },
  axis: {
    labelFont: MONO,
    labelFontSize: 10,
    labelColor: COLORS.muted,
    titleFont: SANS,
    titleFontSize: 11,
    titleFontWeight: 500,
    titleColor: COLORS.ink,
    domainColor: '#8c959f',
    tickColor: '#8c959f',
    gridColor: COLORS.grid,
  },
  legend: { labelFont: SANS, labelFontSize: 11, titleFontSize: 11, titleFontWeight: 600 },
  header: { labelFont: SANS, labelFontSize: 11, titleFontSize: 11, labelColor: COLORS.ink },
  title: { font: SANS, fontSize: 12, fontWeight: 600, anchor: 'start', color: COLORS.ink },
  text: { font: SANS, fontSize: 10 },
};

/** Rough width in px of `text` in the report's sans font (real glyphs average ~0.6 em). */
export function textWidth(text: string, fontSize: number): number {
  return Math.ceil(text.length * fontSize * 0.62);
}

/**
 * Splits a label into lines of at most `maxChars` characters: first at its " · " separators (a
 * line break replaces the separator), then at spaces, and inside a word (after a - / _ . : when it
 * can) only when the word alone is longer than a line. Charts draw every line (vega text takes an
 * array), so nothing is cut off with an ellipsis.
 */
export function wrapText(text: string, maxChars: number): string[] {
  const limit = Math.max(4, Math.floor(maxChars));
  const fill = (parts: string[], sep: string, split: (part: string) => string[]): string[] => {
    const lines: string[] = [];
    let line = '';
    for (const part of parts) {
      if (line !== '' && line.length + sep.length + part.length <= limit) {
        line = `${line}${sep}${part}`;
        continue;
      }
      if (line !== '') lines.push(line);
      const pieces = part.length <= limit ? [part] : split(part);
      lines.push(...pieces.slice(0, -1));
      line = pieces.at(-1) ?? '';
    }
    if (line !== '') lines.push(line);
    return lines;
  };
  // a word longer than a line breaks after its last - / _ . : that fits, else at the limit
  const chop = (word: string): string[] => {
    const lines: string[] = [];
    let rest = word;
    while (rest.length > limit) {
      const head = rest.slice(0, limit);
      const at = Math.max(...['-', '/', '_', '.', ':'].map((c) => head.lastIndexOf(c)));
      const cut = at >= limit / 3 ? at + 1 : limit;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut);
    }
    return [...lines, rest];
  };
  const words = (segment: string) =>
    fill(
      segment.split(/\s+/).filter((w) => w !== ''),
      ' ',
      chop,
    );
  return fill(
    text
      .split(' · ')
      .map((t) => t.trim())
      .filter((t) => t !== ''),
    ' · ',
    words,
  );
}

function collectingLogger(warnings: string[]): ReturnType<typeof vega.logger> {
  return vega.logger(vega.Warn, 'warn', (_method, _level, args) => {
    warnings.push(args.map((a) => String(a)).join(' '));
  });
}

const refuseLoads = {
  load: () => Promise.reject(new Error('report charts use inline data only')),
  sanitize: () => Promise.reject(new Error('report charts use inline data only')),
  http: () => Promise.reject(new Error('report charts use inline data only')),
  file: () => Promise.reject(new Error('report charts use inline data only')),
} as unknown as vega.Loader;

export interface RenderedChart {
  svg: string;
  /** Warnings vega-lite or vega logged while building the chart. */
  warnings: string[];
}

/** `what` names the chart in error messages (e.g. "timeline of scenario 'x', lane c1"). */
export async function renderChart(spec: TopLevelSpec, what: string): Promise<RenderedChart> {
  const warnings: string[] = [];
  let view: vega.View | undefined;
  try {
    const compiled = compile(spec, { config: THEME, logger: collectingLogger(warnings) });
    view = new vega.View(vega.parse(compiled.spec), {
      renderer: 'none',
      loader: refuseLoads,
      logger: collectingLogger(warnings),
    });
    const svg = await view.toSVG();
    return { svg, warnings };
  } catch (err) {
    throw new ReportError('chart-failed', `could not render the ${what}: ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    view?.finalize();
  }
}
