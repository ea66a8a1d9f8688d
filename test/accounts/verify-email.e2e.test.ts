/**
 * Verified email in Chromium over the real stack: someone schedules a meeting naming an address
 * as alternative host; a person signs up with that address through the sign-up page, is not the
 * meeting's host yet, reads the verification link from the stack's SMTP sink (the mail went over
 * SMTP from the Worker), opens it, and from then on hosts that meeting by their own session.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openBrowser } from '../lib/browser.ts';
import { joinWithoutCamera } from '../web/lib/pages.ts';

const stack = inject('stackUrl');
const mailUrl = inject('mailUrl');
const stamp = Date.now().toString(36);
const PASSWORD = 'Correct-horse-42';
const altEmail = `alt.${stamp}@verify-e2e.example`;

const contexts: BrowserContext[] = [];
afterAll(async () => {
  await Promise.all(contexts.map((c) => c.close()));
});

/** The scheduler: an owner of another organization, through the API as a script would. */
async function scheduleFor(alternativeHost: string): Promise<string> {
  const signup = await fetch(`${stack}/api/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orgName: `Sched ${stamp}`, name: 'Sam Scheduler', email: `sam.${stamp}@verify-e2e.example`, password: PASSWORD }),
  });
  expect(signup.status).toBe(201);
  const { csrfToken } = (await signup.json()) as { csrfToken: string };
  const cookie = /__Host-sealroom_session=[^;]+/.exec(signup.headers.get('set-cookie') ?? '')![0];
  const res = await fetch(`${stack}/api/meetings`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    body: JSON.stringify({ topic: 'Board review', alternativeHosts: [alternativeHost], startAt: Date.now() + 3_600_000 }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Polls the sink until a mail to `to` arrives; a deadline, no fixed wait. */
async function mailTo(to: string, timeoutMs = 20_000): Promise<{ subject: string; text: string }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = (await (await fetch(`${mailUrl}/messages?to=${encodeURIComponent(to)}`)).json()) as Array<{ subject: string; text: string }>;
    if (list[0]) return list[0];
    if (Date.now() > deadline) throw new Error(`no mail to ${to} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const detailsStatus = (page: Page, id: string) => page.evaluate(async (id) => (await fetch(`/api/meetings/${id}/details`)).status, id);

describe('verified email in the browser', () => {
  it('signs up, verifies by the mailed link, and only then hosts a meeting that names the address', async () => {
    const meetingId = await scheduleFor(altEmail);
    const ctx = await openBrowser();
    contexts.push(ctx);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => console.log(`[page error] ${e.message}`));

    await page.goto(`${stack}/signup`);
    await page.getByLabel('Organization name').fill(`Alt ${stamp}`);
    await page.getByLabel('Your name').fill('Alex Alternate');
    await page.getByLabel('Email', { exact: true }).fill(altEmail);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    const pending = page.getByTestId('email-pending');
    await pending.waitFor({ timeout: 20_000 });
    expect(await pending.innerText()).toContain(altEmail);

    // Signed in with the invitee's address, but not proven to read it: no host rights yet.
    expect(await detailsStatus(page, meetingId)).toBe(403);

    const mail = await mailTo(altEmail);
    expect(mail.subject).toBe('Verify your email for Sealroom / 验证你的 Sealroom 邮箱');
    const link = /http:\/\/\S+\/verify-email\?token=[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
    expect(link?.startsWith(`${stack}/verify-email?token=`)).toBe(true);
    // The developer's view of the same sink lists it too.
    expect(await (await fetch(`${mailUrl}/`)).text()).toContain(altEmail);

    await page.goto(link!);
    await page.getByTestId('email-verified').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('email-verified').innerText()).toContain(altEmail);
    // The token left the address bar as soon as the page read it.
    expect(page.url()).toBe(`${stack}/verify-email`);
    // Used once, it does not work again.
    const again = await page.evaluate(
      async ({ token }) => {
        const session = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
        const r = await fetch('/api/auth/verify-email', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
          body: JSON.stringify({ token }),
        });
        return { status: r.status, body: await r.json() };
      },
      { token: new URL(link!).searchParams.get('token')! },
    );
    expect(again).toMatchObject({ status: 400, body: { error: { code: 'verification_invalid' } } });

    expect(await detailsStatus(page, meetingId)).toBe(200);
    await page.goto(`${stack}/m/${meetingId}`);
    await joinWithoutCamera(page, 'Alex');
    // Host controls: only a host sees "end for everyone" and the breakout rooms.
    await page.getByTestId('end-for-all').waitFor({ timeout: 20_000 });
    await page.getByTestId('breakout-toggle').waitFor();
  });
});
