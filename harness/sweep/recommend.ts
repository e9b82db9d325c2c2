/**
 * The recommendation: among the configurations that meet every goal in every cell (every scenario
 * and latency profile), the cheapest — the fewest heartbeat messages per connection-hour by design
 * (a ping and a pong per interval; measured overhead is reported next to it), then the fastest p99
 * detection, then the most latency tolerance (client, then server), then the least measured
 * overhead, then the order of the grid. The runner-up is the next
 * in that order. Every configuration that fails is listed with the goals it failed, the numbers and
 * where (scenario · latency profile).
 */
import type { SweepCell, SweepConfig, SweepRecommendation } from '../result.ts';
import { describeConfig, fmtMs, fmtNumber, nominalMessagesPerHour } from './describe.ts';
import { MSG_BOTH_WAYS } from './overhead.ts';
import { type ConfigSummary, type FailedGoal, summarizeConfig } from './summary.ts';

export interface Candidate {
  config: SweepConfig;
  cells: SweepCell[];
  /** A preset's name, when the candidate is one. */
  name?: string;
}

/** A candidate's worst case (summary.ts), its place in the grid and its cost by design. */
interface Summary extends ConfigSummary {
  c: Candidate;
  index: number;
  nominal: number;
}

function summarize(c: Candidate, index: number): Summary {
  return { ...summarizeConfig(c.config, c.cells), c, index, nominal: nominalMessagesPerHour(c.config) };
}

/** The ranking keys, in order: cost by design, detection speed, robustness, measured cost. */
const KEYS: { key: (s: Summary) => number; behind: (a: Summary, b: Summary) => string }[] = [
  { key: (s) => s.nominal, behind: (a, b) => `${a.nominal} ${MSG_BOTH_WAYS}${pct(a.nominal, b.nominal)}` },
  {
    key: (s) => s.detectionP99 ?? Infinity,
    behind: (a, b) =>
      `same cost, slower p99 detection (${a.detectionP99 === undefined ? 'none measured' : fmtMs(a.detectionP99)} vs ${b.detectionP99 === undefined ? 'none' : fmtMs(b.detectionP99)})`,
  },
  {
    key: (s) => -s.toleranceClient,
    behind: (a, b) =>
      `same cost and detection, less client latency tolerance (${fmtMs(a.toleranceClient)} vs ${fmtMs(b.toleranceClient)})`,
  },
  {
    key: (s) => -s.toleranceServer,
    behind: (a, b) =>
      `same cost and detection, less server latency tolerance (${fmtMs(a.toleranceServer)} vs ${fmtMs(b.toleranceServer)})`,
  },
  {
    key: (s) => s.overhead.messagesPerHour,
    behind: (a, b) =>
      `same cost by design, more measured overhead (${a.overhead.messagesPerHour} vs ${b.overhead.messagesPerHour} ${MSG_BOTH_WAYS})`,
  },
];

function byCost(a: Summary, b: Summary): number {
  for (const k of KEYS) {
    const d = k.key(a) - k.key(b);
    if (d !== 0 && !Number.isNaN(d)) return d;
  }
  return a.index - b.index;
}

/** Why `a` ranks behind `b`: the first key that tells them apart. */
function behind(a: Summary, b: Summary): string {
  const k = KEYS.find((x) => {
    const d = x.key(a) - x.key(b);
    return d !== 0 && !Number.isNaN(d);
  });
  return k ? k.behind(a, b) : 'an exact tie, listed later in the grid';
}

function label(s: Summary): string {
  return s.c.name ? `${s.c.name} (${describeConfig(s.c.config)})` : describeConfig(s.c.config);
}

function numbers(s: Summary): string {
  const parts = [
    `${s.nominal} heartbeat ${MSG_BOTH_WAYS} by design (measured ${s.overhead.messagesPerHour})`,
    s.detectionP99 === undefined ? 'no detection measured' : `p99 detection ${fmtMs(s.detectionP99)}`,
    `${fmtNumber(s.falseDetectionRate)} false detections per conn·h`,
    `latency tolerance client ${fmtMs(s.toleranceClient)} / server ${fmtMs(s.toleranceServer)}`,
  ];
  return parts.join(', ');
}

/**
 * Why a configuration fails: each failed goal once, with its numbers and where it failed (the same
 * numbers in several places are written once, with every place).
 */
export function failureReasons(failed: readonly FailedGoal[], limit = 3): string {
  const byGoal = new Map<string, Map<string, string[]>>();
  for (const f of failed) {
    const whys = byGoal.get(f.goal) ?? new Map<string, string[]>();
    whys.set(f.why, [...(whys.get(f.why) ?? []), f.where]);
    byGoal.set(f.goal, whys);
  }
  return [...byGoal]
    .map(([goal, whys]) => {
      const list = [...whys];
      const shown = list.slice(0, limit).map(([why, where]) => `${why} (${where.join(', ')})`);
      const more = list.length > limit ? `; and ${list.length - limit} more` : '';
      return `${goal}: ${shown.join('; ')}${more}`;
    })
    .join(' | ');
}

function pct(a: number, b: number): string {
  if (b === 0) return '';
  const p = Math.round(((a - b) / b) * 100);
  return p === 0 ? ', same cost' : ` (${p > 0 ? '+' : ''}${p}%)`;
}

export interface RecommendOptions {
  /** Presets run alongside, mentioned when they meet the goals too. */
  presets?: Candidate[];
  /** No goal was given and the default (no false detections) applied. */
  defaultGoal?: boolean;
}

export function recommend(candidates: readonly Candidate[], o: RecommendOptions = {}): SweepRecommendation {
  const all = candidates.map(summarize);
  const passing = all.filter((s) => s.goalsMet).sort(byCost);
  const failing = all.filter((s) => !s.goalsMet);
  const rejected = failing.map((s) => ({
    config: s.c.config,
    why: s.c.cells.length === 0 ? 'no cells were run' : failureReasons(s.failed),
  }));
  const notes: string[] = [];
  if (o.defaultGoal) {
    notes.push(
      'No goal was given, so the default applied: no false detections. Add --detect-within (and --tolerate-latency) to trade overhead for detection speed.',
    );
  }
  const presets = (o.presets ?? []).map(summarize);
  const passingPresets = presets.filter((p) => p.goalsMet).sort(byCost);

  const best = passing[0];
  if (!best) {
    const closest = [...failing].sort(
      (a, b) =>
        new Set(a.failed.map((f) => f.goal)).size - new Set(b.failed.map((f) => f.goal)).size || byCost(a, b),
    )[0];
    const why = [
      `No configuration met every goal (${all.length} tried).`,
      closest ? `Closest: ${label(closest)}, which fails ${failureReasons(closest.failed, 2)}.` : '',
      passingPresets.length
        ? `Presets that do meet them: ${passingPresets.map((p) => `${p.c.name} (${p.nominal} ${MSG_BOTH_WAYS})`).join(', ')}.`
        : '',
      ...notes,
    ]
      .filter(Boolean)
      .join(' ');
    return { why, rejected };
  }
  const runnerUp = passing[1];
  const unhealthy = [
    best.toleranceClient <= 0
      ? `T − r_max = ${fmtMs(best.toleranceClient)} (the pong timeout is below the worst round trip)`
      : '',
    best.toleranceServer <= 0
      ? `R − I − 2J = ${fmtMs(best.toleranceServer)} (the read deadline is below the worst gap between pings)`
      : '',
  ].filter(Boolean);
  const why = [
    `${label(best)} is the cheapest of ${passing.length} configuration${passing.length === 1 ? '' : 's'} meeting every goal in every scenario and latency profile: ${numbers(best)}.`,
    runnerUp
      ? `Runner-up: ${label(runnerUp)} — ${behind(runnerUp, best)}${
          runnerUp.detectionP99 === undefined || runnerUp.nominal === best.nominal
            ? ''
            : `, p99 detection ${fmtMs(runnerUp.detectionP99)}`
        }.`
      : 'No runner-up: it is the only configuration meeting every goal.',
    unhealthy.length
      ? `Caution: on the latency profile's worst case ${unhealthy.join(' and ')}, so false detections are possible although none was measured; --tolerate-latency 0 makes that a goal.`
      : '',
    passing.length > 2 ? `${passing.length - 2} more meet every goal and rank lower.` : '',
    failing.length ? `${failing.length} fail a goal (see rejected).` : '',
    ...passingPresets
      .filter((p) => byCost(p, best) < 0)
      .slice(0, 1)
      .map((p) => `Preset ${p.c.name} meets the goals too, cheaper: ${p.nominal} ${MSG_BOTH_WAYS}.`),
    ...notes,
  ]
    .filter(Boolean)
    .join(' ');
  const out: SweepRecommendation = { best: best.c.config, why, rejected };
  if (runnerUp) out.runnerUp = runnerUp.c.config;
  return out;
}
