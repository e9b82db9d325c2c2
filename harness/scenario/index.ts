/** `flatline/scenario`: scenarios from YAML or code, run on a backend, written back as YAML. */
export {
  detect,
  falseDetection,
  faults,
  gaveUp,
  maxAttempts,
  noFalseDetection,
  overhead,
  reconnect,
  ScenarioBuilder,
  scenario,
  state,
  toxicFaults,
} from './builder.ts';
export { ScenarioError } from './errors.ts';
export { type LoadedScenario, loadScenarioFile, loadScenarios, loadScenarioText } from './loader.ts';
export { preflight, RunError, type RunOptions, runScenario } from './runner.ts';
export type { Scenario } from './schema.ts';
export { scenarioToYaml } from './serialize.ts';
