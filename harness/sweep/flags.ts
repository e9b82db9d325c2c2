/**
 * The sweep spec from command-line flags (the option values commander collected), every problem
 * reported at once as a SweepSpecError naming the flag. Scenario files are only named here; they are
 * loaded with the sweep file's (sources.ts).
 */
import type { ScenarioIssue } from '../scenario/errors.ts';
import { parseCountAxis, parseDurationAxis } from './axis.ts';
import { parseBackoff } from './backoff.ts';
import { COMMAND_LINE, SweepSpecError, ValueError } from './errors.ts';
import { parsePresets } from './presets.ts';
import { checkDistinct, parseProfiles } from './profiles.ts';
import { parseBuiltins } from './scenarios.ts';
import type { GoalParts, SpecParts } from './sweep-spec.ts';
import {
  parseDetectGoals,
  parseDetectSide,
  parseMaxRuns,
  parsePositiveDuration,
  parseRate,
  parseSeed,
  parseSeeds,
} from './values.ts';

/** Option values as commander hands them over (camelCase of the flag names). */
export interface SweepFlags {
  name?: string;
  interval?: string;
  pongTimeout?: string;
  readDeadline?: string;
  missThreshold?: string;
  backoff?: string[];
  fault?: string;
  scenario?: string[];
  latency?: string;
  seeds?: string;
  seed?: string;
  fixedPhase?: boolean;
  detectWithin?: string;
  detectSide?: string;
  maxFalseRate?: string;
  tolerateLatency?: string;
  reconnectWithin?: string;
  maxOverhead?: string;
  preset?: string;
  presetsOnly?: boolean;
  maxRuns?: string;
}

export interface FlagParts {
  parts: SpecParts;
  /** --scenario values, to load relative to the working directory. */
  scenarioSelectors: string[];
}

export function parseFlags(f: SweepFlags): FlagParts {
  const issues: ScenarioIssue[] = [];
  const parts: SpecParts = {};
  const goals: GoalParts = {};
  const read = <T>(flag: string, value: string | undefined, parse: (v: string) => T, set: (v: T) => void) => {
    if (value === undefined) return;
    try {
      set(parse(value));
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      issues.push({ file: COMMAND_LINE, path: flag, message: e.message });
    }
  };

  if (f.name !== undefined) {
    if (f.name.trim() === '')
      issues.push({ file: COMMAND_LINE, path: '--name', message: 'must not be empty' });
    else parts.name = f.name.trim();
  }
  read(
    '--interval',
    f.interval,
    (v) => parseDurationAxis(v) as number[],
    (v) => (parts.interval = v),
  );
  read(
    '--pong-timeout',
    f.pongTimeout,
    (v) => parseDurationAxis(v, { relative: true }),
    (v) => (parts.pongTimeout = v),
  );
  read(
    '--read-deadline',
    f.readDeadline,
    (v) => parseDurationAxis(v, { relative: true }),
    (v) => (parts.readDeadline = v),
  );
  read(
    '--miss-threshold',
    f.missThreshold,
    (v) => parseCountAxis(v, { min: 1 }),
    (v) => (parts.missThreshold = v),
  );
  if (f.backoff && f.backoff.length > 0) {
    const list = f.backoff;
    read(
      '--backoff',
      list.join(' '),
      () =>
        list.map((b) => {
          try {
            return parseBackoff(b);
          } catch (e) {
            throw e instanceof ValueError && list.length > 1 ? new ValueError(`"${b}": ${e.message}`) : e;
          }
        }),
      (v) => (parts.backoff = v),
    );
  }
  read('--fault', f.fault, parseBuiltins, (v) => (parts.faults = v));
  read(
    '--latency',
    f.latency,
    (v) => {
      const p = parseProfiles(v);
      checkDistinct(p);
      return p;
    },
    (v) => (parts.profiles = v),
  );
  if (f.seeds !== undefined && f.seed !== undefined) {
    issues.push({
      file: COMMAND_LINE,
      path: '--seed',
      message: 'give --seed (one seed) or --seeds (a count or a list), not both',
    });
  } else {
    read('--seeds', f.seeds, parseSeeds, (v) => (parts.seeds = v));
    read(
      '--seed',
      f.seed,
      (v) => [parseSeed(v)],
      (v) => (parts.seeds = v),
    );
  }
  if (f.fixedPhase) parts.phase = false;
  read('--detect-within', f.detectWithin, parseDetectGoals, (v) => (goals.detectWithin = v));
  read('--detect-side', f.detectSide, parseDetectSide, (v) => (goals.detectSide = v));
  read(
    '--max-false-rate',
    f.maxFalseRate,
    (v) => parseRate(v, '--max-false-rate'),
    (v) => (goals.maxFalseRate = v),
  );
  read(
    '--tolerate-latency',
    f.tolerateLatency,
    (v) => parsePositiveDuration(v, '--tolerate-latency', { zero: true }),
    (v) => (goals.tolerateLatency = v),
  );
  read(
    '--reconnect-within',
    f.reconnectWithin,
    (v) => parsePositiveDuration(v, '--reconnect-within'),
    (v) => (goals.reconnectWithin = v),
  );
  read(
    '--max-overhead',
    f.maxOverhead,
    (v) => parseRate(v, '--max-overhead', { positive: true }),
    (v) => (goals.maxOverhead = v),
  );
  read('--preset', f.preset, parsePresets, (v) => (parts.presets = v));
  if (f.presetsOnly) parts.presetsOnly = true;
  read('--max-runs', f.maxRuns, parseMaxRuns, (v) => (parts.maxRuns = v));

  if (Object.keys(goals).length > 0) parts.goals = goals;
  if (issues.length) throw new SweepSpecError(issues);
  return { parts, scenarioSelectors: f.scenario ?? [] };
}
