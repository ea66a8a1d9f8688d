import { describe, expect, it } from 'vitest';
import { OrgPatchInput } from './accounts.ts';
import { MeetingInput } from './api.ts';
import { DisplayName } from './common.ts';
import { RenameSelfMsg } from './room.ts';

/** [what, input, stored form] */
const GOOD: Array<[string, string, string]> = [
  ['ASCII', 'Alice', 'Alice'],
  ['trimmed', '  Bob \t', 'Bob'],
  ['Chinese', '张伟', '张伟'],
  ['Japanese with long vowel mark', 'さとう・けーこ', 'さとう・けーこ'],
  ['Arabic (right-to-left letters are fine, overrides are not)', 'محمد', 'محمد'],
  ['Hebrew', 'דוד', 'דוד'],
  ['Devanagari with combining signs', 'प्रिया', 'प्रिया'],
  ['combining accent, normalized to NFC', 'Jose\u0301', 'José'],
  ['precomposed accent', 'José', 'José'],
  ['Vietnamese stacked diacritics', 'Nguyễn Thị Ánh', 'Nguyễn Thị Ánh'],
  ['single emoji', 'Sam 🎧', 'Sam 🎧'],
  ['emoji ZWJ: family', 'Ann 👨\u200D👩\u200D👧', 'Ann 👨\u200D👩\u200D👧'],
  ['emoji ZWJ: technologist with skin tone', '👩🏽\u200D💻 Priya', '👩🏽\u200D💻 Priya'],
  ['emoji ZWJ: rainbow flag (VS16 before the joiner)', '🏳\uFE0F\u200D🌈', '🏳\uFE0F\u200D🌈'],
  ['emoji ZWJ: heart on fire', '❤\uFE0F\u200D🔥', '❤\uFE0F\u200D🔥'],
  ['keycap and regional-indicator flag', '1\uFE0F\u20E3 🇨🇳', '1\uFE0F\u20E3 🇨🇳'],
  ['exactly 64 characters', 'x'.repeat(64), 'x'.repeat(64)],
];

const BAD: Array<[string, string, RegExp]> = [
  ['empty', '', /empty/],
  ['only spaces', '   ', /empty/],
  ['only an ideographic space', '\u3000', /empty/],
  ['too long', 'x'.repeat(65), /too long/],
  ['right-to-left override', 'Bob\u202Egnp.exe', /text-direction/],
  ['left-to-right override', '\u202DAlice', /text-direction/],
  ['embedding', '\u202AAlice\u202C', /text-direction/],
  ['pop directional formatting alone', 'Alice\u202C', /text-direction/],
  ['right-to-left isolate', 'Alice\u2067x\u2069', /text-direction/],
  ['first-strong isolate', '\u2068Alice', /text-direction/],
  ['left-to-right mark', 'Ali\u200Ece', /text-direction/],
  ['right-to-left mark', 'Ali\u200Fce', /text-direction/],
  ['Arabic letter mark', 'Ali\u061Cce', /text-direction/],
  ['zero-width space', 'Ali\u200Bce', /invisible/],
  ['zero-width non-joiner', 'Ali\u200Cce', /invisible/],
  ['zero-width joiner between letters', 'Ali\u200Dce', /invisible/],
  ['zero-width joiner after an emoji, before a letter', '👩\u200Dx', /invisible/],
  ['zero-width joiner before an emoji, after a letter', 'x\u200D💻', /invisible/],
  ['trailing zero-width joiner after an emoji', 'Ann 👩\u200D', /invisible/],
  ['word joiner', 'Ali\u2060ce', /invisible/],
  ['byte-order mark inside', 'Ali\uFEFFce', /invisible/],
  ['NUL', 'Ali\u0000ce', /control/],
  ['bare CR', 'Alice\rBEGIN:VEVENT', /control/],
  ['newline', 'Alice\nBob', /control/],
  ['tab inside', 'Ali\tce', /control/],
  ['DEL', 'Alice\u007f', /control/],
  ['C1 control (NEL)', 'Alice\u0085Bob', /control/],
  ['C1 control (CSI)', 'Alice\u009B31m', /control/],
  ['line separator', 'Alice\u2028Bob', /control/],
];

describe('display names', () => {
  it.each(GOOD)('accepts %s', (_what, input, stored) => {
    const r = DisplayName.safeParse(input);
    expect(r.success && r.data).toBe(stored);
  });

  it.each(BAD)('refuses %s', (_what, input, message) => {
    const r = DisplayName.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(message);
  });

  it('holds for every schema that carries a name or a topic', () => {
    const override = 'Eve\u202Etxt.exe';
    expect(RenameSelfMsg.safeParse({ type: 'rename', name: override }).success).toBe(false);
    expect(RenameSelfMsg.safeParse({ type: 'rename', name: '李雷 👨\u200D🍳' }).success).toBe(true);
    expect(OrgPatchInput.safeParse({ name: override }).success).toBe(false);
    expect(OrgPatchInput.safeParse({ name: 'Acme\u200B' }).success).toBe(false);
    expect(OrgPatchInput.safeParse({ name: '北京分公司' }).success).toBe(true);
    expect(MeetingInput.safeParse({ topic: override }).success).toBe(false);
    expect(MeetingInput.safeParse({ topic: 'Weekly\r\nBEGIN:VEVENT' }).success).toBe(false);
    // A topic may be empty (no topic); it is still normalized.
    expect(MeetingInput.parse({ topic: '  ' }).topic).toBe('');
    expect(MeetingInput.parse({ topic: 'Cafe\u0301 planning' }).topic).toBe('Café planning');
  });
});
