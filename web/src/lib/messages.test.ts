import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@sealroom/protocol';
import { TABLES } from './i18n.svelte.ts';
import { AREAS, en, errorKey, zhCN } from './messages.ts';
import { messageArguments } from './testing/message-arguments.ts';

/** Strings that are the same in every language on purpose. */
const SAME_EVERYWHERE = new Set(['app.name', 'home.join.placeholder']);

describe('message tables', () => {
  const enKeys = Object.keys(en).sort();

  it('no key is written in two areas, where one would silently win the merge', () => {
    const perArea = Object.values(AREAS).map((area) => Object.keys(area.en));
    expect(perArea.flat().length).toBe(enKeys.length);
  });

  it.each(Object.entries(TABLES))('%s has exactly the keys of en', (_lang, table) => {
    expect(Object.keys(table).sort()).toEqual(enKeys);
  });

  it.each(Object.entries(AREAS))('%s: each language file has exactly the keys of en', (_area, files) => {
    expect(Object.keys(files['zh-CN']).sort()).toEqual(Object.keys(files.en).sort());
  });

  it.each(Object.entries(TABLES))('%s: no string is empty, each parses, and its arguments match en', (_lang, table) => {
    for (const key of enKeys) {
      const k = key as keyof typeof en;
      expect(table[k].trim(), key).not.toBe('');
      expect(messageArguments(table[k]), key).toEqual(messageArguments(en[k]));
    }
  });

  it('zh-CN is translated: every string of the app differs from en unless it is the same on purpose', () => {
    for (const key of Object.keys(AREAS.app.en)) {
      const k = key as keyof typeof en;
      if (SAME_EVERYWHERE.has(key)) continue;
      expect(zhCN[k], key).not.toBe(en[k]);
      // A Chinese sentence carries at least one CJK character.
      expect(zhCN[k], key).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('zh-CN is translated: every string of the recordings pages is Chinese', () => {
    for (const key of Object.keys(AREAS.recordings.en)) {
      const k = key as keyof typeof en;
      expect(zhCN[k], key).not.toBe(en[k]);
      expect(zhCN[k], key).toMatch(/[\u4e00-\u9fff]/);
    }
  });

  it('every protocol error code has a sentence', () => {
    for (const code of [...ErrorCode.options, 'timeout', 'closed'] as const) {
      expect(en[errorKey(code)], code).toBeTruthy();
      expect(zhCN[errorKey(code)], code).toBeTruthy();
    }
  });
});
