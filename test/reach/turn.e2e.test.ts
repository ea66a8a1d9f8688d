/**
 * Reach through a network that lets no UDP out: Chromium with non-proxied UDP disabled, and a
 * service that sends media only through TURN (TURN_POLICY=relay). Both browsers reach coturn
 * over TCP with credentials the edge minted for each of them, coturn relays to the origin, and
 * the call is as sealed as a direct one: the relay, like the origin, sees only SFrame ciphertext.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root } from '../../scripts/env.mjs';
import { freePort } from '../../scripts/stack.mjs';
import { pagePool } from '../lib/browser.ts';
import { type Coturn, startCoturn } from '../../scripts/coturn.mjs';
import { transformStats } from '../lib/meeting.ts';
import { iceRoutes } from './lib/ice-routes.ts';
import { expectSealed, twoPersonCall } from '../faults/lib/call.ts';
import { CALL_TEST_MS, FAULT_STACK_START_MS, faultStack } from '../faults/lib/stack.ts';

const turnSecret = randomBytes(24).toString('base64url');
let coturn: Coturn | null = null;
let turnPort = 0;
const ready = (async () => {
  turnPort = await freePort();
  // Above the ephemeral ports (32768–60999) and every origin RTC range, so nothing else binds them.
  const relayBase = 61000 + Math.floor(Math.random() * 39) * 100;
  coturn = await startCoturn({
    secret: turnSecret,
    port: turnPort,
    relayPorts: [relayBase, relayBase + 99],
    logDir: path.join(root, '.cache', 'e2e-logs', `coturn-${process.pid}`),
  });
})();
ready.catch(() => undefined);
// The edge needs the TURN port in its config before it starts: pick it first, then start the stack.
const stackReady = ready.then(() =>
  faultStack({
    origins: 1,
    edgeVars: { TURN_URLS: `turn:127.0.0.1:${turnPort}?transport=tcp`, TURN_SECRET: turnSecret, TURN_POLICY: 'relay' },
  }),
);
stackReady.catch(() => undefined);

// What a browser on a network without UDP does: WebRTC may use TCP only, to a TURN server or an origin.
const pages = pagePool(['--webrtc-ip-handling-policy=disable_non_proxied_udp']);
beforeAll(async () => {
  await (
    await stackReady
  ).ready;
}, FAULT_STACK_START_MS);
afterAll(async () => {
  await pages.closeAll();
  await (await stackReady.catch(() => null))?.stop();
  await coturn?.stop();
});

describe('media through TURN over TCP when UDP is blocked', () => {
  it(
    'two browsers decode each other through coturn, with credentials of their own, sealed',
    async () => {
      const stack = await stackReady;
      const call = await twoPersonCall(pages, stack.url);
      for (const page of [call.alice, call.bob]) {
        const routes = await iceRoutes(page);
        expect(routes.map((r) => r.direction).sort()).toEqual(['recv', 'send']);
        // Relayed, and the browser reached the relay over TCP: nothing of this call used UDP from the browser.
        for (const r of routes) expect(r).toMatchObject({ candidateType: 'relay', relayProtocol: 'tcp' });
        const t = await transformStats(page);
        expect(t.sealed).toBeGreaterThan(0);
        expect(t.opened).toBeGreaterThan(0);
      }
      const { video, problems } = await expectSealed(call, stack.origins[0]!.url, stack.secret);
      expect(problems).toEqual([]);
      expect(video.length).toBeGreaterThan(5);
    },
    CALL_TEST_MS,
  );
});
