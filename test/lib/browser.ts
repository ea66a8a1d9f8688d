/** Debian's Chromium driven by playwright-core, kept off the network, with fake camera and microphone. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, type Page, chromium } from 'playwright-core';

/** Headless Chromium that makes no request of its own: only the pages' traffic reaches the network. */
export const QUIET_CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const FLAGS = [
  ...QUIET_CHROMIUM_FLAGS,
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // Without it a machine whose only interface is lo gathers no ICE candidate at all.
  '--allow-loopback-in-peer-connection',
];

/** A separate browser profile per participant, as separate people would have; `extraArgs` add Chromium flags. */
export async function openBrowser(extraArgs: readonly string[] = []): Promise<BrowserContext> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealroom-chromium-'));
  return chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...FLAGS, ...extraArgs],
    permissions: ['camera', 'microphone'],
  });
}

/**
 * Pages for one test file, each in its own browser profile, with the browser's own complaints
 * printed (the first thing to read when a join fails); `closeAll` ends them all.
 */
export function pagePool(extraArgs: readonly string[] = []) {
  const contexts: BrowserContext[] = [];
  return {
    async newPage(init?: () => void): Promise<Page> {
      const ctx = await openBrowser(extraArgs);
      contexts.push(ctx);
      const page = await ctx.newPage();
      const n = contexts.length;
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') console.log(`[page ${n} ${m.type()}] ${m.text()}`);
      });
      page.on('pageerror', (e) => console.log(`[page ${n} error] ${e.message}`));
      if (init) await page.addInitScript(init);
      return page;
    },
    closeAll: () => Promise.all(contexts.map((c) => c.close())),
  };
}
