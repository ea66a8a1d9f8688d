/** Debian's Chromium driven by playwright-core, kept off the network, with fake camera and microphone. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  // Without it a machine whose only interface is lo gathers no ICE candidate at all.
  '--allow-loopback-in-peer-connection',
];

/** A separate browser profile per participant, as separate people would have. */
export async function openBrowser(): Promise<BrowserContext> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealroom-chromium-'));
  return chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    permissions: ['camera', 'microphone'],
  });
}
