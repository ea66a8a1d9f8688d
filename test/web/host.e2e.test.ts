/**
 * Host controls through the real stack, seen from the other side: mute all (in the UI and in the
 * media: the muted participant's audio stops reaching others), the waiting room, and the lock
 * (a newcomer sees the "meeting locked" screen with the reason).
 */
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome, hearsAudioFrom, inboundStats, waitForStats } from '../lib/meeting.ts';
import { Pages, joinWithoutCamera, until } from './lib/pages.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

async function audioPackets(page: Page, from: string): Promise<number> {
  const s = (await inboundStats(page)).find((x) => x.kind === 'audio' && x.participantId === from);
  return s?.packetsReceived ?? -1;
}

describe('host controls as others see them', () => {
  let meetingId = '';
  let alice: Page;
  let bob: Page;
  let bobId = '';

  it('mute all: the participant is muted in every UI and their audio stops arriving', async () => {
    alice = (await pages.open('alice')).page;
    meetingId = await createFromHome(alice, stackUrl);
    // Audio is what this test follows: cameras stay off to keep three browsers light.
    await joinWithoutCamera(alice, 'Alice');
    bob = (await pages.open('bob')).page;
    await bob.goto(`${stackUrl}/m/${meetingId}`);
    bobId = await joinWithoutCamera(bob, 'Bob');
    await waitForStats(alice, hearsAudioFrom(bobId, 4800));
    const p0 = await audioPackets(alice, bobId);
    await until(alice, 'Bob’s audio packets keep arriving', async () => (await audioPackets(alice, bobId)) > p0 + 10);

    await alice.getByTestId('participants-toggle').click();
    await alice.getByTestId('mute-all').click();

    // Bob's own controls: muted, and told why (live region).
    await until(bob, 'Bob’s mic shows muted', async () => (await bob.getByTestId('mic-toggle').getAttribute('aria-pressed')) === 'true');
    await until(bob, 'Bob hears why', async () => (await bob.getByTestId('announcer').innerText()).includes('host'));
    // The host's roster shows Bob muted.
    await until(alice, 'Alice sees Bob muted', async () => (await alice.locator(`li[data-participant-id="${bobId}"]`).getAttribute('data-audio')) === 'false');
    // Media: Bob's audio packets stop arriving at Alice (two readings a second apart agree).
    let last = await audioPackets(alice, bobId);
    await until(
      alice,
      'Bob’s audio stops arriving',
      async () => {
        await alice.waitForTimeout(1000);
        const now = await audioPackets(alice, bobId);
        const stopped = now === last;
        last = now;
        return stopped;
      },
      15_000,
    );
  });

  it('waiting room: a newcomer waits until the host admits them', async () => {
    await alice.getByTestId('waiting-room-toggle').check();
    const carol = (await pages.open('carol')).page;
    await carol.goto(`${stackUrl}/m/${meetingId}`);
    await carol.getByTestId('prejoin-camera-toggle').click();
    await carol.getByTestId('name-input').fill('Carol');
    await carol.getByTestId('join-button').click();
    await carol.getByTestId('waiting-screen').waitFor();
    await alice.getByTestId('waiting-list').getByText('Carol').waitFor();
    await alice.getByTestId('admit').click();
    await carol.waitForFunction(() => Boolean((window as unknown as { __sealroom?: { selfId?: string } }).__sealroom?.selfId));
    await until(bob, 'Bob sees Carol', async () => (await bob.getByText('Carol').count()) > 0);
    expect(await alice.getByTestId('waiting-list').count()).toBe(0);
  });

  it('lock: a third browser sees the “meeting locked” screen with the reason', async () => {
    await alice.getByTestId('lock-toggle').click();
    await until(alice, 'lock applied', async () => (await alice.getByTestId('lock-toggle').getAttribute('aria-pressed')) === 'true');
    const dave = (await pages.open('dave')).page;
    await dave.goto(`${stackUrl}/m/${meetingId}`);
    await dave.getByTestId('name-input').fill('Dave');
    await dave.getByTestId('join-button').click();
    const screen = dave.getByTestId('refused-screen');
    await screen.waitFor();
    expect(await screen.getAttribute('data-reason')).toBe('meeting_locked');
    expect(await dave.getByRole('heading', { level: 1 }).innerText()).toBe('This meeting is locked');
    expect(await dave.getByTestId('refused-reason').innerText()).toContain('The host has locked this meeting');
  });
});
