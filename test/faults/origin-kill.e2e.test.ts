/**
 * The media origin of a live call dies (SIGKILL, no goodbye): both browsers lose their media
 * sockets, ask the Room for a ticket, and the Room — which probes the dead origin instead of
 * waiting 20 s for its heartbeat to age out — sends them to the other origin. Media must be
 * back in both directions within 5 s, still sealed, and a participant the host muted (without
 * the right to unmute) must be held on the new origin too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagePool } from '../lib/browser.ts';
import { type Call, expectSealed, framesNow, twoPersonCall, videoBackAfter } from './lib/call.ts';
import { CALL_TEST_MS, FAULT_STACK_START_MS, faultStack } from './lib/stack.ts';
import { until } from '../web/lib/pages.ts';

/** The product's bar for media after an origin dies. */
const FAILOVER_BUDGET_MS = 5000;

const pages = pagePool();
const stack = faultStack({ origins: 2 });
beforeAll(() => stack.ready, FAULT_STACK_START_MS);
afterAll(async () => {
  await pages.closeAll();
  await stack.stop();
});

describe('the origin of a call is killed', () => {
  let call: Call;

  it(
    `media comes back on the other origin within ${FAILOVER_BUDGET_MS} ms, sealed, with the host's holds`,
    async () => {
      call = await twoPersonCall(pages, stack.url);
      const { alice, bob, aliceId, bobId, meetingId } = call;
      const serving = await stack.originServing(meetingId);
      expect(serving).not.toBeNull();
      const survivor = stack.origins.find((o) => o !== serving)!;

      // The host mutes everyone and takes the right to unmute: the origin holds Bob's microphone.
      await alice.getByTestId('participants-toggle').click();
      await alice.getByTestId('participants-panel').locator('section.host input[type="checkbox"]').first().uncheck();
      await alice.getByTestId('mute-all').click();
      await until(bob, 'Bob’s mic shows muted', async () => (await bob.getByTestId('mic-toggle').getAttribute('aria-pressed')) === 'true');
      await until(alice, 'the origin holds Bob’s microphone', async () => (await stack.state(serving!)).held[meetingId]?.[bobId]?.includes('audio') ?? false);

      const before = await framesNow(call);
      const killedAt = Date.now();
      serving!.kill('SIGKILL');
      const [aliceBack, bobBack] = await Promise.all([
        videoBackAfter(alice, bobId, killedAt, before.alice),
        videoBackAfter(bob, aliceId, killedAt, before.bob),
      ]);
      const backMs = Math.max(aliceBack, bobBack);
      console.log(`origin failover: media back in ${backMs} ms (Alice sees Bob after ${aliceBack} ms, Bob sees Alice after ${bobBack} ms)`);
      expect(await serving!.exited).toMatchObject({ signal: 'SIGKILL' });
      expect(await stack.originServing(meetingId)).toBe(survivor);
      expect(backMs).toBeLessThan(FAILOVER_BUDGET_MS);

      // Sealed as before: every frame the new origin forwards opens with a sender's key and no other.
      const { audio, video, problems } = await expectSealed(call, survivor.url, stack.secret);
      expect(problems).toEqual([]);
      expect(video.length).toBeGreaterThan(5);
      expect(audio.some((f) => f.who === aliceId)).toBe(true);
      // Bob is still muted, and by the new origin itself: it was told the hold, and forwards none of his audio.
      expect((await stack.state(survivor)).held[meetingId]?.[bobId]).toContain('audio');
      expect(audio.filter((f) => f.who === bobId)).toEqual([]);
      expect(await bob.getByTestId('mic-toggle').getAttribute('aria-pressed')).toBe('true');
    },
    CALL_TEST_MS,
  );
});
