import { defineProject } from 'vitest/config';

// The web E2EE worker's frame logic is tested from crypto/test/worker.test.ts with in-memory
// streams, so only crypto's own folders are collected here.
export default defineProject({
  test: {
    name: 'crypto',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
  },
});
