/**
 * Accessibility through the real stack, in Debian Chromium: what others do (a hand, a reaction, a
 * shared screen) is said in a live region, and axe-core audits every main screen in
 * English and in Chinese, light and dark (home, schedule, pre-join, waiting room, the meeting with a shared
 * screen (and paused while its sharer picks another window) and each panel open, the removed / locked / ended screens, sign-in, the admin console
 * and the recordings page) and any serious or critical violation fails, colour contrast
 * included. Then the keyboard: from the meeting room, Tab reaches every call control, each with
 * an accessible name and a visible focus ring; Enter opens a panel or the reaction picker and
 * Escape closes it, giving focus back to its button; a mute is announced in the live region.
 */
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createFromHome } from '../lib/meeting.ts';
import { Pages, joinWithoutCamera, signUpInPage, until } from './lib/pages.ts';
import { answerPicker, holdablePicker, holdPicker } from './lib/picker.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const LANGS = ['en', 'zh-CN'] as const;
const VIEWPORT = { width: 1280, height: 800 };

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary: string }[];
}

/** A fresh profile starts in English whatever the machine's locale is. */
const english = () => {
  if (!localStorage.getItem('sealroom:lang')) localStorage.setItem('sealroom:lang', 'en');
};

async function setLang(page: Page, lang: string) {
  await page.getByTestId('language-select').selectOption(lang);
  await until(page, `page in ${lang}`, async () => (await page.evaluate(() => document.documentElement.lang)) === lang);
}

/** Serious and critical axe violations on the page as it is now, one line per offending node. */
async function violations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  // Let transitions and late fonts finish: contrast is read from computed colours.
  await page.evaluate(() => document.fonts.ready);
  const found = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: Violation[] }> } }).axe;
    return (await axe.run(document, { resultTypes: ['violations'] })).violations;
  });
  return found
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}) ${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`));
}

/**
 * Audits the current screen in both languages, and in the dark colour scheme as well (app.css
 * promises contrast in both); leaves the page in English and light.
 */
async function audit(page: Page, screen: string, problems: string[]) {
  for (const lang of LANGS) {
    await setLang(page, lang);
    problems.push(...(await violations(page)).map((v) => `[${screen} ${lang}] ${v}`));
  }
  await page.emulateMedia({ colorScheme: 'dark' });
  problems.push(...(await violations(page)).map((v) => `[${screen} zh-CN dark] ${v}`));
  await page.emulateMedia({ colorScheme: 'light' });
  await setLang(page, 'en');
}

describe('accessibility of every main screen', () => {
  it('axe finds no serious or critical violation on any screen, in English or Chinese', { timeout: 600_000 }, async () => {
    const problems: string[] = [];
    const alice = (await pages.open('alice', { viewport: VIEWPORT, init: english })).page;
    await alice.goto(stackUrl);
    await alice.getByTestId('create-meeting').waitFor();
    await audit(alice, 'home', problems);

    await alice.goto(`${stackUrl}/schedule`);
    await alice.locator('form').first().waitFor();
    await audit(alice, 'schedule', problems);

    const meetingId = await createFromHome(alice, stackUrl);
    await alice.getByTestId('name-input').fill('Alice');
    await until(alice, 'camera preview', async () => (await alice.locator('.prejoin video').count()) === 1);
    await audit(alice, 'prejoin', problems);
    await joinWithoutCamera(alice, 'Alice');
    await audit(alice, 'meeting (alone)', problems);

    const bob = (await pages.open('bob', { viewport: VIEWPORT, init: english })).page;
    await bob.addInitScript(holdablePicker);
    await bob.goto(`${stackUrl}/m/${meetingId}`);
    const bobId = await joinWithoutCamera(bob, 'Bob');
    await until(alice, 'Bob’s tile', async () => (await alice.locator(`[data-participant-id="${bobId}"]`).count()) > 0);

    // What Bob does is said to Alice's screen reader: a raised hand, a reaction, a shared screen.
    const announcer = alice.getByTestId('announcer');
    await bob.getByTestId('hand-toggle').click();
    await until(alice, 'hand announced', async () => (await announcer.innerText()).includes('Bob raised their hand'));
    await bob.getByTestId('reactions-toggle').click();
    await bob.locator('#reaction-picker button').first().click();
    await until(alice, 'reaction announced', async () => (await alice.getByTestId('reactions-shown').innerText()).includes('Bob reacted'));
    // The reaction fades out over 4 s; contrast is judged on what stays on screen.
    await until(alice, 'reaction gone', async () => (await alice.getByTestId('reactions-shown').innerText()).trim() === '');

    // A shared screen brings its own toolbar; the annotation tools show once drawing is on.
    await bob.getByTestId('share-toggle').click();
    await until(alice, 'share announced', async () => (await announcer.innerText()).includes('Bob started sharing their screen'));
    const stage = alice.locator(`[data-testid="screen-stage"][data-owner="${bobId}"]`);
    await stage.waitFor();
    await stage.getByTestId('annotate-toggle').click();
    await stage.getByTestId('tool-text').click();
    await audit(alice, 'meeting with a shared screen', problems);
    await audit(bob, 'meeting, sharing', problems);
    // Bob picks another window: his share is paused, with a notice for him and for Alice.
    await holdPicker(bob);
    await bob.locator(`[data-testid="screen-stage"][data-owner="${bobId}"]`).getByTestId('share-switch').click();
    await until(alice, 'pause shown', async () => (await stage.getAttribute('data-paused')) === 'true');
    await audit(alice, 'a share paused', problems);
    await audit(bob, 'choosing another window', problems);
    await answerPicker(bob, 'cancel');
    await until(alice, 'pause over', async () => (await stage.getAttribute('data-paused')) === 'false');

    await alice.getByTestId('chat-toggle').click();
    await alice.getByTestId('chat-input').fill('hello');
    await alice.getByTestId('chat-send').click();
    await bob.getByTestId('chat-unread').waitFor();
    await audit(bob, 'meeting, unread chat', problems);
    await audit(alice, 'chat panel', problems);
    await alice.getByTestId('participants-toggle').click();
    await alice.getByTestId('participants-panel').waitFor();
    await audit(alice, 'participants panel', problems);
    await alice.getByTestId('breakout-toggle').click();
    await alice.getByTestId('breakout-panel').waitFor();
    await audit(alice, 'breakout panel', problems);

    // A local recording: the indicator everyone sees, and the button's recording state.
    await alice.getByTestId('record-toggle').click();
    await alice.getByTestId('recording-indicator').waitFor();
    await bob.getByTestId('recording-by').waitFor();
    await audit(alice, 'recording', problems);
    await audit(bob, 'someone records', problems);
    const saved = alice.waitForEvent('download');
    await alice.getByTestId('record-toggle').click();
    await saved;

    // The waiting room, from both sides.
    await alice.getByTestId('participants-toggle').click();
    await alice.getByTestId('waiting-room-toggle').check();
    const carol = (await pages.open('carol', { viewport: VIEWPORT, init: english })).page;
    await carol.goto(`${stackUrl}/m/${meetingId}`);
    await carol.getByTestId('prejoin-camera-toggle').click();
    await carol.getByTestId('name-input').fill('Carol');
    await carol.getByTestId('join-button').click();
    await carol.getByTestId('waiting-screen').waitFor();
    await audit(carol, 'waiting room', problems);
    await alice.getByTestId('waiting-list').getByText('Carol').waitFor();
    await audit(alice, 'participants panel with a waiting list', problems);

    // Removed from the waiting room: the "removed" screen.
    await alice.getByTestId('deny').click();
    await carol.getByRole('heading', { level: 1 }).waitFor();
    await until(carol, 'Carol’s call ends', async () => (await carol.getByTestId('waiting-screen').count()) === 0);
    await audit(carol, 'denied', problems);

    // Locked: a newcomer is refused with the reason. (Carol, just denied, would meet her
    // denial's cool-down first; a browser that was never turned away sees the lock.)
    await alice.getByTestId('lock-toggle').click();
    await until(alice, 'lock applied', async () => (await alice.getByTestId('lock-toggle').getAttribute('aria-pressed')) === 'true');
    const dave = (await pages.open('dave', { viewport: VIEWPORT, init: english })).page;
    await dave.goto(`${stackUrl}/m/${meetingId}`);
    await dave.getByTestId('name-input').fill('Dave');
    await dave.getByTestId('join-button').click();
    await dave.getByTestId('refused-screen').waitFor();
    await audit(dave, 'meeting locked', problems);

    // Bob is removed; Alice leaves.
    await alice.locator(`button[aria-controls="actions-${bobId}"]`).click();
    await audit(alice, 'host actions menu', problems);
    alice.once('dialog', (d) => void d.accept());
    await alice.locator(`#actions-${bobId} button.danger`).click();
    await until(bob, 'Bob removed', async () => (await bob.getByTestId('leave-button').count()) === 0);
    await audit(bob, 'removed', problems);
    await alice.getByTestId('leave-button').click();
    await alice.getByTestId('rejoin-button').waitFor();
    await audit(alice, 'left', problems);

    // Sign-in (signed out), then an owner's admin console and recordings page.
    await carol.goto(`${stackUrl}/signin`);
    await carol.locator('input[type="email"]').waitFor();
    await audit(carol, 'sign-in', problems);
    expect(await signUpInPage(alice, 'A11y Org', 'Alice')).toBe(201);
    await alice.goto(`${stackUrl}/admin`);
    await alice.getByRole('heading', { level: 1 }).waitFor();
    await audit(alice, 'admin console', problems);
    await alice.goto(`${stackUrl}/recordings`);
    await alice.getByRole('heading', { level: 1 }).waitFor();
    await audit(alice, 'recordings', problems);

    expect(problems).toEqual([]);
  });
});

/** What the focused element looks like: its test id, accessible name, and whether a focus ring shows. */
async function focused(page: Page): Promise<{ testid: string | null; name: string; ring: boolean; panel: boolean }> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement;
    const axe = (window as unknown as { axe: { setup(): void; teardown(): void; commons: { text: { accessibleText(el: Element): string } } } }).axe;
    // The name as assistive technology computes it (aria-label, labelledby, content), from axe's own tree.
    axe.setup();
    const name = axe.commons.text.accessibleText(el).trim();
    axe.teardown();
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2;
    const shadow = s.boxShadow !== 'none' && s.boxShadow !== '';
    return {
      testid: el.getAttribute('data-testid'),
      name,
      ring: el.matches(':focus-visible') && (outline || shadow),
      panel: Boolean(el.closest('aside, [role="dialog"], [role="complementary"]')),
    };
  });
}

describe('keyboard use of the meeting room', () => {
  it('Tab reaches every call control with a name and a visible focus ring; Escape closes a panel', async () => {
    const page = (await pages.open('keys', { viewport: VIEWPORT, init: english })).page;
    await createFromHome(page, stackUrl);
    await joinWithoutCamera(page, 'Kim');
    await page.addScriptTag({ path: AXE });

    const wanted = ['mic-toggle', 'camera-toggle', 'share-toggle', 'chat-toggle', 'participants-toggle', 'hand-toggle', 'reactions-toggle', 'leave-button'];
    const reached = new Map<string, { name: string; ring: boolean }>();
    // Focus starts on the meeting's heading; walk the whole tab order once.
    for (let i = 0; i < 60 && reached.size < wanted.length; i++) {
      await page.keyboard.press('Tab');
      const f = await focused(page);
      if (f.testid && wanted.includes(f.testid)) reached.set(f.testid, { name: f.name, ring: f.ring });
    }
    expect([...reached.keys()].toSorted()).toEqual(wanted.toSorted());
    for (const [id, f] of reached) {
      expect(f.name, `${id} has an accessible name`).not.toBe('');
      expect(f.ring, `${id} shows where focus is`).toBe(true);
    }

    // Enter on the focused chat toggle opens the panel; Escape closes it and focus goes back.
    await page.getByTestId('chat-toggle').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('chat-input').waitFor();
    await page.keyboard.press('Escape');
    await until(page, 'chat panel closed', async () => (await page.getByTestId('chat-input').count()) === 0);
    expect((await focused(page)).testid).toBe('chat-toggle');

    // The reaction picker too: Escape closes it and focus goes back to its button.
    await page.getByTestId('reactions-toggle').focus();
    await page.keyboard.press('Enter');
    await page.locator('#reaction-picker').waitFor();
    await page.keyboard.press('Tab');
    expect((await focused(page)).name).not.toBe('');
    await page.keyboard.press('Escape');
    await until(page, 'picker closed', async () => (await page.locator('#reaction-picker').count()) === 0);
    expect((await focused(page)).testid).toBe('reactions-toggle');

    // Space on the mic toggle mutes, and the live region says so.
    await page.getByTestId('mic-toggle').focus();
    await page.keyboard.press('Space');
    await until(page, 'mute announced', async () => (await page.getByTestId('announcer').innerText()).includes('You are muted'));
  });
});
