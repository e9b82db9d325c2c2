import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real-network suites share loopback ports and a Toxiproxy child; keep files in forks so a
    // crash in one cannot take the others' cleanup with it.
    pool: 'forks',
    reporters: process.env.CI ? ['default'] : ['default'],
  },
});
