/**
 * The meeting survives a restart of the edge. wrangler dev is stopped and started again on the
 * same port and state folder: every room socket dies, the Room object is evicted and comes back
 * from its SQLite storage. Both browsers reconnect by themselves (no reload) and resume their
 * seats: same participant ids, the host still host, the lock, the host's restriction on Bob and
 * the meeting's settings all still in force, and media flowing again through the origin, which
 * never restarted.
 *
 * Runs its own edge and origin (never the shared stack's): the restart must hit only this test.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localMasterKey, localSecret, root } from '../../scripts/env.mjs';
import { ensureWorker } from '../../scripts/setup.mjs';
import { freePort, startEdge, startOrigin } from '../../scripts/stack.mjs';
import { openBrowser } from '../lib/browser.ts';
import { createFromHome, decodesVideoFrom, hearsAudioFrom, inboundStats, join, waitForStats } from '../lib/meeting.ts';

type Edge = Awaited<ReturnType<typeof startEdge>>;
type Origin = Awaited<ReturnType<typeof startOrigin>>;

const stateDir = path.join(root, '.cache', `fault-edge-restart-${process.pid}`);
const logDir = path.join(root, '.cache', 'e2e-logs', `fault-edge-restart-${process.pid}`);
const secret = localSecret();
let edge: Edge;
let origin: Origin;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  rmSync(stateDir, { recursive: true, force: true });
  // wrangler on a loaded machine can take over a minute to serve again after a restart.
  edge = await startEdge({ port: await freePort(), stateDir, logDir, secret, masterKey: localMasterKey(), log: () => {}, readyMs: 180_000 });
  const rtcBase = 20000 + Math.floor(Math.random() * 19) * 1000;
  origin = await startOrigin({
    edgeUrl: edge.url,
    port: await freePort(),
    metricsPort: await freePort(),
    rtcPorts: [rtcBase, rtcBase + 999],
    secret,
    workerBin: await ensureWorker(() => {}),
    testTap: true,
    logDir,
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await Promise.all([origin?.stop(), edge?.stop()]);
  rmSync(stateDir, { recursive: true, force: true });
});

/** A participant's page, with every JSON frame its room socket received kept in order. */
async function participant(label: string): Promise<{ page: Page; received: Record<string, unknown>[] }> {
  const ctx = await openBrowser();
  contexts.push(ctx);
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => {
    if (m.type() === 'error') console.log(`[${label}] ${m.text()}`);
  });
  page.on('pageerror', (e) => console.log(`[${label} error] ${e.message}`));
  const received: Record<string, unknown>[] = [];
  page.on('websocket', (ws) => {
    if (!/\/api\/meetings\/[0-9]+\/ws$/.test(ws.url())) return;
    ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string' && f.payload.startsWith('{')) received.push(JSON.parse(f.payload) as Record<string, unknown>);
    });
  });
  return { page, received };
}

/** Polls `check` until it holds; a timeout names what never happened. */
async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

const selfIdOf = (page: Page) => page.evaluate(() => (window as unknown as { __sealroom?: { selfId: string } }).__sealroom?.selfId ?? null);
const welcomes = (frames: Record<string, unknown>[]) => frames.filter((f) => f['type'] === 'welcome') as unknown as Welcome[];

interface Welcome {
  self: { id: string; role: string; permissions: Record<string, boolean> };
  state: { locked: boolean; settings: { multiShare: boolean } };
  resumed?: boolean;
}

/** Opens the host's participants panel and the actions menu for `name`. */
async function openActionsFor(page: Page, id: string): Promise<void> {
  if ((await page.getByTestId('participants-panel').count()) === 0) await page.getByTestId('participants-toggle').click();
  const more = page.locator(`li[data-participant-id="${id}"] button[aria-controls="actions-${id}"]`);
  if ((await more.getAttribute('aria-expanded')) !== 'true') await more.click();
}

describe('an edge restart in the middle of a meeting', () => {
  let alice: Awaited<ReturnType<typeof participant>>;
  let bob: Awaited<ReturnType<typeof participant>>;
  let aliceId = '';
  let bobId = '';
  let meetingId = '';

  it('sets up a call: the host locks it, takes unmute from Bob and turns on multi-share', async () => {
    alice = await participant('alice');
    meetingId = await createFromHome(alice.page, edge.url);
    aliceId = await join(alice.page, 'Alice');
    bob = await participant('bob');
    await bob.page.goto(`${edge.url}/m/${meetingId}`);
    bobId = await join(bob.page, 'Bob');
    await waitForStats(alice.page, (s) => decodesVideoFrom(bobId)(s) && hearsAudioFrom(bobId)(s), 60_000);
    await waitForStats(bob.page, (s) => decodesVideoFrom(aliceId)(s) && hearsAudioFrom(aliceId)(s), 60_000);

    const a = alice.page;
    await a.getByTestId('participants-toggle').click();
    await a.getByTestId('lock-toggle').click();
    await until('lock applied', async () => (await a.getByTestId('lock-toggle').getAttribute('aria-pressed')) === 'true');
    await a.getByTestId('multi-share-toggle').check();
    await openActionsFor(a, bobId);
    await a.locator(`#actions-${bobId}`).getByTestId('permission-unmute').uncheck();
    await until('Bob is muted and may not unmute', async () => (await bob.page.getByTestId('mic-toggle').getAttribute('aria-pressed')) === 'true');
    await until('Alice sees Bob muted', async () => (await a.locator(`li[data-participant-id="${bobId}"]`).getAttribute('data-audio')) === 'false');
  }, 240_000);

  it('restarts the edge: both reconnect by themselves as the same participants, nothing the host set is lost', async () => {
    // Set on the live page: a reload would wipe it, so its survival shows nobody reloaded.
    for (const p of [alice.page, bob.page]) await p.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
    const welcomesBefore = [welcomes(alice.received).length, welcomes(bob.received).length];

    const t0 = Date.now();
    await edge.restart();
    const restartMs = Date.now() - t0;
    // The room sockets died with wrangler: each page noticed and shows it is reconnecting, or is already back.
    for (const [who, p] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      const i = who === 'alice' ? 0 : 1;
      await until(`${who} reconnected`, async () => welcomes(p.received).length > welcomesBefore[i]! && (await selfIdOf(p.page)) !== null, 60_000);
    }
    const rejoinMs = Date.now() - t0;

    expect(await selfIdOf(alice.page)).toBe(aliceId);
    expect(await selfIdOf(bob.page)).toBe(bobId);
    for (const p of [alice.page, bob.page]) expect(await p.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);

    // The Room's own word, from the welcome each got after the restart.
    const wa = welcomes(alice.received).at(-1)!;
    const wb = welcomes(bob.received).at(-1)!;
    expect(wa.resumed).toBe(true);
    expect(wb.resumed).toBe(true);
    expect(wa.self).toMatchObject({ id: aliceId, role: 'host' });
    expect(wb.self).toMatchObject({ id: bobId, role: 'participant', permissions: expect.objectContaining({ unmute: false }) });
    for (const w of [wa, wb]) {
      expect(w.state.locked).toBe(true);
      expect(w.state.settings.multiShare).toBe(true);
    }

    // The host's controls show the same meeting.
    const a = alice.page;
    await until('Alice has host controls again', async () => (await a.getByTestId('lock-toggle').count()) > 0);
    expect(await a.getByTestId('lock-toggle').getAttribute('aria-pressed')).toBe('true');
    expect(await a.getByTestId('multi-share-toggle').isChecked()).toBe(true);
    await openActionsFor(a, bobId);
    expect(await a.locator(`#actions-${bobId}`).getByTestId('permission-unmute').isChecked()).toBe(false);
    console.log(`edge restart: wrangler down and up again in ${restartMs} ms; both clients resumed ${rejoinMs} ms after the restart began`);
  }, 300_000);

  it('after the restart the lock holds for newcomers and Bob still may not unmute', async () => {
    const refusal = await tryJoin(edge.url, meetingId, 'Mallory');
    expect(refusal).toBe('meeting_locked');

    // Bob's own microphone button: muted, and held so by the host.
    const mic = bob.page.getByTestId('mic-toggle');
    await until('Bob’s microphone is held muted', async () => (await mic.getAttribute('aria-disabled')) === 'true');
    expect(await mic.getAttribute('aria-pressed')).toBe('true');
    expect(await mic.getAttribute('title')).toContain('not allowed');
    expect(await alice.page.locator(`li[data-participant-id="${bobId}"]`).getAttribute('data-audio')).toBe('false');
  });

  it('after the restart media flows both ways again through the same origin', async () => {
    await waitForStats(alice.page, decodesVideoFrom(bobId), 45_000);
    await waitForStats(bob.page, (s) => decodesVideoFrom(aliceId)(s) && hearsAudioFrom(aliceId)(s), 45_000);
    // Still flowing, not one frame and a stall.
    const frames = async (page: Page, from: string) =>
      (await inboundStats(page)).find((x) => x.kind === 'video' && x.participantId === from)?.framesDecoded ?? 0;
    const [a0, b0] = [await frames(alice.page, bobId), await frames(bob.page, aliceId)];
    await until('video keeps decoding both ways', async () => (await frames(alice.page, bobId)) > a0 + 10 && (await frames(bob.page, aliceId)) > b0 + 10);
  }, 180_000);
});

/** A join from Node over the room socket; returns the error code it is refused with, or 'welcome'. */
function tryJoin(edgeUrl: string, meetingId: string, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${edgeUrl.replace(/^http/, 'ws')}/api/meetings/${meetingId}/ws`);
    const timer = setTimeout(() => {
      ws.close();
      reject(new Error(`${name}: no answer to the join`));
    }, 15_000);
    ws.onopen = () => ws.send(JSON.stringify({ type: 'join', name, publicKey: randomBytes(32).toString('base64url') }));
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string' || !ev.data.startsWith('{')) return;
      const msg = JSON.parse(ev.data) as { type: string; code?: string };
      if (msg.type !== 'welcome' && msg.type !== 'error' && msg.type !== 'waiting') return;
      clearTimeout(timer);
      ws.close();
      resolve(msg.type === 'error' ? msg.code! : msg.type);
    };
  });
}
