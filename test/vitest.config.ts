// End-to-end tests: the real stack (wrangler dev + media origin) and Debian's Chromium.
import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'e2e',
    include: ['**/*.e2e.test.ts'],
    exclude: ['node_modules/**'],
    globalSetup: ['./stack.global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // A page under load takes seconds, not vitest's default second, to show what it will show:
    // every expect.poll waits for the condition up to this long.
    expect: { poll: { timeout: 30_000 } },
    // One browser session at a time: two cores carry one real call comfortably, not three.
    fileParallelism: false,
  },
});
