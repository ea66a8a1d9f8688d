import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'media-origin',
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    // Finds (or waits for / builds) the mediasoup worker once, before any test imports mediasoup.
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/setup-env.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
