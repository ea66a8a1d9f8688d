/**
 * Cloud recording end to end in Chromium: record a canvas clip to the cloud (sealed in the
 * page, uploaded in parts), play it back in the management page (frames decode), share it with
 * a second browser, refuse a wrong key, revoke, delete.
 */
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser } from '../lib/browser.ts';
import { type PrivateEdge, startPrivateEdge } from './private-edge.ts';
import { framesDecode } from './video.ts';

const webRoot = fileURLToPath(new URL('../../web', import.meta.url));
const harness = fileURLToPath(new URL('./harness.ts', import.meta.url));

/** The harness bundle, built with the web app's Svelte plugin. */
async function bundle(): Promise<string> {
  const out = await build({
    configFile: false,
    root: webRoot,
    logLevel: 'warn',
    plugins: [svelte({ configFile: false, compilerOptions: { css: 'injected' } })],
    resolve: { conditions: ['browser'] },
    build: { write: false, target: 'es2023', minify: false, lib: { entry: harness, formats: ['es'], fileName: 'app' } },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Array<{ output: Array<{ type: string; code?: string; isEntry?: boolean }> }>;
  const entry = outputs.flatMap((o) => o.output).find((c) => c.type === 'chunk' && c.isEntry);
  if (!entry?.code) throw new Error('harness build produced no entry chunk');
  return entry.code;
}

/** Serves the harness at <edge>/__rec/… on the edge's own origin, so cookies and fetches are the app's. */
async function serveHarness(ctx: BrowserContext, edge: string, js: string) {
  await ctx.route(`${edge}/__rec/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/__rec/app.js') return route.fulfill({ contentType: 'text/javascript', body: js });
    return route.fulfill({
      contentType: 'text/html',
      body: '<!doctype html><meta charset="utf-8"><title>recordings</title><body><script type="module" src="/__rec/app.js"></script></body>',
    });
  });
}

async function open(page: Page, url: string) {
  // Via a blank page: going to the same path with another #fragment would not reload it.
  await page.goto('about:blank');
  await page.goto(url);
  await page.waitForFunction(() => Boolean((window as any).__rec));
}

describe('cloud recording in the browser', () => {
  let edge: PrivateEdge;
  let js: string;
  let owner: BrowserContext;
  let viewer: BrowserContext;

  beforeAll(async () => {
    [edge, js] = await Promise.all([startPrivateEdge(), bundle()]);
    owner = await openBrowser();
    viewer = await openBrowser();
    await serveHarness(owner, edge.url, js);
    await serveHarness(viewer, edge.url, js);
  });

  afterAll(async () => {
    await owner?.close();
    await viewer?.close();
    await edge?.stop();
  });

  it('records to the cloud, plays back, shares, refuses a wrong key, revokes and deletes', async () => {
    const page = await owner.newPage();
    page.on('dialog', (d) => void d.accept());
    await open(page, `${edge.url}/__rec/page`);
    const signup = await page.evaluate(async () => {
      const r = await fetch('/api/auth/signup', {
        method: 'POST',
        body: JSON.stringify({ orgName: 'Rec Org', name: 'Rita', email: `rita${Date.now()}@example.test`, password: 'Correct-horse-42' }),
      });
      return { status: r.status, session: (await fetch('/api/auth/session')).status };
    });
    expect(signup).toEqual({ status: 201, session: 200 });

    // Record ~3 s of canvas video; it is sealed and uploaded as it is recorded.
    const made = await page.evaluate(() => window.__rec.record(3000, 'E2E clip'));
    expect(made.stats.partsUploaded).toBe(1);
    expect(made.stats.bytesIn).toBeGreaterThan(10_000);

    // The management page lists it and plays it, decrypted in the page.
    await page.reload();
    await page.waitForFunction(() => Boolean((window as any).__rec));
    await page.evaluate(() => window.__rec.mountPage());
    const row = page.getByTestId('rec-row');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.getAttribute('data-id')).toBe(made.id);
    expect(await row.textContent()).toContain('E2E clip');
    expect(await page.getByTestId('rec-usage').textContent()).toMatch(/you .*\(1\)/);
    await page.getByTestId('rec-play').click();
    const played = await framesDecode(page);
    expect(played.width).toBe(320);

    // Share: the link's fragment holds the key; a second browser (no account) plays it.
    await page.getByTestId('rec-share').click();
    const link = await page.getByTestId('rec-share-link').inputValue();
    expect(link).toMatch(/\/r\/[A-Za-z0-9_-]{32}#k=[A-Za-z0-9_-]{43}$/);
    const shareUrl = link.replace('/r/', '/__rec/r/');
    const other = await viewer.newPage();
    const requested: string[] = [];
    other.on('request', (r) => requested.push(r.url()));
    await open(other, shareUrl);
    await other.evaluate(() => window.__rec.mountShared());
    expect((await framesDecode(other)).width).toBe(320);
    // The key never went over the wire.
    const key = link.split('#k=')[1]!;
    expect(requested.some((u) => u.includes(key))).toBe(false);

    // A wrong key in the fragment: refused with a clear message, nothing plays.
    const wrong = `${shareUrl.split('#')[0]}#k=${'A'.repeat(43)}`;
    await open(other, wrong);
    await other.evaluate(() => window.__rec.mountShared());
    await expect.poll(() => other.getByTestId('rec-error').getAttribute('data-code')).toBe('rec.tampered');

    // Revoke: the second browser's link stops working.
    await page.getByTestId('rec-revoke').click();
    await expect.poll(() => page.getByTestId('rec-revoke').count()).toBe(0);
    await open(other, shareUrl);
    await other.evaluate(() => window.__rec.mountShared());
    await expect.poll(() => other.getByTestId('rec-error').getAttribute('data-code')).toBe('rec.gone');

    // Delete: gone from the list and from the API.
    await page.getByTestId('rec-delete').click();
    await expect.poll(() => page.getByTestId('rec-empty').count()).toBe(1);
    const after = await page.evaluate(async (id) => (await fetch(`/api/recordings/${id}/content`)).status, made.id);
    expect(after).toBe(404);
  });
});
