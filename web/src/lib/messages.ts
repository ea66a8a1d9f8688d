/**
 * The message catalogues: ICU MessageFormat strings kept as JSON under web/src/i18n/<lang>/, one
 * file per area (the meeting app, the admin console and sign-in pages, cloud recordings), so a
 * translator edits data, not code. The areas merge into one catalogue per language and one key
 * space, looked up by `t()` in i18n.svelte.ts.
 *
 * `en` is the reference: `MessageKey` is its keys, so a key that does not exist fails svelte-check
 * and tsc, and `zhCN` is typed against it, so a key missing in Chinese does not compile either.
 * (A unit test checks the same at run time, arguments and plurals included.)
 */
import type { ErrorCode } from '@sealroom/protocol';
import enAdmin from '../i18n/en/admin.json';
import enApp from '../i18n/en/app.json';
import enRecordings from '../i18n/en/recordings.json';
import zhAdmin from '../i18n/zh-CN/admin.json';
import zhApp from '../i18n/zh-CN/app.json';
import zhRecordings from '../i18n/zh-CN/recordings.json';

export const en = { ...enApp, ...enAdmin, ...enRecordings };

export type MessageKey = keyof typeof en;
export type Messages = Record<MessageKey, string>;

export const zhCN: Messages = { ...zhApp, ...zhAdmin, ...zhRecordings };

/** Each area's files as written, for the tests that hold every area to its own rules. */
export const AREAS = {
  app: { en: enApp, 'zh-CN': zhApp },
  admin: { en: enAdmin, 'zh-CN': zhAdmin },
  recordings: { en: enRecordings, 'zh-CN': zhRecordings },
} as const;

/** Error codes the app can show: the protocol's, plus the two a client makes up itself. */
export type UiErrorCode = ErrorCode | 'timeout' | 'closed';

/** The message key that explains an error code. */
export const errorKey = (code: UiErrorCode): MessageKey => `error.code.${code}`;
