/** Invitations with hostile topics: the .ics stays one event with the same properties, the text stays its lines. */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { call, newMeeting } from './helpers.ts';

/**
 * A strict reader of RFC 5545 content lines (§3.1): every physical line ends in CRLF, is at most
 * 75 octets and valid UTF-8 on its own; unfolded, each line is `name[;params]:value` with no
 * control but HTAB. Returns the unfolded lines as [name, value].
 */
function parseIcs(ics: string): Array<[string, string]> {
  expect(ics.endsWith('\r\n')).toBe(true);
  const physical = ics.slice(0, -2).split('\r\n');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const enc = new TextEncoder();
  const bytes = enc.encode(ics);
  // Lines re-cut from the bytes, so a fold that split a UTF-8 sequence shows up as a decoding error.
  let from = 0;
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a) {
      const line = bytes.subarray(from, i);
      expect(line.length).toBeLessThanOrEqual(75);
      expect(() => utf8.decode(line)).not.toThrow();
      from = i + 2;
    }
  }
  const logical: string[] = [];
  for (const line of physical) {
    expect(line).not.toMatch(/[\r\n]/);
    if (line.startsWith(' ') || line.startsWith('\t')) logical[logical.length - 1] += line.slice(1);
    else logical.push(line);
  }
  return logical.map((l) => {
    const m = /^([A-Z][A-Z0-9-]*)(;[^:]*)?:(.*)$/s.exec(l);
    expect(m, `not a content line: ${JSON.stringify(l)}`).not.toBeNull();
    // eslint-disable-next-line no-control-regex -- the point is that no control character reaches a content line
    expect(m![3]).not.toMatch(/[\u0000-\u0008\u000A-\u001F\u007F]/);
    return [m![1]!, m![3]!];
  });
}

/** §3.3.11 TEXT back to the string; an escape outside the four defined ones is an error. */
function unescapeText(v: string): string {
  expect(v).not.toMatch(/(^|[^\\])(\\\\)*[;,]/);
  return v.replace(/\\(.)/g, (_, c: string) => {
    expect('\\;,nN').toContain(c);
    return c === 'n' || c === 'N' ? '\n' : c;
  });
}

const EXPECTED = [
  'BEGIN',
  'VERSION',
  'PRODID',
  'CALSCALE',
  'METHOD',
  'BEGIN',
  'UID',
  'SEQUENCE',
  'DTSTAMP',
  'DTSTART',
  'DTEND',
  'SUMMARY',
  'LOCATION',
  'DESCRIPTION',
  'URL',
  'END',
  'END',
];

const HOSTILE: Array<[string, string, string]> = [
  ['a bare CR', 'Budget\rATTENDEE:mailto:eve@example.test', 'Budget ATTENDEE:mailto:eve@example.test'],
  ['a bare LF', 'Budget\nX-INJECTED:1', 'Budget X-INJECTED:1'],
  [
    'CRLF and a whole extra event',
    'Sync\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Free pizza\r\nURL:https://evil.test',
    'Sync END:VEVENT BEGIN:VEVENT SUMMARY:Free pizza URL:https://evil.test',
  ],
  ['commas, semicolons and backslashes', 'a,b;c\\n\\,d', 'a,b;c\\n\\,d'],
  ['a bidi override', 'Review \u202Egnp.exe', 'Review gnp.exe'],
  ['other controls', 'A\u0000B\u0007C\u001bD\u0085E', 'A B C D E'],
  [
    'long Chinese text',
    '季度预算审查会议：讨论第四季度的市场营销计划、人员招聘安排以及各部门的预算调整方案'.repeat(3),
    '季度预算审查会议：讨论第四季度的市场营销计划、人员招聘安排以及各部门的预算调整方案'.repeat(3),
  ],
  ['emoji and a mixed-width run', '🎉 Launch 发布会 👩\u200D💻 ' + 'é'.repeat(60), '🎉 Launch 发布会 👩\u200D💻 ' + 'é'.repeat(60)],
];

/** A meeting whose stored topic predates input checks: written straight into D1. */
async function meetingWithTopic(topic: string): Promise<string> {
  const m = await newMeeting({ topic: 'placeholder', startAt: Date.UTC(2026, 11, 1, 9), durationMinutes: 30 });
  await env.DB.prepare('UPDATE meetings SET topic = ? WHERE id = ?').bind(topic, m.id).run();
  return m.id;
}

describe('invitations with hostile topics', () => {
  it.each(HOSTILE)('%s: the .ics is still one event with the same properties, and the topic round-trips as one line', async (_what, topic, shown) => {
    const id = await meetingWithTopic(topic);
    const props = parseIcs(await (await call(`/api/meetings/${id}/invitation.ics`)).text());
    expect(props.map(([name]) => name)).toEqual(EXPECTED);
    expect(props.filter(([n, v]) => n === 'BEGIN' && v === 'VEVENT')).toHaveLength(1);
    const get = (name: string) => unescapeText(props.find(([n]) => n === name)![1]);
    expect(get('SUMMARY')).toBe(shown);
    expect(get('DESCRIPTION').split('\n')[0]).toBe(`Sealroom meeting: ${shown}`);
    expect(get('URL')).toBe(`http://sealroom.test/m/${id}`);

    const { text } = await (await call(`/api/meetings/${id}/invitation`)).json<{ text: string }>();
    const lines = text.split('\n');
    expect(lines[0]).toBe(`Sealroom meeting: ${shown}`);
    expect(lines.slice(1).map((l) => l.split(':')[0])).toEqual(['Time', 'Join', 'Meeting ID', 'End-to-end encrypted']);
    expect(text).not.toMatch(/[\r\u2028\u2029\u202A-\u202E\u2066-\u2069]/);
  });

  it('folds a long Chinese line at 75 octets, never inside a character', async () => {
    const id = await meetingWithTopic('会'.repeat(100));
    const ics = await (await call(`/api/meetings/${id}/invitation.ics`)).text();
    const summary = ics.split('\r\n').filter(
      (l, i, all) =>
        l.startsWith('SUMMARY:') ||
        (l.startsWith(' ') &&
          all
            .slice(0, i)
            .reverse()
            .find((x) => !x.startsWith(' '))
            ?.startsWith('SUMMARY:')),
    );
    // "SUMMARY:" is 8 octets, so 22 three-octet characters fill 74; each continuation holds 24 (1 + 72 octets), the last the 6 left.
    expect(summary.map((l) => new TextEncoder().encode(l).length)).toEqual([74, 73, 73, 73, 19]);
    expect(summary.map((l) => l.replace(/^SUMMARY:| /, '')).join('')).toBe('会'.repeat(100));
  });

  it('refuses a new topic with a line break or a bidi override', async () => {
    for (const topic of ['Sync\r\nBEGIN:VEVENT', 'Sync\rX', 'Review \u202Egnp.exe']) {
      const res = await call('/api/meetings', { method: 'POST', body: JSON.stringify({ topic }) });
      expect(res.status).toBe(400);
      expect((await res.json<{ error: { code: string } }>()).error.code).toBe('bad_message');
    }
  });
});
