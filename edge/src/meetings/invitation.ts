/** Invitations: copyable text and an iCalendar (RFC 5545) event. */
import type { Meeting } from './store.ts';

/** "123 456 7890": ids are read aloud in groups. */
export const spacedId = (id: string) => id.replace(/^(\d{3})(\d{3})(\d+)$/, '$1 $2 $3');

export function invitationText(m: Meeting, link: string): string {
  const lines = [`Sealroom meeting${m.topic ? `: ${m.topic}` : ''}`];
  if (m.startAt !== null) lines.push(`Time: ${new Date(m.startAt).toISOString().replace('T', ' ').slice(0, 16)} UTC (${m.timeZone}), ${m.durationMinutes} min`);
  lines.push(`Join: ${link}`, `Meeting ID: ${spacedId(m.id)}`);
  if (m.hasPassword) lines.push('Password: ask the host (it is not included in invitations).');
  lines.push('End-to-end encrypted: compare the security code shown in the meeting with the others.');
  return lines.join('\n');
}

const icsDate = (ms: number) => new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

/** RFC 5545 §3.3.11: backslash, semicolon and comma are escaped; newlines become \n. */
const icsText = (s: string) => s.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');

/** RFC 5545 §3.1: lines longer than 75 octets are folded with CRLF + space. */
function fold(line: string): string {
  const bytes = new TextEncoder().encode(line);
  if (bytes.length <= 75) return line;
  const out: string[] = [];
  let cur = '';
  let len = 0;
  for (const ch of line) {
    const n = new TextEncoder().encode(ch).length;
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
    `SUMMARY:${icsText(m.topic || 'Sealroom meeting')}`,
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
