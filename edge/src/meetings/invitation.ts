/**
 * Invitations: copyable text and an iCalendar (RFC 5545) event.
 *
 * The topic is someone else's text. New topics are checked at input (protocol humanText), but a
 * stored one may predate that check, so both renderings make it one plain line again themselves:
 * a topic must never add a line to the text ("Join: https://elsewhere") or a property or
 * component to the calendar ("\r\nBEGIN:VEVENT").
 */
import { TZDate } from '@date-fns/tz';
import ical, { ICalCalendarMethod, ICalEventRepeatingFreq, ICalWeekday } from 'ical-generator';
import { tzlib_get_ical_block, tzlib_get_timezones } from 'timezones-ical-library';
import type { Meeting } from './store.ts';

/** "123 456 7890": ids are read aloud in groups. */
export const spacedId = (id: string) => id.replace(/^(\d{3})(\d{3})(\d+)$/, '$1 $2 $3');

/** Controls (CR and LF included) and line/paragraph separators: anything that could start a new line. */
const LINE_BREAKING = /[\p{Cc}\u2028\u2029]+/gu;
/** Bidi embeddings, overrides, isolates and marks: they would reorder the text around the topic. */
const BIDI = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu;

/** A topic as one line of plain text: breaks become a space, direction controls go. */
export const topicLine = (topic: string) => topic.replace(LINE_BREAKING, ' ').replace(BIDI, '').trim();

export function invitationText(m: Meeting, link: string): string {
  const topic = topicLine(m.topic);
  const lines = [`Sealroom meeting${topic ? `: ${topic}` : ''}`];
  if (m.startAt !== null) lines.push(`Time: ${new Date(m.startAt).toISOString().replace('T', ' ').slice(0, 16)} UTC (${m.timeZone}), ${m.durationMinutes} min`);
  lines.push(`Join: ${link}`, `Meeting ID: ${spacedId(m.id)}`);
  if (m.hasPassword) lines.push('Password: ask the host (it is not included in invitations).');
  lines.push('End-to-end encrypted: compare the security code shown in the meeting with the others.');
  return lines.join('\n');
}

/** RRULE BYDAY codes by `Recurrence.byDay` number (0 = Sunday). */
const WEEKDAYS = [ICalWeekday.SU, ICalWeekday.MO, ICalWeekday.TU, ICalWeekday.WE, ICalWeekday.TH, ICalWeekday.FR, ICalWeekday.SA];
const FREQ = { daily: ICalEventRepeatingFreq.DAILY, weekly: ICalEventRepeatingFreq.WEEKLY, monthly: ICalEventRepeatingFreq.MONTHLY } as const;

const KNOWN_ZONES = new Set(tzlib_get_timezones() as string[]);

/**
 * The zone's VTIMEZONE (its offsets and summer-time rules), which RFC 5545 §3.6.5 requires for
 * every TZID a calendar uses: without it a client may not know the zone's rules and read the
 * times as floating. Null for a zone the rule library does not know (the event then stays in UTC).
 */
export function vtimezone(zone: string): string | null {
  if (!KNOWN_ZONES.has(zone)) return null;
  const block = tzlib_get_ical_block(zone);
  return Array.isArray(block) && block[0] ? block[0] : null;
}

/**
 * The meeting as one VEVENT (RFC 5545). Start and end are written in the meeting's own time zone
 * (`DTSTART;TZID=Asia/Shanghai:…`) so a repeating meeting keeps its wall-clock time when that zone
 * changes between summer and winter time; a rule anchored to a UTC start would move by an hour.
 * UNTIL stays in UTC, as §3.3.10 requires when DTSTART has a TZID, and the calendar carries the
 * zone's VTIMEZONE (timezones-ical-library's rules). Text escaping and folding at
 * 75 octets (never inside a UTF-8 sequence) are ical-generator's.
 */
export function invitationIcs(m: Meeting, link: string, now = Date.now()): string {
  const startMs = m.startAt ?? now;
  const zoned = m.timeZone !== 'UTC' && vtimezone(m.timeZone) !== null;
  const at = (ms: number) => (zoned ? new TZDate(ms, m.timeZone) : new Date(ms));
  const r = m.recurrence;
  const calendar = ical({
    prodId: '//Sealroom//Meetings//EN',
    method: ICalCalendarMethod.PUBLISH,
    scale: 'GREGORIAN',
    // Called for each TZID the events use; the zone is known here (see `zoned`).
    timezone: { name: null, generator: (zone: string) => vtimezone(zone) ?? '' },
  });
  calendar.createEvent({
    id: `${m.id}@sealroom`,
    stamp: new Date(now),
    start: at(startMs),
    end: at(startMs + m.durationMinutes * 60_000),
    timezone: zoned ? m.timeZone : null,
    summary: topicLine(m.topic) || 'Sealroom meeting',
    description: invitationText(m, link),
    url: link,
    location: link,
    repeating: r
      ? {
          freq: FREQ[r.freq],
          interval: r.interval,
          ...(r.count ? { count: r.count } : r.until ? { until: new Date(r.until) } : {}),
          ...(r.freq === 'weekly' && r.byDay?.length ? { byDay: r.byDay.map((d) => WEEKDAYS[d]!) } : {}),
        }
      : null,
  });
  // RFC 5545 §3.1: every content line, the last one included, ends in CRLF.
  return `${calendar.toString()}\r\n`;
}
