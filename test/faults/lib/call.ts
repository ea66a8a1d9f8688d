/**
 * A two-person call for the fault tests, and the measurements they take of it: when media
 * comes back after a fault, and whether what the origin forwards is still sealed.
 */
import { FrameOpener, clearPrefixLength, kidFor } from '@sealroom/crypto/frame-transform';
import { fromB64url } from '@sealroom/crypto/bytes';
import { decodeHeader } from '@sealroom/crypto/sframe';
import type { Page } from 'playwright-core';
import { reassembleVp8 } from '../../../media-origin/src/test-tap.ts';
import type { pagePool } from '../../lib/browser.ts';
import { createFromHome, decodesVideoFrom, hearsAudioFrom, inboundStats, join, sendKey, waitForStats } from '../../lib/meeting.ts';
import { tap } from '../../lib/tap.ts';

const CALL_SETUP_MS = 120_000;

export interface Call {
  meetingId: string;
  alice: Page;
  bob: Page;
  aliceId: string;
  bobId: string;
}

/** Alice (the host) and Bob in a call through the edge at `stackUrl`, each decoding the other's video. */
export async function twoPersonCall(pages: ReturnType<typeof pagePool>, stackUrl: string): Promise<Call> {
  const alice = await pages.newPage();
  const meetingId = await createFromHome(alice, stackUrl);
  const aliceId = await join(alice, 'Alice');
  const bob = await pages.newPage();
  await bob.goto(`${stackUrl}/m/${meetingId}`);
  const bobId = await join(bob, 'Bob');
  // Set-up is not what these tests measure, and on a loaded machine it takes its time.
  await waitForStats(bob, (s) => decodesVideoFrom(aliceId)(s) && hearsAudioFrom(aliceId)(s), CALL_SETUP_MS);
  await waitForStats(alice, decodesVideoFrom(bobId), CALL_SETUP_MS);
  return { meetingId, alice, bob, aliceId, bobId };
}

const videoFrames = async (page: Page, from: string): Promise<number | null> =>
  (await inboundStats(page)).find((s) => s.kind === 'video' && s.participantId === from && s.frameWidth > 0)?.framesDecoded ?? null;

/**
 * Milliseconds from `since` until `page` decodes video from `from` on a new consumer: the old
 * one must have gone first (no stat, or a count below the one before the fault), then a new
 * one decodes frames. Polls every 50 ms; a timeout is a failure, not a figure.
 */
export async function videoBackAfter(page: Page, from: string, since: number, before: number, timeoutMs = 30_000): Promise<number> {
  const deadline = since + timeoutMs;
  let lost = false;
  while (Date.now() < deadline) {
    const n = await videoFrames(page, from);
    if (n === null || n < before) lost = true;
    if (lost && n !== null && n > 0) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`video from ${from} not back within ${timeoutMs} ms`);
}

/** The frames each page has decoded from the other so far (the baseline before a fault). */
export async function framesNow(call: Call): Promise<{ alice: number; bob: number }> {
  return { alice: (await videoFrames(call.alice, call.bobId)) ?? 0, bob: (await videoFrames(call.bob, call.aliceId)) ?? 0 };
}

/**
 * Taps what `originUrl` forwards for the meeting for `ms` and checks every frame is SFrame-
 * sealed with a key one of the pages holds, and opens with no other. Returns the packets.
 */
export async function expectSealed(call: Call, originUrl: string, secret: string, ms = 3000) {
  const keysBefore = await Promise.all([sendKey(call.alice), sendKey(call.bob)]);
  const packets = await tap(originUrl, secret, call.meetingId, ms);
  const keysAfter = await Promise.all([sendKey(call.alice), sendKey(call.bob)]);
  const keys = [...keysBefore, ...keysAfter].filter((k) => k !== null);
  const opener = new FrameOpener();
  const stranger = new FrameOpener();
  for (const k of keys) {
    opener.setKey(k.senderIndex, k.epoch, fromB64url(k.key));
    stranger.setKey(k.senderIndex, k.epoch, new Uint8Array(32).fill(7));
  }
  const kids = new Set(keys.map((k) => kidFor(k.senderIndex, k.epoch)));
  const audio = packets.filter((p) => p.kind === 'audio').map((p) => ({ who: p.participantId, data: fromB64url(p.payload) }));
  const video = reassembleVp8(packets).map((f) => ({ who: f.participantId, data: f.data }));
  const problems: string[] = [];
  for (const [codec, frames] of [
    ['opus', audio],
    ['vp8', video],
  ] as const) {
    for (const f of frames) {
      const header = decodeHeader(f.data.subarray(clearPrefixLength(codec, f.data)));
      if (!kids.has(header.kid)) problems.push(`${codec} frame of ${f.who} with unknown kid ${header.kid}`);
      else if (opener.open(codec, f.data) === null) problems.push(`${codec} frame of ${f.who} does not open`);
      else if (stranger.open(codec, f.data) !== null) problems.push(`${codec} frame of ${f.who} opens with a wrong key`);
    }
  }
  return { packets, audio, video, problems };
}
