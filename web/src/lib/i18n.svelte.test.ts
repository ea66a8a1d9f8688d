import { describe, expect, it } from 'vitest';
import { flushSync } from 'svelte';
import { I18n, TABLES, format, pickLanguage } from './i18n.svelte.ts';
import { messageArguments } from './testing/message-arguments.ts';

describe('pickLanguage', () => {
  it.each([
    [['zh-CN', 'en'], 'zh-CN'],
    [['zh-TW'], 'zh-CN'],
    [['zh'], 'zh-CN'],
    [['en-GB', 'zh-CN'], 'en'],
    [['fr-FR', 'zh-Hans-CN'], 'zh-CN'],
    [['fr-FR', 'de'], 'en'],
    [[], 'en'],
  ] as const)('%j → %s', (langs, want) => {
    expect(pickLanguage(langs)).toBe(want);
  });
});

describe('format', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(format('{name} joined', { name: '李雷' })).toBe('李雷 joined');
    expect(format('{a} and {b}', { a: 1 })).toBe('1 and {b}');
    expect(format('no params')).toBe('no params');
  });

  it('picks the plural form by the language’s rules', () => {
    const unread = '{count, plural, one {# unread message} other {# unread messages}}';
    expect(format(unread, { count: 1 })).toBe('1 unread message');
    expect(format(unread, { count: 0 })).toBe('0 unread messages');
    expect(format(unread, { count: 3 })).toBe('3 unread messages');
  });

  it('shows apostrophes and other ICU-looking characters as written', () => {
    expect(format("{name}'s screen", { name: 'Ann' })).toBe("Ann's screen");
    expect(format('the part after #, <b>not</b> bold')).toBe('the part after #, <b>not</b> bold');
  });
});

describe('message catalogues', () => {
  it.each(Object.entries(TABLES))('%s: every message formats, and one without arguments reads as written', (lang, table) => {
    for (const [key, message] of Object.entries(table)) {
      const names = messageArguments(message);
      const text = format(message, Object.fromEntries(names.map((n) => [n, 2])), lang as 'en' | 'zh-CN');
      expect(text, key).not.toMatch(/[{}]/);
      if (names.length === 0) expect(text, key).toBe(message);
    }
  });
});

describe('I18n', () => {
  it('switches language and t() follows', () => {
    const i18n = new I18n('en');
    expect(i18n.t('call.leave')).toBe('Leave');
    i18n.lang = 'zh-CN';
    expect(i18n.t('call.leave')).toBe('离开');
    expect(i18n.t('call.joined', { name: 'Ann' })).toBe('Ann 加入了会议');
  });

  it('counts in the current language: English singular and plural, Chinese one form', () => {
    const i18n = new I18n('en');
    expect(i18n.t('chat.unread', { count: 1 })).toBe('1 unread message');
    expect(i18n.t('chat.unread', { count: 2 })).toBe('2 unread messages');
    i18n.lang = 'zh-CN';
    expect(i18n.t('chat.unread', { count: 1 })).toBe('1 条未读消息');
    expect(i18n.t('chat.unread', { count: 2 })).toBe('2 条未读消息');
  });

  it('is reactive: a derived string re-computes after a switch', () => {
    const i18n = new I18n('en');
    const seen: string[] = [];
    const stop = $effect.root(() => {
      $effect(() => {
        seen.push(i18n.t('prejoin.join'));
      });
    });
    flushSync();
    i18n.lang = 'zh-CN';
    flushSync();
    stop();
    expect(seen).toEqual(['Join meeting', '加入会议']);
  });

  it('formats dates per language', () => {
    const when = Date.UTC(2026, 0, 15, 9, 30);
    const i18n = new I18n('zh-CN');
    expect(i18n.dateTime(when, { year: 'numeric', month: 'long', timeZone: 'UTC' })).toBe('2026年1月');
    i18n.lang = 'en';
    expect(i18n.dateTime(when, { year: 'numeric', month: 'long', timeZone: 'UTC' })).toBe('January 2026');
  });
});
