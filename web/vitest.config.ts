import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineProject({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // The plugin compiles `.svelte.ts` rune classes; the environment (vitest.environment.ts) and the
  // browser condition make that the client build and runtime, where $effect and $derived are live.
  plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
  resolve: { conditions: ['browser'] },
  // The unit tests check the test hooks too (web/src/lib/test-hooks.ts).
  define: { __SEALROOM_TEST_HOOKS__: 'true' },
  test: { name: 'web', include: ['src/**/*.test.ts', 'build/**/*.test.ts'], environment: './vitest.environment.ts' },
});
