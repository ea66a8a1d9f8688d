/** The .ics keeps a repeating meeting at its wall-clock time in the meeting's own zone. */
import { describe, expect, it } from 'vitest';
import { invitationIcs } from './invitation.ts';
import type { Meeting } from './store.ts';

const NOW = Date.UTC(2026, 8, 1, 12);

function meeting(over: Pick<Meeting, 'startAt' | 'timeZone' | 'recurrence'> & { durationMinutes?: number }): Meeting {
  return {
    id: '1234567890',
    topic: 'Weekly sync',
    ownerId: null,
    hostKeyHash: 'x',
    passwordHash: null,
    hasPassword: false,
    settings: {} as Meeting['settings'],
    durationMinutes: 60,
    alternativeHosts: [],
    createdAt: NOW,
    ended: false,
    ...over,
  };
}

/** Unfolded content lines (RFC 5545 §3.1). */
const lines = (ics: string) => ics.replace(/\r\n[ \t]/g, '').split('\r\n');
/** The event's own properties (the VTIMEZONE has DTSTART and RRULE lines of its own). */
const prop = (ics: string, name: string) => {
  const all = lines(ics);
  return all.slice(all.indexOf('BEGIN:VEVENT'), all.indexOf('END:VEVENT')).filter((l) => l.startsWith(`${name}:`) || l.startsWith(`${name};`));
};

describe('invitation .ics time zones', () => {
  it('Asia/Shanghai: DTSTART and DTEND in local time with TZID, the rule on local weekdays', () => {
    // Tuesday 2026-12-01 09:00Z is 17:00 in Shanghai (UTC+8, no summer time).
    const ics = invitationIcs(
      meeting({
        startAt: Date.UTC(2026, 11, 1, 9),
        durationMinutes: 90,
        timeZone: 'Asia/Shanghai',
        recurrence: { freq: 'weekly', interval: 1, count: 4, byDay: [2] },
      }),
      'https://sealroom.test/m/1234567890',
      NOW,
    );
    expect(prop(ics, 'DTSTART')).toEqual(['DTSTART;TZID=Asia/Shanghai:20261201T170000']);
    expect(prop(ics, 'DTEND')).toEqual(['DTEND;TZID=Asia/Shanghai:20261201T183000']);
    expect(prop(ics, 'RRULE')).toEqual(['RRULE:FREQ=WEEKLY;COUNT=4;INTERVAL=1;BYDAY=TU']);
    expect(prop(ics, 'DTSTAMP')).toEqual(['DTSTAMP:20260901T120000Z']);
    // The TZID is defined in the calendar itself: one VTIMEZONE, before the event, at UTC+8.
    const all = lines(ics);
    expect(all.filter((l) => l === 'BEGIN:VTIMEZONE')).toHaveLength(1);
    expect(all.indexOf('TZID:Asia/Shanghai')).toBeGreaterThan(all.indexOf('BEGIN:VTIMEZONE'));
    expect(all.indexOf('END:VTIMEZONE')).toBeLessThan(all.indexOf('BEGIN:VEVENT'));
    expect(all.filter((l) => l.startsWith('TZOFFSETTO:'))).toEqual(['TZOFFSETTO:+0800']);
  });

  it('America/New_York across the end of summer time: the start stays 14:00 local, UNTIL in UTC', () => {
    // Monday 2026-10-26 14:00 EDT (UTC-4) = 18:00Z; summer time ends 2026-11-01, after which
    // 14:00 EST is 19:00Z. A rule on a UTC start would move the later meetings to 13:00.
    const until = Date.UTC(2026, 10, 30, 23, 59);
    const ics = invitationIcs(
      meeting({ startAt: Date.UTC(2026, 9, 26, 18), timeZone: 'America/New_York', recurrence: { freq: 'weekly', interval: 1, until, byDay: [1] } }),
      'https://sealroom.test/m/1234567890',
      NOW,
    );
    expect(prop(ics, 'DTSTART')).toEqual(['DTSTART;TZID=America/New_York:20261026T140000']);
    expect(prop(ics, 'DTEND')).toEqual(['DTEND;TZID=America/New_York:20261026T150000']);
    expect(prop(ics, 'RRULE')).toEqual(['RRULE:FREQ=WEEKLY;INTERVAL=1;UNTIL=20261130T235900Z;BYDAY=MO']);
    // The zone's own rules travel with it: summer time (EDT, -0400) from the second Sunday in
    // March, standard time (EST, -0500) from the first Sunday in November.
    const zone = lines(ics).slice(lines(ics).indexOf('BEGIN:VTIMEZONE'), lines(ics).indexOf('END:VTIMEZONE') + 1);
    expect(zone).toContain('TZID:America/New_York');
    expect(zone.join('\n')).toMatch(/BEGIN:DAYLIGHT\n(?:.*\n)*?TZOFFSETTO:-0400\n(?:.*\n)*?RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\nEND:DAYLIGHT/);
    expect(zone.join('\n')).toMatch(/BEGIN:STANDARD\n(?:.*\n)*?TZOFFSETTO:-0500\n(?:.*\n)*?RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\nEND:STANDARD/);
    // And a start after the change is written in standard time: 2026-11-02 19:00Z is 14:00 EST.
    const later = invitationIcs(
      meeting({ startAt: Date.UTC(2026, 10, 2, 19), timeZone: 'America/New_York', recurrence: null }),
      'https://sealroom.test/m/1',
      NOW,
    );
    expect(prop(later, 'DTSTART')).toEqual(['DTSTART;TZID=America/New_York:20261102T140000']);
    expect(prop(later, 'RRULE')).toEqual([]);
  });

  it('UTC meetings keep UTC times', () => {
    const ics = invitationIcs(
      meeting({ startAt: Date.UTC(2026, 11, 1, 9), timeZone: 'UTC', recurrence: { freq: 'daily', interval: 2, count: 3 } }),
      'https://sealroom.test/m/1',
      NOW,
    );
    expect(prop(ics, 'DTSTART')).toEqual(['DTSTART:20261201T090000Z']);
    expect(prop(ics, 'RRULE')).toEqual(['RRULE:FREQ=DAILY;COUNT=3;INTERVAL=2']);
    expect(lines(ics)).not.toContain('BEGIN:VTIMEZONE');
  });

  it('a zone the rule library does not know is written in UTC rather than as an undefined TZID', () => {
    const ics = invitationIcs(
      meeting({ startAt: Date.UTC(2026, 11, 1, 9), timeZone: 'Mars/Olympus_Mons', recurrence: null }),
      'https://sealroom.test/m/1',
      NOW,
    );
    expect(prop(ics, 'DTSTART')).toEqual(['DTSTART:20261201T090000Z']);
    expect(ics).not.toContain('TZID');
  });
});
