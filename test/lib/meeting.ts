/** Page-level steps of a meeting, through the UI's accessible controls and test hooks. */
import type { Page } from 'playwright-core';

export interface InboundStat {
  kind: 'audio' | 'video';
  participantId: string;
  framesDecoded: number;
  frameWidth: number;
  totalSamplesReceived: number;
  packetsReceived?: number;
}

/** Creates a meeting from the home page as its host; returns the meeting id. */
export async function createFromHome(page: Page, stackUrl: string): Promise<string> {
  await page.goto(stackUrl);
  await page.getByTestId('create-meeting').click();
  await page.waitForURL(/\/m\/[0-9]{9,11}/);
  const id = /\/m\/([0-9]{9,11})/.exec(page.url())?.[1];
  if (!id) throw new Error(`no meeting id in ${page.url()}`);
  return id;
}

export async function join(page: Page, name: string): Promise<string> {
  await page.getByTestId('name-input').fill(name);
  await page.getByTestId('join-button').click();
  await page.waitForFunction(() => Boolean((window as unknown as { __sealroom?: { selfId?: string } }).__sealroom?.selfId), null, { timeout: 20_000 });
  return page.evaluate(() => (window as unknown as { __sealroom: { selfId: string } }).__sealroom.selfId);
}

export function inboundStats(page: Page): Promise<InboundStat[]> {
  return page.evaluate(() => (window as unknown as { __sealroom: { inboundStats(): Promise<InboundStat[]> } }).__sealroom.inboundStats());
}

/**
 * Polls until `ok` holds for the page's inbound stats; returns them and the time it took.
 * A timeout here is the failure, not a timing assertion: media that never arrives never arrives.
 */
export async function waitForStats(page: Page, ok: (s: InboundStat[]) => boolean, timeoutMs = 30_000): Promise<InboundStat[]> {
  const deadline = Date.now() + timeoutMs;
  let last: InboundStat[] = [];
  while (Date.now() < deadline) {
    last = await inboundStats(page);
    if (ok(last)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(`media condition not met within ${timeoutMs} ms; last stats: ${JSON.stringify(last)}`);
}

export const decodesVideoFrom = (id: string) => (s: InboundStat[]) =>
  s.some((x) => x.kind === 'video' && x.participantId === id && x.framesDecoded > 0 && x.frameWidth > 0);

export const hearsAudioFrom =
  (id: string, min = 1) =>
  (s: InboundStat[]) =>
    s.some((x) => x.kind === 'audio' && x.participantId === id && x.totalSamplesReceived >= min);

export function sendKey(page: Page): Promise<{ senderIndex: number; epoch: number; key: string } | null> {
  return page.evaluate(() =>
    (
      window as unknown as { __sealroom: { e2ee: { debugSendKey(): { senderIndex: number; epoch: number; key: string } | null } } }
    ).__sealroom.e2ee.debugSendKey(),
  );
}

export function transformStats(page: Page): Promise<{ sealed: number; opened: number; dropped: number }> {
  return page.evaluate(() =>
    (window as unknown as { __sealroom: { e2ee: { stats(): Promise<{ sealed: number; opened: number; dropped: number }> } } }).__sealroom.e2ee.stats(),
  );
}
