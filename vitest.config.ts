import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Vitest's default is one worker fewer than the CPUs: one at a time on a 2-core CI machine.
    // Most e2e files spend their time waiting (on child CLIs, a paced sandbox, a booted
    // container, PostgreSQL, a rate-limit floor), so one file per CPU, and at least two.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
