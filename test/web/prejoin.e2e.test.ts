/**
 * The pre-join form for a returning user: what was chosen there (the name, microphone and camera
 * off) comes back on the next visit, and "next time, join straight away" joins the next meeting
 * link without the form. Only a page's first form does that: after leaving, the form shows again
 * and waits for the click; unticked, the next visit shows the form.
 */
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome } from '../lib/meeting.ts';
import { Pages, joinWithoutCamera } from './lib/pages.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

const joined = (page: Page) =>
  page.waitForFunction(() => Boolean((window as unknown as { __sealroom?: { selfId?: string } }).__sealroom?.selfId), null, { timeout: 30_000 });

describe('pre-join form for a returning user', () => {
  it('remembers the choices and joins the next link straight away when asked; a rejoin, or the box unticked, shows the form', async () => {
    const { page: host } = await pages.open('host');
    const meetingId = await createFromHome(host, stackUrl);
    await joinWithoutCamera(host, 'Host');
    const link = `${stackUrl}/m/${meetingId}`;

    const { page } = await pages.open('returning');
    await page.goto(link);
    await page.getByTestId('prejoin-camera-toggle').click();
    await page.getByTestId('prejoin-mic-toggle').click();
    await page.getByTestId('name-input').fill('Returning');
    expect(await page.getByTestId('skip-prejoin').isChecked()).toBe(false);
    await page.getByTestId('skip-prejoin').check();
    await page.getByTestId('join-button').click();
    await joined(page);
    await page.getByTestId('leave-button').click();
    await page.getByTestId('rejoin-button').waitFor();

    // The next visit: no form and no click, and the microphone and camera off as chosen.
    await page.goto(link);
    await joined(page);
    expect(await page.getByTestId('mic-toggle').getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('camera-toggle').getAttribute('aria-pressed')).toBe('true');

    // After leaving, the form is back with the same choices, and it waits for the click.
    await page.getByTestId('leave-button').click();
    await page.getByTestId('rejoin-button').click();
    const button = page.getByTestId('join-button');
    await button.waitFor();
    expect(await button.isEnabled()).toBe(true);
    expect(await page.getByTestId('name-input').inputValue()).toBe('Returning');
    expect(await page.getByTestId('skip-prejoin').isChecked()).toBe(true);

    // Unticked and joined once more: the next visit shows the form again.
    await page.getByTestId('skip-prejoin').uncheck();
    await button.click();
    await joined(page);
    await page.getByTestId('leave-button').click();
    await page.getByTestId('rejoin-button').waitFor();
    await page.goto(link);
    await page.getByTestId('join-button').waitFor();
    expect(await page.getByTestId('join-button').isEnabled()).toBe(true);
    expect(await page.getByTestId('prejoin-mic-toggle').getAttribute('aria-pressed')).toBe('true');
  });
});
