/**
 * Breakout rooms through the real stack: the host creates rooms and assigns two participants to
 * one; on opening, both move (own key group, own router) and decode each other there while the
 * host no longer has them as tiles; the host's broadcast opens in their room; a participant asks for help; the host recalls everyone with
 * a countdown and they are back in the main room, decoding the host again.
 */
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome, decodesVideoFrom, inboundStats, join, waitForStats } from '../lib/meeting.ts';
import { Pages, joinWithoutCamera, until } from './lib/pages.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

/** Frames decoded from `from` keep rising from now on (fresh consumers after a move start at 0). */
async function decodesFresh(page: Page, from: string) {
  const base = (await inboundStats(page)).find((s) => s.kind === 'video' && s.participantId === from)?.framesDecoded ?? 0;
  await waitForStats(page, (s) =>
    s.some((x) => x.kind === 'video' && x.participantId === from && x.framesDecoded > 0 && x.framesDecoded !== base && x.frameWidth > 0),
  );
}

describe('breakout rooms', () => {
  it('open: two participants meet in their room; recall: everyone is back', async () => {
    const host = (await pages.open('host', { viewport: { width: 1280, height: 800 } })).page;
    const meetingId = await createFromHome(host, stackUrl);
    // The host's camera stays off (two cameras are enough to see rooms form and dissolve).
    const hostId = await joinWithoutCamera(host, 'Host');
    const bob = (await pages.open('bob')).page;
    await bob.goto(`${stackUrl}/m/${meetingId}`);
    const bobId = await join(bob, 'Bob');
    const carol = (await pages.open('carol')).page;
    await carol.goto(`${stackUrl}/m/${meetingId}`);
    const carolId = await join(carol, 'Carol');
    await waitForStats(bob, decodesVideoFrom(carolId));

    await host.getByTestId('breakout-toggle').click();
    await host.getByTestId('breakout-count').fill('2');
    await host.getByTestId('breakout-create').click();
    await until(host, 'two rooms', async () => (await host.getByTestId('breakout-room').count()) === 2);
    await host.locator(`[data-testid="breakout-assign"][data-participant-id="${bobId}"]`).selectOption('b1');
    await host.locator(`[data-testid="breakout-assign"][data-participant-id="${carolId}"]`).selectOption('b1');
    await until(host, 'assigned', async () => (await host.locator('[data-room="b1"]').innerText()).includes('2'));
    await host.getByTestId('breakout-open').click();

    // Both are in room 1, in their own key group and router: they decode each other afresh.
    for (const p of [bob, carol]) await until(p, 'in room 1', async () => (await p.getByTestId('breakout-banner').getAttribute('data-room')) === 'b1');
    expect(await bob.getByTestId('breakout-banner').innerText()).toContain('Room 1');
    await decodesFresh(bob, carolId);
    await decodesFresh(carol, bobId);
    // The host's tiles no longer include them, and Bob's no longer include the host.
    await until(host, 'host alone in the main room', async () => (await host.locator('[data-testid="gallery"] [data-testid="tile"]').count()) === 0);
    expect(await bob.locator(`[data-testid="tile"][data-participant-id="${hostId}"]`).count()).toBe(0);

    // The host's message reaches both rooms' people and opens there, though each room has its
    // own keys (one wrap per recipient under the pairwise keys).
    await host.getByTestId('breakout-message').fill('Five minutes left');
    await host.getByTestId('breakout-broadcast').click();
    for (const p of [bob, carol]) {
      await p.getByTestId('breakout-broadcast-banner').waitFor();
      expect(await p.getByTestId('breakout-broadcast-banner').innerText()).toContain('Five minutes left');
    }

    // Bob asks for help: the host hears it.
    await bob.getByTestId('breakout-ask-help').click();
    await host.getByTestId('breakout-help-list').getByText('Bob').waitFor();

    // Recall with a countdown: shown to everyone, then all are back in the main room.
    await host.getByTestId('breakout-countdown').selectOption('3');
    await host.getByTestId('breakout-recall').click();
    await bob.getByTestId('breakout-countdown-banner').waitFor();
    for (const p of [bob, carol]) await until(p, 'back in the main room', async () => (await p.getByTestId('breakout-banner').count()) === 0, 20_000);
    await until(bob, 'Bob back with the host', async () => (await bob.locator(`[data-testid="tile"][data-participant-id="${hostId}"]`).count()) === 1);
    await decodesFresh(bob, carolId);
    await until(host, 'both tiles back', async () => (await host.locator('[data-testid="gallery"] [data-testid="tile"]').count()) === 2);
  });
});
