/**
 * Every main screen in both languages, through the real stack: home, pre-join, the meeting with
 * two participants, the participants panel, chat, and the ended screen. In zh-CN no English may
 * be left (ASCII words in text, labels, hints and titles, except names). Each screen is saved to
 * docs/screenshots/<screen>-<lang>.png (1280×800), so the pictures stay current with the UI.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { decodesVideoFrom, join, waitForStats } from '../lib/meeting.ts';
import { Pages, until } from './lib/pages.ts';
import { asciiWords } from './lib/scan.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

const OUT = path.resolve(import.meta.dirname, '../../docs/screenshots');
const VIEWPORT = { width: 1280, height: 800 };
/**
 * Names and the product name are not English to translate; nor are the unit symbols (MB, kB)
 * that Intl itself writes in Chinese for file sizes.
 */
const UNIT_SYMBOLS = ['kilobyte', 'megabyte', 'gigabyte'].flatMap(
  (unit) => new Intl.NumberFormat('zh-CN', { style: 'unit', unit, unitDisplay: 'short' }).format(1).match(/[A-Za-z]{2,}/g) ?? [],
);
const ALLOWED = ['Alice', 'Bob', 'Sealroom', 'English', ...UNIT_SYMBOLS];

type Lang = 'en' | 'zh-CN';
const shots: string[] = [];

async function shoot(page: Page, screen: string, lang: Lang) {
  // Let fonts, the decoded video and any transition settle before the picture.
  await page.evaluate(() => document.fonts.ready);
  await page.mouse.move(0, 0);
  const file = path.join(OUT, `${screen}-${lang}.png`);
  await page.screenshot({ path: file });
  shots.push(path.basename(file));
}

async function setLang(page: Page, lang: Lang) {
  await page.getByTestId('language-select').selectOption(lang);
  await until(page, `page in ${lang}`, async () => (await page.evaluate(() => document.documentElement.lang)) === lang);
}

async function noEnglish(page: Page, screen: string) {
  expect(await asciiWords(page, ALLOWED), `English left on ${screen}`).toEqual([]);
}

describe('main screens in English and Chinese', () => {
  it('every screen is complete in zh-CN, and both languages are captured', async () => {
    mkdirSync(OUT, { recursive: true });
    const init = () => {
      if (!localStorage.getItem('sealroom:lang')) localStorage.setItem('sealroom:lang', 'en');
    };
    const alice = (await pages.open('alice', { viewport: VIEWPORT, init })).page;
    const bob = (await pages.open('bob', { init })).page;

    await alice.goto(stackUrl);
    await alice.getByTestId('create-meeting').waitFor();
    await shoot(alice, 'home', 'en');
    await alice.getByTestId('create-meeting').click();
    await alice.waitForURL(/\/m\/[0-9]{9,11}/);
    const meetingId = /\/m\/([0-9]{9,11})/.exec(alice.url())![1]!;
    await alice.getByTestId('name-input').fill('Alice');
    await until(alice, 'camera preview', async () => (await alice.locator('.prejoin video').count()) === 1);
    await shoot(alice, 'prejoin', 'en');
    await join(alice, 'Alice');
    await bob.goto(`${stackUrl}/m/${meetingId}`);
    const bobId = await join(bob, 'Bob');
    await waitForStats(alice, decodesVideoFrom(bobId));
    await shoot(alice, 'meeting', 'en');

    await alice.getByTestId('participants-toggle').click();
    await alice.getByTestId('participants-panel').waitFor();
    await shoot(alice, 'participants', 'en');

    await bob.getByTestId('chat-toggle').click();
    await bob.getByTestId('chat-input').fill('你好 👋');
    await bob.getByTestId('chat-send').click();
    await alice.getByTestId('chat-toggle').click();
    await alice.getByTestId('chat-line').first().waitFor();
    await alice.getByTestId('chat-input').fill('😀👍');
    await alice.getByTestId('chat-send').click();
    await alice.getByTestId('chat-line').nth(1).waitFor();
    await shoot(alice, 'chat', 'en');

    // Switch in the meeting: every visible string follows.
    await setLang(alice, 'zh-CN');
    await noEnglish(alice, 'chat');
    await shoot(alice, 'chat', 'zh-CN');
    await alice.getByTestId('participants-toggle').click();
    await alice.getByTestId('participants-panel').waitFor();
    await noEnglish(alice, 'participants');
    await shoot(alice, 'participants', 'zh-CN');
    await alice.getByTestId('participants-toggle').click();
    await noEnglish(alice, 'meeting');
    await shoot(alice, 'meeting', 'zh-CN');

    await alice.getByTestId('leave-button').click();
    await alice.getByTestId('rejoin-button').waitFor();
    await noEnglish(alice, 'ended');
    await shoot(alice, 'ended', 'zh-CN');
    await setLang(alice, 'en');
    await shoot(alice, 'ended', 'en');

    await setLang(alice, 'zh-CN');
    await alice.goto(stackUrl);
    await alice.getByTestId('create-meeting').waitFor();
    await noEnglish(alice, 'home');
    await shoot(alice, 'home', 'zh-CN');
    await alice.goto(`${stackUrl}/m/${meetingId}`);
    await alice.getByTestId('name-input').fill('Alice');
    await until(alice, 'camera preview', async () => (await alice.locator('.prejoin video').count()) === 1);
    await noEnglish(alice, 'prejoin');
    await shoot(alice, 'prejoin', 'zh-CN');

    expect(shots.toSorted()).toEqual(
      ['home', 'prejoin', 'meeting', 'participants', 'chat', 'ended'].flatMap((s) => [`${s}-en.png`, `${s}-zh-CN.png`]).toSorted(),
    );
  });
});
