import { describe, expect, it } from 'vitest';
import { en, zhCN } from './messages.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('admin message tables', () => {
  it('zh-CN has every key of en, with the same placeholders, and nothing left untranslated', () => {
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(en)) {
      const zh = zhCN[k as keyof typeof en];
      expect(placeholders(zh), k).toEqual(placeholders(v));
      if (!/^\{\w+\}$/.test(v)) expect(zh, k).not.toBe(v);
    }
  });
});
