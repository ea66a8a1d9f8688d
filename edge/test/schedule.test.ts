/** Scheduling API: create with a schedule, read, edit and delete with the host key, invitations. */
import { describe, expect, it } from 'vitest';
import { call, joined, newMeeting } from './helpers.ts';

const hostAuth = (key: string) => ({ authorization: `HostKey ${key}` });

describe('scheduled meetings', () => {
  const weekly = {
    topic: 'Board, Q4; budget',
    startAt: Date.UTC(2026, 11, 1, 9, 0),
    durationMinutes: 90,
    timeZone: 'Asia/Shanghai',
    recurrence: { freq: 'weekly', interval: 1, count: 4, byDay: [2] },
    settings: { waitingRoom: true, muteOnEntry: true },
    alternativeHosts: ['cfo@example.com'],
  };

  it('stores the schedule and settings; only the host reads the details', async () => {
    const m = await newMeeting(weekly);
    const pub = await (await call(`/api/meetings/${m.id}`)).json<Record<string, unknown>>();
    expect(pub).toMatchObject({ topic: weekly.topic, startAt: weekly.startAt, durationMinutes: 90, timeZone: 'Asia/Shanghai', recurrence: weekly.recurrence });
    expect(pub).not.toHaveProperty('settings');
    expect((await call(`/api/meetings/${m.id}/details`)).status).toBe(403);
    expect((await call(`/api/meetings/${m.id}/details`, { headers: hostAuth('wrong') })).status).toBe(403);
    const details = await (await call(`/api/meetings/${m.id}/details`, { headers: hostAuth(m.hostKey) })).json<Record<string, unknown>>();
    expect(details).toMatchObject({ settings: { waitingRoom: true, muteOnEntry: true, joinBeforeHost: true }, alternativeHosts: ['cfo@example.com'] });
  });

  it('edits with the host key only, and refuses bad edits without changing anything', async () => {
    const m = await newMeeting(weekly);
    expect((await call(`/api/meetings/${m.id}`, { method: 'PATCH', body: JSON.stringify({ topic: 'Hijacked' }) })).status).toBe(403);
    const bad = await call(`/api/meetings/${m.id}`, { method: 'PATCH', headers: hostAuth(m.hostKey), body: JSON.stringify({ timeZone: 'Mars/Olympus' }) });
    expect(bad.status).toBe(400);
    expect((await bad.json<{ error: { message: string } }>()).error.message).toContain('time zone');
    const ok = await call(`/api/meetings/${m.id}`, {
      method: 'PATCH',
      headers: hostAuth(m.hostKey),
      body: JSON.stringify({ topic: 'Board (moved)', password: 'pw1' }),
    });
    expect(ok.status).toBe(200);
    const pub = await (await call(`/api/meetings/${m.id}`)).json<Record<string, unknown>>();
    expect(pub).toMatchObject({ topic: 'Board (moved)', hasPassword: true, timeZone: 'Asia/Shanghai' });
  }, 90_000);

  it('deleting ends the meeting for everyone in it', async () => {
    const m = await newMeeting();
    const a = await joined(m.id, 'Ann', 2);
    expect((await call(`/api/meetings/${m.id}`, { method: 'DELETE' })).status).toBe(403);
    expect((await call(`/api/meetings/${m.id}`, { method: 'DELETE', headers: hostAuth(m.hostKey) })).status).toBe(204);
    expect(await a.c.next('closed')).toEqual({ type: 'closed', reason: 'ended' });
    expect((await call(`/api/meetings/${m.id}`)).status).toBe(404);
  });

  it('gives an invitation as text and as an iCalendar file with the recurrence', async () => {
    const m = await newMeeting(weekly);
    const inv = await (await call(`/api/meetings/${m.id}/invitation`)).json<{ text: string; link: string }>();
    expect(inv.link).toBe(`http://sealroom.test/m/${m.id}`);
    expect(inv.text).toContain(inv.link);
    expect(inv.text).toContain(m.id.slice(0, 3));
    const res = await call(`/api/meetings/${m.id}/invitation.ics`);
    expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
    const ics = await res.text();
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    // In the meeting's zone (Asia/Shanghai, UTC+8), so the weekly rule keeps its wall-clock time.
    expect(ics).toContain('DTSTART;TZID=Asia/Shanghai:20261201T170000\r\n');
    expect(ics).toContain('DTEND;TZID=Asia/Shanghai:20261201T183000\r\n');
    expect(ics).toContain('RRULE:FREQ=WEEKLY;COUNT=4;INTERVAL=1;BYDAY=TU\r\n');
    expect(ics).toContain('SUMMARY:Board\\, Q4\\; budget\r\n');
    // RFC 5545 §3.1: no line longer than 75 octets.
    expect(ics.split('\r\n').every((l) => new TextEncoder().encode(l).length <= 75)).toBe(true);
  });

  it.each([
    ['unknown settings key', { settings: { superpowers: true } }],
    ['byDay on a daily recurrence', { recurrence: { freq: 'daily', interval: 1, byDay: [1] } }],
    ['negative duration', { durationMinutes: -5 }],
    ['bad alternative host', { alternativeHosts: ['not-an-email'] }],
  ])('refuses a meeting with %s', async (_, body) => {
    const res = await call('/api/meetings', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect((await res.json<{ error: { code: string } }>()).error.code).toBe('bad_message');
  });
});
