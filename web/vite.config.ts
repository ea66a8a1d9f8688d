/**
 * The web app: built to web/dist, which the edge serves for `/` and `/m/:id`.
 * In `vite dev`, /api (HTTP and the room WebSocket) goes to a local `wrangler dev`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [svelte()],
  // The E2EE transform runs in a module worker (RTCRtpScriptTransform).
  worker: { format: 'es' },
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
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
