/**
 * The crypto benchmark (bench/crypto/run.ts) run where the frame transform really runs: in
 * Chromium (Debian's, headless), as one bundled page script. Prints the same tables.
 *
 *   npm run bench:crypto-browser
 */
import path from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { root } from '../../scripts/env.mjs';
import { QUIET_CHROMIUM_FLAGS } from '../../test/lib/browser.ts';

const bundle = await build({
  entryPoints: [path.join(root, 'bench', 'crypto', 'run.ts')],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2023',
  write: false,
  // The Node benchmark names its runtime through `process`: in the page, the browser names itself.
  banner: {
    js: "globalThis.process = { version: navigator.userAgent.match(/Chrome\\/[0-9.]+/)?.[0] ?? 'browser', platform: 'chromium', arch: 'x64', env: { BENCH_BATCH: '32' } };",
  },
  footer: { js: "console.log('__done__');" },
});

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: QUIET_CHROMIUM_FLAGS,
});
try {
  const page = await browser.newPage();
  const done = new Promise<void>((resolve, reject) => {
    page.on('console', (m) => (m.text() === '__done__' ? resolve() : console.log(m.text())));
    page.on('pageerror', reject);
  });
  // WebCrypto needs a secure context: a data: page is not one, so serve a blank page from a loopback-looking origin.
  await page.route('http://127.0.0.1/bench', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }));
  await page.goto('http://127.0.0.1/bench');
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text, type: 'module' });
  await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error('benchmark did not finish within 5 minutes')), 300_000))]);
} finally {
  await browser.close();
}
