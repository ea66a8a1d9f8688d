/**
 * Invitations: copyable text and an iCalendar (RFC 5545) event.
 *
 * The topic is someone else's text. New topics are checked at input (protocol humanText), but a
 * stored one may predate that check, so both renderings make it one plain line again themselves:
 * a topic must never add a line to the text ("Join: https://elsewhere") or a property or
 * component to the calendar ("\r\nBEGIN:VEVENT").
 */
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

const icsDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/**
 * RFC 5545 §3.3.11 TEXT: backslash, semicolon and comma are escaped, and every line break (CRLF,
 * bare LF, bare CR) becomes the two characters "\n". Any other control is not allowed in TEXT
 * (§3.3.11 TSAFE-CHAR admits only HTAB among them) and is dropped.
 */
export const icsText = (s: string) =>
  s
    .replace(/\\/g, '\\\\')
    .replace(/;/g, '\\;')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n')
    .replace(/[\u0000-\u0008\u000A-\u001F\u007F-\u009F]/g, '');

const enc = new TextEncoder();
/** UTF-8 octets of one code point, without encoding it. */
const octets = (cp: number) => (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);

/**
 * RFC 5545 §3.1: a content line longer than 75 octets is folded with CRLF + one space, the space
 * counting toward the next line's 75. Folds fall between code points, never inside a UTF-8
 * sequence: §3.1 warns that naive generators split them, and readers that unfold by characters
 * rather than octets then show replacement characters.
 */
export function fold(line: string): string {
  if (enc.encode(line).length <= 75) return line;
  const out: string[] = [];
  let cur = '';
  let len = 0;
  for (const ch of line) {
    // A lone surrogate is written as U+FFFD, three octets.
    const cp = ch.codePointAt(0)!;
    const n = cp >= 0xd800 && cp <= 0xdfff ? 3 : octets(cp);
    if (len + n > (out.length === 0 ? 75 : 74)) {
      out.push(cur);
      cur = '';
      len = 0;
    }
    cur += ch;
    len += n;
  }
  out.push(cur);
  return out.join('\r\n ');
}

export function invitationIcs(m: Meeting, link: string, now = Date.now()): string {
  const start = m.startAt ?? now;
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Sealroom//Meetings//EN',
    'CALSCALE:GREGORIAN',
    'METHOD:PUBLISH',
    'BEGIN:VEVENT',
    `UID:${m.id}@sealroom`,
    `DTSTAMP:${icsDate(now)}`,
    `DTSTART:${icsDate(start)}`,
    `DTEND:${icsDate(start + m.durationMinutes * 60_000)}`,
    `SUMMARY:${icsText(topicLine(m.topic) || 'Sealroom meeting')}`,
    `DESCRIPTION:${icsText(invitationText(m, link))}`,
    `URL:${link}`,
    `LOCATION:${icsText(link)}`,
  ];
  if (m.recurrence) {
    const r = m.recurrence;
    const parts = [`FREQ=${r.freq.toUpperCase()}`, `INTERVAL=${r.interval}`];
    if (r.count) parts.push(`COUNT=${r.count}`);
    else if (r.until) parts.push(`UNTIL=${icsDate(r.until)}`);
    if (r.freq === 'weekly' && r.byDay?.length) parts.push(`BYDAY=${r.byDay.map((d) => ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'][d]).join(',')}`);
    lines.push(`RRULE:${parts.join(';')}`);
  }
  lines.push('END:VEVENT', 'END:VCALENDAR');
  return `${lines.map(fold).join('\r\n')}\r\n`;
}
