/**
 * Ten seconds without a network, in a locked meeting. Bob's browser reaches the edge and the
 * origin only through proxies of his own (test/faults/lib/proxy.ts); cutting them resets his
 * room and origin sockets and refuses his reconnects for 10 s, while Alice's links stay up. He
 * comes back by himself as the same participant: same id, in the meeting (the lock and the
 * waiting room do not stop a seat that is resuming), media decoding again both ways.
 *
 * Routing: the origin announces itself as http://origin.sealroom.test:<port>. Each browser's own
 * host-resolver rule sends that name to 127.0.0.1 (Alice: the origin itself) or 127.0.0.2 (Bob:
 * his proxy, on the same port), so one public URL gives each browser its own path. Only TCP is
 * cut: WebRTC's UDP goes straight to the origin, and media recovers with the origin socket.
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
import { type CuttableProxy, startProxy } from './lib/proxy.ts';

type Edge = Awaited<ReturnType<typeof startEdge>>;
type Origin = Awaited<ReturnType<typeof startOrigin>>;

const CUT_MS = 10_000;
const ORIGIN_HOST = 'origin.sealroom.test';
const stateDir = path.join(root, '.cache', `fault-network-cut-${process.pid}`);
const logDir = path.join(root, '.cache', 'e2e-logs', `fault-network-cut-${process.pid}`);
const secret = localSecret();
let edge: Edge;
let origin: Origin;
/** Bob's own way to the edge (page and room socket) and to the origin (signalling socket). */
let bobEdge: CuttableProxy;
let bobOrigin: CuttableProxy;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  rmSync(stateDir, { recursive: true, force: true });
  edge = await startEdge({ port: await freePort(), stateDir, logDir, secret, masterKey: localMasterKey(), log: () => {}, readyMs: 180_000 });
  const originPort = await freePort();
  const rtcBase = 20000 + Math.floor(Math.random() * 19) * 1000;
  origin = await startOrigin({
    edgeUrl: edge.url,
    port: originPort,
    metricsPort: await freePort(),
    rtcPorts: [rtcBase, rtcBase + 999],
    secret,
    workerBin: await ensureWorker(() => {}),
    testTap: true,
    logDir,
    publicUrl: `http://${ORIGIN_HOST}:${originPort}`,
  });
  bobEdge = await startProxy({ host: '127.0.0.1', port: Number(new URL(edge.url).port) });
  bobOrigin = await startProxy({ host: '127.0.0.1', port: originPort }, '127.0.0.2', originPort);
}, 240_000);

afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
  await Promise.all([bobEdge?.close(), bobOrigin?.close()]);
  await Promise.all([origin?.stop(), edge?.stop()]);
  rmSync(stateDir, { recursive: true, force: true });
});

/** A participant's browser, resolving the origin's name to `originIp`; every JSON frame its room socket received kept in order. */
async function participant(label: string, originIp: string): Promise<{ page: Page; received: Record<string, unknown>[] }> {
  const ctx = await openBrowser([`--host-resolver-rules=MAP ${ORIGIN_HOST} ${originIp}`]);
  contexts.push(ctx);
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.setDefaultTimeout(30_000);
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().includes('ERR_CONNECTION')) console.log(`[${label}] ${m.text()}`);
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

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
}

interface Welcome {
  self: { id: string; role: string };
  state: { locked: boolean };
  resumed?: boolean;
}
const welcomes = (frames: Record<string, unknown>[]) => frames.filter((f) => f['type'] === 'welcome') as unknown as Welcome[];
const selfIdOf = (page: Page) => page.evaluate(() => (window as unknown as { __sealroom?: { selfId: string } }).__sealroom?.selfId ?? null);
const videoFrames = async (page: Page, from: string) =>
  (await inboundStats(page)).find((x) => x.kind === 'video' && x.participantId === from)?.framesDecoded ?? 0;

describe('a 10-second network cut in a locked meeting', () => {
  it('the cut-off participant comes back by himself as the same participant, media decoding again', async () => {
    const alice = await participant('alice', '127.0.0.1');
    const meetingId = await createFromHome(alice.page, edge.url);
    const aliceId = await join(alice.page, 'Alice');
    const bob = await participant('bob', '127.0.0.2');
    await bob.page.goto(`${bobEdge.url}/m/${meetingId}`);
    const bobId = await join(bob.page, 'Bob');
    await waitForStats(alice.page, (s) => decodesVideoFrom(bobId)(s) && hearsAudioFrom(bobId)(s), 60_000);
    await waitForStats(bob.page, (s) => decodesVideoFrom(aliceId)(s) && hearsAudioFrom(aliceId)(s), 60_000);
    // Bob's signalling really runs through his proxies (and only his).
    expect(bobEdge.open).toBeGreaterThan(0);
    expect(bobOrigin.open).toBeGreaterThan(0);

    await alice.page.getByTestId('participants-toggle').click();
    await alice.page.getByTestId('lock-toggle').click();
    await until('the meeting is locked', async () => (await alice.page.getByTestId('lock-toggle').getAttribute('aria-pressed')) === 'true');
    expect(await tryJoin(edge.url, meetingId, 'Mallory')).toBe('meeting_locked');

    const welcomesBefore = welcomes(bob.received).length;
    const refusedBefore = bobEdge.refused;
    const cut = Promise.all([bobEdge.cut(CUT_MS), bobOrigin.cut(CUT_MS)]);
    // While the link is down Bob's page says so, and keeps knocking (each knock refused).
    await until(
      'Bob’s page shows it is reconnecting',
      async () => (await bob.page.getByTestId('connection-status').getAttribute('data-status')) === 'status.reconnecting',
      CUT_MS,
    );
    await cut;
    const restoredAt = Date.now();
    expect(bobEdge.refused).toBeGreaterThan(refusedBefore);

    await until('Bob is welcomed back', async () => welcomes(bob.received).length > welcomesBefore && (await selfIdOf(bob.page)) !== null, 45_000);
    const backMs = Date.now() - restoredAt;
    const back = welcomes(bob.received).at(-1)!;
    expect(back.resumed).toBe(true);
    expect(back.self).toMatchObject({ id: bobId, role: 'participant' });
    expect(back.state.locked).toBe(true);
    expect(await selfIdOf(bob.page)).toBe(bobId);
    // In the meeting, not in the waiting room nor refused at the lock.
    expect(await bob.page.getByTestId('waiting-screen').count()).toBe(0);
    expect(await bob.page.getByTestId('refused-screen').count()).toBe(0);
    await until('Alice has Bob in her list again', async () => (await alice.page.locator(`li[data-participant-id="${bobId}"]`).count()) === 1);

    // Media both ways again, and still going.
    await waitForStats(bob.page, (s) => decodesVideoFrom(aliceId)(s) && hearsAudioFrom(aliceId)(s), 60_000);
    const a0 = await videoFrames(alice.page, bobId);
    const b0 = await videoFrames(bob.page, aliceId);
    await until(
      'video decodes both ways again',
      async () => (await videoFrames(alice.page, bobId)) > a0 + 10 && (await videoFrames(bob.page, aliceId)) > b0 + 10,
      60_000,
    );
    await waitForStats(alice.page, hearsAudioFrom(bobId), 30_000);
    const mediaMs = Date.now() - restoredAt;
    // The lock still keeps strangers out.
    expect(await tryJoin(edge.url, meetingId, 'Mallory')).toBe('meeting_locked');
    console.log(`network cut of ${CUT_MS} ms: Bob resumed ${backMs} ms and decoded both ways ${mediaMs} ms after the link came back`);
  }, 300_000);
});

/** A join from Node over the room socket; returns the error code it is refused with, or what it got instead. */
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
