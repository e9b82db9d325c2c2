/**
 * Scenarios in TypeScript, for people who prefer code to YAML:
 *
 *   scenario('black-hole').proxy().clients(3).duration('10m').config({ interval: '5s' })
 *     .fault({ at: '60s', until: '120s', fault: faults.timeout({ stream: 'upstream', timeout: 0 }) })
 *     .expect(detect({ side: 'client', within: 'bound' }))
 *     .build()
 *
 * `build()` validates through the same schema and checks as the YAML loader and returns the same
 * normalized Scenario; errors name the builder call that supplied the bad value.
 */

import { FAULT_KINDS, type FaultInputOf, type FaultType } from '../faults/registry.ts';
import type { ReferenceConfigInput } from '../subjects/reference-config.ts';
import { TOXIC_TYPES, type ToxicType } from '../toxics/vocabulary.ts';
import { ScenarioError, type ScenarioIssue } from './errors.ts';
import type { ExpectationInput } from './expectation-schema.ts';
import { formatPath, friendlyIssues } from './issues.ts';
import { type FaultEntryInput, parseScenario, type Scenario, type ScenarioInput } from './schema.ts';
import { quote } from './text.ts';

type ExpectationOf<T extends ExpectationInput['type']> = Extract<ExpectationInput, { type: T }>;
type ExpectationOptions<T extends ExpectationInput['type']> = Omit<ExpectationOf<T>, 'type'>;

/** A fault type in camelCase, as the builder names it: slow_close → slowClose, proxy-down → proxyDown. */
type Camel<S extends string> = S extends `${infer A}_${infer B}`
  ? `${A}${Capitalize<Camel<B>>}`
  : S extends `${infer A}-${infer B}`
    ? `${A}${Capitalize<Camel<B>>}`
    : S;
const camel = (s: string): string => s.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());

type FaultBuilders = {
  [T in FaultType as Camel<T>]: (o?: Omit<FaultInputOf<T>, 'type'>) => FaultInputOf<T>;
};

/**
 * One builder per fault kind of the registry (harness/faults), named in camelCase: faults.latency,
 * faults.slowClose, faults.partition, faults.burstLoss… A new kind appears here by itself.
 */
export const faults = Object.fromEntries(
  FAULT_KINDS.map((k) => [camel(k.type), (o: object = {}) => ({ type: k.type, ...o })]),
) as unknown as FaultBuilders;

/**
 * Toxiproxy's toxics as scenario faults under Toxiproxy's own names: toxicFaults.slow_close({...}).
 * (harness/toxiproxy/toxics.ts's `toxics` builds the toxic itself, for FaultProxy.addToxic.)
 */
export const toxicFaults = Object.fromEntries(
  TOXIC_TYPES.map((t) => [t, (o: object = {}) => ({ type: t, ...o })]),
) as unknown as { [T in ToxicType]: (o?: Omit<FaultInputOf<T>, 'type'>) => FaultInputOf<T> };

// Expectations.
export const detect = (o: ExpectationOptions<'detect'> = {}): ExpectationOf<'detect'> => ({
  type: 'detect',
  ...o,
});
export const noFalseDetection = (
  o: ExpectationOptions<'noFalseDetection'> = {},
): ExpectationOf<'noFalseDetection'> => ({
  type: 'noFalseDetection',
  ...o,
});
export const falseDetection = (
  o: ExpectationOptions<'falseDetection'> = {},
): ExpectationOf<'falseDetection'> => ({
  type: 'falseDetection',
  ...o,
});
export const reconnect = (o: ExpectationOptions<'reconnect'> = {}): ExpectationOf<'reconnect'> => ({
  type: 'reconnect',
  ...o,
});
export const maxAttempts = (
  o: ExpectationOptions<'maxAttempts'> | ExpectationOf<'maxAttempts'>['n'],
): ExpectationOf<'maxAttempts'> =>
  typeof o === 'object' ? { type: 'maxAttempts', ...o } : { type: 'maxAttempts', n: o };
export const gaveUp = (o: ExpectationOptions<'gaveUp'> = {}): ExpectationOf<'gaveUp'> => ({
  type: 'gaveUp',
  ...o,
});
export const state = (o: ExpectationOptions<'state'>): ExpectationOf<'state'> => ({ type: 'state', ...o });
export const overhead = (o: ExpectationOptions<'overhead'>): ExpectationOf<'overhead'> => ({
  type: 'overhead',
  ...o,
});

type TopologyObject = Exclude<NonNullable<ScenarioInput['topology']>, string>;
export type LinkInput = Omit<TopologyObject, 'kind'>;

export class ScenarioBuilder {
  private readonly input: Record<string, unknown>;
  private readonly faultList: FaultEntryInput[] = [];
  private readonly expectations: ExpectationInput[] = [];
  private configValues: Record<string, unknown> | undefined;
  private topologyCall = '.proxy()';

  constructor(name: string) {
    this.input = { name };
  }

  description(text: string): this {
    this.input.description = text;
    return this;
  }

  /** The implementation under test (default 'reference'). */
  subject(name: string): this {
    this.input.subject = name;
    return this;
  }

  /** Subject settings; repeated calls merge (later keys win). */
  config(values: ReferenceConfigInput | Record<string, unknown>): this {
    this.configValues = { ...this.configValues, ...(values as Record<string, unknown>) };
    return this;
  }

  /** client ↔ Toxiproxy ↔ server; `link` sets the wire's base latency/jitter. */
  proxy(link?: LinkInput): this {
    this.input.topology = link ? { kind: 'proxy', ...link } : 'proxy';
    this.topologyCall = '.proxy()';
    return this;
  }

  /** End-to-end TCP over a simulated wire, for sim-only faults. */
  direct(link?: LinkInput): this {
    this.input.topology = link ? { kind: 'direct', ...link } : 'direct';
    this.topologyCall = '.direct()';
    return this;
  }

  duration(d: string | number): this {
    this.input.duration = d;
    return this;
  }

  clients(n: number): this {
    this.input.clients = n;
    return this;
  }

  seed(n: number): this {
    this.input.seed = n;
    return this;
  }

  /** One fault on the timeline: `{ at, until? | for?, id?, fault }`. */
  fault(entry: FaultEntryInput): this {
    this.faultList.push(entry);
    return this;
  }

  expect(...expectations: ExpectationInput[]): this {
    this.expectations.push(...expectations);
    return this;
  }

  /** The scenario as written (before validation): what a YAML file with the same content holds. */
  toInput(): ScenarioInput {
    const out: Record<string, unknown> = { ...this.input };
    if (this.configValues) out.config = structuredClone(this.configValues);
    if (this.faultList.length) out.faults = structuredClone(this.faultList);
    if (this.expectations.length) out.expect = structuredClone(this.expectations);
    return out as ScenarioInput;
  }

  /** Validates like the loader does and returns the normalized scenario; throws ScenarioError. */
  build(): Scenario {
    const raw = this.toInput();
    const result = parseScenario(raw);
    if (result.ok) return result.scenario;
    const file = `scenario(${quote(String(this.input.name))})`;
    // No line numbers here: order the problems as the scenario's fields read.
    const order = [
      'name',
      'description',
      'subject',
      'config',
      'topology',
      'duration',
      'clients',
      'seed',
      'faults',
      'expect',
    ];
    const rank = (p: (string | number)[]) => [
      order.indexOf(String(p[0])),
      typeof p[1] === 'number' ? p[1] : -1,
    ];
    const sorted = friendlyIssues(result.issues, raw)
      .map((issue, i) => ({ issue, i }))
      .sort((a, b) => {
        const [a0, a1] = rank(a.issue.path);
        const [b0, b1] = rank(b.issue.path);
        return a0! - b0! || a1! - b1! || a.i - b.i;
      })
      .map(({ issue }) => issue);
    const issues: ScenarioIssue[] = sorted.map((issue) => ({
      file,
      call: this.callFor(issue.path),
      path: formatPath(issue.path),
      message: issue.message,
    }));
    throw new ScenarioError(issues);
  }

  private callFor(path: readonly (string | number)[]): string {
    const [head, index] = path;
    switch (head) {
      case 'faults':
        return typeof index === 'number' ? `.fault() #${index + 1}` : '.fault()';
      case 'expect':
        return typeof index === 'number' ? `.expect() expectation #${index + 1}` : '.expect()';
      case 'topology':
        return this.topologyCall;
      case 'name':
        return 'scenario()';
      case 'description':
      case 'subject':
      case 'config':
      case 'duration':
      case 'clients':
      case 'seed':
        return `.${head}()`;
      default:
        return '.build()';
    }
  }
}

export function scenario(name: string): ScenarioBuilder {
  return new ScenarioBuilder(name);
}
