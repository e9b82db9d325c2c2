import { defineConfig } from 'vitest/config';

// Tests that measure real time (real TCP, real Toxiproxy, parity) get their own project, run after
// the others and one file at a time: on a 2-core machine, CPU-bound simulator suites running beside
// them would make their timers late and their tolerances meaningless.
const realtime = [
  'test/toxiproxy/**/*.test.ts',
  'test/parity/parity.test.ts',
  'test/cli/toxiproxy.test.ts',
  'test/impl/loopback.test.ts',
  'test/external/**/*.test.ts',
  'test/reliability/**/*.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real-network suites share loopback ports and a Toxiproxy child; keep files in forks so a
    // crash in one cannot take the others' cleanup with it.
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'main', include: ['test/**/*.test.ts'], exclude: realtime } },
      { extends: true, test: { name: 'realtime', include: realtime, fileParallelism: false } },
    ],
  },
});
