/**
 * The six heartbeat properties as fast-check async properties over any Subject:
 *
 *   fc.assert(properties.completeness(mySubject))            // plain fast-check
 *   await checkProperty(properties.completeness(mySubject))   // + replay command, counterexample file
 *
 * Each property runs generated cases on the simulator (harness/property/run.ts), judges them with
 * harness/property/verdicts.ts, and throws a PropertyViolation naming every violation. The subject
 * receives the reference configuration (ReferenceConfig, F18's vocabulary): interval, pongTimeout,
 * readDeadline, missThreshold, backoff, connectTimeout…
 */
import fc from 'fast-check';
import type { Subject } from '../backend.ts';
import { REAL_EPSILON_MS } from '../scenario/runner.ts';
import type { Scenario } from '../scenario/schema.ts';
import { type FaultCaseOptions, faultCase, type QuietCaseOptions, quietCase } from './arbitraries.ts';
import { caseScenario, describeCase, type PropertyCase } from './case.ts';
import { PROPERTY_NAMES, type PropertyName } from './names.ts';
import { type CaseRun, type RealCaseBackend, runCase } from './run.ts';
import {
  accuracy,
  completeness,
  convergence,
  convergenceCheckpoints,
  determinism,
  hygiene,
  noHammering,
  type Verdict,
} from './verdicts.ts';

export { PROPERTY_NAMES, type PropertyName };

const SUMMARY: Record<PropertyName, string> = {
  completeness: 'every fault that lasts long enough is detected by the side(s) that should, within the bound',
  accuracy:
    'with latency and jitter under the tolerance, business traffic and slow handlers, and no fault, never a false detection',
  convergence:
    'after a heal the client reconnects within the bound, is HEALTHY again, one live session per client; after a healthy connection the backoff starts over',
  noHammering:
    'reconnect attempts during an outage stay within the no-hammering bound, and a herd does not retry in lockstep',
  hygiene: 'after stop, no timers and no sockets are left',
  determinism: 'the same seed gives the same trace hash',
};

/**
 * Where each property looks by default (the others: every timeline fault of the direct topology).
 * Completeness is about what only the heartbeat can find. No hammering is about outages the clients live through:
 * long ones (several backoff steps), never a crash of a client itself, and a herd of 2–5 clients
 * that lose the server together.
 */
const DEFAULT_CASES: Partial<Record<PropertyName, FaultCaseOptions>> = {
  // The faults only the heartbeat can find: an RST or FIN is found by the socket itself, whatever
  // the heartbeat's settings (convergence checks what the client does after one).
  completeness: { kinds: ['partition', 'partition-one-way', 'crash-server', 'crash-client'] },
  // Two to four outages, up to 100 s each with up to 60 s between them: more heals to judge, and
  // whether the backoff starts over after the healthy periods between them.
  convergence: {
    minFaults: 2,
    maxFaults: 4,
    length: { min: 1000, max: 100_000 },
    gap: { min: 0, max: 60_000 },
  },
  noHammering: {
    kinds: ['partition', 'partition-one-way', 'crash-server'],
    length: { min: 10_000, max: 200_000 },
    clients: { min: 2, max: 5 },
  },
};

/**
 * A property's default cases. Completeness narrows the direct topology's kinds only: through the
 * proxy its cases draw every proxy fault, as they always did.
 */
function defaultCases(name: PropertyName, options: PropertyOptions): FaultCaseOptions {
  const cases = DEFAULT_CASES[name] ?? {};
  const proxy = options.real !== undefined || options.arbitrary?.topology === 'proxy';
  if (name !== 'completeness' || !proxy) return cases;
  const { kinds: _, ...rest } = cases;
  return rest;
}

export interface PropertyOptions {
  /** The cases to draw (default: arbitraries.faultCase(), or arbitraries.quietCase() for accuracy). */
  cases?: fc.Arbitrary<PropertyCase>;
  /** Options for the default arbitrary, when `cases` is not given. */
  arbitrary?: FaultCaseOptions & QuietCaseOptions;
  /** Path of a module exporting the subject, for the replay command (`--subject <module>`). */
  subjectModule?: string;
  /**
   * Run the cases on real TCP through Toxiproxy instead of the simulator: the cases act through the
   * proxy (black holes, reset_peer, the proxy down) on a wire with no added latency, and every bound
   * is widened by the real-network ε. Hygiene and determinism need the simulator.
   */
  real?: RealCaseBackend;
}

/** Properties that only the simulator can judge (`flatline check --backend toxiproxy` refuses them), and why. */
export const SIM_ONLY: Partial<Record<PropertyName, string>> = {
  hygiene: 'it counts the timers a subject still holds after stop, which only the simulator can see',
  determinism: 'it replays a seed to the same trace, which a real network does not do',
  noHammering:
    'its bound models the outages of the direct topology (partitions, crashes), where every attempt meets the outage; through a proxy the attempts meet Toxiproxy instead',
};

/** The first few violations as an indented list (a broken subject can commit hundreds). */
export function listViolations(violations: readonly string[], max = 8): string {
  const shown = violations.slice(0, max).map((v) => `  - ${v}`);
  if (violations.length > max) shown.push(`  … and ${violations.length - max} more`);
  return shown.join('\n');
}

/** One case broke the property: what was seen, on which case, and how to replay it. */
export class PropertyViolation extends Error {
  constructor(
    readonly property: PropertyName,
    readonly subject: string,
    readonly testCase: PropertyCase,
    readonly violations: string[],
    /** Scenario expectations stating the violated facts (see Verdict.expect). */
    readonly expect: Scenario['expect'] = [],
  ) {
    super(
      `flatline property ${property} violated by subject "${subject}":\n${listViolations(violations)}\n  case: ${describeCase(testCase)}`,
    );
    this.name = 'PropertyViolation';
  }
}

/** What checkProperty and tests need besides the fast-check property itself. */
export interface PropertyInfo {
  readonly name: PropertyName;
  readonly summary: string;
  readonly subject: Subject<never>;
  readonly subjectModule: string | undefined;
  readonly arbitrary: fc.Arbitrary<PropertyCase>;
  /** Runs one case and judges it; a violation is returned, not thrown. */
  judge(c: PropertyCase): Promise<Verdict>;
  /** Runs one case and throws a PropertyViolation if it breaks the property. */
  check(c: PropertyCase): Promise<Verdict>;
  /** The case as a scenario (name, description and seed filled in), for files and replays. */
  scenario(c: PropertyCase, expect?: Scenario['expect']): Scenario;
  /** Words added to the replay command (`--subject <module>`). */
  readonly replayExtra: string | undefined;
  /** The backend words of the replay command (`--backend sim`, or toxiproxy with its time scale). */
  readonly replayBackend: string;
  /** Cases run and facts checked since the property was made (or reset). */
  readonly tally: { cases: number; checked: number };
}

export type FlatlineProperty = fc.IAsyncPropertyWithHooks<[PropertyCase]> & {
  readonly flatline: PropertyInfo;
};

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '') || 'subject';
}

function makeProperty(
  name: PropertyName,
  subject: Subject<never>,
  options: PropertyOptions,
): FlatlineProperty {
  if (!subject || typeof subject.startClient !== 'function' || typeof subject.startServer !== 'function') {
    throw new TypeError(
      `properties.${name}(subject): expected a Subject with startServer and startClient, got ${subject === null ? 'null' : typeof subject}`,
    );
  }
  if (options.real && SIM_ONLY[name]) {
    throw new TypeError(`properties.${name} runs on the simulator only: ${SIM_ONLY[name]}`);
  }
  // Through real Toxiproxy: faults at the proxy, and a wire with no latency to add (loopback).
  const loopback = { latency: { min: 0, max: 0 }, jitter: { min: 0, max: 0 } };
  // A real network is late by up to ε (timers, scheduling, an API call): a heartbeat whose pong
  // timeout or read deadline has less slack than that would fail for the machine, not the subject.
  const epsilon = options.real ? Math.ceil(REAL_EPSILON_MS / options.real.timeScale) : 0;
  const slack = { min: epsilon, max: Math.max(10_000, 3 * epsilon) };
  const realCases = options.real
    ? {
        topology: 'proxy' as const,
        link: loopback,
        pongSlack: slack,
        readSlack: slack,
        // Shorter runs than the simulator's (each case costs real time), with intervals to match, and
        // black holes first: they are what only the heartbeat can find.
        duration: 180_000,
        // An interval shorter than ε would let a miss more or less hide inside the tolerance.
        interval: { min: Math.max(1000, epsilon), max: Math.max(10_000, 4 * epsilon) },
        length: { min: 5000, max: 90_000 },
        kinds: ['blackhole-both', 'blackhole-upstream', 'blackhole-downstream', 'reset-peer', 'proxy-down'],
        gap: { min: 0, max: 30_000 },
        maxFaults: 2,
      }
    : {};
  const arbitrary =
    options.cases ??
    (name === 'accuracy'
      ? quietCase({
          ...options.arbitrary,
          // Real Toxiproxy: the heartbeat alone on loopback (no slow wire to give it).
          ...(options.real
            ? {
                link: loopback,
                pongSlack: slack,
                readSlack: slack,
                duration: 60_000,
                flavours: ['plain'] as const,
              }
            : {}),
        })
      : faultCase({ ...defaultCases(name, options), ...realCases, ...options.arbitrary }));
  const scenarioName = `${name}-${safeName(subject.name)}`;
  const replayExtra = options.subjectModule ? `--subject ${options.subjectModule}` : undefined;
  const runOptions = (checkpoints?: number[]) => ({
    name: scenarioName,
    description: `flatline property ${name}: ${SUMMARY[name]}`,
    ...(checkpoints ? { checkpoints } : {}),
    ...(replayExtra ? { replayExtra } : {}),
    ...(options.real ? { real: options.real } : {}),
  });
  const tally = { cases: 0, checked: 0 };

  async function judge(c: PropertyCase): Promise<Verdict> {
    let v: Verdict;
    if (name === 'determinism') {
      const a = await runCase(subject, c, runOptions());
      const b = await runCase(subject, c, runOptions());
      v = determinism(a, b);
    } else {
      const checkpoints = name === 'convergence' ? convergenceCheckpoints(c) : undefined;
      const run = await runCase(subject, c, runOptions(checkpoints));
      v = SINGLE_RUN[name](run);
    }
    tally.cases++;
    tally.checked += v.checked;
    return v;
  }

  async function check(c: PropertyCase): Promise<Verdict> {
    const v = await judge(c);
    if (v.violations.length) throw new PropertyViolation(name, subject.name, c, v.violations, v.expect);
    return v;
  }

  const info: PropertyInfo = {
    name,
    summary: SUMMARY[name],
    subject,
    subjectModule: options.subjectModule,
    arbitrary,
    judge,
    check,
    scenario: (c, expect) =>
      caseScenario(c, {
        name: scenarioName,
        description: `flatline property ${name}: ${SUMMARY[name]}`,
        ...(expect ? { expect } : {}),
      }),
    replayExtra,
    replayBackend: options.real
      ? `--backend toxiproxy --time-scale ${options.real.timeScale}`
      : '--backend sim',
    tally,
  };
  const property = fc.asyncProperty(arbitrary, async (c) => {
    await check(c);
  });
  return Object.assign(property, { flatline: info });
}

const SINGLE_RUN: Record<Exclude<PropertyName, 'determinism'>, (run: CaseRun) => Verdict> = {
  completeness,
  accuracy,
  convergence,
  noHammering,
  hygiene,
};

type Factory = (subject: Subject<never>, options?: PropertyOptions) => FlatlineProperty;

/** `properties.completeness(subject, options?)` and the five others, each an fc.IAsyncProperty. */
export const properties: Record<PropertyName, Factory> = Object.fromEntries(
  PROPERTY_NAMES.map((n) => [
    n,
    (subject: Subject<never>, options: PropertyOptions = {}) => makeProperty(n, subject, options),
  ]),
) as Record<PropertyName, Factory>;
