import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@sealroom/protocol';
import { TABLES } from './i18n.svelte.ts';
import { en, errorKey, zhCN } from './messages.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

/** Strings that are the same in every language on purpose. */
const SAME_EVERYWHERE = new Set(['app.name', 'home.join.placeholder']);

describe('message tables', () => {
  const enKeys = Object.keys(en).sort();

  it.each(Object.entries(TABLES))('%s has exactly the keys of en', (_lang, table) => {
    expect(Object.keys(table).sort()).toEqual(enKeys);
  });

  it.each(Object.entries(TABLES))('%s: no string is empty and placeholders match en', (_lang, table) => {
    for (const key of enKeys) {
      const k = key as keyof typeof en;
      expect(table[k].trim(), key).not.toBe('');
      expect(placeholders(table[k]), key).toEqual(placeholders(en[k]));
    }
  });

  it('zh-CN is translated: every string differs from en unless it is the same on purpose', () => {
    for (const key of enKeys) {
      const k = key as keyof typeof en;
      if (SAME_EVERYWHERE.has(key)) continue;
      expect(zhCN[k], key).not.toBe(en[k]);
      // A Chinese sentence carries at least one CJK character.
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
