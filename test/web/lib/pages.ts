/** Browser pages for the web/ end-to-end tests: one profile each, console relayed, room frames recorded. */
import type { BrowserContext, Page } from 'playwright-core';
import { openBrowser } from '../../lib/browser.ts';

export interface RoomFrames {
  sent: string[];
  received: string[];
}

export interface TestPage {
  page: Page;
  /** Every text frame on the page's room WebSocket(s), both directions. */
  frames: RoomFrames;
}

/** Opens pages and closes them all at the end. */
export class Pages {
  #contexts: BrowserContext[] = [];

  async open(label: string, opts: { init?: () => void; viewport?: { width: number; height: number }; args?: string[] } = {}): Promise<TestPage> {
    const ctx = await openBrowser();
    this.#contexts.push(ctx);
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(30_000);
    if (opts.viewport) await page.setViewportSize(opts.viewport);
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.log(`[${label} ${m.type()}] ${m.text()}`);
    });
    page.on('pageerror', (e) => console.log(`[${label} error] ${e.message}`));
    const frames: RoomFrames = { sent: [], received: [] };
    page.on('websocket', (ws) => {
      if (!/\/api\/meetings\/[0-9]+\/ws/.test(ws.url())) return;
      ws.on('framesent', (f) => frames.sent.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('latin1')));
      ws.on('framereceived', (f) => frames.received.push(typeof f.payload === 'string' ? f.payload : f.payload.toString('latin1')));
    });
    if (opts.init) await page.addInitScript(opts.init);
    return { page, frames };
  }

  async close(): Promise<void> {
    await Promise.all(this.#contexts.map((c) => c.close()));
    this.#contexts = [];
  }
}

/** Parsed JSON frames of one type. */
export function framesOfType(frames: string[], type: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const f of frames) {
    if (!f.startsWith('{')) continue;
    const m = JSON.parse(f) as Record<string, unknown>;
    if (m['type'] === type) out.push(m);
  }
  return out;
}

/** Polls `check` until it returns true; throws `what` when it never does. */
export async function until(page: Page, what: string, check: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await page.waitForTimeout(150);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

/** Joins from the pre-join page with the camera off (saves a video encode and everyone's decode). */
export async function joinWithoutCamera(page: Page, name: string): Promise<string> {
  await page.getByTestId('prejoin-camera-toggle').click();
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('join-button').click();
  await page.waitForFunction(() => Boolean((window as unknown as { __sealroom?: { selfId?: string } }).__sealroom?.selfId), null, { timeout: 30_000 });
  return page.evaluate(() => (window as unknown as { __sealroom: { selfId: string } }).__sealroom.selfId);
}

/** Signs this page's browser up as the owner of a new organization (session cookie set); returns the HTTP status. */
export function signUpInPage(page: Page, orgName: string, name: string): Promise<number> {
  return page.evaluate(
    async ({ orgName, name }) => {
      const r = await fetch('/api/auth/signup', {
        method: 'POST',
        body: JSON.stringify({ orgName, name, email: `${name.toLowerCase()}${Date.now()}@example.test`, password: 'Correct-horse-42' }),
      });
      return r.status;
    },
    { orgName, name },
  );
}
