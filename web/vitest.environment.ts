// Node globals, but modules transformed by Vite's *client* environment: Svelte then compiles
// `.svelte.ts` rune classes for the browser, where $effect and $derived are live (in the
// server build they are inert). No DOM is needed by the state-class tests.
import type { Environment } from 'vitest/environments';

export default {
  name: 'svelte-client-node',
  viteEnvironment: 'client',
  setup() {
    return { teardown() {} };
  },
} satisfies Environment;
