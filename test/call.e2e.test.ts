/**
 * The walking skeleton, end to end: two Chromium pages meet through the edge, the Room DO and a
 * real mediasoup origin, each decoding the other's sealed audio and video. The origin's test tap
 * shows that everything it forwards is SFrame-sealed behind the codec's clear prefix, opens with
 * the sender's key and with no other; a third page without keys decodes nothing.
 */
import { FrameOpener, clearPrefixLength, kidFor } from '@sealroom/crypto/frame-transform';
import { decodeHeader } from '@sealroom/crypto/sframe';
import { fromB64url } from '@sealroom/crypto/bytes';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { reassembleVp8 } from '../media-origin/src/test-tap.ts';
import { pagePool } from './lib/browser.ts';
import { createFromHome, decodesVideoFrom, hearsAudioFrom, inboundStats, join, sendKey, transformStats, waitForStats } from './lib/meeting.ts';
import { tap } from './lib/tap.ts';

const stackUrl = inject('stackUrl');
const originUrl = inject('originUrl');
const secret = inject('secret');

const pages = pagePool();
const newPage = pages.newPage;
afterAll(pages.closeAll);

describe('a sealed call through edge, origin and mediasoup', () => {
  let meetingId = '';
  let alice: Page;
  let bob: Page;
  let aliceId = '';
  let bobId = '';

  it('two browsers decode each other’s video and audio', async () => {
    alice = await newPage();
    meetingId = await createFromHome(alice, stackUrl);
    aliceId = await join(alice, 'Alice');

    bob = await newPage();
    const opened = Date.now();
    await bob.goto(`${stackUrl}/m/${meetingId}`);
    bobId = await join(bob, 'Bob');
    await waitForStats(bob, decodesVideoFrom(aliceId));
    const joinMs = Date.now() - opened;
    await waitForStats(bob, hearsAudioFrom(aliceId));
    await waitForStats(alice, (s) => decodesVideoFrom(bobId)(s) && hearsAudioFrom(bobId)(s));
    console.log(`join time (page open → first remote video frame decoded): ${joinMs} ms`);

    // Media keeps flowing, it didn't just produce one frame.
    const before = await inboundStats(bob);
    await bob.waitForTimeout(1500);
    const after = await inboundStats(bob);
    const v0 = before.find((s) => s.kind === 'video' && s.participantId === aliceId)!;
    const v1 = after.find((s) => s.kind === 'video' && s.participantId === aliceId)!;
    const a0 = before.find((s) => s.kind === 'audio' && s.participantId === aliceId)!;
    const a1 = after.find((s) => s.kind === 'audio' && s.participantId === aliceId)!;
    expect(v1.framesDecoded).toBeGreaterThan(v0.framesDecoded);
    expect(v1.frameWidth).toBeGreaterThan(0);
    expect(a1.totalSamplesReceived).toBeGreaterThan(a0.totalSamplesReceived);

    // Every frame went through the transform: frames were sealed on both sides and opened, none dropped on the way.
    const ta = await transformStats(alice);
    const tb = await transformStats(bob);
    expect(ta.sealed).toBeGreaterThan(0);
    expect(tb.opened).toBeGreaterThan(0);
  });

  it('the origin forwards only sealed frames, which open with the sender’s key and no other', async () => {
    const keysBefore = await Promise.all([sendKey(alice), sendKey(bob)]);
    const packets = await tap(originUrl, secret, meetingId, 4000);
    const keysAfter = await Promise.all([sendKey(alice), sendKey(bob)]);
    const keys = [...keysBefore, ...keysAfter].filter((k) => k !== null);
    expect(keys.length).toBe(4);

    const opener = new FrameOpener();
    for (const k of keys) opener.setKey(k.senderIndex, k.epoch, fromB64url(k.key));
    const stranger = new FrameOpener();
    for (const k of keys) stranger.setKey(k.senderIndex, k.epoch, new Uint8Array(32).fill(7));

    const audio = packets.filter((p) => p.kind === 'audio').map((p) => ({ who: p.participantId, data: fromB64url(p.payload) }));
    const video = reassembleVp8(packets).map((f) => ({ who: f.participantId, data: f.data }));
    console.log(`tap: ${packets.length} RTP packets, ${audio.length} Opus frames, ${video.length} VP8 frames`);
    expect(audio.length).toBeGreaterThan(20);
    expect(video.length).toBeGreaterThan(5);
    expect(new Set(audio.map((f) => f.who))).toEqual(new Set([aliceId, bobId]));

    const indexOf = new Map(keys.map((k) => [k.senderIndex, k]));
    for (const [codec, frames] of [
      ['opus', audio],
      ['vp8', video],
    ] as const) {
      for (const f of frames) {
        // An SFrame header sits right after the codec's clear prefix, naming a sender we know.
        const prefix = clearPrefixLength(codec, f.data);
        const header = decodeHeader(f.data.subarray(prefix));
        const known = [...indexOf.values()].some((k) => kidFor(k.senderIndex, k.epoch) === header.kid);
        expect(known).toBe(true);
        expect(opener.open(codec, f.data)).not.toBeNull();
        expect(stranger.open(codec, f.data)).toBeNull();
      }
    }
    // The plaintext is not in what the origin carried: the opened frames differ from the wire bytes past the prefix.
    const sample = audio[audio.length - 1]!.data;
    const plain = new FrameOpener();
    for (const k of keys) plain.setKey(k.senderIndex, k.epoch, fromB64url(k.key));
    const opened = plain.open('opus', sample)!;
    expect(Buffer.from(sample.subarray(1, opened.length)).equals(Buffer.from(opened.subarray(1)))).toBe(false);
  });

  it('a third browser without the key exchange receives media but decodes no video frame', async () => {
    const carol = await newPage(() => {
      (window as unknown as { __sealroomTest: { disableKeyExchange: boolean } }).__sealroomTest = { disableKeyExchange: true };
    });
    await carol.goto(`${stackUrl}/m/${meetingId}`);
    await join(carol, 'Carol');
    // Wait until Carol receives both videos and sealed frames have reached her transform and been dropped there.
    await waitForStats(carol, (s) => s.filter((x) => x.kind === 'video').length >= 2);
    const deadline = Date.now() + 20_000;
    let stats = await transformStats(carol);
    while (stats.dropped < 100 && Date.now() < deadline) {
      await carol.waitForTimeout(250);
      stats = await transformStats(carol);
    }
    expect(stats.dropped).toBeGreaterThanOrEqual(100);
    expect(stats.opened).toBe(0);
    const inbound = await inboundStats(carol);
    expect(inbound.some((s) => s.kind === 'video')).toBe(true);
    expect(inbound.filter((s) => s.kind === 'video').every((s) => s.framesDecoded === 0)).toBe(true);
    // Alice and Bob, who rekeyed for Carol's arrival, still decode each other.
    const b0 = (await inboundStats(bob)).find((s) => s.kind === 'video' && s.participantId === aliceId)!.framesDecoded;
    await waitForStats(bob, (s) => s.some((x) => x.kind === 'video' && x.participantId === aliceId && x.framesDecoded > b0 + 10));
  });

  it('a newcomer loads the meeting page ahead, dials the origin and loads its device while the pre-join form shows, and the join uses both', async () => {
    const dave = await newPage(() => {
      // Every WebSocket and RTCPeerConnection the page makes, and when the join was clicked.
      const seen = { sockets: [] as { url: string; at: number }[], pcs: [] as number[], click: null as number | null };
      (window as unknown as { __seen: typeof seen }).__seen = seen;
      const NativeSocket = window.WebSocket;
      window.WebSocket = class extends NativeSocket {
        constructor(url: string | URL, protocols?: string | string[]) {
          super(url, protocols);
          seen.sockets.push({ url: String(url), at: performance.now() });
        }
      };
      const NativePc = window.RTCPeerConnection;
      window.RTCPeerConnection = class extends NativePc {
        constructor(config?: RTCConfiguration) {
          super(config);
          seen.pcs.push(performance.now());
        }
      };
      document.addEventListener(
        'click',
        (ev) => {
          if (seen.click === null && (ev.target as Element | null)?.closest?.('[data-testid="join-button"]')) seen.click = performance.now();
        },
        true,
      );
    });
    type Seen = { sockets: { url: string; at: number }[]; pcs: number[]; click: number };
    await dave.goto(`${stackUrl}/m/${meetingId}`);
    // The origin's signalling socket (`/ws`; the room's is `/api/meetings/…/ws`) and the device's codec probe, before any click.
    await dave.waitForFunction(
      () => {
        const seen = (window as unknown as { __seen: Seen }).__seen;
        return seen.sockets.some((s) => new URL(s.url).pathname === '/ws') && seen.pcs.length > 0;
      },
      null,
      { timeout: 20_000 },
    );
    await join(dave, 'Dave');
    await waitForStats(dave, decodesVideoFrom(aliceId));
    const seen = await dave.evaluate(() => (window as unknown as { __seen: Seen }).__seen);
    const originSockets = seen.sockets.filter((s) => new URL(s.url).pathname === '/ws');
    expect(originSockets).toHaveLength(1);
    expect(originSockets[0]!.at).toBeLessThan(seen.click);
    // After the click only the two transports: the device loaded before it served the session.
    expect(seen.pcs.filter((at) => at > seen.click)).toHaveLength(2);
    // The page's head asked for the meeting and for the meeting page's code before the app's own
    // code ran, and the app took that answer rather than asking again.
    const loads = await dave.evaluate(() => ({
      appStart: performance.getEntriesByName('sealroom:app-start')[0]!.startTime,
      resources: performance.getEntriesByType('resource').map((r) => ({ path: new URL(r.name).pathname, start: r.startTime })),
    }));
    const lookups = loads.resources.filter((r) => r.path === `/api/meetings/${meetingId}`);
    const pageCode = loads.resources.filter((r) => /^\/assets\/MeetingPage-[^/]+\.js$/.test(r.path));
    expect([lookups.length, pageCode.length]).toEqual([1, 1]);
    expect(lookups[0]!.start).toBeLessThan(loads.appStart);
    expect(pageCode[0]!.start).toBeLessThan(loads.appStart);
  });
});
