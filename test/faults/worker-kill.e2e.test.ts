/**
 * The mediasoup worker carrying a live call dies (SIGKILL) inside an origin that lives on:
 * the origin tells its peers to reconnect, replaces the worker and rebuilds the meeting's
 * router; both browsers reconnect to the same origin and decode each other's video again,
 * sealed, within the bound below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pagePool } from '../lib/browser.ts';
import { expectSealed, framesNow, twoPersonCall, videoBackAfter } from './lib/call.ts';
import { CALL_TEST_MS, FAULT_STACK_START_MS, faultStack } from './lib/stack.ts';

/** One worker per origin: the dead one must be respawned (1 s pause) before the router comes back. */
const WORKER_RECOVERY_BUDGET_MS = 8000;

const pages = pagePool();
const stack = faultStack({ origins: 1, workersPerOrigin: 1 });
beforeAll(() => stack.ready, FAULT_STACK_START_MS);
afterAll(async () => {
  await pages.closeAll();
  await stack.stop();
});

describe('the mediasoup worker of a call is killed', () => {
  it(
    `media comes back on the same origin within ${WORKER_RECOVERY_BUDGET_MS} ms, sealed`,
    async () => {
      const call = await twoPersonCall(pages, stack.url);
      const origin = stack.origins[0]!;
      expect(await stack.originServing(call.meetingId)).toBe(origin);
      const [worker] = await stack.workerPids(origin);
      expect(worker).toBeGreaterThan(0);

      const before = await framesNow(call);
      const killedAt = Date.now();
      process.kill(worker!, 'SIGKILL');
      const [aliceBack, bobBack] = await Promise.all([
        videoBackAfter(call.alice, call.bobId, killedAt, before.alice),
        videoBackAfter(call.bob, call.aliceId, killedAt, before.bob),
      ]);
      const backMs = Math.max(aliceBack, bobBack);
      console.log(`worker failover: media back in ${backMs} ms (Alice sees Bob after ${aliceBack} ms, Bob sees Alice after ${bobBack} ms)`);
      expect(backMs).toBeLessThan(WORKER_RECOVERY_BUDGET_MS);

      // A new worker carries the meeting on the same origin, and what it forwards is still sealed.
      const state = await stack.state(origin);
      expect(state.workerPids).not.toContain(worker);
      expect(state.meetings).toContain(call.meetingId);
      const { video, audio, problems } = await expectSealed(call, origin.url, stack.secret);
      expect(problems).toEqual([]);
      expect(video.length).toBeGreaterThan(5);
      expect(new Set(audio.map((f) => f.who))).toEqual(new Set([call.aliceId, call.bobId]));
    },
    CALL_TEST_MS,
  );
});
