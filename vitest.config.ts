import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: run two files at a time so socket-heavy integration tests do not starve each other.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
