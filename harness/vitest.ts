/**
 * `flatline/vitest`: flatline's properties as tests in a user's own vitest suite, one test per
 * property over their Subject, on virtual time:
 *
 *   import { flatlineProperties } from 'flatline/vitest';
 *   import { subject } from './my-subject.ts';
 *   flatlineProperties(subject, { subjectModule: './my-subject.ts', numRuns: 20 });
 *
 * Like @fast-check/vitest's `test.prop`, each test runs fast-check over generated cases and, on
 * failure, shrinks; the failure message carries the violations, fast-check's seed and path, and the
 * `npx flatline run` command replaying the shrunk timeline written as a scenario file.
 */
import { describe, it } from 'vitest';
import type { Subject } from './backend.ts';
import { type CheckOptions, checkProperty } from './property/check.ts';
import {
  PROPERTY_NAMES,
  type PropertyName,
  type PropertyOptions,
  properties,
} from './property/properties.ts';

export { PROPERTY_NAMES, type PropertyName };

export interface FlatlineTestOptions extends PropertyOptions, Omit<CheckOptions, 'throwOnFailure'> {
  /** The test's timeout in ms (default 120 000: shrinking a failure takes a while). */
  timeout?: number;
}

/** One property as one vitest test: `flatlineProperty('completeness', subject, { numRuns: 50 })`. */
export function flatlineProperty(
  name: PropertyName,
  subject: Subject<never>,
  options: FlatlineTestOptions = {},
): void {
  if (!PROPERTY_NAMES.includes(name)) {
    throw new Error(`flatlineProperty: unknown property "${name}"; known: ${PROPERTY_NAMES.join(', ')}`);
  }
  const {
    timeout = 120_000,
    numRuns,
    seed,
    path,
    counterexamples,
    maxShrinkRuns,
    endOnFailure,
    ...rest
  } = options;
  const check: CheckOptions = {
    ...(numRuns === undefined ? {} : { numRuns }),
    ...(seed === undefined ? {} : { seed }),
    ...(path === undefined ? {} : { path }),
    ...(counterexamples === undefined ? {} : { counterexamples }),
    ...(maxShrinkRuns === undefined ? {} : { maxShrinkRuns }),
    ...(endOnFailure === undefined ? {} : { endOnFailure }),
  };
  it(name, { timeout }, async () => {
    await checkProperty(properties[name](subject, rest), check);
  });
}

/**
 * Every property (or those named in `only`) as tests in a `describe` block named after the subject.
 */
export function flatlineProperties(
  subject: Subject<never>,
  options: FlatlineTestOptions & { only?: readonly PropertyName[] } = {},
): void {
  const { only = PROPERTY_NAMES, ...rest } = options;
  describe(`flatline properties of ${subject.name}`, () => {
    for (const name of only) flatlineProperty(name, subject, rest);
  });
}
