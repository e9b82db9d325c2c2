/**
 * flatline sweep: heartbeat configurations × fault scenarios × latency profiles × seeds → QoS per
 * configuration (BOUNDS.md T_D, λ_M, T_M, T_MR, P_A; reconnect; F20 overhead; latency tolerance)
 * and a recommendation. The CLI is harness/cli/sweep.ts; this is the programmatic API:
 *
 *   const spec = await buildSpec({ flags: { interval: '5s,10s', pongTimeout: '2s..6s/3', detectWithin: '20s' } });
 *   const result = await runSweep(spec); // SweepResult (harness/result.ts)
 */
export { type AxisInput, type DurationValue, parseCountAxis, parseDurationAxis } from './axis.ts';
export { describeBackoff, formatBackoff, parseBackoff } from './backoff.ts';
export { type BuildSpecInput, buildSpec } from './build.ts';
export { configKey, describeConfig, sameConfig } from './describe.ts';
export {
  assembleSweep,
  type CellDetail,
  checkRunnable,
  type PlannedCell,
  planSweep,
  runSweep,
  runSweepCells,
  type SweepFrame,
  type SweepPlan,
  type SweepProgress,
  type SweepRunOptions,
} from './engine.ts';
export { COMMAND_LINE, SweepSpecError } from './errors.ts';
export { loadSweepFile, parseSweepText } from './file.ts';
export { parseFlags, type SweepFlags } from './flags.ts';
export { goalNames, judgeCell, type SweepGoals } from './goals.ts';
export { bothWays, MSG_BOTH_WAYS, MSG_CLIENT, MSG_SERVER, messageSplit } from './overhead.ts';
export { findPreset, PRESETS, type Preset, parsePresets } from './presets.ts';
export {
  BUILTIN_PROFILES,
  explainProfile,
  type LatencyProfile,
  latencyTolerance,
  legsFromRtt,
  parseProfile,
} from './profiles.ts';
export { type CellQos, type CellRun, cellQos } from './qos.ts';
export { type Candidate, recommend } from './recommend.ts';
export { cellReplay, sweepReplay } from './replay.ts';
export { BUILTIN_SCENARIOS, instantiate, phaseOffset, type SweepScenario } from './scenarios.ts';
export { type ConfigSummary, type FailedGoal, summarizeConfig, summarizeConfigs } from './summary.ts';
export {
  checkBudget,
  expandGrid,
  resolveSpec,
  runCount,
  type SpecParts,
  type SweepSpec,
} from './sweep-spec.ts';
export { presetList, profileList, sweepSummary } from './text.ts';
