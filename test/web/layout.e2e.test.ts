/**
 * Gallery pages and speaker view through the real stack: tiles off the current page have their
 * camera consumers paused at the origin (and resumed when their page shows); the speaker view
 * features the spotlight or the active speaker, with per-tile mute and quality indicators.
 */
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome, decodesVideoFrom, inboundStats, join, waitForStats } from '../lib/meeting.ts';
import { Pages, joinWithoutCamera, until } from './lib/pages.ts';
import { RoomMember } from './lib/room-member.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
const members: RoomMember[] = [];
afterAll(async () => {
  for (const m of members) m.close();
  await pages.close();
});

const paused = (p: Page, id: string) =>
  p.evaluate((x) => (window as unknown as { __sealroom: { cameraPaused(id: string): boolean | null } }).__sealroom.cameraPaused(x), id);
const idOf = (p: Page) => p.evaluate(() => (window as unknown as { __sealroom: { selfId: string } }).__sealroom.selfId);
const tileIds = (p: Page) =>
  p.locator('[data-testid="gallery"] [data-participant-id]').evaluateAll((els) => els.map((e) => e.getAttribute('data-participant-id')));

describe('gallery pages and speaker view', () => {
  it('pauses cameras off the page, resumes them on their page, and features the speaker', async () => {
    const host = (await pages.open('host', { viewport: { width: 1280, height: 800 } })).page;
    const meetingId = await createFromHome(host, stackUrl);
    await joinWithoutCamera(host, 'Host');
    // Three room-only members (no browser) fill page 1; P4, a browser with a camera, lands on page 2.
    for (const name of ['M1', 'M2', 'M3']) members.push(await RoomMember.join(stackUrl, meetingId, name));
    const p4page = (await pages.open('P4')).page;
    await p4page.goto(`${stackUrl}/m/${meetingId}`);
    const p4 = await join(p4page, 'P4');
    await waitForStats(host, decodesVideoFrom(p4));

    // Four per page: the host and M1–M3 on page 1; P4 alone on page 2, its camera paused meanwhile.
    await host.getByTestId('page-size').selectOption('4');
    await until(host, 'two pages', async () => (await host.getByTestId('page-label').count()) === 1);
    expect(await tileIds(host)).toEqual([await idOf(host), ...members.map((m) => m.id)]);
    expect(await host.getByTestId('page-label').innerText()).toBe('Page 1 of 2');
    await until(host, 'P4 paused off page', async () => (await paused(host, p4)) === true);
    // A paused consumer that has not received a packet yet (e.g. re-created by a media reconnect
    // under load) has no inbound-rtp report: it has decoded nothing, which is what counts here.
    const atPause = (await inboundStats(host)).find((s) => s.kind === 'video' && s.participantId === p4)?.framesDecoded ?? 0;

    await host.getByTestId('page-next').click();
    expect(await tileIds(host)).toEqual([p4]);
    await until(host, 'P4 resumed', async () => (await paused(host, p4)) === false);
    await waitForStats(host, (s) => s.some((x) => x.kind === 'video' && x.participantId === p4 && x.framesDecoded > atPause + 5));

    // 9 per page: one page again, nobody paused.
    await host.getByTestId('page-size').selectOption('9');
    expect(await host.getByTestId('pager').count()).toBe(0);
    expect(await tileIds(host)).toHaveLength(5);

    // Speaker view: the spotlight is featured; the others sit in the strip; per-tile indicators show.
    await host.getByTestId('layout-speaker').click();
    await host.getByTestId('participants-toggle').click();
    await host.getByRole('button', { name: 'More actions for P4' }).click();
    await host.getByRole('button', { name: 'Spotlight P4' }).click();
    await until(host, 'P4 featured', async () => (await host.getByTestId('speaker-view').getAttribute('data-speaker')) === p4);
    expect(await paused(host, p4)).toBe(false);
    // M1–M3 never unmuted: their tiles show the muted icon; P4's shows the measured connection quality.
    expect(await host.locator('[data-testid="speaker-view"] [data-testid="tile"]').count()).toBe(4);
    await until(host, 'quality shown', async () => (await host.getByTestId('tile-quality').count()) >= 1);
    expect(await host.getByTestId('tile-quality').first().getAttribute('aria-label')).toMatch(/^Connection (good|fair|poor)$/);
    expect(await host.locator(`[data-testid="tile"][data-participant-id="${members[0]!.id}"]`).getByText('Microphone muted').count()).toBe(1);
  });
});
