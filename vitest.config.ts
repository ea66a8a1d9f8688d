// Every workspace keeps its own vitest config; `npm test` runs them all as projects.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['*/vitest.config.ts'],
  },
});
