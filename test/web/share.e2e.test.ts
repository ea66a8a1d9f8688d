/**
 * Screen share and annotation through the real stack. Chromium's fake capture answers
 * getDisplayMedia headless (the shared flags --use-fake-ui-for-media-stream and
 * --use-fake-device-for-media-stream pick the "screen" without a picker), so no test hook stands
 * in for the screen. The share is its own sealed single-layer producer; strokes travel as sealed
 * `annotate` envelopes; the host's "clear all" clears them for everyone. Choosing another window
 * pauses the share while the picker is open (held open here by wrapping getDisplayMedia).
 */
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome, inboundStats } from '../lib/meeting.ts';
import { Pages, framesOfType, joinWithoutCamera, until, type TestPage } from './lib/pages.ts';
import { answerPicker, holdablePicker, holdPicker, pickerOpen } from './lib/picker.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

type Stat = { kind: string; source?: string; participantId: string; framesDecoded: number; frameWidth: number };

async function screenStat(page: Page, from: string): Promise<Stat | undefined> {
  return ((await inboundStats(page)) as Stat[]).find((s) => s.source === 'screen' && s.participantId === from);
}

/** The page's current participant id (kept across a reconnect within the resume window; a new one after it). */
const idOf = (p: Page) => p.evaluate(() => (window as unknown as { __sealroom: { selfId: string } }).__sealroom.selfId);

const strokesOn = async (p: Page, owner: string) =>
  Number(await p.locator(`[data-testid="screen-stage"][data-owner="${owner}"] [data-testid="annotation-layer"]`).getAttribute('data-strokes'));

/** Draws a stroke across the middle of `owner`'s shared screen. */
async function drawOn(p: Page, owner: string) {
  const layer = p.locator(`[data-testid="screen-stage"][data-owner="${owner}"] [data-testid="annotation-layer"]`);
  const box = (await layer.boundingBox())!;
  await p.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
  await p.mouse.down();
  for (let i = 1; i <= 8; i++) await p.mouse.move(box.x + box.width * (0.3 + i * 0.04), box.y + box.height * (0.4 + i * 0.02));
  await p.mouse.up();
}

/** Our own shared track as the sharer's stage plays it: its id and whether it is enabled. */
const ownScreenTrack = (p: Page, owner: string) =>
  p.locator(`[data-testid="screen-stage"][data-owner="${owner}"] video`).evaluate((v) => {
    const t = (v as HTMLVideoElement).srcObject instanceof MediaStream ? ((v as HTMLVideoElement).srcObject as MediaStream).getVideoTracks()[0] : undefined;
    return { id: t?.id ?? '', enabled: t?.enabled ?? false };
  });

/** Whether frames of `from`'s screen stopped reaching `p`: two readings a second apart agree. */
async function screenStalled(p: Page, from: string): Promise<boolean> {
  const before = (await screenStat(p, from))?.framesDecoded ?? 0;
  await p.waitForTimeout(1200);
  return ((await screenStat(p, from))?.framesDecoded ?? 0) === before;
}

async function screenFlows(p: Page, from: string, what: string) {
  const before = (await screenStat(p, from))?.framesDecoded ?? 0;
  await until(p, what, async () => ((await screenStat(p, from))?.framesDecoded ?? 0) > before + 3, 30_000);
}

describe('screen share with annotation', () => {
  it('the share decodes on the other side; strokes reach everyone; clear all clears them for everyone', async () => {
    const alice: TestPage = await pages.open('alice', { viewport: { width: 1280, height: 800 } });
    const meetingId = await createFromHome(alice.page, stackUrl);
    await joinWithoutCamera(alice.page, 'Alice');
    const bob: TestPage = await pages.open('bob', { viewport: { width: 1280, height: 800 } });
    await bob.page.goto(`${stackUrl}/m/${meetingId}`);
    const bobId = await joinWithoutCamera(bob.page, 'Bob');

    // Bob shares: the room hears `share {on}` before anything is produced.
    await bob.page.getByTestId('share-toggle').click();
    await until(bob.page, 'Bob is sharing', async () => (await bob.page.getByTestId('share-toggle').getAttribute('aria-pressed')) === 'true');
    const shareFrame = bob.frames.sent.findIndex((f) => f.includes('"type":"share"'));
    expect(JSON.parse(bob.frames.sent[shareFrame]!)).toEqual({ type: 'share', on: true });

    // Alice decodes Bob's screen: its own consumer, at the capture's full width (one high layer).
    await until(alice.page, 'Alice decodes Bob’s screen', async () => ((await screenStat(alice.page, bobId))?.framesDecoded ?? 0) > 5, 30_000);
    const stat = (await screenStat(alice.page, bobId))!;
    expect(stat.frameWidth).toBeGreaterThanOrEqual(1280);
    await alice.page.locator(`[data-testid="screen-stage"][data-owner="${bobId}"]`).waitFor();

    // Alice draws on Bob's screen; Bob sees it on his own.
    await alice.page.locator(`[data-testid="screen-stage"][data-owner="${bobId}"] [data-testid="annotate-toggle"]`).click();
    await drawOn(alice.page, bobId);
    await until(alice.page, 'Alice’s stroke shows for her', async () => (await strokesOn(alice.page, bobId)) === 1);
    await until(bob.page, 'Bob sees Alice’s stroke', async () => (await strokesOn(bob.page, bobId)) === 1);
    // Bob (the sharer) draws an arrow too.
    await bob.page.locator(`[data-testid="screen-stage"][data-owner="${bobId}"] [data-testid="annotate-toggle"]`).click();
    await bob.page.getByTestId('tool-arrow').click();
    await drawOn(bob.page, bobId);
    await until(alice.page, 'Alice sees Bob’s arrow', async () => (await strokesOn(alice.page, bobId)) === 2);

    // What the room relayed is sealed: no stroke JSON in any annotate frame.
    const relayed = framesOfType(bob.frames.received, 'annotate');
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!['from']).toBe(await idOf(alice.page));
    for (const f of [...alice.frames.sent, ...bob.frames.received]) expect(f).not.toMatch(/"points"|"tool"|highlighter|#e53935/);

    // The host clears all: gone for everyone.
    await alice.page.locator(`[data-testid="screen-stage"][data-owner="${bobId}"] [data-testid="annotate-clear-all"]`).click();
    await until(bob.page, 'Bob’s screen is clear', async () => (await strokesOn(bob.page, bobId)) === 0);
    await until(alice.page, 'Alice’s view is clear', async () => (await strokesOn(alice.page, bobId)) === 0);

    // Several sharers once the host allows it.
    await alice.page.getByTestId('participants-toggle').click();
    await alice.page.getByTestId('multi-share-toggle').check();
    await until(alice.page, 'multi-share on', async () => (await alice.page.getByTestId('multi-share-toggle').isChecked()) === true);
    await alice.page.getByTestId('share-toggle').click();
    await until(bob.page, 'Bob decodes Alice’s screen', async () => ((await screenStat(bob.page, await idOf(alice.page)))?.framesDecoded ?? 0) > 5, 30_000);
    expect(await bob.page.getByTestId('screen-stage').count()).toBe(2);
    expect((await screenStat(alice.page, bobId))!.framesDecoded).toBeGreaterThan(stat.framesDecoded);

    // Bob stops: his stage goes on both sides.
    await bob.page.getByTestId('share-toggle').click();
    await until(alice.page, 'Bob’s stage gone', async () => (await alice.page.locator(`[data-testid="screen-stage"][data-owner="${bobId}"]`).count()) === 0);
  });
  it('choosing another window pauses the share for everyone; cancelling resumes it, a new choice replaces it', async () => {
    const alice: TestPage = await pages.open('alice-pause', { viewport: { width: 1280, height: 800 } });
    const meetingId = await createFromHome(alice.page, stackUrl);
    await joinWithoutCamera(alice.page, 'Alice');
    const bob: TestPage = await pages.open('bob-pause', { viewport: { width: 1280, height: 800 }, init: holdablePicker });
    await bob.page.goto(`${stackUrl}/m/${meetingId}`);
    const bobId = await joinWithoutCamera(bob.page, 'Bob');
    await bob.page.getByTestId('share-toggle').click();
    await until(alice.page, 'Alice decodes Bob’s screen', async () => ((await screenStat(alice.page, bobId))?.framesDecoded ?? 0) > 5, 30_000);
    const first = await ownScreenTrack(bob.page, bobId);
    expect(first.enabled).toBe(true);
    const aliceStage = alice.page.locator(`[data-testid="screen-stage"][data-owner="${bobId}"]`);
    const bobStage = bob.page.locator(`[data-testid="screen-stage"][data-owner="${bobId}"]`);
    expect(await aliceStage.getAttribute('data-paused')).toBe('false');

    // Bob starts choosing another window: paused on his side, on Alice's, and in the media.
    await holdPicker(bob.page);
    await bobStage.getByTestId('share-switch').click();
    await until(bob.page, 'the picker is open', () => pickerOpen(bob.page));
    await until(bob.page, 'Bob is told his share is paused', async () => (await bob.page.getByTestId('share-paused-notice').innerText()).includes('paused'));
    expect((await ownScreenTrack(bob.page, bobId)).enabled).toBe(false);
    await until(alice.page, 'Alice sees Bob’s share paused', async () => (await aliceStage.getAttribute('data-paused')) === 'true');
    expect(await alice.page.getByTestId('screen-paused').innerText()).toContain('Bob paused sharing');
    await until(alice.page, 'Bob’s screen frames stop reaching Alice', () => screenStalled(alice.page, bobId), 15_000);
    // Only the sealed envelope went through the room: the pause is not readable there.
    expect(framesOfType(bob.frames.sent, 'annotate').length).toBeGreaterThanOrEqual(1);
    for (const f of bob.frames.sent) expect(f).not.toMatch(/"paused"/);
    expect(await bob.page.getByTestId('share-toggle').getAttribute('aria-pressed')).toBe('true');

    // Cancelling the picker resumes the same track.
    await answerPicker(bob.page, 'cancel');
    await until(alice.page, 'Alice sees the pause end', async () => (await aliceStage.getAttribute('data-paused')) === 'false');
    await until(bob.page, 'Bob’s notice goes', async () => (await bobStage.getAttribute('data-paused')) === 'false');
    expect(await ownScreenTrack(bob.page, bobId)).toEqual({ id: first.id, enabled: true });
    await screenFlows(alice.page, bobId, 'Bob’s screen flows again after the cancel');

    // Choosing a window replaces the track in the same share.
    await bobStage.getByTestId('share-switch').click();
    await until(alice.page, 'paused again', async () => (await aliceStage.getAttribute('data-paused')) === 'true');
    // The pause goes out as the picker starts opening; answer only once it is open.
    await until(bob.page, 'the picker is open again', () => pickerOpen(bob.page));
    await answerPicker(bob.page, 'choose');
    await until(alice.page, 'Alice sees the share resume', async () => (await aliceStage.getAttribute('data-paused')) === 'false');
    await until(bob.page, 'Bob shares the new window', async () => (await ownScreenTrack(bob.page, bobId)).id !== first.id);
    expect((await ownScreenTrack(bob.page, bobId)).enabled).toBe(true);
    await screenFlows(alice.page, bobId, 'the new window reaches Alice');
    expect(await alice.page.getByTestId('screen-stage').count()).toBe(1);
  });
});
