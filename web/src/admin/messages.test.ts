import { describe, expect, it } from 'vitest';
import { AREAS } from '../lib/messages.ts';
import { messageArguments } from '../lib/testing/message-arguments.ts';

describe('admin message tables', () => {
  it('zh-CN has every key of en, with the same arguments, and nothing left untranslated', () => {
    const { en, 'zh-CN': zhCN } = AREAS.admin;
    expect(Object.keys(zhCN).sort()).toEqual(Object.keys(en).sort());
    for (const [k, v] of Object.entries(en)) {
      const zh = zhCN[k as keyof typeof en];
      expect(messageArguments(zh), k).toEqual(messageArguments(v));
      if (!/^\{\w+\}$/.test(v)) expect(zh, k).not.toBe(v);
    }
  });
});
