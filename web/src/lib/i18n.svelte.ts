/**
 * Language state: picked from the browser on first visit, switchable, remembered.
 * `t()` reads the reactive language, so every string in a template re-renders on a switch.
 *
 * Messages are ICU MessageFormat, formatted by intl-messageformat (FormatJS), pinned at 12.1.5.
 * It interprets the parsed message, so the JSON strings are used as they are: no build step and
 * no generated code (@messageformat/core compiles each message to JavaScript, either in the
 * build or with `new Function` in the page). Its plural rules come from the browser's
 * Intl.PluralRules instead of shipped CLDR data, and it is the formatter under FormatJS's
 * react-intl, so it is widely used and kept up. Paraglide was passed over for the same reason
 * as the compile step: its own CLI and project settings, a second build for two languages.
 */
import { IntlMessageFormat } from 'intl-messageformat';
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

export type MessageParams = Record<string, string | number>;

// Each new formatter resolves its locale through Intl (supportedLocalesOf, then a new
// Intl.Locale), about as costly as parsing the message. There are two languages: resolve each once.
const resolveLocale = IntlMessageFormat.resolveLocale;
const resolvedLocales = new Map<string, ReturnType<typeof resolveLocale>>();
IntlMessageFormat.resolveLocale = (locales) => {
  const key = String(locales);
  if (!resolvedLocales.has(key)) resolvedLocales.set(key, resolveLocale(locales));
  return resolvedLocales.get(key);
};

/** Parsing is the costly part of formatting, and a page shows the same few hundred strings over and over. */
const compiled = new Map<string, IntlMessageFormat>();

function compile(template: string, lang: Lang): IntlMessageFormat {
  const id = `${lang}\u0000${template}`;
  let message = compiled.get(id);
  if (!message) {
    // No rich-text tags in the catalogues: `<` is a character to show, never markup.
    message = new IntlMessageFormat(template, lang, undefined, { ignoreTag: true });
    compiled.set(id, message);
  }
  return message;
}

/**
 * An argument the caller did not pass reads as its own `{name}` instead of throwing, so a missing
 * value shows up in review rather than blanking the page.
 */
function withVisibleGaps(params: MessageParams): MessageParams {
  return new Proxy(params, {
    has: () => true,
    get: (target, name) => (typeof name === 'string' && !Object.hasOwn(target, name) ? `{${name}}` : Reflect.get(target, name)),
  });
}

/**
 * Formats an ICU message: `{name}` arguments and `{count, plural, one {…} other {…}}` by the
 * plural rules of `lang`.
 */
export function format(template: string, params: MessageParams = {}, lang: Lang = 'en'): string {
  // Most strings have no argument and nothing to escape: they read as written. Making a formatter
  // costs a locale lookup each, about 50 ms over a page's first render on a slow machine.
  if (!/[{}']/.test(template)) return template;
  return String(compile(template, lang).format(withVisibleGaps(params)));
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
  t = (key: MessageKey, params?: MessageParams): string => format(TABLES[this.#lang][key], params, this.#lang);

  /** A locale-aware date/time formatter for the current language. */
  dateTime = (when: Date | number, options: Intl.DateTimeFormatOptions = { dateStyle: 'medium', timeStyle: 'short' }): string =>
    new Intl.DateTimeFormat(this.#lang, options).format(when);
}

export const i18n = new I18n(storedLanguage() ?? pickLanguage(browserLanguages()));
/** Shorthand for templates: `{t('call.leave')}`. */
export const t = i18n.t;
