/**
 * Property tests for heartbeat implementations, usable from any vitest (or other) suite:
 *
 *   import { checkProperty, properties } from 'flatline/harness/property/index.ts';
 *   it('completeness', () => checkProperty(properties.completeness(mySubject), { numRuns: 20 }));
 *
 * `arbitraries` builds cases (healthy configs, fault timelines, seeds); `properties` turns a Subject
 * into fast-check async properties; `checkProperty` runs one and, on failure, prints the seed/path
 * and the `flatline run` command and writes the shrunk case as a scenario file.
 */
import * as arbitraries from './arbitraries.ts';

export type {
  BusinessOptions,
  ConfigOptions,
  FaultCaseOptions,
  LinkOptions,
  QuietCaseOptions,
  QuietFlavour,
  Range,
  TimelineFault,
  TimelineOptions,
} from './arbitraries.ts';
export { QUIET_FLAVOURS, TIMELINE_FAULTS } from './arbitraries.ts';
export {
  CaseError,
  caseScenario,
  describeCase,
  describeFault,
  type Link,
  type PropertyCase,
  type Setup,
} from './case.ts';
export {
  type CheckOptions,
  type CheckReport,
  checkProperty,
  counterexampleFile,
  DEFAULT_COUNTEREXAMPLE_DIR,
  PropertyCheckFailure,
  replayCommand,
  writeCounterexample,
} from './check.ts';
export { convergenceBound, type ExpectedDetection, expectedDetections, hammeringBound } from './expected.ts';
export {
  type FlatlineProperty,
  listViolations,
  PROPERTY_NAMES,
  type PropertyInfo,
  type PropertyName,
  type PropertyOptions,
  PropertyViolation,
  properties,
} from './properties.ts';
export { type CaseRun, type RunCaseOptions, runCase, type Session, sessions } from './run.ts';
export type { Verdict } from './verdicts.ts';
export { arbitraries };
