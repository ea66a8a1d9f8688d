/**
 * Scheduling through the HTTP API from the schedule page: create with password, waiting room,
 * mute on entry and a weekly recurrence; copy the (localized) invitation; download the .ics;
 * edit as host; a guest then meets the password gate; delete.
 */
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Pages, until } from './lib/pages.ts';

const stackUrl = inject('stackUrl');
const pages = new Pages();
afterAll(() => pages.close());

describe('schedule and edit a meeting', () => {
  it('creates, invites, edits and deletes through the API', async () => {
    const host = (await pages.open('host', { init: () => localStorage.setItem('sealroom:lang', 'en') })).page;
    await host.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: stackUrl });
    await host.goto(stackUrl);
    await host.getByTestId('schedule-link').click();
    await host.getByTestId('schedule-form').waitFor();

    await host.getByTestId('schedule-topic').fill('Weekly sync');
    await host.getByTestId('schedule-when').fill('2030-03-04T09:30');
    await host.getByTestId('schedule-duration').fill('45');
    await host.getByTestId('schedule-zone').selectOption('Asia/Shanghai');
    await host.getByTestId('schedule-password').fill('s3cret');
    await host.getByTestId('schedule-waiting-room').check();
    await host.getByTestId('schedule-mute-on-entry').check();
    await host.getByTestId('schedule-freq').selectOption('weekly');
    await host.getByTestId('schedule-count').fill('10');
    await host.getByTestId('schedule-day-1').check();
    await host.getByTestId('schedule-day-3').check();
    await host.getByTestId('schedule-save').click();

    // Created: the page becomes the host's edit page with the invitation.
    await host.waitForURL(/\/m\/[0-9]{9,11}\/edit$/);
    const id = /\/m\/([0-9]{9,11})\/edit/.exec(host.url())![1]!;
    const text = await host.getByTestId('invitation-text').innerText();
    expect(text).toContain('Sealroom meeting: Weekly sync');
    expect(text).toContain(`${stackUrl}/m/${id}`);
    expect(text.split('\n')).toContain('Repeats every 1 week');
    expect(text).toContain('Password: the host shares it separately.');
    expect(text).not.toContain('s3cret');
    expect(await host.getByTestId('schedule-waiting-room').isChecked()).toBe(true);
    expect(await host.getByTestId('schedule-day-3').isChecked()).toBe(true);

    await host.getByTestId('copy-invitation').click();
    await until(host, 'copied', async () => (await host.getByTestId('schedule-status').innerText()).includes('copied'));
    expect(await host.evaluate(() => navigator.clipboard.readText())).toBe(text);

    const download = host.waitForEvent('download');
    await host.getByTestId('download-ics').click();
    const ics = await download;
    expect(ics.suggestedFilename()).toBe(`sealroom-${id}.ics`);
    let body = '';
    for await (const c of await ics.createReadStream()) body += String(c);
    expect(body).toContain('BEGIN:VCALENDAR');
    expect(body).toMatch(/RRULE:FREQ=WEEKLY;.*COUNT=10/);
    expect(body).toContain('BYDAY=MO,WE');

    // Edit as host: the API keeps the change.
    await host.getByTestId('schedule-topic').fill('Weekly sync (moved)');
    await host.getByTestId('schedule-save').click();
    await until(host, 'saved', async () => (await host.getByTestId('schedule-status').innerText()).includes('Saved'));
    const pub = (await (await fetch(`${stackUrl}/api/meetings/${id}`)).json()) as { topic: string; hasPassword: boolean };
    expect(pub).toMatchObject({ topic: 'Weekly sync (moved)', hasPassword: true });

    // A guest meets the password field; without the host key the edit page refuses.
    const guest = (await pages.open('guest', { init: () => localStorage.setItem('sealroom:lang', 'en') })).page;
    await guest.goto(`${stackUrl}/m/${id}`);
    await guest.getByTestId('password-input').waitFor();
    await guest.goto(`${stackUrl}/m/${id}/edit`);
    await guest.getByText('Only the host can edit this meeting').waitFor();

    host.once('dialog', (d) => void d.accept());
    await host.getByTestId('schedule-delete').click();
    await host.getByTestId('schedule-deleted').waitFor();
    expect((await fetch(`${stackUrl}/api/meetings/${id}`)).status).toBe(404);
  });
});
