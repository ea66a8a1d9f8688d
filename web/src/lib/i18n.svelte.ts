/**
 * Language state: picked from the browser on first visit, switchable, remembered.
 * `t()` reads the reactive language, so every string in a template re-renders on a switch.
 */
import { en, zhCN, type MessageKey, type Messages } from './messages.ts';

export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Lang = (typeof LANGUAGES)[number];

/** Each language's name written in itself, as language pickers conventionally show them. */
export const LANGUAGE_NAMES: Record<Lang, string> = { en: 'English', 'zh-CN': '简体中文' };

export const TABLES: Record<Lang, Messages> = { en, 'zh-CN': zhCN };

const STORAGE_KEY = 'sealroom:lang';

/**
 * First supported language in the browser's preference order. Any Chinese variant maps to
 * zh-CN (the only Chinese table); anything else unknown falls through; English is the default.
 */
export function pickLanguage(preferred: readonly string[]): Lang {
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower === 'zh' || lower.startsWith('zh-')) return 'zh-CN';
    if (lower === 'en' || lower.startsWith('en-')) return 'en';
  }
  return 'en';
}

/** Fills `{name}` placeholders; an unknown placeholder stays as written, so it shows up in review. */
export function format(template: string, params?: Record<string, string | number>): string {
  if (!params) return template;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);
}

function storedLanguage(): Lang | null {
  try {
    const v = globalThis.localStorage?.getItem(STORAGE_KEY);
    return isLang(v) ? v : null;
  } catch {
    return null;
  }
}

function browserLanguages(): readonly string[] {
  const nav = globalThis.navigator as Navigator | undefined;
  return nav?.languages?.length ? nav.languages : nav?.language ? [nav.language] : [];
}

export class I18n {
  #lang = $state<Lang>('en');

  constructor(initial: Lang) {
    this.#lang = initial;
  }

  get lang(): Lang {
    return this.#lang;
  }

  set lang(lang: Lang) {
    this.#lang = lang;
    try {
      globalThis.localStorage?.setItem(STORAGE_KEY, lang);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    if (typeof document !== 'undefined') document.documentElement.lang = lang;
  }

  /** The string for `key` in the current language. */
  t = (key: MessageKey, params?: Record<string, string | number>): string => format(TABLES[this.#lang][key], params);

  /** A locale-aware date/time formatter for the current language. */
  dateTime = (when: Date | number, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }): string =>
    new Intl.DateTimeFormat(this.#lang, options).format(when);
}

export const i18n = new I18n(storedLanguage() ?? pickLanguage(browserLanguages()));
/** Shorthand for templates: `{t('call.leave')}`. */
export const t = i18n.t;
