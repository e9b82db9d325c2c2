import { defineConfig } from 'vitest/config';

// The test command StrykerJS runs against each mutant of impl/ (stryker.config.mjs): the property
// suite and the built-in scenarios, in-process, so that every mutant reaches the code they run.
// Not the unit tests of impl/: the question is whether the suite users rely on catches the bug.
export default defineConfig({
  test: {
    include: ['test/property/**/*.test.ts', 'test/scenarios/**/*.test.ts'],
    // Spawns the CLI: a child process never sees the mutant Stryker switches on in this one.
    exclude: ['test/property/counterexample.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
