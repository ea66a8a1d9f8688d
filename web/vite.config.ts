/**
 * The web app: built to web/dist, which the edge serves for `/` and `/m/:id`.
 * With SEALROOM_TEST_HOOKS=1 it is built with the test hooks instead, to web/dist-test, which the
 * end-to-end tests and benchmarks serve (SEALROOM_WEB_DIST); see web/src/lib/test-hooks.ts.
 * In `vite dev`, /api (HTTP and the room WebSocket) goes to a local `wrangler dev`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { meetingPreload } from './build/meeting-preload.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const testHooks = process.env.SEALROOM_TEST_HOOKS === '1';

export default defineConfig({
  root,
  plugins: [svelte(), meetingPreload()],
  define: { __SEALROOM_TEST_HOOKS__: JSON.stringify(testHooks) },
  // The E2EE transform runs in a module worker (RTCRtpScriptTransform).
  worker: { format: 'es' },
  build: {
    // Each build its own folder: the production one never gets the hooks by accident.
    outDir: fileURLToPath(new URL(testHooks ? './dist-test' : './dist', import.meta.url)),
    emptyOutDir: true,
    target: 'es2023',
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: 'http://127.0.0.1:8787', ws: true, changeOrigin: false },
    },
  },
});
