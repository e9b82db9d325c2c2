// @ts-check
// Mutation testing of the reference heartbeat: `npm run mutation` (not part of npm test; see
// docs/MUTATION.md for per-module runs, line ranges, scores and the surviving mutants). Each mutant
// of impl/'s heartbeat, health, backoff and client modules must be caught by the property suite or
// a built-in scenario (vitest.mutation.config.ts).
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: ['impl/heartbeat.ts', 'impl/health.ts', 'impl/backoff.ts', 'impl/client.ts'],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'out/mutation/index.html' },
  jsonReporter: { fileName: 'out/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: 90 },
  timeoutMS: 20_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
