/**
 * The terminal summary of a sweep: one row per configuration (worst case over its cells), the
 * recommendation with its reasons, what was rejected and why, the presets, and the replay command.
 * Plain text, fixed-width columns; the HTML and Markdown reports carry the full detail.
 */
import type { SweepCell, SweepConfig, SweepResult } from '../result.ts';
import { configKey, describeConfig, fmtMs, fmtNumber, sameConfig } from './describe.ts';
import { MSG_BOTH_WAYS } from './overhead.ts';
import { PRESETS } from './presets.ts';
import { BUILTIN_PROFILES } from './profiles.ts';
import { summarizeConfig } from './summary.ts';

interface Row {
  mark: string;
  name: string;
  config: SweepConfig;
  cells: SweepCell[];
}

function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...(r[i] ?? '')].length)));
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - [...c].length)))
      .join('  ')
      .trimEnd(),
  );
}

function row(r: Row, goals: string[]): string[] {
  const d = (v: number | undefined) => (v === undefined ? '—' : fmtMs(v));
  const s = summarizeConfig(r.config, r.cells);
  const marks = goals.map((g, i) => `${s.failed.some((f) => f.goal === g) ? '✗' : '✓'}${i + 1}`).join(' ');
  return [
    r.mark,
    r.name,
    d(s.detectionP99),
    fmtNumber(s.falseDetectionRate),
    d(s.reconnectP99),
    String(s.overhead.messagesPerHour),
    `${d(s.toleranceClient)} / ${d(s.toleranceServer)}`,
    marks,
  ];
}

const HEADER = [
  '',
  'configuration',
  'p99 T_D',
  'false/conn·h',
  'reconnect p99',
  MSG_BOTH_WAYS,
  'tolerance C / S',
  'goals',
];

export function sweepSummary(r: SweepResult): string {
  const rec = r.recommendation;
  // When only presets ran, the candidates are the presets: call them by name.
  const presetsOnly =
    r.presets.length > 0 && r.cells.every((c) => r.presets.some((p) => p.cells.includes(c)));
  const nameOf = (c: SweepConfig) => {
    const p = presetsOnly ? r.presets.find((x) => sameConfig(x.config, c)) : undefined;
    return p ? `${p.name}: ${describeConfig(c)}` : describeConfig(c);
  };
  const groups = new Map<string, Row>();
  for (const cell of r.cells) {
    const key = configKey(cell.config);
    const g = groups.get(key);
    if (g) g.cells.push(cell);
    else {
      const mark = sameConfig(rec.best, cell.config) ? '★' : sameConfig(rec.runnerUp, cell.config) ? '☆' : '';
      groups.set(key, { mark, name: nameOf(cell.config), config: cell.config, cells: [cell] });
    }
  }
  for (const g of groups.values()) {
    if (!g.mark) g.mark = g.cells.every((c) => c.goals.every((v) => v.met)) ? '✓' : '✗';
  }
  const scenarios = new Set(r.cells.map((c) => c.scenario)).size;
  const profiles = new Set(r.cells.map((c) => c.latencyProfile)).size;
  const counted = presetsOnly
    ? `${r.presets.length} preset${r.presets.length === 1 ? '' : 's'}`
    : `${groups.size} configuration${groups.size === 1 ? '' : 's'}${r.presets.length ? ` + ${r.presets.length} preset${r.presets.length === 1 ? '' : 's'}` : ''}`;
  const out: string[] = [
    `flatline sweep "${r.name}": ${counted} × ${scenarios} scenario${scenarios === 1 ? '' : 's'} × ${profiles} latency profile${profiles === 1 ? '' : 's'} × ${r.seeds.length} seed${r.seeds.length === 1 ? '' : 's'} on ${r.backend}`,
    `goals: ${r.goals.map((g, i) => `(${i + 1}) ${g}`).join('  ')}`,
    '',
    ...columns([HEADER, ...[...groups.values()].map((g) => row(g, r.goals))]).map((l) => `  ${l}`),
    '',
    rec.best ? `recommended: ${nameOf(rec.best)}` : 'recommended: none — no configuration met every goal',
    `why: ${rec.why}`,
  ];
  if (rec.rejected.length) {
    out.push('', 'rejected:');
    for (const x of rec.rejected) out.push(`  ${nameOf(x.config)}`, `    ${x.why}`);
  }
  if (r.presets.length && !presetsOnly) {
    out.push('', 'presets:');
    const rows = r.presets.map((p) =>
      row(
        {
          mark: p.cells.every((c) => c.goals.every((v) => v.met)) ? '✓' : '✗',
          name: p.name,
          config: p.config,
          cells: p.cells,
        },
        r.goals,
      ),
    );
    out.push(...columns([['', 'preset', ...HEADER.slice(2)], ...rows]).map((l) => `  ${l}`));
  }
  out.push('', `replay: ${r.replay}`);
  return `${out.join('\n')}\n`;
}

/** `flatline sweep --list-presets`. */
export function presetList(): string {
  const out: string[] = ['Presets (flatline sweep --preset <id>[,<id>…] or all):', ''];
  for (const p of PRESETS) {
    out.push(`${p.id}${p.aliases?.length ? ` (also ${p.aliases.join(', ')})` : ''} — ${p.name}`);
    out.push(
      `  config:  ${describeConfig(p.config)}${p.extra?.connectTimeout ? ` · connect timeout ${fmtMs(p.extra.connectTimeout)}` : ''}`,
    );
    out.push(`  source:  ${p.source}`);
    out.push(`  mapping: ${p.approximates}`, '');
  }
  return out.join('\n');
}

/** `flatline sweep --list-profiles`. */
export function profileList(): string {
  const out = ['Latency profiles (flatline sweep --latency <name|p50/p99|L±J>[,…]), round trip:', ''];
  for (const p of BUILTIN_PROFILES) {
    out.push(`  ${p.name.padEnd(17)} p50 ${fmtMs(p.p50).padEnd(6)} p99 ${fmtMs(p.p99).padEnd(6)} ${p.note}`);
  }
  out.push(
    '',
    'Custom: 40ms/300ms (round-trip p50/p99), 20ms+-5ms (per leg), office=40ms/300ms (named).',
    'Model: each leg delays a packet uniformly in [L − J, L + J] (never below 0); L = p50/2 per leg and J the',
    'smallest jitter whose round-trip p99 reaches the target (≈ (p99 − p50)/1.717). The tail is matched; a heavy',
    'tail (J > L) moves the model’s median up, which the cell label shows.',
  );
  return `${out.join('\n')}\n`;
}
