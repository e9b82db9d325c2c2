/** Parity: the same scenario on the simulator and through real Toxiproxy, compared field by field. */
export { AlignedBackend, type AlignedBackendOptions } from './aligned-backend.ts';
export { compareResults, type ParityEvidence } from './compare.ts';
export { type DialTap, tapDials } from './dial-tap.ts';
export { formatParityDiff, formatParityRun, formatParityTable } from './format.ts';
export {
  ParityError,
  type ParityOptions,
  type ParityRun,
  type RealRun,
  runParity,
  type SimSide,
  simulateForParity,
} from './run.ts';
export {
  type Expressibility,
  parityExpressible,
  parityTimeScale,
  shortestTiming,
  type TimeScaleChoice,
  type TimeScaleOptions,
  toxicJitter,
} from './select.ts';
export {
  mapLimit,
  type ParitySuiteFailure,
  type ParitySuiteOptions,
  type ParitySuiteResult,
  runParitySuite,
  type SkippedScenario,
  selectParityScenarios,
} from './suite.ts';
export {
  ATTEMPT_HOPS,
  DEFAULT_TOLERANCE,
  describeSlack,
  describeTolerance,
  effectiveRealMs,
  type ParityTolerance,
  ParityToleranceError,
  parityTolerance,
  perAttemptMs,
  slack,
  type ToleranceOptions,
} from './tolerance.ts';
